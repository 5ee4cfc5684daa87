/*
 * The system area shared by the differential tester's virtual-machine runners: page
 * tables, descriptor tables and exception handlers laid out in the runner's RAM, and
 * the decoding of how a case ended (see sysarea.h).
 */
#include "tests/difftest/sysarea.h"

#include <string.h>

#define DT_PDPT (DT_CODE + 0x8000)
#define DT_PD   (DT_CODE + 0x9000)
#define DT_PT   (DT_CODE + 0xa000)

static void wr64(uint8_t *ram, uint64_t addr, uint64_t v)
{
    memcpy(ram + (addr - DT_CODE), &v, 8);
}

static uint64_t rd64(const uint8_t *ram, uint64_t addr)
{
    uint64_t v;
    memcpy(&v, ram + (addr - DT_CODE), 8);
    return v;
}

static uint64_t seg_desc(uint32_t base, uint32_t limit, unsigned access, unsigned flags)
{
    return (limit & 0xffff) | ((uint64_t)(base & 0xffffff) << 16) |
           ((uint64_t)access << 40) | ((uint64_t)((limit >> 16) & 0xf) << 48) |
           ((uint64_t)flags << 52) | ((uint64_t)(base >> 24) << 56);
}

void dt_sys_build(uint8_t *ram)
{
    /* paging: PML4[0] -> PDPT[0] -> PD[128] -> PT (4 KiB pages at DT_CODE) */
    wr64(ram, DT_PML4, DT_PDPT | 7);
    wr64(ram, DT_PDPT, DT_PD | 7);
    wr64(ram, DT_PD + ((DT_CODE >> 21) & 0x1ff) * 8, DT_PT | 7);
    for (unsigned i = 0; i < DT_SYS_PAGES; i++) {
        bool user = i < 3;                      /* code, data, stack */
        wr64(ram, DT_PT + i * 8, (DT_CODE + i * DT_PAGE) | (user ? 7 : 3));
    }

    /* GDT: ring-0 64-bit code, ring-0 data, ring-3 data, ring-3 64-bit code, TSS,
     * ring-3 32-bit code */
    wr64(ram, DT_GDT + 0x00, 0);
    wr64(ram, DT_GDT + 0x08, seg_desc(0, 0xfffff, 0x9b, 0xa));
    wr64(ram, DT_GDT + 0x10, seg_desc(0, 0xfffff, 0x93, 0xc));
    wr64(ram, DT_GDT + 0x18, seg_desc(0, 0xfffff, 0xf3, 0xc));
    wr64(ram, DT_GDT + 0x20, seg_desc(0, 0xfffff, 0xfb, 0xa));
    wr64(ram, DT_GDT + DT_SEL_TSS, seg_desc((uint32_t)DT_TSS, DT_TSS_LIMIT, 0x8b, 0));
    wr64(ram, DT_GDT + DT_SEL_TSS + 8, 0);      /* TSS base 63:32 */
    wr64(ram, DT_GDT + (DT_SEL_CS3_32 & ~7), seg_desc(0, 0xfffff, 0xfb, 0xc));

    /* 64-bit TSS: RSP0 */
    memset(ram + (DT_TSS - DT_CODE), 0, DT_TSS_LIMIT + 1);
    wr64(ram, DT_TSS + 4, DT_STACK0_TOP);

    /* IDT: vector v -> DT_HANDLERS + v, a page of HLT */
    memset(ram + (DT_HANDLERS - DT_CODE), 0xf4, DT_PAGE);
    for (unsigned v = 0; v < 256; v++) {
        uint64_t off = DT_HANDLERS + v;
        uint64_t lo = (off & 0xffff) | ((uint64_t)DT_SEL_CS0 << 16) |
                      (UINT64_C(0x8e) << 40) | ((off >> 16 & 0xffff) << 48);
        wr64(ram, DT_IDT + v * 16, lo);
        wr64(ram, DT_IDT + v * 16 + 8, off >> 32);
    }
}

void dt_sys_load_case(uint8_t *ram, const DtCase *c)
{
    uint8_t *code = ram;
    memset(code, 0xcc, DT_PAGE);
    memcpy(code, c->code, c->len);
    code[c->len] = 0x0f;                        /* UD2: the end marker */
    code[c->len + 1] = 0x0b;
    dt_fill_memory(c->mem_seed, ram + (DT_DATA - DT_CODE), ram + (DT_STACK - DT_CODE));
}

static bool vector_pushes_error(int v)
{
    return v == 8 || (v >= 10 && v <= 14) || v == 17 || v == 21 || v == 29 || v == 30;
}

void dt_sys_finish(const uint8_t *ram, const DtCase *c, bool halted, uint64_t rip,
                   uint64_t rsp, DtResult *r)
{
    memcpy(r->data, ram + (DT_DATA - DT_CODE), DT_PAGE);
    memcpy(r->stack, ram + (DT_STACK - DT_CODE), DT_PAGE);
    r->rip = rip;
    int vector = (int)(rip - DT_HANDLERS) - 1;
    if (!halted || rip <= DT_HANDLERS || vector > 255) {
        r->vector = DT_VEC_CRASH;               /* runaway or triple fault */
        return;
    }
    uint64_t frame = rsp;
    if (frame < DT_STACK0_TOP - 0x100 || frame > DT_STACK0_TOP - 40) {
        r->vector = DT_VEC_CRASH;
        return;
    }
    if (vector_pushes_error(vector)) {
        r->error_code = (uint32_t)rd64(ram, frame);
        frame += 8;
    }
    r->rip = rd64(ram, frame);
    r->rflags = rd64(ram, frame + 16);
    r->regs[4] = rd64(ram, frame + 24);         /* RSP */
    r->vector = vector;
    if (vector == 6 && r->rip == DT_CODE + c->len) {
        r->vector = -1;                         /* reached the UD2 marker */
    }
}
