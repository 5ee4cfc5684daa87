/*
 * Instruction handlers. The run loop decodes an instruction, sets cpu->insn_rip to
 * its address and cpu->s.rip to the NEXT instruction's address, then calls
 * table[insn.op](cpu, &insn). Relative branches therefore add insn->rel to
 * cpu->s.rip; CALL pushes cpu->s.rip. A handler that faults calls cpu_raise*() and
 * never returns; the loop rolls RIP and RSP back.
 *
 * The table is filled at start-up by the register functions of each handler file
 * group; entries left empty raise #UD (and log under -d unimp).
 */
#ifndef CPU_EXEC_H
#define CPU_EXEC_H

#include "cpu/cpu.h"

typedef void (*ExecFn)(X86CPU *cpu, const X86DecodedInsn *insn);

/* Handler groups (each fills the entries of the ops it implements). */
void exec_register_integer(ExecFn *table);   /* ALU, moves, stack, branches, strings, BCD, bits */
void exec_register_system(ExecFn *table);    /* descriptors, far transfers, interrupts, CRs,
                                                MSRs, CPUID, I/O, HLT, flags control */
void exec_register_fpu(ExecFn *table);       /* x87, MMX, SSE, SSE2 (later) */
void exec_register_io(ExecFn *table);        /* IN, OUT (exec_io.c; called by the system group) */

/* ---- operand helpers (exec_operand.c) ---- */
/* Effective address offset of the memory operand (wrapped to the address size). */
uint64_t exec_ea(X86CPU *cpu, const X86DecodedInsn *insn);
/* Operand size in bits of operand n (0 = destination). */
unsigned exec_operand_bits(const X86DecodedInsn *insn, int n);
/* Read / write operand n (register, memory, immediate, fixed register...). Values are
 * zero-extended to 64 bits; writes are truncated to the operand size. 32-bit register
 * writes zero the upper half in 64-bit mode, as the architecture does. */
uint64_t exec_read(X86CPU *cpu, const X86DecodedInsn *insn, int n);
void exec_write(X86CPU *cpu, const X86DecodedInsn *insn, int n, uint64_t value);
/* General registers by number and size; 8-bit numbers 4-7 mean AH..BH unless rex. */
uint64_t reg_read(X86CPU *cpu, int reg, unsigned bits, bool rex);
void reg_write(X86CPU *cpu, int reg, unsigned bits, uint64_t value, bool rex);
/* Stack, with SS's address size (SS.B / 64-bit mode) and #SS checks. */
void exec_push(X86CPU *cpu, uint64_t value, unsigned bits);
uint64_t exec_pop(X86CPU *cpu, unsigned bits);
/* Near jump to an offset in CS (truncated to the operand size; #GP past the limit). */
void exec_jump_near(X86CPU *cpu, uint64_t target, unsigned opbits);

/* Sign-extend the low `bits` of v. */
static inline int64_t sext(uint64_t v, unsigned bits)
{
    return bits >= 64 ? (int64_t)v : (int64_t)(v << (64 - bits)) >> (64 - bits);
}
static inline uint64_t trunc_bits(uint64_t v, unsigned bits)
{
    return bits >= 64 ? v : v & ((UINT64_C(1) << bits) - 1);
}


/* ---- added by the integer handlers (exec_operand.c): shared helpers ----
 * Materialise the arithmetic flags and set those in `mask` to the bits of `value`
 * (others keep their current values); leaves cc_op = CC_OP_EFLAGS. Used by the
 * handlers that compute flags eagerly (rotates, SHLD/SHRD, BCD, BTx, BSF/BSR,
 * CMPXCHG8B, CLC/STC/CMC, SAHF). */
void exec_set_flags(X86CPU *cpu, uint32_t mask, uint64_t value);
/* X86_FLAG_PF for the low byte of v (even parity). */
uint32_t exec_parity_flag(uint64_t v);
/* X86_FLAG_ZF | X86_FLAG_SF | X86_FLAG_PF of a `bits`-wide result. */
uint32_t exec_szp_flags(uint64_t result, unsigned bits);
/* Width in bits of the stack pointer: 64 in 64-bit mode, else 32 or 16 by SS.B. */
unsigned exec_stack_bits(X86CPU *cpu);
/* Stack pointer adjusted by delta within the stack width (upper bits kept). */
void exec_adjust_sp(X86CPU *cpu, int64_t delta);
/* Address-size-wide register read/write (rSI, rDI, rCX of strings, LOOP, XLAT). */
uint64_t exec_addr_reg(X86CPU *cpu, const X86DecodedInsn *insn, int reg);
void exec_set_addr_reg(X86CPU *cpu, const X86DecodedInsn *insn, int reg, uint64_t v);
/* Group registration of the integer handler files (called by exec_register_integer). */
void exec_register_alu(ExecFn *table);
void exec_register_shift(ExecFn *table);
void exec_register_muldiv(ExecFn *table);
void exec_register_move(ExecFn *table);
void exec_register_branch(ExecFn *table);
void exec_register_string(ExecFn *table);
void exec_register_bcd(ExecFn *table);
void exec_register_bit(ExecFn *table);
/* ---- end of the integer handlers' additions ---- */

/* MMX, SSE and SSE2 (exec_mmx.c, exec_sse_int.c, exec_sse_fp.c, exec_sse_move.c;
 * shared declarations in exec_simd.h). */
void exec_register_simd(ExecFn *table);

#endif
