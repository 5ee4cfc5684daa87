/*
 * The x87 core shared by the x87 handlers (exec_fpu.c, fpu_env.c): the register
 * stack over X86FpuState, tags, the status and control words, exception reporting
 * (masked responses, ES/B, #MF or the legacy FERR# line), CR0.EM/TS/MP checks, and
 * the host arithmetic the handlers run on.
 *
 * Representation. X86FpuState.st[i] holds ST(i) (stack order, as FXSAVE stores the
 * registers and as the KVM engine exchanges them), as the 10-byte extended-real
 * image in a 16-byte slot. TOP lives in FSW bits 13:11; the tag is the abridged
 * FXSAVE form (ftw bit p set = physical register p is not empty). The 2-bit tag
 * word of FSTENV/FSAVE is computed from the register contents.
 *
 * Arithmetic. The host is x86-64, whose x87 unit has the same 80-bit format and
 * the same rules (rounding, precision control, NaN propagation, denormals,
 * unsupported encodings, partial remainders, transcendental ranges). Each
 * operation runs on the host x87 with the guest's rounding and precision control
 * loaded and all host exceptions masked; the host's status word then gives the
 * exception flags and condition codes, which are folded into the guest FSW.
 */
#ifndef CPU_FPU_H
#define CPU_FPU_H

#include <stdbool.h>
#include <stdint.h>

#include "cpu/exec.h"

#if !defined(__x86_64__) && !defined(__i386__)
#error "the x87 emulation runs on the host x87 unit: an x86 host is required"
#endif

/* FSW bits */
#define FSW_IE  0x0001u
#define FSW_DE  0x0002u
#define FSW_ZE  0x0004u
#define FSW_OE  0x0008u
#define FSW_UE  0x0010u
#define FSW_PE  0x0020u
#define FSW_SF  0x0040u
#define FSW_ES  0x0080u
#define FSW_C0  0x0100u
#define FSW_C1  0x0200u
#define FSW_C2  0x0400u
#define FSW_TOP 0x3800u
#define FSW_C3  0x4000u
#define FSW_B   0x8000u
#define FSW_EXC 0x003fu                      /* the six exception flags */
#define FSW_CC  (FSW_C0 | FSW_C1 | FSW_C2 | FSW_C3)

/* FCW bits */
#define FCW_EXC_MASK 0x003fu
#define FCW_PC  0x0300u
#define FCW_RC  0x0c00u
#define FCW_PC_SINGLE 0x0000u
#define FCW_PC_DOUBLE 0x0200u
#define FCW_PC_EXT    0x0300u

/* Full tag values */
enum { FPU_TAG_VALID = 0, FPU_TAG_ZERO = 1, FPU_TAG_SPECIAL = 2, FPU_TAG_EMPTY = 3 };

/* ---- stack and tags ---- */
static inline unsigned fpu_top(const X86FpuState *f) { return (f->fsw >> 11) & 7; }
static inline unsigned fpu_phys(const X86FpuState *f, unsigned i) { return (fpu_top(f) + i) & 7; }
bool fpu_empty(const X86FpuState *f, unsigned i);          /* ST(i) empty? */
long double fpu_get(const X86FpuState *f, unsigned i);     /* ST(i) */
void fpu_set(X86FpuState *f, unsigned i, long double v);   /* ST(i) = v, tag valid */
void fpu_set_raw(X86FpuState *f, unsigned i, const uint8_t img[10]);
void fpu_free(X86FpuState *f, unsigned i);                 /* tag ST(i) empty */
void fpu_decstp(X86FpuState *f);                           /* TOP-1, no tag change */
void fpu_incstp(X86FpuState *f);                           /* TOP+1, no tag change */
/* Push v (TOP-1). Stack overflow (ST(7) in use): IE|SF|C1; masked: the real
 * indefinite is pushed; unmasked: nothing changes. Returns false when unmasked. */
bool fpu_push(X86CPU *cpu, long double v);
void fpu_pop(X86FpuState *f);                              /* tag ST(0) empty, TOP+1 */
/* Full 2-bit tag of ST(i) from its contents (EMPTY when empty), and the 16-bit
 * tag word (physical register order) for FSTENV/FSAVE, and back. */
unsigned fpu_tag_of(const X86FpuState *f, unsigned i);
uint16_t fpu_tag_word(const X86FpuState *f);
uint8_t fpu_abridge_tags(uint16_t tag_word);
/* Load a whole FSW (FLDENV, FRSTOR, FXRSTOR): TOP moves with the registers'
 * contents kept per physical register; ES/B and FERR# are then recomputed. */
void fpu_load_fsw(X86CPU *cpu, uint16_t fsw);
/* FINIT's state: FCW 0x37f, FSW 0, all empty, FIP/FDP/FOP 0. */
void fpu_reset(X86FpuState *f);

/* ---- values ---- */
long double fpu_indefinite(void);                          /* negative QNaN 0xC000.. */
bool fpu_is_nan(long double v);
bool fpu_is_snan(long double v);

/* ---- exceptions ---- */
/* Fold exception flags (FSW_EXC bits, possibly FSW_SF) into FSW; set ES and B when
 * one of them is unmasked (and assert FERR# when CR0.NE=0). Returns the unmasked
 * subset. */
uint16_t fpu_raise_flags(X86CPU *cpu, uint16_t flags);
/* Stack underflow (an operand register is empty): IE|SF with C1=0. Returns true
 * when IE is masked, so the caller writes the indefinite result. */
bool fpu_stack_underflow(X86CPU *cpu);
/* The start of every x87 instruction: #NM when CR0.EM or CR0.TS; for waiting
 * instructions (wait=true) then the pending-exception check: with FSW.ES set,
 * #MF when CR0.NE=1 (with CR0.NE=0 the FERR# line was already raised and the
 * instruction proceeds). */
void fpu_prepare(X86CPU *cpu, bool wait);
/* Record FIP/FOP (and FDP for memory operands) of a non-control instruction. */
void fpu_note_insn(X86CPU *cpu, const X86DecodedInsn *insn);
/* After FSW changed by a control instruction (FLDCW, FLDENV, FRSTOR, FCLEX...):
 * recompute ES/B from the flags and the masks and drive FERR# accordingly. */
void fpu_update_es(X86CPU *cpu);

/* ---- host operations ----
 * Each returns the host status word: exception flags (FSW_EXC) and condition
 * codes (FSW_CC) as the host x87 produced them under the guest's FCW.RC/PC. */
typedef enum FpuHostOp {
    FPU_ADD, FPU_SUB, FPU_MUL, FPU_DIV, FPU_SQRT, FPU_RNDINT, FPU_PREM, FPU_PREM1,
    FPU_SCALE, FPU_F2XM1, FPU_SIN, FPU_COS, FPU_YL2X, FPU_YL2XP1, FPU_PATAN,
    FPU_ABS, FPU_CHS,
} FpuHostOp;
uint16_t fpu_host_op(X86CPU *cpu, FpuHostOp op, long double a, long double b,
                     long double *r);
/* Two results: FXTRACT (r0 = significand, r1 = exponent), FPTAN (r0 = 1.0,
 * r1 = tangent), FSINCOS (r0 = cosine, r1 = sine); r0 ends up as ST(0). */
typedef enum { FPU_XTRACT, FPU_PTAN, FPU_SINCOS } FpuHostOp2;
uint16_t fpu_host_op2(X86CPU *cpu, FpuHostOp2 op, long double a, long double *r0,
                      long double *r1);
/* Compare a with b (FCOM when quiet=false, FUCOM when true): C3/C2/C0 of the host. */
uint16_t fpu_host_compare(X86CPU *cpu, long double a, long double b, bool quiet);
/* ST(0) op a single (size 4) or double (size 8) memory operand in its own format, as
 * the hardware does it: an SNaN operand stays signalling and a denormal one raises DE
 * only when no invalid operation outranks it. op is FPU_ADD, SUB, MUL or DIV; rev
 * gives FSUBR/FDIVR. */
uint16_t fpu_host_op_mem(X86CPU *cpu, FpuHostOp op, bool rev, long double a,
                         uint64_t bits, unsigned size, long double *r);
/* FCOM of ST(0) with a single or double memory operand. */
uint16_t fpu_host_compare_mem(X86CPU *cpu, long double a, uint64_t bits, unsigned size);
/* Memory formats. Loads of single/double raise DE (denormal) and IE (SNaN). */
uint16_t fpu_host_ld32(X86CPU *cpu, uint32_t bits, long double *r);
uint16_t fpu_host_ld64(X86CPU *cpu, uint64_t bits, long double *r);
uint16_t fpu_host_st32(X86CPU *cpu, long double v, uint32_t *bits);
uint16_t fpu_host_st64(X86CPU *cpu, long double v, uint64_t *bits);
/* Integer stores round by FCW.RC; out of range or NaN gives IE and the integer
 * indefinite (0x8000...). size is 2, 4 or 8 bytes. */
uint16_t fpu_host_sti(X86CPU *cpu, long double v, unsigned size, uint64_t *out);
uint16_t fpu_host_bcd_load(X86CPU *cpu, const uint8_t bcd[10], long double *r);
uint16_t fpu_host_bcd_store(X86CPU *cpu, long double v, uint8_t bcd[10]);
/* FLD1, FLDL2T, FLDL2E, FLDPI, FLDLG2, FLDLN2, FLDZ by index 0-6 (D9 E8+i),
 * rounded by FCW.RC as the hardware does. */
long double fpu_host_const(X86CPU *cpu, unsigned which);

/* ---- memory operands: seg:[ea + off], wrapped to the address size ---- */
uint64_t fpu_mem_ld(X86CPU *cpu, const X86DecodedInsn *insn, unsigned off, unsigned size);
void fpu_mem_st(X86CPU *cpu, const X86DecodedInsn *insn, unsigned off, uint64_t value,
                unsigned size);

/* ---- registration of the environment/control handlers (fpu_env.c) ---- */
void fpu_env_register(ExecFn *table);

#endif
