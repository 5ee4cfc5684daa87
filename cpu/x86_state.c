/* Helpers for the shared x86 CPU state: reset values and common segment forms. */
#include "cpu/x86_state.h"

#include <string.h>

void x86_segment_set_real(X86Segment *s, uint16_t selector, bool code)
{
    memset(s, 0, sizeof(*s));
    s->selector = selector;
    s->base = (uint64_t)selector << 4;
    s->limit = 0xffff;
    s->type = code ? 0xb : 0x3;
    s->s = true;
    s->present = true;
}

void x86_segment_set_flat(X86Segment *s, uint16_t selector, bool code, bool long_mode)
{
    memset(s, 0, sizeof(*s));
    s->selector = selector;
    s->base = 0;
    s->limit = 0xffffffff;
    s->type = code ? 0xb : 0x3;
    s->s = true;
    s->present = true;
    s->g = true;
    s->l = code && long_mode;
    s->db = !(code && long_mode);
}

void x86_state_reset(X86State *st)
{
    memset(st, 0, sizeof(*st));
    st->regs[R_EDX] = 0x600;          /* family 6 signature, as a P6 reports */
    st->rip = 0xfff0;
    st->rflags = 0x2;
    for (int i = 0; i < SEG_COUNT; i++) {
        x86_segment_set_real(&st->seg[i], 0, i == R_CS);
    }
    st->seg[R_CS].selector = 0xf000;
    st->seg[R_CS].base = 0xffff0000;
    st->ldt.limit = 0xffff;
    st->ldt.type = 2;
    st->ldt.present = true;
    st->tr.limit = 0xffff;
    st->tr.type = 3;                  /* 16-bit busy TSS */
    st->tr.present = true;
    st->gdt.limit = 0xffff;
    st->idt.limit = 0xffff;
    st->cr0 = X86_CR0_ET | X86_CR0_CD | X86_CR0_NW;
    st->dr[6] = 0xffff0ff0;
    st->dr[7] = 0x400;
    st->apic_base = 0xfee00000 | (1u << 11);
    st->fpu.fcw = 0x37f;
    st->fpu.mxcsr = 0x1f80;
}
