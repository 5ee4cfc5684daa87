/* A bare interpreter CPU on 4 MiB of RAM for CPU unit tests (see cpu_harness.h). */
#include "tests/unit/cpu_harness.h"

#include <stdlib.h>
#include <string.h>

#include "cpu/models.h"
#include "system/timer.h"

static uint64_t ch_port80_read(void *opaque, uint64_t addr, unsigned size)
{
    return 0x5a;
}

static void ch_port80_write(void *opaque, uint64_t addr, uint64_t value, unsigned size)
{
    CpuHarness *h = opaque;
    h->port80_last = (uint32_t)value;
}

static const MemoryRegionOps ch_port80_ops = {
    .read = ch_port80_read,
    .write = ch_port80_write,
    .min_access = 1,
    .max_access = 4,
};

CpuHarness *ch_new(void)
{
    CpuHarness *h = calloc(1, sizeof(*h));
    clock_virtual_set_manual(true);
    memory_region_init_container(&h->mem_root, "mem", UINT64_MAX);
    memory_region_init_ram(&h->ram, "ram", CH_RAM_SIZE);
    memory_region_add_subregion(&h->mem_root, 0, &h->ram);
    memory_region_init_container(&h->io_root, "io", 0x10000);
    memory_region_init_io(&h->port80, &ch_port80_ops, h, "port80", 4);
    memory_region_add_subregion(&h->io_root, 0x80, &h->port80);
    address_space_init(&h->mem, &h->mem_root, "memory");
    address_space_init(&h->io, &h->io_root, "io");
    h->cpu.mem = &h->mem;
    h->cpu.io = &h->io;
    h->cpu.model = x86_cpu_model_default();
    h->cpu.a20_mask = ~UINT64_C(0);
    cpu_reset(&h->cpu);
    return h;
}

void ch_free(CpuHarness *h)
{
    address_space_destroy(&h->mem);
    address_space_destroy(&h->io);
    memory_region_destroy(&h->ram);
    free(h);
}

void ch_write(CpuHarness *h, uint32_t addr, const void *data, size_t n)
{
    address_space_write(&h->mem, addr, data, n);
}

uint32_t ch_rd32(CpuHarness *h, uint32_t addr)
{
    return (uint32_t)address_space_ld(&h->mem, addr, 4);
}

void ch_wr32(CpuHarness *h, uint32_t addr, uint32_t v)
{
    address_space_st(&h->mem, addr, v, 4);
}

void ch_wr64(CpuHarness *h, uint32_t addr, uint64_t v)
{
    address_space_st(&h->mem, addr, v, 8);
}

static uint64_t make_desc(uint32_t base, uint32_t limit, unsigned access, unsigned flags)
{
    return (limit & 0xffff) | ((uint64_t)(base & 0xffffff) << 16) |
           ((uint64_t)access << 40) | ((uint64_t)((limit >> 16) & 0xf) << 48) |
           ((uint64_t)flags << 52) | ((uint64_t)(base >> 24) << 56);
}

void ch_setup_pm32(CpuHarness *h)
{
    X86State *s = &h->cpu.s;
    uint32_t tss_limit = CH_TSS_IOMAP + 0x2000;      /* bitmap for all 64K ports + 1 */

    ch_wr64(h, CH_GDT + 0x00, 0);
    ch_wr64(h, CH_GDT + 0x08, make_desc(0, 0xfffff, 0x9b, 0xc));   /* ring-0 code */
    ch_wr64(h, CH_GDT + 0x10, make_desc(0, 0xfffff, 0x93, 0xc));   /* ring-0 data */
    ch_wr64(h, CH_GDT + 0x18, make_desc(0, 0xfffff, 0xfb, 0xc));   /* ring-3 code */
    ch_wr64(h, CH_GDT + 0x20, make_desc(0, 0xfffff, 0xf3, 0xc));   /* ring-3 data */
    ch_wr64(h, CH_GDT + 0x28, make_desc(CH_TSS, tss_limit, 0x8b, 0)); /* busy TSS */
    s->gdt.base = CH_GDT;
    s->gdt.limit = 0x2f;
    for (int i = 0; i < 256; i++) {
        ch_wr64(h, CH_IDT + i * 8, 0);
    }
    s->idt.base = CH_IDT;
    s->idt.limit = 0x7ff;

    /* TSS: ESP0/SS0, the I/O bitmap offset, all ports denied, the closing 0xff byte */
    uint8_t *tss = address_space_map(&h->mem, CH_TSS, tss_limit + 1, true);
    memset(tss, 0, CH_TSS_IOMAP);
    memset(tss + CH_TSS_IOMAP, 0xff, 0x2001);
    ch_wr32(h, CH_TSS + 4, CH_TSS_ESP0);
    ch_wr32(h, CH_TSS + 8, CH_DS0);
    address_space_st(&h->mem, CH_TSS + 0x66, CH_TSS_IOMAP, 2);

    s->cr0 |= X86_CR0_PE;
    x86_segment_set_flat(&s->seg[R_CS], CH_CS0, true, false);
    for (int seg = 0; seg < SEG_COUNT; seg++) {
        if (seg != R_CS) {
            x86_segment_set_flat(&s->seg[seg], CH_DS0, false, false);
        }
    }
    memset(&s->tr, 0, sizeof(s->tr));
    s->tr.selector = CH_TSSS;
    s->tr.base = CH_TSS;
    s->tr.limit = tss_limit;
    s->tr.type = 11;
    s->tr.present = true;
    s->regs[R_ESP] = CH_STACK0;
    s->rflags = 2;
    h->cpu.cc_op = CC_OP_EFLAGS;
    cpu_update_mode(&h->cpu);
    cpu_tlb_flush_all_mappings(&h->cpu);
}

void ch_set_gate(CpuHarness *h, int vector, uint32_t offset, int dpl, bool trap)
{
    unsigned access = 0x80 | ((unsigned)dpl << 5) | (trap ? 0xf : 0xe);
    uint64_t gate = (offset & 0xffff) | ((uint64_t)CH_CS0 << 16) |
                    ((uint64_t)access << 40) | ((uint64_t)(offset >> 16) << 48);
    ch_wr64(h, CH_IDT + (uint32_t)vector * 8, gate);
}

void ch_enter_ring3(CpuHarness *h, uint32_t eip, uint32_t esp)
{
    X86State *s = &h->cpu.s;
    x86_segment_set_flat(&s->seg[R_CS], CH_CS3, true, false);
    s->seg[R_CS].dpl = 3;
    for (int seg = 0; seg < SEG_COUNT; seg++) {
        if (seg != R_CS) {
            x86_segment_set_flat(&s->seg[seg], CH_DS3, false, false);
            s->seg[seg].dpl = 3;
        }
    }
    s->rip = eip;
    s->regs[R_ESP] = esp;
    cpu_update_mode(&h->cpu);
}

void ch_setup_paging32(CpuHarness *h)
{
    for (uint32_t i = 0; i < 1024; i++) {
        ch_wr32(h, CH_PT + i * 4, (i << 12) | 7);
        ch_wr32(h, CH_PD + i * 4, 0);
    }
    ch_wr32(h, CH_PD, CH_PT | 7);
    h->cpu.s.cr3 = CH_PD;
    h->cpu.s.cr0 |= X86_CR0_PG;
    cpu_tlb_flush_all_mappings(&h->cpu);
    cpu_update_mode(&h->cpu);
}

uint64_t ch_run(CpuHarness *h, uint32_t addr, const uint8_t *code, size_t n)
{
    ch_write(h, addr, code, n);
    h->cpu.s.rip = addr - (uint32_t)h->cpu.s.seg[R_CS].base;
    h->cpu.halted = false;
    uint64_t total = 0;
    for (int i = 0; i < 100 && !h->cpu.halted && !h->cpu.triple_fault; i++) {
        total += cpu_exec(&h->cpu, 1000);
    }
    return total;
}

int ch_try(CpuHarness *h, void (*fn)(X86CPU *cpu, void *arg), void *arg, uint32_t *err)
{
    X86CPU *cpu = &h->cpu;
    if (setjmp(cpu->fault_env) != 0) {
        if (err) {
            *err = cpu->excp_error;
        }
        return cpu->excp_vector;
    }
    fn(cpu, arg);
    return -1;
}
