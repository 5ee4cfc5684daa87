/* Every registration function, one per source file that defines types. */
#ifndef HW_CORE_TYPES_H
#define HW_CORE_TYPES_H

#define EMBER_TYPE_REGISTRARS(X) \
    X(device_register_types)     \
    X(isa_register_types)        \
    X(pci_register_types)        \
    X(i440fx_register_types)     \
    X(piix3_register_types)      \
    X(i8259_register_types)      \
    X(ioapic_register_types)     \
    X(apic_register_types)       \
    X(i8254_register_types)      \
    X(mc146818_register_types)   \
    X(i8042_register_types)      \
    X(serial_register_types)     \
    X(debugcon_register_types)   \
    X(port92_register_types)     \
    X(debugexit_register_types)  \
    X(ioport80_register_types)   \
    X(acpi_pm_register_types)    \
    X(fw_cfg_register_types)     \
    X(machine_register_types)

#endif
