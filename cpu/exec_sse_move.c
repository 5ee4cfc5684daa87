/*
 * SSE/SSE2 data movement: the 128-bit moves (MOVAPS/MOVUPS/MOVAPD/MOVUPD and the
 * non-temporal stores), scalar moves (MOVSS/MOVSD: a memory load zeroes the rest of
 * the register, a register move keeps it), half moves (MOVLPS/MOVHPS/MOVLPD/
 * MOVHPD/MOVLHPS/MOVHLPS), sign masks (MOVMSKPS/PD, PMOVMSKB), shuffles (SHUFPS/PD,
 * PSHUFD/HW/LW, PSHUFW), word insert/extract, masked stores (MASKMOVQ,
 * MASKMOVDQU) and the MMX<->XMM moves MOVQ2DQ / MOVDQ2Q.
 */
#include "cpu/exec_simd.h"

#include <string.h>

static bool is_mem_operand(const X86DecodedInsn *insn, int n)
{
    switch (insn->operand[n & 3]) {
    case X86_OPND_Mx: case X86_OPND_Mq: case X86_OPND_Md:
        return true;
    case X86_OPND_Wx: case X86_OPND_Wq: case X86_OPND_Wd:
    case X86_OPND_Qq: case X86_OPND_Qd:
        return insn->mod != 3;
    default:
        return false;
    }
}

/* MOVAPS, MOVUPS, MOVAPD, MOVUPD, MOVNTPS, MOVNTPD, MOVNTDQ, MOVNTQ. */
static void exec_move_full(X86CPU *cpu, const X86DecodedInsn *insn)
{
    SimdVec v;

    simd_enter(cpu, insn);
    simd_read(cpu, insn, 1, &v);
    simd_write(cpu, insn, 0, &v, insn->op == X86_OP_MOVNTQ ? 8 : 16);
}

/* MOVSS / MOVSD: 4 or 8 bytes; a load from memory zeroes the upper part. */
static void exec_move_scalar(X86CPU *cpu, const X86DecodedInsn *insn)
{
    SimdVec v;
    unsigned size = insn->op == X86_OP_MOVSS ? 4 : 8;

    simd_enter(cpu, insn);
    simd_read(cpu, insn, 1, &v);
    if (is_mem_operand(insn, 1)) {
        simd_write(cpu, insn, 0, &v, 16);     /* simd_read zero-extended it */
    } else {
        simd_write(cpu, insn, 0, &v, size);
    }
}

static void exec_move_half(X86CPU *cpu, const X86DecodedInsn *insn)
{
    SimdVec v, d;

    simd_enter(cpu, insn);
    simd_read(cpu, insn, 1, &v);
    switch (insn->op) {
    case X86_OP_MOVLPS: case X86_OP_MOVLPD:     /* low half, either direction */
        simd_write(cpu, insn, 0, &v, 8);
        return;
    case X86_OP_MOVHLPS:                        /* dest.low = src.high */
        v.q[0] = v.q[1];
        simd_write(cpu, insn, 0, &v, 8);
        return;
    case X86_OP_MOVHPS: case X86_OP_MOVHPD: case X86_OP_MOVLHPS:
        if (is_mem_operand(insn, 0)) {          /* store the high half */
            v.q[0] = v.q[1];
            simd_write(cpu, insn, 0, &v, 8);
        } else {                                /* dest.high = src.low */
            simd_read(cpu, insn, 0, &d);
            d.q[1] = v.q[0];
            simd_write(cpu, insn, 0, &d, 16);
        }
        return;
    default:
        cpu_raise(cpu, EXCP_UD);
    }
}

static void exec_movmsk(X86CPU *cpu, const X86DecodedInsn *insn)
{
    SimdVec v, r = { .q = { 0, 0 } };
    unsigned mask = 0;

    simd_enter(cpu, insn);
    simd_read(cpu, insn, 1, &v);
    switch (insn->op) {
    case X86_OP_MOVMSKPS:
        for (unsigned i = 0; i < 4; i++) {
            mask |= (v.d[i] >> 31) << i;
        }
        break;
    case X86_OP_MOVMSKPD:
        for (unsigned i = 0; i < 2; i++) {
            mask |= (unsigned)(v.q[i] >> 63) << i;
        }
        break;
    default: {                                  /* PMOVMSKB */
        unsigned nb = insn->operand[1] == X86_OPND_Nq ? 8 : 16;
        for (unsigned i = 0; i < nb; i++) {
            mask |= (unsigned)(v.b[i] >> 7) << i;
        }
        break;
    }
    }
    r.q[0] = mask;
    simd_write(cpu, insn, 0, &r, 4);
}

static void exec_shuffle(X86CPU *cpu, const X86DecodedInsn *insn)
{
    SimdVec d, s, r;
    unsigned imm = (unsigned)insn->imm & 0xff;
    unsigned nb = 16;

    simd_enter(cpu, insn);
    simd_read(cpu, insn, 1, &s);
    simd_read(cpu, insn, 0, &d);
    r = s;
    switch (insn->op) {
    case X86_OP_SHUFPS:
        r.d[0] = d.d[imm & 3];
        r.d[1] = d.d[(imm >> 2) & 3];
        r.d[2] = s.d[(imm >> 4) & 3];
        r.d[3] = s.d[(imm >> 6) & 3];
        break;
    case X86_OP_SHUFPD:
        r.q[0] = d.q[imm & 1];
        r.q[1] = s.q[(imm >> 1) & 1];
        break;
    case X86_OP_PSHUFD:
        for (unsigned i = 0; i < 4; i++) {
            r.d[i] = s.d[(imm >> (2 * i)) & 3];
        }
        break;
    case X86_OP_PSHUFHW:
        for (unsigned i = 0; i < 4; i++) {
            r.w[4 + i] = s.w[4 + ((imm >> (2 * i)) & 3)];
        }
        break;
    case X86_OP_PSHUFLW:
        for (unsigned i = 0; i < 4; i++) {
            r.w[i] = s.w[(imm >> (2 * i)) & 3];
        }
        break;
    default:                                    /* PSHUFW (MMX) */
        for (unsigned i = 0; i < 4; i++) {
            r.w[i] = s.w[(imm >> (2 * i)) & 3];
        }
        nb = 8;
        break;
    }
    simd_write(cpu, insn, 0, &r, nb);
}

static void exec_pinsrw(X86CPU *cpu, const X86DecodedInsn *insn)
{
    SimdVec d, s;
    bool mmx = insn->operand[0] == X86_OPND_Pq;

    simd_enter(cpu, insn);
    simd_read(cpu, insn, 1, &s);                /* Ew: 16 bits of a register or memory */
    simd_read(cpu, insn, 0, &d);
    d.w[insn->imm & (mmx ? 3 : 7)] = (uint16_t)s.q[0];
    simd_write(cpu, insn, 0, &d, mmx ? 8 : 16);
}

static void exec_pextrw(X86CPU *cpu, const X86DecodedInsn *insn)
{
    SimdVec s, r = { .q = { 0, 0 } };
    bool mmx = insn->operand[1] == X86_OPND_Nq;

    simd_enter(cpu, insn);
    simd_read(cpu, insn, 1, &s);
    r.q[0] = s.w[insn->imm & (mmx ? 3 : 7)];
    simd_write(cpu, insn, 0, &r, 4);
}

/* MASKMOVQ / MASKMOVDQU: store the bytes of operand 0 whose mask byte (operand 1)
 * has its top bit set, at seg:rDI (DS unless overridden). */
static void exec_maskmov(X86CPU *cpu, const X86DecodedInsn *insn)
{
    SimdVec v, m;
    unsigned nb = insn->op == X86_OP_MASKMOVQ ? 8 : 16;
    uint64_t base = exec_addr_reg(cpu, insn, R_EDI);

    simd_enter(cpu, insn);
    simd_read(cpu, insn, 0, &v);
    simd_read(cpu, insn, 1, &m);
    for (unsigned i = 0; i < nb; i++) {
        if (m.b[i] & 0x80) {
            cpu_st(cpu, insn->seg, trunc_bits(base + i, insn->addrsize), v.b[i], 1);
        }
    }
}

/* MOVQ2DQ (XMM = MM zero-extended) and MOVDQ2Q (MM = low half of XMM). */
static void exec_movq_mmx_xmm(X86CPU *cpu, const X86DecodedInsn *insn)
{
    SimdVec v;

    simd_enter(cpu, insn);
    simd_read(cpu, insn, 1, &v);
    v.q[1] = 0;
    simd_write(cpu, insn, 0, &v, insn->op == X86_OP_MOVQ2DQ ? 16 : 8);
}

void simd_register_move(ExecFn *table)
{
    table[X86_OP_MOVAPS] = exec_move_full;
    table[X86_OP_MOVUPS] = exec_move_full;
    table[X86_OP_MOVAPD] = exec_move_full;
    table[X86_OP_MOVUPD] = exec_move_full;
    table[X86_OP_MOVNTPS] = exec_move_full;
    table[X86_OP_MOVNTPD] = exec_move_full;
    table[X86_OP_MOVNTDQ] = exec_move_full;
    table[X86_OP_MOVNTQ] = exec_move_full;
    table[X86_OP_MOVSS] = exec_move_scalar;
    table[X86_OP_MOVSD] = exec_move_scalar;
    table[X86_OP_MOVLPS] = exec_move_half;
    table[X86_OP_MOVLPD] = exec_move_half;
    table[X86_OP_MOVHPS] = exec_move_half;
    table[X86_OP_MOVHPD] = exec_move_half;
    table[X86_OP_MOVHLPS] = exec_move_half;
    table[X86_OP_MOVLHPS] = exec_move_half;
    table[X86_OP_MOVMSKPS] = exec_movmsk;
    table[X86_OP_MOVMSKPD] = exec_movmsk;
    table[X86_OP_PMOVMSKB] = exec_movmsk;
    table[X86_OP_SHUFPS] = exec_shuffle;
    table[X86_OP_SHUFPD] = exec_shuffle;
    table[X86_OP_PSHUFD] = exec_shuffle;
    table[X86_OP_PSHUFHW] = exec_shuffle;
    table[X86_OP_PSHUFLW] = exec_shuffle;
    table[X86_OP_PSHUFW] = exec_shuffle;
    table[X86_OP_PINSRW] = exec_pinsrw;
    table[X86_OP_PEXTRW] = exec_pextrw;
    table[X86_OP_MASKMOVQ] = exec_maskmov;
    table[X86_OP_MASKMOVDQU] = exec_maskmov;
    table[X86_OP_MOVQ2DQ] = exec_movq_mmx_xmm;
    table[X86_OP_MOVDQ2Q] = exec_movq_mmx_xmm;
}
