/*
 * Direct kernel boot without firmware: the Linux x86 boot protocol (bzImage, either
 * entered at its 64-bit decompressor or unpacked on the host into the vmlinux ELF)
 * and Multiboot v1. The loaders work on a LoadContext (an address space and the RAM
 * layout), not on the Machine, so they can be tested without one; they write guest
 * memory only after checking every size and offset taken from the files, and fill an
 * X86State with the boot CPU's entry state.
 *
 * Low-memory layout used by the loaders (guest-physical):
 *
 *   0x00500-0x0052f  boot GDT (null, code32 0x08, code 0x10, data 0x18, TSS 0x20)
 *                    multiboot: null, code32 0x08, data 0x10, data 0x18, TSS 0x20
 *   0x00580-0x005e7  a zeroed 104-byte TSS so TR holds a valid busy TSS
 *   0x01000-0x01fff  PML4            \  identity map of 0-4 GiB with 2 MiB pages,
 *   0x02000-0x02fff  PDPT             > only written for the 64-bit entry
 *   0x03000-0x06fff  4 page dirs     /
 *   0x07000-0x07fff  Linux boot_params ("zero page") / multiboot info + mmap
 *   0x08000-0x08fff  multiboot module list (at most 256 modules)
 *   0x09000-0x0ffff  boot stack (ESP/RSP = 0x10000 at entry)
 *   0x10000-0x1ffff  multiboot strings (command line, module strings, loader name)
 *   0x20000-0x2ffff  Linux command line (at most 64 KiB)
 *   0xe0000-0xeffff  ACPI tables, RSDP first (e820 type ACPI in the guest's map)
 *
 * Kernels, modules and the initrd must lie in e820 RAM and may not overlap
 * 0-LOADER_LOW_END. The Linux kernel keeps [pref_address, pref_address + init_size)
 * for itself (plus the image at 1 MiB on the classic path); the initrd goes at the
 * top of RAM below min(initrd_addr_max, 4 GiB), outside those ranges.
 */
#ifndef HW_I386_LOADER_H
#define HW_I386_LOADER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include "cpu/x86_state.h"
#include "hw/core/memory.h"
#include "hw/i386/e820.h"
#include "system/error.h"

#define LOADER_GDT_ADDR        0x00500ull
#define LOADER_TSS_ADDR        0x00580ull
#define LOADER_TSS_SIZE        104
#define LOADER_PML4_ADDR       0x01000ull
#define LOADER_PDPT_ADDR       0x02000ull
#define LOADER_PD_ADDR         0x03000ull   /* 4 pages */
#define LOADER_ZERO_PAGE_ADDR  0x07000ull
#define LOADER_MB_INFO_ADDR    0x07000ull
#define LOADER_MB_MMAP_ADDR    0x07100ull
#define LOADER_MB_MODS_ADDR    0x08000ull
#define LOADER_MB_MAX_MODS     256
#define LOADER_STACK_TOP       0x10000ull
#define LOADER_MB_STRINGS_ADDR 0x10000ull
#define LOADER_MB_STRINGS_SIZE 0x10000ull
#define LOADER_CMDLINE_ADDR    0x20000ull
#define LOADER_CMDLINE_MAX     0x10000ull   /* bytes including the NUL */
#define LOADER_LOW_END         0x30000ull

/* Segment selectors of the boot GDT */
#define LOADER_SEL_CODE32      0x08
#define LOADER_SEL_BOOT_CS     0x10         /* Linux __BOOT_CS */
#define LOADER_SEL_BOOT_DS     0x18         /* Linux __BOOT_DS */
#define LOADER_SEL_TSS         0x20
#define LOADER_SEL_MB_CS       0x08
#define LOADER_SEL_MB_DS       0x10

/* Largest decompressed vmlinux we accept (also capped at the RAM size). */
#define LOADER_MAX_UNPACKED    (512ull << 20)
/* Largest kernel file we read into host memory. */
#define LOADER_MAX_KERNEL_FILE (512ull << 20)

#define MULTIBOOT_BOOTLOADER_MAGIC 0x2BADB002u

typedef struct LoadContext {
    AddressSpace *as;
    uint64_t ram_below_4g, ram_above_4g;
    E820Table e820;             /* the machine's map (a copy: the loader adds ACPI) */
    int nr_cpus;
    bool install_acpi;          /* place ACPI tables at ACPI_DIRECT_BOOT_BASE (default on) */
    /* filled by the loaders: what went where */
    uint64_t rsdp_addr;         /* 0 when no ACPI tables were installed */
    uint64_t kernel_start, kernel_end;  /* loaded kernel bytes [start, end) */
    uint64_t kernel_reserved_end;       /* end of the range the kernel keeps for itself */
    uint64_t initrd_start, initrd_size; /* Linux initrd (0 size: none) */
    uint64_t info_addr;         /* boot_params or multiboot info */
    uint64_t cmdline_addr;
    uint64_t modules_end;       /* multiboot: end of the last module */
} LoadContext;

/* Entry modes of the boot CPU */
typedef enum LoaderEntryMode {
    LOADER_ENTRY_LINUX64,       /* long mode, CS 0x10 (L=1), DS 0x18, paging 0-4 GiB */
    LOADER_ENTRY_LINUX32,       /* protected mode, CS 0x10, DS 0x18, no paging */
    LOADER_ENTRY_MULTIBOOT,     /* protected mode, CS 0x08, DS 0x10, no paging */
} LoaderEntryMode;

/* A half-open guest-physical range [start, end). */
typedef struct LoaderRange {
    uint64_t start, end;
} LoaderRange;

/* e820 may be NULL: the standard PC layout for the RAM split is used. */
void loader_context_init(LoadContext *ctx, AddressSpace *as, uint64_t ram_below_4g,
                         uint64_t ram_above_4g, const E820Table *e820, int nr_cpus);

/* ---- the loaders ---- */

/* Linux bzImage. unpack: decompress the payload on the host and enter the vmlinux at
 * startup_64; else load the image at 1 MiB and enter its decompressor (64-bit entry,
 * or the 32-bit entry for kernels without XLF_KERNEL_64). initrd_path and cmdline may
 * be NULL. */
bool linux_load(LoadContext *ctx, const char *kernel_path, const char *initrd_path,
                const char *cmdline, bool unpack, X86State *entry, Error **errp);

/* A multiboot header (magic 0x1BADB002, 32-bit aligned, within the first 8192 bytes,
 * valid checksum) is present in buf. */
bool multiboot_probe(const uint8_t *buf, size_t len);
/* Does the file carry a multiboot header? (false on any read error) */
bool kernel_is_multiboot(const char *path);
/* Multiboot v1: ELF32 or a.out-kludge kernels. modules: comma-separated list of
 * "path args" (",," for a literal comma), may be NULL. */
bool multiboot_load(LoadContext *ctx, const char *kernel_path, const char *modules,
                    const char *cmdline, X86State *entry, Error **errp);

/* ---- shared helpers (loader_common.c) ---- */

/* Read a whole regular file of at most max bytes into a malloc'd buffer. */
uint8_t *loader_read_file(const char *path, uint64_t max, size_t *len, Error **errp);
/* Size of a regular file. */
bool loader_file_size(const char *path, uint64_t *size, Error **errp);
/* Copy `size` bytes of a file into guest RAM at addr (checked like loader_write). */
bool loader_copy_file(LoadContext *ctx, const char *path, uint64_t addr, uint64_t size,
                      Error **errp);
/* Write to guest memory; fails (writing nothing) unless all of it is RAM. */
bool loader_write(LoadContext *ctx, uint64_t addr, const void *buf, uint64_t len,
                  Error **errp);
bool loader_zero(LoadContext *ctx, uint64_t addr, uint64_t len, Error **errp);
/* [addr, addr+size) is usable RAM in the context's e820 and above LOADER_LOW_END. */
bool loader_range_ok(const LoadContext *ctx, uint64_t addr, uint64_t size);
bool loader_ranges_overlap(uint64_t a, uint64_t a_size, uint64_t b, uint64_t b_size);
/* Highest align-aligned address A with [A, A+size) in e820 RAM, A+size <= limit,
 * A >= LOADER_LOW_END and clear of every avoid range; 0 when there is none. */
uint64_t loader_find_top(const LoadContext *ctx, uint64_t size, uint64_t align,
                         uint64_t limit, const LoaderRange *avoid, unsigned nr_avoid);
/* Install the ACPI tables (when ctx->install_acpi) and mark them in ctx->e820. */
bool loader_install_acpi(LoadContext *ctx, Error **errp);

/* ---- entry state (boot_pagetables.c) ---- */

/* Write the identity map of 0-4 GiB (2 MiB pages) at LOADER_PML4_ADDR; returns CR3. */
bool boot_build_identity_map(LoadContext *ctx, uint64_t *cr3, Error **errp);
/* Write the GDT and TSS for the mode, and set st to the entry state: segments, GDTR,
 * CR0/CR3/CR4/EFER, RFLAGS 0x2 (interrupts off), IP = entry, stack at
 * LOADER_STACK_TOP, other general registers zero. Callers then set RSI/EAX/EBX. */
bool boot_setup_entry(LoadContext *ctx, LoaderEntryMode mode, uint64_t entry,
                      X86State *st, Error **errp);

#endif
