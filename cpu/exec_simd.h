/*
 * Shared declarations of the MMX / SSE / SSE2 handlers (exec_mmx.c,
 * exec_sse_int.c, exec_sse_fp.c, exec_sse_move.c): the vector value type, the
 * availability checks, operand access for the vector operand kinds and the MXCSR
 * floating-point environment.
 *
 * Register file
 *   XMM0-15 are cpu->s.fpu.xmm[n] (16 little-endian bytes each); MXCSR is
 *   cpu->s.fpu.mxcsr. MMn aliases the 64-bit mantissa of the x87 physical
 *   register Rn. cpu->s.fpu.st[] holds the x87 registers in FXSAVE order
 *   (st[i] = ST(i) = R[(TOP + i) & 7]); every MMX instruction sets TOP = 0 first
 *   (simd_mmx_transition rotates st[] if TOP was not 0), after which st[n] is MMn.
 *   Writing MMn sets the register's sign/exponent bytes (8-9) to 0xffff. The
 *   abridged tag word (fpu.ftw, FXSAVE format: bit n = Rn not empty) becomes 0xff
 *   on every MMX instruction and 0 on EMMS.
 *
 * Exceptions: SSE forms (any XMM operand, LDMXCSR/STMXCSR) raise #UD when CR0.EM
 * is set or CR4.OSFXSR is clear; MMX forms #UD when CR0.EM is set; both #NM when
 * CR0.TS is set. Aligned 128-bit memory operands (Wx / Mx, except MOVUPS, MOVUPD
 * and MOVDQU) raise #GP(0) when the linear address is not a multiple of 16.
 * Unmasked SIMD floating-point exceptions raise #XM (CR4.OSXMMEXCPT) or #UD, with
 * the destination unchanged and the flags recorded in MXCSR.
 */
#ifndef CPU_EXEC_SIMD_H
#define CPU_EXEC_SIMD_H

#include <fenv.h>

#include "cpu/exec.h"

/* One vector value: an XMM register, an MMX register in q[0], or a memory operand
 * (zero-extended to 16 bytes). The host is little-endian, like the guest. */
typedef union SimdVec {
    uint8_t b[16];
    int8_t sb[16];
    uint16_t w[8];
    int16_t sw[8];
    uint32_t d[4];
    int32_t sd[4];
    uint64_t q[2];
    int64_t sq[2];
} SimdVec;

/* MXCSR bits. */
#define MXCSR_IE   (1u << 0)
#define MXCSR_DE   (1u << 1)
#define MXCSR_ZE   (1u << 2)
#define MXCSR_OE   (1u << 3)
#define MXCSR_UE   (1u << 4)
#define MXCSR_PE   (1u << 5)
#define MXCSR_FLAGS 0x3fu
#define MXCSR_DAZ  (1u << 6)
#define MXCSR_MASK_SHIFT 7         /* IM..PM are the flags shifted left by 7 */
#define MXCSR_RC_SHIFT 13
#define MXCSR_FZ   (1u << 15)
/* Writable bits (the MXCSR_MASK FXSAVE reports): DAZ is supported. */
#define SIMD_MXCSR_WRITABLE 0xffffu

/* ---- checks and register access (exec_mmx.c) ---- */

/* The checks for an instruction with these operands (see above), and the MMX
 * state transition when it touches an MMX register. Every handler calls it first. */
void simd_enter(X86CPU *cpu, const X86DecodedInsn *insn);
/* TOP = 0 (rotating st[] to keep the physical mapping) and all tags valid. */
void simd_mmx_transition(X86CPU *cpu);

uint64_t simd_mmx_get(X86CPU *cpu, unsigned n);
void simd_mmx_set(X86CPU *cpu, unsigned n, uint64_t value);
static inline SimdVec *simd_xmm(X86CPU *cpu, unsigned n)
{
    return (SimdVec *)cpu->s.fpu.xmm[n & 15];
}

/* Read operand n (any kind: MMX/XMM register, memory, general register,
 * immediate) into *v, zero-extended to 16 bytes. Register XMM sources give the
 * whole register whatever their nominal size. */
void simd_read(X86CPU *cpu, const X86DecodedInsn *insn, int n, SimdVec *v);
/* Write the low `nbytes` of *v to operand n: into an XMM register the other bytes
 * are kept; an MMX register always takes 8 bytes; general registers take the
 * operand's size (32-bit writes zero-extend in 64-bit mode). */
void simd_write(X86CPU *cpu, const X86DecodedInsn *insn, int n, const SimdVec *v,
                unsigned nbytes);
/* Memory operand access (the instruction's ModRM address, plus `offset` bytes). */
void simd_load(X86CPU *cpu, const X86DecodedInsn *insn, SimdVec *v, unsigned nbytes,
               bool aligned);
void simd_store(X86CPU *cpu, const X86DecodedInsn *insn, const SimdVec *v,
                unsigned nbytes, bool aligned);
/* Does operand n name an MMX register (P, N, or Q with a register)? */
bool simd_operand_is_mmx(const X86DecodedInsn *insn, int n);

/* ---- floating-point environment (exec_sse_fp.c) ---- */

typedef struct SimdFpEnv {
    fenv_t host;               /* the host's environment, restored by simd_fp_end */
    uint32_t mxcsr;            /* the guest's MXCSR at the start */
    uint32_t flags;            /* MXCSR exception flags raised so far */
} SimdFpEnv;

/* Enter the guest's rounding mode with cleared host flags. No guest memory access
 * (nor anything else that can fault) may happen between begin and end. */
void simd_fp_begin(X86CPU *cpu, SimdFpEnv *env);
/* Collect the flags and restore the host environment. Unmasked exceptions: the
 * flags go to MXCSR and #XM / #UD is raised (the caller has written nothing).
 * Otherwise the flags are ORed into MXCSR and the caller writes its results. */
void simd_fp_end(X86CPU *cpu, SimdFpEnv *env);

/* ---- handler groups ---- */
void simd_register_mmx(ExecFn *table);       /* exec_mmx.c: EMMS, MOVD/MOVQ, MXCSR */
void simd_register_int(ExecFn *table);       /* exec_sse_int.c */
void simd_register_fp(ExecFn *table);        /* exec_sse_fp.c */
void simd_register_move(ExecFn *table);      /* exec_sse_move.c */

#endif
