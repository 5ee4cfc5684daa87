/*
 * Entry state for direct kernel boot: the boot GDT and TSS, identity-mapped page
 * tables for the 64-bit entry (0-4 GiB, 2 MiB pages), and the boot CPU's registers
 * for the Linux 64-bit, Linux 32-bit and Multiboot entries.
 */
#include "hw/i386/loader.h"

#include <string.h>

#define PTE_PRESENT  (1ull << 0)
#define PTE_WRITE    (1ull << 1)
#define PTE_LARGE    (1ull << 7)     /* PS: a 2 MiB page in a page directory */
#define PAGE_2M      (2ull << 20)
#define IDENTITY_GIB 4

bool boot_build_identity_map(LoadContext *ctx, uint64_t *cr3, Error **errp)
{
    uint64_t pml4[512] = { 0 };
    uint64_t pdpt[512] = { 0 };
    pml4[0] = LOADER_PDPT_ADDR | PTE_PRESENT | PTE_WRITE;
    for (unsigned g = 0; g < IDENTITY_GIB; g++) {
        uint64_t pd_addr = LOADER_PD_ADDR + g * 0x1000ull;
        pdpt[g] = pd_addr | PTE_PRESENT | PTE_WRITE;
        uint64_t pd[512];
        for (unsigned i = 0; i < 512; i++) {
            uint64_t phys = ((uint64_t)g << 30) + i * PAGE_2M;
            pd[i] = phys | PTE_PRESENT | PTE_WRITE | PTE_LARGE;
        }
        if (!loader_write(ctx, pd_addr, pd, sizeof(pd), errp)) {
            return false;
        }
    }
    if (!loader_write(ctx, LOADER_PDPT_ADDR, pdpt, sizeof(pdpt), errp) ||
        !loader_write(ctx, LOADER_PML4_ADDR, pml4, sizeof(pml4), errp)) {
        return false;
    }
    *cr3 = LOADER_PML4_ADDR;
    return true;
}

/* A segment descriptor as the GDT stores it. */
static uint64_t gdt_descriptor(uint32_t base, uint32_t limit, uint8_t access, uint8_t flags)
{
    return (uint64_t)(limit & 0xffff) | (uint64_t)(base & 0xffffff) << 16 |
           (uint64_t)access << 40 | (uint64_t)((limit >> 16) & 0xf) << 48 |
           (uint64_t)(flags & 0xf) << 52 | (uint64_t)(base >> 24) << 56;
}

enum {
    GDT_ACCESS_CODE = 0x9b,          /* present, ring 0, code, execute/read, accessed */
    GDT_ACCESS_DATA = 0x93,          /* present, ring 0, data, read/write, accessed */
    GDT_ACCESS_TSS_BUSY = 0x8b,      /* present, system, busy 32/64-bit TSS */
    GDT_FLAGS_32 = 0xc,              /* 4 KiB granularity, 32-bit */
    GDT_FLAGS_64 = 0xa,              /* 4 KiB granularity, long mode */
};

static bool boot_write_gdt(LoadContext *ctx, LoaderEntryMode mode, uint16_t *gdt_limit,
                           Error **errp)
{
    const uint64_t code32 = gdt_descriptor(0, 0xfffff, GDT_ACCESS_CODE, GDT_FLAGS_32);
    const uint64_t code64 = gdt_descriptor(0, 0xfffff, GDT_ACCESS_CODE, GDT_FLAGS_64);
    const uint64_t data = gdt_descriptor(0, 0xfffff, GDT_ACCESS_DATA, GDT_FLAGS_32);
    uint64_t gdt[6] = { 0 };
    unsigned n = 5;
    gdt[LOADER_SEL_CODE32 >> 3] = code32;
    gdt[LOADER_SEL_BOOT_DS >> 3] = data;
    switch (mode) {
    case LOADER_ENTRY_LINUX64:
        gdt[LOADER_SEL_BOOT_CS >> 3] = code64;
        break;
    case LOADER_ENTRY_LINUX32:
        gdt[LOADER_SEL_BOOT_CS >> 3] = code32;
        break;
    case LOADER_ENTRY_MULTIBOOT:
        gdt[LOADER_SEL_MB_DS >> 3] = data;
        break;
    }
    gdt[LOADER_SEL_TSS >> 3] = gdt_descriptor((uint32_t)LOADER_TSS_ADDR, LOADER_TSS_SIZE - 1,
                                              GDT_ACCESS_TSS_BUSY, 0);
    if (mode == LOADER_ENTRY_LINUX64) {
        n = 6;                       /* the 64-bit TSS descriptor takes 16 bytes */
        gdt[(LOADER_SEL_TSS >> 3) + 1] = LOADER_TSS_ADDR >> 32;
    }
    uint8_t tss[LOADER_TSS_SIZE] = { 0 };
    tss[102] = LOADER_TSS_SIZE;      /* I/O map base beyond the limit: no bitmap */
    if (!loader_write(ctx, LOADER_GDT_ADDR, gdt, n * sizeof(gdt[0]), errp) ||
        !loader_write(ctx, LOADER_TSS_ADDR, tss, sizeof(tss), errp)) {
        return false;
    }
    *gdt_limit = (uint16_t)(n * sizeof(gdt[0]) - 1);
    return true;
}

bool boot_setup_entry(LoadContext *ctx, LoaderEntryMode mode, uint64_t entry,
                      X86State *st, Error **errp)
{
    uint16_t gdt_limit;
    if (!boot_write_gdt(ctx, mode, &gdt_limit, errp)) {
        return false;
    }
    uint64_t cr3 = 0;
    if (mode == LOADER_ENTRY_LINUX64 && !boot_build_identity_map(ctx, &cr3, errp)) {
        return false;
    }
    x86_state_reset(st);
    memset(st->regs, 0, sizeof(st->regs));

    bool long_mode = mode == LOADER_ENTRY_LINUX64;
    uint16_t cs = mode == LOADER_ENTRY_MULTIBOOT ? LOADER_SEL_MB_CS : LOADER_SEL_BOOT_CS;
    uint16_t ds = mode == LOADER_ENTRY_MULTIBOOT ? LOADER_SEL_MB_DS : LOADER_SEL_BOOT_DS;
    x86_segment_set_flat(&st->seg[R_CS], cs, true, long_mode);
    for (int i = 0; i < SEG_COUNT; i++) {
        if (i != R_CS) {
            x86_segment_set_flat(&st->seg[i], ds, false, long_mode);
        }
    }
    memset(&st->tr, 0, sizeof(st->tr));
    st->tr.selector = LOADER_SEL_TSS;
    st->tr.base = LOADER_TSS_ADDR;
    st->tr.limit = LOADER_TSS_SIZE - 1;
    st->tr.type = 0xb;               /* busy 32/64-bit TSS */
    st->tr.present = true;

    st->gdt.base = LOADER_GDT_ADDR;
    st->gdt.limit = gdt_limit;
    st->idt.base = 0;
    st->idt.limit = 0;

    st->cr0 = X86_CR0_PE | X86_CR0_ET;
    st->cr2 = 0;
    st->cr3 = 0;
    st->cr4 = 0;
    st->efer = 0;
    if (long_mode) {
        st->cr0 |= X86_CR0_PG;
        st->cr3 = cr3;
        st->cr4 = X86_CR4_PAE;
        st->efer = X86_EFER_LME | X86_EFER_LMA;
    }
    st->rflags = 0x2;                /* IF clear */
    st->rip = entry;
    st->regs[R_ESP] = LOADER_STACK_TOP;
    return true;
}
