/*
 * Integer ALU handlers: ADD OR ADC SBB AND SUB XOR CMP TEST INC DEC NOT NEG.
 *
 * Flags are recorded lazily with cpu_set_cc following the conventions in cpu.h
 * ("Lazy-flags conventions" in the system core's block): dst = result, src = the
 * second operand, src2 = the first operand; for ADC/SBB src is the second operand
 * (the carry-in is recovered from the three); for INC/DEC src is CF before the
 * instruction and src2 the operand before. NEG is recorded as SUB 0 - operand.
 * LOCK needs nothing here: the interpreter executes its CPUs on one thread, so a
 * handler's read-modify-write is never interleaved with another CPU's accesses.
 * (If interpreter CPUs ever run on separate threads, locked forms will need a
 * global lock or host atomics.)
 */
#include "cpu/exec.h"

typedef enum AluOp { ALU_ADD, ALU_OR, ALU_ADC, ALU_SBB, ALU_AND, ALU_SUB, ALU_XOR,
                     ALU_CMP } AluOp;

/* A computed result and the lazy-flag record to commit once nothing can fault. */
typedef struct AluResult {
    uint64_t value;
    CCOp cc;
    uint64_t src, src2;
} AluResult;

static AluResult alu_compute(X86CPU *cpu, AluOp op, unsigned bits, uint64_t a, uint64_t b)
{
    AluResult res = { .src = b, .src2 = a };
    uint64_t cin;

    switch (op) {
    case ALU_ADD:
        res.value = a + b;
        res.cc = CC_OP_ADD;
        break;
    case ALU_ADC:
        cin = cpu_get_rflags(cpu) & X86_FLAG_CF;
        res.value = a + b + cin;
        res.cc = CC_OP_ADC;
        break;
    case ALU_SUB:
    case ALU_CMP:
        res.value = a - b;
        res.cc = CC_OP_SUB;
        break;
    case ALU_SBB:
        cin = cpu_get_rflags(cpu) & X86_FLAG_CF;
        res.value = a - b - cin;
        res.cc = CC_OP_SBB;
        break;
    /* Logic: CF = OF = 0, SF ZF PF from the result; AF is undefined and reads as
     * 0 (what current Intel cores leave). */
    case ALU_AND:
        res.value = a & b;
        res.cc = CC_OP_LOGIC;
        break;
    case ALU_OR:
        res.value = a | b;
        res.cc = CC_OP_LOGIC;
        break;
    default:
        res.value = a ^ b;
        res.cc = CC_OP_LOGIC;
        break;
    }
    res.value = trunc_bits(res.value, bits);
    return res;
}

static inline void alu_commit_flags(X86CPU *cpu, unsigned bits, const AluResult *res)
{
    cpu_set_cc(cpu, res->cc, bits, res->value, res->src, res->src2);
}

/* The two-operand forms: operand 0 is the destination (and first source). The
 * flags are recorded after the write, so a faulting write leaves them intact for
 * the restart (ADC/SBB read CF again). */
static void alu_binary(X86CPU *cpu, const X86DecodedInsn *insn, AluOp op)
{
    unsigned bits = insn->opsize;
    uint64_t a = exec_read(cpu, insn, 0);
    uint64_t b = exec_read(cpu, insn, 1);
    AluResult res = alu_compute(cpu, op, bits, a, b);

    if (op != ALU_CMP) {
        exec_write(cpu, insn, 0, res.value);
    }
    alu_commit_flags(cpu, bits, &res);
}

static void exec_add(X86CPU *cpu, const X86DecodedInsn *insn) { alu_binary(cpu, insn, ALU_ADD); }
static void exec_or(X86CPU *cpu, const X86DecodedInsn *insn) { alu_binary(cpu, insn, ALU_OR); }
static void exec_adc(X86CPU *cpu, const X86DecodedInsn *insn) { alu_binary(cpu, insn, ALU_ADC); }
static void exec_sbb(X86CPU *cpu, const X86DecodedInsn *insn) { alu_binary(cpu, insn, ALU_SBB); }
static void exec_and(X86CPU *cpu, const X86DecodedInsn *insn) { alu_binary(cpu, insn, ALU_AND); }
static void exec_sub(X86CPU *cpu, const X86DecodedInsn *insn) { alu_binary(cpu, insn, ALU_SUB); }
static void exec_xor(X86CPU *cpu, const X86DecodedInsn *insn) { alu_binary(cpu, insn, ALU_XOR); }
static void exec_cmp(X86CPU *cpu, const X86DecodedInsn *insn) { alu_binary(cpu, insn, ALU_CMP); }

static void exec_test(X86CPU *cpu, const X86DecodedInsn *insn)
{
    uint64_t a = exec_read(cpu, insn, 0);
    uint64_t b = exec_read(cpu, insn, 1);
    AluResult res = alu_compute(cpu, ALU_AND, insn->opsize, a, b);

    alu_commit_flags(cpu, insn->opsize, &res);
}

static void inc_dec(X86CPU *cpu, const X86DecodedInsn *insn, bool dec)
{
    unsigned bits = insn->opsize;
    uint64_t a = exec_read(cpu, insn, 0);
    uint64_t r = trunc_bits(dec ? a - 1 : a + 1, bits);
    uint64_t cf = cpu_get_rflags(cpu) & X86_FLAG_CF;   /* INC/DEC keep CF */

    exec_write(cpu, insn, 0, r);
    cpu_set_cc(cpu, dec ? CC_OP_DEC : CC_OP_INC, bits, r, cf, a);
}

static void exec_inc(X86CPU *cpu, const X86DecodedInsn *insn) { inc_dec(cpu, insn, false); }
static void exec_dec(X86CPU *cpu, const X86DecodedInsn *insn) { inc_dec(cpu, insn, true); }

static void exec_not(X86CPU *cpu, const X86DecodedInsn *insn)
{
    exec_write(cpu, insn, 0, ~exec_read(cpu, insn, 0));    /* no flags */
}

static void exec_neg(X86CPU *cpu, const X86DecodedInsn *insn)
{
    unsigned bits = insn->opsize;
    uint64_t a = exec_read(cpu, insn, 0);
    uint64_t r = trunc_bits(0 - a, bits);

    exec_write(cpu, insn, 0, r);
    cpu_set_cc(cpu, CC_OP_SUB, bits, r, a, 0);   /* CF = (a != 0) */
}

void exec_register_alu(ExecFn *table)
{
    table[X86_OP_ADD] = exec_add;
    table[X86_OP_OR] = exec_or;
    table[X86_OP_ADC] = exec_adc;
    table[X86_OP_SBB] = exec_sbb;
    table[X86_OP_AND] = exec_and;
    table[X86_OP_SUB] = exec_sub;
    table[X86_OP_XOR] = exec_xor;
    table[X86_OP_CMP] = exec_cmp;
    table[X86_OP_TEST] = exec_test;
    table[X86_OP_INC] = exec_inc;
    table[X86_OP_DEC] = exec_dec;
    table[X86_OP_NOT] = exec_not;
    table[X86_OP_NEG] = exec_neg;
}
