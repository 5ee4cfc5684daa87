/*
 * Multiply and divide handlers: MUL, IMUL (one-, two- and three-operand forms),
 * DIV, IDIV.
 *
 * MUL/IMUL record CC_OP_MUL/CC_OP_IMUL with dst = the low half (or the truncated
 * product) and src = non-zero when CF = OF = 1 (the upper half is significant).
 * SF, ZF and PF are therefore derived from the low half and AF reads as 0: the SDM
 * leaves them undefined. DIV/IDIV leave all flags unchanged (also undefined).
 * Division by zero and a quotient that does not fit raise #DE before any register
 * is written.
 */
#include "cpu/exec.h"

typedef unsigned __int128 u128;
typedef __int128 s128;

/* The double-width dividend / product register pair for a size: AX (8-bit) or
 * rDX:rAX. */
static u128 read_pair(X86CPU *cpu, unsigned bits)
{
    if (bits == 8) {
        return cpu->s.regs[R_EAX] & 0xffff;
    }
    return ((u128)reg_read(cpu, R_EDX, bits, true) << bits) |
           reg_read(cpu, R_EAX, bits, true);
}

static void write_pair(X86CPU *cpu, unsigned bits, uint64_t lo, uint64_t hi)
{
    if (bits == 8) {
        reg_write(cpu, R_EAX, 16, ((hi & 0xff) << 8) | (lo & 0xff), true);
    } else {
        reg_write(cpu, R_EAX, bits, lo, true);
        reg_write(cpu, R_EDX, bits, hi, true);
    }
}

static void exec_mul(X86CPU *cpu, const X86DecodedInsn *insn)
{
    unsigned bits = insn->opsize;
    uint64_t src = exec_read(cpu, insn, 0);
    u128 p = (u128)reg_read(cpu, R_EAX, bits, true) * src;
    uint64_t lo = trunc_bits((uint64_t)p, bits);
    uint64_t hi = trunc_bits((uint64_t)(p >> bits), bits);

    write_pair(cpu, bits, lo, hi);
    cpu_set_cc(cpu, CC_OP_MUL, bits, lo, hi != 0, 0);
}

static void exec_imul1(X86CPU *cpu, const X86DecodedInsn *insn)
{
    unsigned bits = insn->opsize;
    int64_t src = sext(exec_read(cpu, insn, 0), bits);
    s128 p = (s128)sext(reg_read(cpu, R_EAX, bits, true), bits) * src;
    uint64_t lo = trunc_bits((uint64_t)p, bits);
    uint64_t hi = trunc_bits((uint64_t)((u128)p >> bits), bits);

    write_pair(cpu, bits, lo, hi);
    cpu_set_cc(cpu, CC_OP_IMUL, bits, lo, (s128)sext(lo, bits) != p, 0);
}

/* IMUL Gv, Ev (0F AF) and IMUL Gv, Ev, imm (69, 6B): truncated signed product. */
static void exec_imul(X86CPU *cpu, const X86DecodedInsn *insn)
{
    unsigned bits = insn->opsize;
    uint64_t a, b;

    if (insn->operand[2] != X86_OPND__) {
        a = exec_read(cpu, insn, 1);
        b = exec_read(cpu, insn, 2);
    } else {
        a = exec_read(cpu, insn, 0);
        b = exec_read(cpu, insn, 1);
    }
    s128 p = (s128)sext(a, bits) * sext(b, bits);
    uint64_t lo = trunc_bits((uint64_t)p, bits);

    exec_write(cpu, insn, 0, lo);
    cpu_set_cc(cpu, CC_OP_IMUL, bits, lo, (s128)sext(lo, bits) != p, 0);
}

static void exec_div(X86CPU *cpu, const X86DecodedInsn *insn)
{
    unsigned bits = insn->opsize;
    uint64_t d = exec_read(cpu, insn, 0);
    u128 n = read_pair(cpu, bits);

    if (d == 0) {
        cpu_raise(cpu, EXCP_DE);
    }
    u128 q = n / d;
    uint64_t r = (uint64_t)(n % d);
    if (q > (u128)trunc_bits(~UINT64_C(0), bits)) {
        cpu_raise(cpu, EXCP_DE);
    }
    write_pair(cpu, bits, (uint64_t)q, r);
}

static void exec_idiv(X86CPU *cpu, const X86DecodedInsn *insn)
{
    unsigned bits = insn->opsize;
    int64_t d = sext(exec_read(cpu, insn, 0), bits);
    u128 raw = read_pair(cpu, bits);
    unsigned wide = 2 * bits;
    s128 n, q, r;

    /* sign-extend the 2*bits-wide dividend */
    n = wide >= 128 ? (s128)raw : (s128)(raw << (128 - wide)) >> (128 - wide);
    if (d == 0) {
        cpu_raise(cpu, EXCP_DE);
    }
    if (d == -1) {
        /* avoid the INT128_MIN / -1 overflow in C: the quotient is -n */
        if ((u128)n == (u128)1 << 127) {
            cpu_raise(cpu, EXCP_DE);
        }
        q = -n;
        r = 0;
    } else {
        q = n / d;
        r = n % d;
    }
    s128 qmax = ((s128)1 << (bits - 1)) - 1;
    if (q > qmax || q < -qmax - 1) {
        cpu_raise(cpu, EXCP_DE);
    }
    write_pair(cpu, bits, (uint64_t)q, (uint64_t)r);
}

void exec_register_muldiv(ExecFn *table)
{
    table[X86_OP_MUL] = exec_mul;
    table[X86_OP_IMUL1] = exec_imul1;
    table[X86_OP_IMUL] = exec_imul;
    table[X86_OP_DIV] = exec_div;
    table[X86_OP_IDIV] = exec_idiv;
}
