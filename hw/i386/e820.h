/*
 * The e820 memory map: which guest-physical ranges are RAM, reserved or ACPI data.
 * A small fixed-size table kept sorted and without overlaps; the board builds the
 * standard PC layout from its RAM split, the direct-boot loaders hand it to the guest
 * (Linux boot_params, multiboot mmap) and fw_cfg exports it as "etc/e820".
 */
#ifndef HW_I386_E820_H
#define HW_I386_E820_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define E820_RAM      1
#define E820_RESERVED 2
#define E820_ACPI     3     /* ACPI tables (reclaimable after they are read) */
#define E820_NVS      4     /* ACPI non-volatile storage */

/* Linux's zero page holds at most 128 entries; we never need more. */
#define E820_MAX_ENTRIES 128
/* Size of one serialized entry (le64 addr, le64 size, le32 type), both formats. */
#define E820_ENTRY_SIZE 20

/* Fixed PC layout */
#define E820_EBDA_START   0x9fc00ull    /* top 1 KiB of conventional memory */
#define E820_LOW_RAM_END  0xa0000ull
#define E820_BIOS_START   0xf0000ull
#define E820_HIGH_RAM_START 0x100000ull
#define E820_APIC_AREA_START 0xfec00000ull  /* IOAPIC, HPET, LAPIC, BIOS flash */
#define E820_4G           0x100000000ull

typedef struct E820Entry {
    uint64_t addr;
    uint64_t size;
    uint32_t type;
} E820Entry;

typedef struct E820Table {
    unsigned nr;
    E820Entry entries[E820_MAX_ENTRIES];
} E820Table;

void e820_init(E820Table *t);
/* Mark [addr, addr+size) as `type`: the new range replaces whatever overlapped it,
 * neighbours of the same type merge. Returns false (table unchanged) when the range
 * wraps past 2^64, the type is 0, or the table would overflow. size 0 is a no-op. */
bool e820_add(E820Table *t, uint64_t addr, uint64_t size, uint32_t type);
/* The standard PC layout: RAM 0-0x9fc00, EBDA and BIOS (0xf0000-1M) reserved,
 * RAM 1M-below_4g, 0xfec00000-4G reserved (APICs, HPET, flash), RAM above 4G. */
void e820_build_pc(E820Table *t, uint64_t below_4g, uint64_t above_4g);
/* True when every byte of [addr, addr+size) lies in entries of `type`. */
bool e820_range_is(const E820Table *t, uint64_t addr, uint64_t size, uint32_t type);
/* Total bytes of entries of `type`. */
uint64_t e820_total(const E820Table *t, uint32_t type);

/* Write up to max entries as packed 20-byte records (the boot_params e820_table and
 * fw_cfg format); returns the number written. */
unsigned e820_serialize(const E820Table *t, uint8_t *dst, unsigned max);
/* The "etc/e820" fw_cfg file: every entry, packed; malloc'd, *len set. */
uint8_t *e820_to_fw_cfg(const E820Table *t, size_t *len);

#endif
