/*
 * MMX/SSE common machinery and the simplest handlers: the availability checks
 * (CR0.EM / CR0.TS / CR4.OSFXSR), the MMX state transition (TOP = 0, tags valid)
 * and EMMS, operand access for the vector operand kinds (MMX and XMM registers,
 * 32/64/128-bit memory operands with the 16-byte alignment check, general
 * registers), MOVD / MOVQ / MOVDQA / MOVDQU in all their forms, LDMXCSR and
 * STMXCSR, and the registration of the whole vector unit.
 */
#include "cpu/exec_simd.h"

#include <string.h>

/* ---- operand kinds ---- */

static bool kind_is_xmm(unsigned kind)
{
    switch (kind) {
    case X86_OPND_Vx: case X86_OPND_Vq: case X86_OPND_Vd:
    case X86_OPND_Wx: case X86_OPND_Wq: case X86_OPND_Wd: case X86_OPND_Ux:
        return true;
    default:
        return false;
    }
}

bool simd_operand_is_mmx(const X86DecodedInsn *insn, int n)
{
    switch (insn->operand[n & 3]) {
    case X86_OPND_Pq: case X86_OPND_Pd: case X86_OPND_Nq:
        return true;
    case X86_OPND_Qq: case X86_OPND_Qd:
        return insn->mod == 3;
    default:
        return false;
    }
}

/* ---- the MMX state ---- */

void simd_mmx_transition(X86CPU *cpu)
{
    X86FpuState *f = &cpu->s.fpu;
    unsigned top = (f->fsw >> 11) & 7;

    if (top != 0) {
        uint8_t old[8][16];
        memcpy(old, f->st, sizeof(old));
        for (unsigned i = 0; i < 8; i++) {
            memcpy(f->st[i], old[(i - top) & 7], 16);
        }
        f->fsw &= (uint16_t)~(7u << 11);
    }
    f->ftw = 0xff;
}

uint64_t simd_mmx_get(X86CPU *cpu, unsigned n)
{
    uint64_t v;
    memcpy(&v, cpu->s.fpu.st[n & 7], 8);
    return v;
}

void simd_mmx_set(X86CPU *cpu, unsigned n, uint64_t value)
{
    uint8_t *r = cpu->s.fpu.st[n & 7];
    memcpy(r, &value, 8);
    r[8] = 0xff;
    r[9] = 0xff;
    memset(r + 10, 0, 6);
}

void simd_enter(X86CPU *cpu, const X86DecodedInsn *insn)
{
    bool xmm = insn->op == X86_OP_LDMXCSR || insn->op == X86_OP_STMXCSR;
    bool mmx = false;

    for (int i = 0; i < 4; i++) {
        xmm |= kind_is_xmm(insn->operand[i]);
        mmx |= simd_operand_is_mmx(insn, i);
    }
    if (cpu->s.cr0 & X86_CR0_EM) {
        cpu_raise(cpu, EXCP_UD);
    }
    if (xmm && !(cpu->s.cr4 & X86_CR4_OSFXSR)) {
        cpu_raise(cpu, EXCP_UD);
    }
    if (cpu->s.cr0 & X86_CR0_TS) {
        cpu_raise(cpu, EXCP_NM);
    }
    if (mmx) {
        simd_mmx_transition(cpu);
    }
}

/* ---- memory operands ---- */

static uint64_t mem_linear_base(X86CPU *cpu, int seg)
{
    if (cpu->code_mode == X86_MODE_64 && seg != R_FS && seg != R_GS) {
        return 0;
    }
    return cpu->s.seg[seg].base;
}

static uint64_t mem_offset(const X86DecodedInsn *insn, uint64_t ea, unsigned delta)
{
    return trunc_bits(ea + delta, insn->addrsize);
}

void simd_load(X86CPU *cpu, const X86DecodedInsn *insn, SimdVec *v, unsigned nbytes,
               bool aligned)
{
    uint64_t ea = exec_ea(cpu, insn);

    if (aligned && ((mem_linear_base(cpu, insn->seg) + ea) & 15)) {
        cpu_raise_err(cpu, EXCP_GP, 0);
    }
    memset(v, 0, sizeof(*v));
    if (nbytes <= 8) {
        v->q[0] = cpu_ld(cpu, insn->seg, ea, nbytes);
    } else {
        v->q[0] = cpu_ld(cpu, insn->seg, ea, 8);
        v->q[1] = cpu_ld(cpu, insn->seg, mem_offset(insn, ea, 8), 8);
    }
}

void simd_store(X86CPU *cpu, const X86DecodedInsn *insn, const SimdVec *v,
                unsigned nbytes, bool aligned)
{
    uint64_t ea = exec_ea(cpu, insn);

    if (aligned && ((mem_linear_base(cpu, insn->seg) + ea) & 15)) {
        cpu_raise_err(cpu, EXCP_GP, 0);
    }
    if (nbytes <= 8) {
        cpu_st(cpu, insn->seg, ea, trunc_bits(v->q[0], nbytes * 8), nbytes);
    } else {
        /* the upper half first: a fault there leaves memory untouched in the
         * common case of an access running into an unmapped page */
        cpu_st(cpu, insn->seg, mem_offset(insn, ea, 8), v->q[1], 8);
        cpu_st(cpu, insn->seg, ea, v->q[0], 8);
    }
}

/* 128-bit memory operands must be aligned except for the explicitly unaligned
 * moves. */
static bool needs_alignment(const X86DecodedInsn *insn, unsigned kind)
{
    if (kind != X86_OPND_Wx && kind != X86_OPND_Mx) {
        return false;
    }
    switch (insn->op) {
    case X86_OP_MOVUPS: case X86_OP_MOVUPD: case X86_OP_MOVDQU:
        return false;
    default:
        return true;
    }
}

static unsigned mem_kind_bytes(unsigned kind)
{
    switch (kind) {
    case X86_OPND_Wx: case X86_OPND_Mx:
        return 16;
    case X86_OPND_Wd: case X86_OPND_Qd: case X86_OPND_Md: case X86_OPND_Pd:
        return 4;
    default:
        return 8;
    }
}

void simd_read(X86CPU *cpu, const X86DecodedInsn *insn, int n, SimdVec *v)
{
    unsigned kind = insn->operand[n & 3];

    memset(v, 0, sizeof(*v));
    switch (kind) {
    case X86_OPND_Pq: case X86_OPND_Pd:
        v->q[0] = simd_mmx_get(cpu, insn->reg);
        return;
    case X86_OPND_Nq:
        v->q[0] = simd_mmx_get(cpu, insn->rm);
        return;
    case X86_OPND_Qq: case X86_OPND_Qd:
        if (insn->mod == 3) {
            v->q[0] = simd_mmx_get(cpu, insn->rm);
        } else {
            simd_load(cpu, insn, v, mem_kind_bytes(kind), false);
        }
        return;
    case X86_OPND_Vx: case X86_OPND_Vq: case X86_OPND_Vd:
        *v = *simd_xmm(cpu, insn->reg);
        return;
    case X86_OPND_Ux:
        *v = *simd_xmm(cpu, insn->rm);
        return;
    case X86_OPND_Wx: case X86_OPND_Wq: case X86_OPND_Wd:
        if (insn->mod == 3) {
            *v = *simd_xmm(cpu, insn->rm);
        } else {
            simd_load(cpu, insn, v, mem_kind_bytes(kind), needs_alignment(insn, kind));
        }
        return;
    case X86_OPND_Mx: case X86_OPND_Mq: case X86_OPND_Md:
        simd_load(cpu, insn, v, mem_kind_bytes(kind), needs_alignment(insn, kind));
        return;
    default:
        v->q[0] = exec_read(cpu, insn, n);      /* E/G/I kinds (#UD for others) */
        return;
    }
}

void simd_write(X86CPU *cpu, const X86DecodedInsn *insn, int n, const SimdVec *v,
                unsigned nbytes)
{
    unsigned kind = insn->operand[n & 3];

    if (nbytes > 16) {
        nbytes = 16;
    }
    switch (kind) {
    case X86_OPND_Pq: case X86_OPND_Pd:
        simd_mmx_set(cpu, insn->reg, v->q[0]);
        return;
    case X86_OPND_Nq:
        simd_mmx_set(cpu, insn->rm, v->q[0]);
        return;
    case X86_OPND_Qq: case X86_OPND_Qd:
        if (insn->mod == 3) {
            simd_mmx_set(cpu, insn->rm, v->q[0]);
        } else {
            simd_store(cpu, insn, v, nbytes, false);
        }
        return;
    case X86_OPND_Vx: case X86_OPND_Vq: case X86_OPND_Vd:
        memcpy(simd_xmm(cpu, insn->reg), v, nbytes);
        return;
    case X86_OPND_Ux:
        memcpy(simd_xmm(cpu, insn->rm), v, nbytes);
        return;
    case X86_OPND_Wx: case X86_OPND_Wq: case X86_OPND_Wd:
    case X86_OPND_Mx: case X86_OPND_Mq: case X86_OPND_Md:
        if (insn->mod == 3 && kind != X86_OPND_Mx && kind != X86_OPND_Mq &&
            kind != X86_OPND_Md) {
            memcpy(simd_xmm(cpu, insn->rm), v, nbytes);
        } else {
            simd_store(cpu, insn, v, nbytes, needs_alignment(insn, kind));
        }
        return;
    default:
        exec_write(cpu, insn, n, v->q[0]);
        return;
    }
}

/* ---- handlers ---- */

static void exec_emms(X86CPU *cpu, const X86DecodedInsn *insn)
{
    simd_enter(cpu, insn);
    cpu->s.fpu.ftw = 0;
}

/* Does operand n write a whole XMM register when it is a register? */
static bool is_xmm_register(const X86DecodedInsn *insn, int n)
{
    unsigned kind = insn->operand[n & 3];
    return kind == X86_OPND_Vx || kind == X86_OPND_Ux ||
           ((kind == X86_OPND_Wx || kind == X86_OPND_Wq) && insn->mod == 3);
}

/* MOVD / MOVQ, every form: the low 32 or 64 bits move; an XMM destination
 * register is zero-extended to 128 bits (MOVD and MOVQ loads, 66 0F D6 stores to a
 * register), memory and MMX destinations take 8 bytes (MOVD r/m32 4 bytes). */
static void exec_movd_movq(X86CPU *cpu, const X86DecodedInsn *insn)
{
    SimdVec v;

    simd_enter(cpu, insn);
    simd_read(cpu, insn, 1, &v);
    v.q[1] = 0;
    if (insn->op == X86_OP_MOVD && !(insn->opsize == 64 &&
                                     (insn->operand[0] == X86_OPND_Ey ||
                                      insn->operand[1] == X86_OPND_Ey))) {
        v.q[0] &= 0xffffffffu;
    }
    simd_write(cpu, insn, 0, &v, is_xmm_register(insn, 0) ? 16 : 8);
}

static void exec_movdq(X86CPU *cpu, const X86DecodedInsn *insn)
{
    SimdVec v;

    simd_enter(cpu, insn);
    simd_read(cpu, insn, 1, &v);
    simd_write(cpu, insn, 0, &v, 16);
}

static void exec_ldmxcsr(X86CPU *cpu, const X86DecodedInsn *insn)
{
    simd_enter(cpu, insn);
    uint32_t value = (uint32_t)cpu_ld(cpu, insn->seg, exec_ea(cpu, insn), 4);
    if (value & ~SIMD_MXCSR_WRITABLE) {
        cpu_raise_err(cpu, EXCP_GP, 0);
    }
    cpu->s.fpu.mxcsr = value;
}

static void exec_stmxcsr(X86CPU *cpu, const X86DecodedInsn *insn)
{
    simd_enter(cpu, insn);
    cpu_st(cpu, insn->seg, exec_ea(cpu, insn), cpu->s.fpu.mxcsr, 4);
}

void simd_register_mmx(ExecFn *table)
{
    table[X86_OP_EMMS] = exec_emms;
    table[X86_OP_MOVD] = exec_movd_movq;
    table[X86_OP_MOVQ] = exec_movd_movq;
    table[X86_OP_MOVDQA] = exec_movdq;
    table[X86_OP_MOVDQU] = exec_movdq;
    table[X86_OP_LDMXCSR] = exec_ldmxcsr;
    table[X86_OP_STMXCSR] = exec_stmxcsr;
}

void exec_register_simd(ExecFn *table)
{
    simd_register_mmx(table);
    simd_register_int(table);
    simd_register_fp(table);
    simd_register_move(table);
}
