/*
 * The `pc` machine: i440FX host bridge + PIIX3, i8259 pair, i8254, MC146818,
 * i8042, 16550A UARTs, IOAPIC, fw_cfg, ACPI; RAM below 4 GiB up to the PCI hole
 * (0xe0000000), the rest above 4 GiB; firmware or a kernel loaded directly.
 */
#ifndef HW_I386_PC_H
#define HW_I386_PC_H

#include <stdbool.h>
#include <stdint.h>
#include "accel/accel.h"
#include "hw/core/device.h"
#include "hw/core/irq.h"
#include "hw/core/isa.h"
#include "hw/core/memory.h"

#define TYPE_MACHINE "machine"
#define PC_MAX_SERIAL 4
#define PC_MAX_CPUS 64
#define PC_BELOW_4G_MAX 0xe0000000ull   /* start of the PCI hole */
#define PC_IOAPIC_BASE 0xfec00000ull
#define PC_LAPIC_BASE 0xfee00000ull
#define PC_ACPI_PM_BASE 0x600           /* PM1a event (4), control (2), timer at +8 */
#define PC_RESET_CONTROL_PORT 0xcf9
#define PC_ACPI_SCI_IRQ 9
#define PC_ACPI_SLP_TYP_S5 0            /* SLP_TYP value of \\_S5 in our DSDT */

typedef struct MachineConfig {
    uint64_t ram_size;           /* bytes */
    int smp;
    const char *cpu_model;       /* NULL: engine default */
    const char *kernel, *initrd, *append;
    const char *bios;
    bool linux_unpack;           /* -machine pc,linux-unpack=on|off */
    const char *serial[PC_MAX_SERIAL];
    int nr_serial;
    bool no_reboot;
} MachineConfig;

/* How the vCPUs start when a kernel is loaded directly (no firmware). */
typedef struct BootEntry {
    bool valid;
    X86State bsp;                /* full BSP state at entry (mode, segments, registers) */
} BootEntry;

struct Machine {
    Object parent_obj;           /* the root of the device tree ("/machine") */
    MachineConfig cfg;
    const AccelOps *accel;
    void *accel_state;

    MemoryRegion sysmem;         /* guest-physical address space root */
    MemoryRegion io;             /* port I/O root, 64 KiB */
    MemoryRegion ram;            /* all guest RAM, one host block */
    MemoryRegion ram_below_4g, ram_above_4g;   /* aliases into `ram` */
    MemoryRegion bios_rom, bios_isa_alias;
    MemoryRegion pci_mem;        /* window for PCI memory BARs, under everything */
    AddressSpace as_mem, as_io;
    uint64_t below_4g, above_4g; /* RAM split */

    BusState *sysbus;
    IsaBus *isa_bus;
    BusState *pci_bus;
    IRQ *gsi;                    /* ISA_NUM_IRQS inputs, fanned out to PIC and IOAPIC */
    DeviceState *pic, *ioapic, *pit, *rtc, *i8042, *fw_cfg, *pm;
    DeviceState *serial[PC_MAX_SERIAL];

    CPUState *cpus[PC_MAX_CPUS];
    int nr_cpus;
    BootEntry boot;
    bool a20_kbd, a20_port92;    /* the two sources of the A20 gate */
};

#define MACHINE(o) OBJECT_CHECK(Machine, (o), TYPE_MACHINE)

void machine_register_types(void);
/* Build the machine (memory, devices, loaded images) for cfg. Returns NULL with *errp
 * set on a user error (bad kernel, bad firmware...). No engine is involved yet. */
Machine *pc_machine_create(const MachineConfig *cfg, Error **errp);
/* Give the machine its engine: create the VM and the vCPUs. */
bool pc_machine_attach_engine(Machine *m, const AccelOps *accel, Error **errp);
/* Realize a user -device on the right bus. */
bool pc_machine_add_device(Machine *m, DeviceState *dev, Error **errp);
/* Power-on reset of devices and CPUs (also used for guest-requested resets). */
void pc_machine_reset(Machine *m);
/* The i8259 INTA cycle: the vector of the highest pending interrupt (engines call it
 * when they can inject an ExtINT). */
int pc_machine_pic_ack(Machine *m);
void pc_machine_destroy(Machine *m);

#endif
