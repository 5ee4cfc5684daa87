/*
 * ACPI tables for the pc machine: RSDP (revision 2), RSDT, XSDT, FADT, FACS, a small
 * hand-assembled DSDT (\_S5 and the PCI root bridge) and the MADT (local APICs, the
 * IOAPIC, ISA interrupt overrides, LINT1 NMI). The tables are built into one buffer
 * that will sit at a chosen guest-physical address; for direct kernel boot they go in
 * the BIOS area so the RSDP is also found by the classic 0xe0000-0xfffff scan.
 */
#ifndef HW_I386_ACPI_BUILD_H
#define HW_I386_ACPI_BUILD_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include "hw/core/memory.h"
#include "system/error.h"

/* Where direct boot places the tables (16-byte aligned, inside the RSDP scan area). */
#define ACPI_DIRECT_BOOT_BASE 0xe0000ull
#define ACPI_DIRECT_BOOT_SIZE 0x10000ull

#define ACPI_MAX_CPUS 255       /* 8-bit APIC ids in the MADT */

/* ACPI table field offsets the tests and tools use */
#define ACPI_HDR_SIZE 36
#define ACPI_RSDP_SIZE 36
#define ACPI_FADT_SIZE 244      /* revision 4 (ACPI 3.0 layout with the X_ blocks) */
#define ACPI_FACS_SIZE 64

/* FADT flags we set */
#define ACPI_FADT_F_WBINVD        (1u << 0)
#define ACPI_FADT_F_PROC_C1       (1u << 2)
#define ACPI_FADT_F_SLP_BUTTON    (1u << 5)
#define ACPI_FADT_F_FIX_RTC       (1u << 6)
#define ACPI_FADT_F_RESET_REG_SUP (1u << 10)
/* IA-PC boot architecture flags */
#define ACPI_BOOT_ARCH_LEGACY_DEVICES (1u << 0)
#define ACPI_BOOT_ARCH_8042           (1u << 1)

/* MADT entry types */
#define ACPI_MADT_LOCAL_APIC  0
#define ACPI_MADT_IO_APIC     1
#define ACPI_MADT_INT_OVERRIDE 2
#define ACPI_MADT_LOCAL_APIC_NMI 4

typedef struct AcpiConfig {
    int nr_cpus;                 /* 1..ACPI_MAX_CPUS; APIC id = index */
    uint8_t ioapic_id;
    /* PCI memory window below 4 GiB for the root bridge's _CRS; 0 = defaults
     * (PC_BELOW_4G_MAX .. PC_IOAPIC_BASE - 1) */
    uint64_t pci_hole_start, pci_hole_end;
} AcpiConfig;

typedef struct AcpiTables {
    uint8_t *buf;                /* malloc'd image of all tables */
    size_t len;
    uint64_t base;               /* guest-physical address of buf[0] */
    /* guest-physical address of each table */
    uint64_t rsdp, rsdt, xsdt, fadt, facs, dsdt, madt;
} AcpiTables;

/* Build the tables for placement at `base` (must be 16-byte aligned and the whole
 * image must stay below 4 GiB, since the RSDT/FADT hold 32-bit pointers). */
bool acpi_build_tables(AcpiTables *out, const AcpiConfig *cfg, uint64_t base, Error **errp);
void acpi_tables_free(AcpiTables *t);

/* The byte sum that makes a table's checksum field right (over len bytes, with the
 * checksum field zero). */
uint8_t acpi_checksum(const uint8_t *p, size_t len);

/* Build and write the tables into guest RAM at base (at most max_len bytes): for
 * direct boot. Fails without writing when the tables don't fit or the range is not
 * RAM. Sets *rsdp_addr and, if not NULL, *used_len. */
bool acpi_install(AddressSpace *as, const AcpiConfig *cfg, uint64_t base, uint64_t max_len,
                  uint64_t *rsdp_addr, uint64_t *used_len, Error **errp);

#endif
