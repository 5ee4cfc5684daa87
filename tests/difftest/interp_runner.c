/*
 * Interpreter runner: one X86CPU over 64 KiB of RAM at DT_CODE, in 64-bit long mode
 * with 4-level identity paging (the snippet's code, data and stack pages user-
 * accessible, the system pages supervisor-only), a 64-bit GDT, TSS and IDT. The
 * snippet runs at CPL 3 and is followed by UD2. Every IDT gate points at its own
 * byte of a page of HLT instructions, so any exception is delivered through the real
 * long-mode path (stack switch to RSP0 from the TSS) and the CPU halts in the
 * handler: the vector is where it halted, the faulting RIP, RFLAGS and RSP are read
 * back from the exception frame. A #UD whose RIP is the UD2 marker is a normal end.
 */
#include "tests/difftest/interp_runner.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cpu/cpu.h"
#include "cpu/fpu.h"
#include "cpu/models.h"
#include "cpu/tcache.h"
#include "system/timer.h"

#define IR_RAM_SIZE   0x10000u
#define IR_GDT        (DT_CODE + 0x3000)
#define IR_TSS        (DT_CODE + 0x3800)
#define IR_IDT        (DT_CODE + 0x4000)
#define IR_HANDLERS   (DT_CODE + 0x5000)
#define IR_STACK0_TOP (DT_CODE + 0x7000)
#define IR_PML4       (DT_CODE + 0x7000)
#define IR_PDPT       (DT_CODE + 0x8000)
#define IR_PD         (DT_CODE + 0x9000)
#define IR_PT         (DT_CODE + 0xa000)
#define IR_PAGES      11u

#define IR_CS0  0x08
#define IR_DS3  0x1b
#define IR_CS3  0x23
#define IR_TSSS 0x28

#define IR_MAX_INSNS 200000u

typedef struct InterpRunner {
    DtRunner base;
    MemoryRegion mem_root, ram, io_root;
    AddressSpace mem, io;
    X86CPU cpu;
    uint8_t *host;                 /* the RAM, mapped */
} InterpRunner;

static void wr64(InterpRunner *ir, uint64_t addr, uint64_t v)
{
    memcpy(ir->host + (addr - DT_CODE), &v, 8);
}

static uint64_t rd64(InterpRunner *ir, uint64_t addr)
{
    uint64_t v;
    memcpy(&v, ir->host + (addr - DT_CODE), 8);
    return v;
}

static uint64_t seg_desc(uint32_t base, uint32_t limit, unsigned access, unsigned flags)
{
    return (limit & 0xffff) | ((uint64_t)(base & 0xffffff) << 16) |
           ((uint64_t)access << 40) | ((uint64_t)((limit >> 16) & 0xf) << 48) |
           ((uint64_t)flags << 52) | ((uint64_t)(base >> 24) << 56);
}

static void ir_build_tables(InterpRunner *ir)
{
    /* paging: PML4[0] -> PDPT[0] -> PD[128] -> PT (4 KiB pages at DT_CODE) */
    wr64(ir, IR_PML4, IR_PDPT | 7);
    wr64(ir, IR_PDPT, IR_PD | 7);
    wr64(ir, IR_PD + ((DT_CODE >> 21) & 0x1ff) * 8, IR_PT | 7);
    for (unsigned i = 0; i < IR_PAGES; i++) {
        bool user = i < 3;                      /* code, data, stack */
        wr64(ir, IR_PT + i * 8, (DT_CODE + i * DT_PAGE) | (user ? 7 : 3));
    }

    /* GDT: ring-0 64-bit code, ring-0 data, ring-3 data, ring-3 64-bit code, TSS */
    wr64(ir, IR_GDT + 0x00, 0);
    wr64(ir, IR_GDT + 0x08, seg_desc(0, 0xfffff, 0x9b, 0xa));
    wr64(ir, IR_GDT + 0x10, seg_desc(0, 0xfffff, 0x93, 0xc));
    wr64(ir, IR_GDT + 0x18, seg_desc(0, 0xfffff, 0xf3, 0xc));
    wr64(ir, IR_GDT + 0x20, seg_desc(0, 0xfffff, 0xfb, 0xa));
    wr64(ir, IR_GDT + 0x28, seg_desc((uint32_t)IR_TSS, 0x67, 0x8b, 0));
    wr64(ir, IR_GDT + 0x30, 0);                 /* TSS base 63:32 */

    /* 64-bit TSS: RSP0 */
    memset(ir->host + (IR_TSS - DT_CODE), 0, 0x68);
    wr64(ir, IR_TSS + 4, IR_STACK0_TOP);

    /* IDT: vector v -> IR_HANDLERS + v, a page of HLT */
    memset(ir->host + (IR_HANDLERS - DT_CODE), 0xf4, DT_PAGE);
    for (unsigned v = 0; v < 256; v++) {
        uint64_t off = IR_HANDLERS + v;
        uint64_t lo = (off & 0xffff) | ((uint64_t)IR_CS0 << 16) | (UINT64_C(0x8e) << 40) |
                      ((off >> 16 & 0xffff) << 48);
        wr64(ir, IR_IDT + v * 16, lo);
        wr64(ir, IR_IDT + v * 16 + 8, off >> 32);
    }
}

static void ir_set_cpu(InterpRunner *ir)
{
    X86State *s = &ir->cpu.s;

    s->cr0 = X86_CR0_PE | X86_CR0_PG | X86_CR0_ET | X86_CR0_WP | X86_CR0_MP | X86_CR0_NE;
    s->cr4 = X86_CR4_PAE | X86_CR4_OSFXSR | X86_CR4_OSXMMEXCPT;
    s->cr3 = IR_PML4;
    s->efer = X86_EFER_LME | X86_EFER_LMA;
    s->gdt.base = IR_GDT;
    s->gdt.limit = 0x37;
    s->idt.base = IR_IDT;
    s->idt.limit = 0xfff;
    memset(&s->tr, 0, sizeof(s->tr));
    s->tr.selector = IR_TSSS;
    s->tr.base = IR_TSS;
    s->tr.limit = 0x67;
    s->tr.type = 11;
    s->tr.present = true;
    cpu_tlb_flush_all_mappings(&ir->cpu);
}

static void ir_enter_ring3(InterpRunner *ir)
{
    X86State *s = &ir->cpu.s;
    x86_segment_set_flat(&s->seg[R_CS], IR_CS3, true, true);
    s->seg[R_CS].dpl = 3;
    for (int seg = 0; seg < SEG_COUNT; seg++) {
        if (seg != R_CS) {
            x86_segment_set_flat(&s->seg[seg], IR_DS3, false, true);
            s->seg[seg].dpl = 3;
        }
    }
}

static bool vector_pushes_error(int v)
{
    return v == 8 || (v >= 10 && v <= 14) || v == 17 || v == 21 || v == 29 || v == 30;
}

static void ir_run_one(InterpRunner *ir, const DtCase *c, DtResult *r)
{
    X86CPU *cpu = &ir->cpu;
    X86State *s = &cpu->s;
    uint8_t *code = ir->host;
    uint8_t *data = ir->host + (DT_DATA - DT_CODE);
    uint8_t *stack = ir->host + (DT_STACK - DT_CODE);

    memset(r, 0, offsetof(DtResult, data));
    memset(code, 0xcc, DT_PAGE);
    memcpy(code, c->code, c->len);
    code[c->len] = 0x0f;                        /* UD2: the end marker */
    code[c->len + 1] = 0x0b;
    dt_fill_memory(c->mem_seed, data, stack);
    if (cpu->tcache) {
        /* the code was written behind the decoded-instruction cache's back */
        tcache_invalidate_page(cpu->tcache, DT_CODE);
    }

    memcpy(s->regs, c->regs, sizeof(c->regs));
    s->regs[R_ESP] = DT_STACK_INIT;
    s->rip = DT_CODE;
    s->rflags = 0x202 | (c->rflags & DT_FLAGS_COMPARED);
    cpu->cc_op = CC_OP_EFLAGS;
    fpu_reset(&s->fpu);                         /* FNINIT state, as FXRSTOR loads it */
    memset(s->fpu.st, 0, sizeof(s->fpu.st));
    s->fpu.fcw = DT_FCW_INIT;
    s->fpu.mxcsr = c->mxcsr;
    memcpy(s->fpu.xmm, c->xmm, sizeof(c->xmm));
    ir_enter_ring3(ir);
    cpu->halted = false;
    cpu->triple_fault = false;
    cpu->fault_depth = 0;
    cpu->nmi_blocked = false;
    cpu_update_mode(cpu);

    uint64_t total = 0;
    while (!cpu->halted && !cpu->triple_fault && total < IR_MAX_INSNS) {
        uint64_t n = cpu_exec(cpu, 4096);
        total += n;
        if (n == 0 && !cpu->halted) {
            break;
        }
    }
    memcpy(r->data, data, DT_PAGE);
    memcpy(r->stack, stack, DT_PAGE);
    memcpy(r->regs, s->regs, sizeof(r->regs));
    r->rip = s->rip;
    r->rflags = cpu_get_rflags(cpu);
    r->fcw = s->fpu.fcw;
    r->fsw = s->fpu.fsw;
    r->ftw = s->fpu.ftw;
    r->mxcsr = s->fpu.mxcsr;
    memcpy(r->xmm, s->fpu.xmm, sizeof(r->xmm));
    int vector = (int)(s->rip - IR_HANDLERS) - 1;
    if (!cpu->halted || s->rip <= IR_HANDLERS || vector > 255) {
        r->vector = DT_VEC_CRASH;               /* runaway or triple fault */
        return;
    }
    uint64_t frame = s->regs[R_ESP];
    if (frame < IR_STACK0_TOP - 0x100 || frame > IR_STACK0_TOP - 40) {
        r->vector = DT_VEC_CRASH;
        return;
    }
    if (vector_pushes_error(vector)) {
        r->error_code = (uint32_t)rd64(ir, frame);
        frame += 8;
    }
    r->rip = rd64(ir, frame);
    r->rflags = rd64(ir, frame + 16);
    r->regs[R_ESP] = rd64(ir, frame + 24);
    r->vector = vector;
    if (vector == 6 && r->rip == DT_CODE + c->len) {
        r->vector = -1;                         /* reached the UD2 marker */
    }
}

static bool ir_run_batch(DtRunner *rn, const DtCase *cases, DtResult *out, size_t n)
{
    InterpRunner *ir = (InterpRunner *)rn;
    for (size_t i = 0; i < n; i++) {
        ir_run_one(ir, &cases[i], &out[i]);
    }
    return true;
}

static void ir_destroy(DtRunner *rn)
{
    InterpRunner *ir = (InterpRunner *)rn;
    if (ir->cpu.tcache) {
        tcache_free(ir->cpu.tcache);           /* the private cache cpu_exec made */
    }
    address_space_destroy(&ir->mem);
    address_space_destroy(&ir->io);
    memory_region_destroy(&ir->ram);
    free(ir);
}

DtRunner *interp_runner_new(char *err, size_t errlen)
{
    InterpRunner *ir = calloc(1, sizeof(*ir));
    if (!ir) {
        snprintf(err, errlen, "out of memory");
        return NULL;
    }
    clock_virtual_set_manual(true);
    memory_region_init_container(&ir->mem_root, "mem", UINT64_MAX);
    memory_region_init_ram(&ir->ram, "ram", IR_RAM_SIZE);
    memory_region_add_subregion(&ir->mem_root, DT_CODE, &ir->ram);
    memory_region_init_container(&ir->io_root, "io", 0x10000);
    address_space_init(&ir->mem, &ir->mem_root, "memory");
    address_space_init(&ir->io, &ir->io_root, "io");
    ir->host = address_space_map(&ir->mem, DT_CODE, IR_RAM_SIZE, true);
    if (!ir->host) {
        snprintf(err, errlen, "cannot map the interpreter's RAM");
        ir_destroy(&ir->base);
        return NULL;
    }
    ir->cpu.mem = &ir->mem;
    ir->cpu.io = &ir->io;
    ir->cpu.model = x86_cpu_model_default();
    ir->cpu.a20_mask = ~UINT64_C(0);
    cpu_reset(&ir->cpu);
    ir_build_tables(ir);
    ir_set_cpu(ir);
    ir->base.name = "interp";
    ir->base.run_batch = ir_run_batch;
    ir->base.destroy = ir_destroy;
    return &ir->base;
}
