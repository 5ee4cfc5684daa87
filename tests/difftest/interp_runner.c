/*
 * Interpreter runner: one X86CPU over the 64 KiB of RAM at DT_CODE laid out by
 * sysarea.c (identity paging, 64-bit GDT, TSS and IDT, a HLT per vector), in 64-bit
 * long mode; the snippet runs at CPL 3 and ends in UD2 or an exception, after which
 * the CPU halts in the vector's handler and sysarea.c decodes the frame.
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
#include "tests/difftest/sysarea.h"

#define IR_MAX_INSNS 200000u

typedef struct InterpRunner {
    DtRunner base;
    MemoryRegion mem_root, ram, io_root;
    AddressSpace mem, io;
    X86CPU cpu;
    uint8_t *host;                 /* the RAM, mapped */
} InterpRunner;

static void ir_set_cpu(InterpRunner *ir)
{
    X86State *s = &ir->cpu.s;

    s->cr0 = X86_CR0_PE | X86_CR0_PG | X86_CR0_ET | X86_CR0_WP | X86_CR0_MP | X86_CR0_NE;
    s->cr4 = X86_CR4_PAE | X86_CR4_OSFXSR | X86_CR4_OSXMMEXCPT;
    s->cr3 = DT_PML4;
    s->efer = X86_EFER_LME | X86_EFER_LMA;
    s->gdt.base = DT_GDT;
    s->gdt.limit = DT_GDT_LIMIT;
    s->idt.base = DT_IDT;
    s->idt.limit = DT_IDT_LIMIT;
    memset(&s->tr, 0, sizeof(s->tr));
    s->tr.selector = DT_SEL_TSS;
    s->tr.base = DT_TSS;
    s->tr.limit = DT_TSS_LIMIT;
    s->tr.type = 11;
    s->tr.present = true;
    cpu_tlb_flush_all_mappings(&ir->cpu);
}

static void ir_enter_ring3(InterpRunner *ir, bool mode32)
{
    X86State *s = &ir->cpu.s;
    x86_segment_set_flat(&s->seg[R_CS], mode32 ? DT_SEL_CS3_32 : DT_SEL_CS3, true, !mode32);
    s->seg[R_CS].dpl = 3;
    for (int seg = 0; seg < SEG_COUNT; seg++) {
        if (seg != R_CS) {
            x86_segment_set_flat(&s->seg[seg], DT_SEL_DS3, false, true);
            s->seg[seg].dpl = 3;
        }
    }
}

static void ir_run_one(InterpRunner *ir, const DtCase *c, DtResult *r)
{
    X86CPU *cpu = &ir->cpu;
    X86State *s = &cpu->s;

    memset(r, 0, offsetof(DtResult, data));
    dt_sys_load_case(ir->host, c);
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
    ir_enter_ring3(ir, c->mode32);
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
    memcpy(r->regs, s->regs, sizeof(r->regs));
    r->rflags = cpu_get_rflags(cpu);
    r->fcw = s->fpu.fcw;
    r->fsw = s->fpu.fsw;
    r->ftw = s->fpu.ftw;
    r->mxcsr = s->fpu.mxcsr;
    memcpy(r->xmm, s->fpu.xmm, sizeof(r->xmm));
    dt_sys_finish(ir->host, c, cpu->halted, s->rip, s->regs[R_ESP], r);
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
    memory_region_init_ram(&ir->ram, "ram", DT_RAM_SIZE);
    memory_region_add_subregion(&ir->mem_root, DT_CODE, &ir->ram);
    memory_region_init_container(&ir->io_root, "io", 0x10000);
    address_space_init(&ir->mem, &ir->mem_root, "memory");
    address_space_init(&ir->io, &ir->io_root, "io");
    ir->host = address_space_map(&ir->mem, DT_CODE, DT_RAM_SIZE, true);
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
    dt_sys_build(ir->host);
    ir_set_cpu(ir);
    ir->base.name = "interp";
    ir->base.run_batch = ir_run_batch;
    ir->base.destroy = ir_destroy;
    return &ir->base;
}
