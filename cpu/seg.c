/*
 * Segmentation: descriptor-table reads, decoding descriptors into the segment
 * cache, segment-register loads with the real-mode, V86 and protected-mode rules,
 * and reading stacks from the TSS.
 */
#include "cpu/seg.h"

#include <string.h>

uint64_t seg_desc_addr(X86CPU *cpu, uint16_t selector)
{
    uint64_t base = (selector & 4) ? cpu->s.ldt.base : cpu->s.gdt.base;
    return base + (selector & ~7u);
}

bool seg_read_desc(X86CPU *cpu, uint16_t selector, uint64_t *desc)
{
    uint32_t limit;

    if (selector & 4) {
        if (cpu->s.ldt.unusable || !cpu->s.ldt.present) {
            return false;
        }
        limit = cpu->s.ldt.limit;
    } else {
        limit = cpu->s.gdt.limit;
    }
    if ((uint32_t)(selector & ~7u) + 7 > limit) {
        return false;
    }
    *desc = cpu_ld_linear(cpu, seg_desc_addr(cpu, selector), 8, false);
    return true;
}

void seg_decode(X86Segment *seg, uint16_t selector, uint64_t desc)
{
    uint32_t lo = (uint32_t)desc, hi = (uint32_t)(desc >> 32);

    memset(seg, 0, sizeof(*seg));
    seg->selector = selector;
    seg->base = (lo >> 16) | ((hi & 0xff) << 16) | (hi & 0xff000000u);
    seg->limit = (lo & 0xffff) | (hi & 0xf0000);
    seg->type = (hi >> 8) & 0xf;
    seg->s = (hi >> 12) & 1;
    seg->dpl = (hi >> 13) & 3;
    seg->present = (hi >> 15) & 1;
    seg->avl = (hi >> 20) & 1;
    seg->l = (hi >> 21) & 1;
    seg->db = (hi >> 22) & 1;
    seg->g = (hi >> 23) & 1;
    if (seg->g) {
        seg->limit = (seg->limit << 12) | 0xfff;
    }
}

void seg_set_accessed(X86CPU *cpu, uint16_t selector, uint64_t desc)
{
    if (!(desc & (1ull << 40))) {
        uint64_t addr = seg_desc_addr(cpu, selector) + 5;
        uint8_t b = (uint8_t)(desc >> 40) | 1;
        cpu_st_linear(cpu, addr, b, 1, false);
    }
}

void seg_set_null(X86Segment *seg, uint16_t selector)
{
    memset(seg, 0, sizeof(*seg));
    seg->selector = selector;
    seg->unusable = true;
}

void seg_load_real(X86CPU *cpu, int seg, uint16_t selector)
{
    X86Segment *s = &cpu->s.seg[seg];

    if (cpu->s.rflags & X86_FLAG_VM) {
        x86_segment_set_real(s, selector, seg == R_CS);
        s->dpl = 3;
        return;
    }
    /* real mode keeps the cached limit and rights ("unreal mode") */
    s->selector = selector;
    s->base = (uint64_t)selector << 4;
    s->present = true;
    s->unusable = false;
    s->s = true;
    if (seg == R_CS) {
        s->type |= 8;
        s->dpl = 0;
    }
}

void seg_set_cs(X86CPU *cpu, const X86Segment *cs, int cpl)
{
    X86Segment *d = &cpu->s.seg[R_CS];
    *d = *cs;
    d->selector = (uint16_t)((cs->selector & ~3u) | (unsigned)cpl);
    cpu->cpl = cpl;
    cpu_update_mode(cpu);
    cpu->cpl = cpl;
}

void seg_check_stack(X86CPU *cpu, uint16_t selector, int cpl, int vector, X86Segment *ss)
{
    uint64_t desc;

    if ((selector & ~3u) == 0 || !seg_read_desc(cpu, selector, &desc)) {
        cpu_raise_err(cpu, vector, selector & 0xfffc);
    }
    seg_decode(ss, selector, desc);
    if ((selector & 3) != (unsigned)cpl || ss->dpl != cpl || !desc_writable_data(ss)) {
        cpu_raise_err(cpu, vector, selector & 0xfffc);
    }
    if (!ss->present) {
        cpu_raise_err(cpu, EXCP_SS, selector & 0xfffc);
    }
    seg_set_accessed(cpu, selector, desc);
}

void seg_load(X86CPU *cpu, int seg, uint16_t selector)
{
    X86Segment d;
    uint64_t desc;
    int cpl = cpu->cpl;

    if (!(cpu->s.cr0 & X86_CR0_PE) || (cpu->s.rflags & X86_FLAG_VM)) {
        seg_load_real(cpu, seg, selector);
        if (seg == R_SS) {
            cpu->inhibit_irq = true;
        }
        return;
    }
    if (seg == R_SS) {
        if ((selector & ~3u) == 0) {
            /* 64-bit mode allows a null SS below ring 3 with RPL = CPL */
            if (cpu->code_mode == X86_MODE_64 && cpl < 3 && (selector & 3) == (unsigned)cpl) {
                seg_set_null(&cpu->s.seg[R_SS], selector);
                cpu->s.seg[R_SS].dpl = (uint8_t)cpl;
                cpu->s.seg[R_SS].db = true;
                cpu->inhibit_irq = true;
                return;
            }
            cpu_raise_err(cpu, EXCP_GP, 0);
        }
        if (!seg_read_desc(cpu, selector, &desc)) {
            cpu_raise_err(cpu, EXCP_GP, selector & 0xfffc);
        }
        seg_decode(&d, selector, desc);
        if ((selector & 3) != (unsigned)cpl || d.dpl != cpl || !desc_writable_data(&d)) {
            cpu_raise_err(cpu, EXCP_GP, selector & 0xfffc);
        }
        if (!d.present) {
            cpu_raise_err(cpu, EXCP_SS, selector & 0xfffc);
        }
        seg_set_accessed(cpu, selector, desc);
        cpu->s.seg[R_SS] = d;
        cpu->inhibit_irq = true;
        return;
    }
    seg_load_data(cpu, seg, selector, EXCP_GP);
}

void seg_load_data(X86CPU *cpu, int seg, uint16_t selector, int bad_vector)
{
    X86Segment d;
    uint64_t desc;

    if ((selector & ~3u) == 0) {
        seg_set_null(&cpu->s.seg[seg], selector);
        return;
    }
    if (!seg_read_desc(cpu, selector, &desc)) {
        cpu_raise_err(cpu, bad_vector, selector & 0xfffc);
    }
    seg_decode(&d, selector, desc);
    if (!d.s || !desc_readable(&d)) {
        cpu_raise_err(cpu, bad_vector, selector & 0xfffc);
    }
    if (desc_is_data(&d) || !desc_conforming(&d)) {
        if ((selector & 3) > d.dpl || cpu->cpl > d.dpl) {
            cpu_raise_err(cpu, bad_vector, selector & 0xfffc);
        }
    }
    if (!d.present) {
        cpu_raise_err(cpu, EXCP_NP, selector & 0xfffc);
    }
    seg_set_accessed(cpu, selector, desc);
    cpu->s.seg[seg] = d;
}

void seg_null_invalid_data_segments(X86CPU *cpu)
{
    static const int segs[] = { R_ES, R_DS, R_FS, R_GS };
    for (unsigned i = 0; i < 4; i++) {
        X86Segment *s = &cpu->s.seg[segs[i]];
        if (s->unusable) {
            continue;
        }
        bool data_or_nc = desc_is_data(s) || !desc_conforming(s);
        if (data_or_nc && s->dpl < cpu->cpl) {
            seg_set_null(s, 0);
        }
    }
}

static void tss_require(X86CPU *cpu, uint32_t last)
{
    if (last > cpu->s.tr.limit) {
        cpu_raise_err(cpu, EXCP_TS, cpu->s.tr.selector & 0xfffc);
    }
}

void seg_tss_stack(X86CPU *cpu, int dpl, uint16_t *ss, uint64_t *sp)
{
    const X86Segment *tr = &cpu->s.tr;

    if (cpu->long_mode) {
        uint32_t off = 4 + 8 * (uint32_t)dpl;
        tss_require(cpu, off + 7);
        *sp = cpu_ld_linear(cpu, tr->base + off, 8, false);
        *ss = 0;
    } else if (tr->type & 8) {
        uint32_t off = 4 + 8 * (uint32_t)dpl;
        tss_require(cpu, off + 5);
        *sp = cpu_ld_linear(cpu, tr->base + off, 4, false);
        *ss = (uint16_t)cpu_ld_linear(cpu, tr->base + off + 4, 2, false);
    } else {
        uint32_t off = 2 + 4 * (uint32_t)dpl;
        tss_require(cpu, off + 3);
        *sp = cpu_ld_linear(cpu, tr->base + off, 2, false);
        *ss = (uint16_t)cpu_ld_linear(cpu, tr->base + off + 2, 2, false);
    }
}

uint64_t seg_tss_ist(X86CPU *cpu, int ist)
{
    uint32_t off = 0x24 + 8 * (uint32_t)(ist - 1);
    tss_require(cpu, off + 7);
    return cpu_ld_linear(cpu, cpu->s.tr.base + off, 8, false);
}
