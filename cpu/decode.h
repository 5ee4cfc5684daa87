/*
 * The x86 instruction decoder: turns the bytes at an instruction pointer into a
 * compact, cacheable record for the interpreter and the tracer.
 *
 * Design
 * ------
 * All opcode knowledge lives in one X-macro table, cpu/insn.def. It lists the
 * operations (OP rows: the ID the interpreter dispatches on, and its name) and then
 * one row per opcode form: where the form sits (one-byte map, 0F map, 0F 38, 0F 3A,
 * a ModRM-reg group, an rm sub-table), its operation, up to four operand kinds in
 * Intel notation (Eb, Gv, Iz, Jb, Vx, Wx, Mfs, STi, ...), flags (has ModRM,
 * lockable, invalid in or only in 64-bit mode, default/forced 64-bit operand size,
 * REP-able, privileged, memory-only or register-only ModRM, ...) and the CPUID
 * feature the form needs. decode_tables.c includes the file several times to build
 * plain arrays with designated initializers (no code runs to build them):
 *
 *   x86_map_one[256]            one-byte opcodes
 *   x86_map_0f[256][4]          0F xx, by mandatory prefix (none / 66 / F3 / F2);
 *                               rows that ignore prefixes fill all four columns
 *   x86_map_0f38[256][4], x86_map_0f3a[256][4]   three-byte maps (mostly beyond SSE2:
 *                               decoded for length and marked unsupported)
 *   x86_group[G][reg][mod==3][prefix]   ModRM-reg extensions: groups 1-16 (10, UD1,
 *                               is #UD), 0F 12/16 split by mod, and the x87
 *                               escapes D8-DF (memory forms by reg, register
 *                               forms by reg and, where needed, rm)
 *   x86_rm_table[T][rm]         register forms selected by the whole ModRM byte
 *                               (0F 01 C8 MONITOR..., D9 E0 FCHS, DE D9 FCOMPP ...)
 *   x86_special[]               forms picked by code, not by a table index: F3 90
 *                               PAUSE, REX.B 90 XCHG, 63 MOVSXD in 64-bit mode,
 *                               CMPXCHG16B (REX.W), 3DNow! (0F 0F, suffix opcode)
 *
 * Decoding is a short, branch-light walk: legacy prefixes and REX (a REX that is
 * not immediately before the opcode is dropped), the opcode bytes, one table lookup
 * (plus at most two more for a group and an rm table), validity checks driven by
 * the row flags, ModRM/SIB/displacement, then the immediates named by the operand
 * kinds. No strings are touched; the name tables exist for debugging only.
 *
 * What the decoder rejects (X86_DECODE_INVALID, i.e. #UD): opcodes with no row,
 * forms invalid in the current mode, LOCK on a non-lockable form or a register
 * destination, memory-only forms with a register (LEA, LES, CMPXCHG8B...) and
 * register-only forms with memory, MOV to CS or to a segment register 6/7, and
 * control/debug registers that do not exist (CR1, CR5-7, CR9+, DR8+). Forms beyond
 * the modelled CPU (SSE3+, AES, VMX, ...) decode to a length with op
 * X86_OP_UNSUPPORTED and their feature; the interpreter raises #UD for them (and
 * for any form whose feature its CPUID model lacks). VEX (C4/C5), EVEX (62) and XOP
 * (8F) encodings are #UD on the modelled pre-AVX CPU and are rejected as LES/LDS/
 * BOUND/POP forms that are invalid in 64-bit mode or with a register operand.
 * An instruction that cannot end within 15 bytes is X86_DECODE_TOO_LONG (#GP(0)).
 *
 * Choices where CPUs differ (the model is Intel-like): near branches in 64-bit
 * mode always take a 32-bit displacement (a 66 prefix is ignored; AMD would use
 * rel16); F2/F3 take precedence over 66 as the mandatory prefix of an SSE opcode,
 * whatever the order (66 then acts as the operand-size prefix); a mandatory prefix
 * an opcode has no form for is ignored, as CPUs ignore reserved prefixes (F2/F3
 * fall back to the 66 form, then to the form without prefix: F3 0F 60 is the MMX
 * PUNPCKLBW, F3 0F BC/BD are BSF/BSR as on CPUs without BMI1/LZCNT); AMD's SSE4a
 * (66/F2 0F 78/79) is not decoded, those bytes being VMREAD/VMWRITE; LOCK MOV CR0
 * (AMD's CR8 alias) is #UD; MOV Sreg ignores REX.R; LFENCE/MFENCE/SFENCE accept any
 * rm and 0F 18-1F (hint NOPs, PREFETCHh) accept any form.
 *
 * Using the record
 * ----------------
 * The interpreter keeps a handler table indexed by `op` (X86_OP_COUNT entries).
 * One op covers all forms of an operation (ADD is 00-05 and 80-83 /0); the
 * operand kinds say where the operands are (E: ModRM rm, register or memory; G:
 * ModRM reg; Z: low opcode bits, in `reg`; I: `imm`/`imm2`; J: `rel`; O: moffs in
 * `disp`; fixed registers by name), and `opsize` is the width: 8 for byte forms,
 * else 16/32/64. Condition-code ops (JCC, SETCC, CMOVCC) take the condition from
 * `opcode & 15`. Before running a handler (best once, when the block is built):
 * raise #UD if `feature` is not in the guest's CPUID model (X86_OP_UNSUPPORTED
 * forms carry a feature the model never has), #GP if X86_F_PRIV and CPL > 0;
 * X86_F_BRANCH marks the instructions that end a decoded block. X86_OP_UNDEFINED
 * never appears in a successful decode.
 */
#ifndef CPU_DECODE_H
#define CPU_DECODE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* The code segment's default sizes: CS.D=0 (16-bit), CS.D=1 (32-bit), CS.L=1. */
typedef enum X86CpuMode {
    X86_MODE_16,
    X86_MODE_32,
    X86_MODE_64,
} X86CpuMode;

/* Negative results of x86_decode(). */
enum {
    X86_DECODE_NEED_MORE = -1,  /* the instruction continues past `avail` bytes */
    X86_DECODE_INVALID = -2,    /* #UD */
    X86_DECODE_TOO_LONG = -3,   /* longer than 15 bytes: #GP(0) */
};

#define X86_MAX_INSN_LEN 15

/* Operations (the interpreter's handler IDs), generated from cpu/insn.def. */
typedef enum X86Op {
#define OP(id, name) X86_OP_##id,
#include "cpu/insn.def"
    X86_OP_COUNT
} X86Op;

/*
 * Operand kinds, in Intel's opcode-map notation. First letter: where the operand
 * is; the rest: its size (b byte, w word, d dword, q qword, v 16/32/64 by operand
 * size, z 16/32 (32 when v is 64), y 32/64, x 128-bit vector, p far pointer).
 */
#define X86_OPERAND_KINDS(K) \
    K(_)                                                                          \
    /* ModRM rm: register or memory */                                           \
    K(Eb) K(Ew) K(Ed) K(Eq) K(Ev) K(Ey)                                           \
    /* ModRM reg: general register */                                             \
    K(Gb) K(Gw) K(Gd) K(Gv) K(Gy)                                                 \
    /* ModRM rm, register only (MOV CR/DR ignore mod; SMSW/LMSW reg forms) */     \
    K(Rv) K(Ry)                                                                   \
    /* ModRM rm, memory only: M any (LEA), Mp far pointer, Ms descriptor-table */ \
    /* register, Ma BOUND pair, Mx 16 bytes; x87 Mfs/Mfd/Mfe float 32/64/80,  */  \
    /* Mwi/Mdi/Mqi integer 16/32/64, Mbcd packed BCD, Menv FLDENV/FNSTENV area, */ \
    /* Mst FNSAVE/FRSTOR area, Mfx the 512-byte FXSAVE area */                    \
    K(M) K(Mb) K(Mw) K(Md) K(Mq) K(Mx) K(My) K(Mp) K(Ms) K(Ma)                    \
    K(Mfs) K(Mfd) K(Mfe) K(Mwi) K(Mdi) K(Mqi) K(Mbcd) K(Menv) K(Mst) K(Mfx)       \
    /* ModRM reg: segment, control, debug register */                             \
    K(Sw) K(Cd) K(Dd)                                                             \
    /* immediates: Ib zero-extended, IbS sign-extended to the operand size */     \
    K(Ib) K(IbS) K(Iw) K(Iz) K(Iv)                                                \
    /* relative branch displacement, direct far pointer, moffs address */         \
    K(Jb) K(Jz) K(Ap) K(Ob) K(Ov)                                                 \
    /* fixed registers; eAX is AX/EAX, rAX is AX/EAX/RAX by operand size */       \
    K(AL) K(CL) K(AX) K(DX) K(eAX) K(rAX) K(ONE)                                  \
    K(ES) K(CS) K(SS) K(DS) K(FS) K(GS)                                           \
    /* register in the low three opcode bits (+ REX.B), in `reg` */               \
    K(Zb) K(Zv) K(Zy)                                                             \
    /* string operands: X = seg:rSI (seg overridable), Y = ES:rDI */              \
    K(Xb) K(Xv) K(Xz) K(Yb) K(Yv) K(Yz)                                           \
    /* x87 stack: ST(0), ST(i) with i = ModRM.rm */                               \
    K(ST0) K(STi)                                                                 \
    /* MMX: P reg field, Q rm (register or memory), N rm register only */         \
    K(Pq) K(Pd) K(Qq) K(Qd) K(Nq)                                                 \
    /* SSE: V reg field, W rm (register or memory), U rm register only */         \
    K(Vx) K(Vq) K(Vd) K(Wx) K(Wq) K(Wd) K(Ux)

typedef enum X86OperandKind {
#define X86_OPND_ENUM(k) X86_OPND_##k,
    X86_OPERAND_KINDS(X86_OPND_ENUM)
#undef X86_OPND_ENUM
    X86_OPND_COUNT
} X86OperandKind;

/* The CPUID feature a form needs. Those after X86_FEAT_CX16 are beyond the
 * modelled P6+SSE2 (+long mode) CPU: such forms decode only for their length. */
#define X86_FEATURES(F) \
    F(BASE) F(FPU) F(MMX) F(SSE) F(SSE2) F(CMOV) F(CX8) F(TSC) F(MSR) F(SEP)     \
    F(SYSCALL) F(FXSR) F(CLFLUSH) F(LM) F(CX16)                                 \
    F(RDTSCP) F(SSE3) F(MONITOR) F(SSSE3) F(SSE41) F(SSE42) F(POPCNT)  \
    F(AES) F(PCLMUL) F(SHA) F(MOVBE) F(ADX) F(XSAVE) F(RDRAND) F(RDSEED)        \
    F(FSGSBASE) F(VMX) F(SVM) F(SMX) F(SMAP) F(TSX) F(PKU) F(AMD3DNOW)         \
    F(PRFCHW) F(CLFLUSHOPT) F(CLWB) F(OTHER)

typedef enum X86Feature {
#define X86_FEAT_ENUM(f) X86_FEAT_##f,
    X86_FEATURES(X86_FEAT_ENUM)
#undef X86_FEAT_ENUM
    X86_FEAT_COUNT
} X86Feature;

/* Row and record flags. */
#define X86_F_MODRM     (1u << 0)   /* a ModRM byte follows the opcode */
#define X86_F_BYTE      (1u << 1)   /* 8-bit operation: opsize is 8 */
#define X86_F_LOCK      (1u << 2)   /* LOCK allowed (with a memory destination) */
#define X86_F_INV64     (1u << 3)   /* #UD in 64-bit mode */
#define X86_F_ONLY64    (1u << 4)   /* #UD outside 64-bit mode */
#define X86_F_DEF64     (1u << 5)   /* 64-bit mode: operand size 64 unless 66 (16) */
#define X86_F_FORCE64   (1u << 6)   /* 64-bit mode: operand size always 64 */
#define X86_F_REP       (1u << 7)   /* F3 means REP (string instruction) */
#define X86_F_REPCC     (1u << 8)   /* F3/F2 mean REPE/REPNE (CMPS, SCAS) */
#define X86_F_PRIV      (1u << 9)   /* CPL 0 only (#GP otherwise) */
#define X86_F_MEMONLY   (1u << 10)  /* ModRM mod=3 is #UD */
#define X86_F_REGONLY   (1u << 11)  /* ModRM mod!=3 is #UD */
#define X86_F_MODRM_REG (1u << 12)  /* mod is ignored: rm is always a register */
#define X86_F_MANDATORY (1u << 13)  /* the 66/F3/F2 prefix selected this form */
#define X86_F_BRANCH    (1u << 14)  /* may continue somewhere else than the next insn */
#define X86_F_MEM       (1u << 15)  /* record only: the instruction has a memory
                                       operand (ModRM or moffs) in base/index/disp */

/* Prefix bits in X86DecodedInsn.prefixes. */
#define X86_PFX_LOCK    (1u << 0)
#define X86_PFX_REP     (1u << 1)   /* F3 (the later of F2/F3 wins) */
#define X86_PFX_REPNE   (1u << 2)   /* F2 */
#define X86_PFX_OPSIZE  (1u << 3)   /* 66 */
#define X86_PFX_ADDRSIZE (1u << 4)  /* 67 */
#define X86_PFX_SEG     (1u << 5)   /* a segment override (in `seg`) */
#define X86_PFX_REX     (1u << 6)   /* a REX prefix is in effect (in `rex`) */

/* REX bits in X86DecodedInsn.rex. */
#define X86_REX_B 0x01
#define X86_REX_X 0x02
#define X86_REX_R 0x04
#define X86_REX_W 0x08

/* Special values of base/index. */
#define X86_RIP_BASE 16      /* RIP-relative (64-bit mode, mod=0 rm=5) */
#define X86_NO_REG 0xff

/* Opcode maps, in X86DecodedInsn.map. */
enum { X86_MAP_ONE, X86_MAP_0F, X86_MAP_0F38, X86_MAP_0F3A };

/*
 * One decoded instruction (48 bytes, cached per instruction).
 *
 * Register numbers are 0-15 (R_EAX...R_R15). For 8-bit operands without a REX
 * prefix, 4-7 mean AH, CH, DH, BH. The memory operand, present when flags has
 * X86_F_MEM, is seg:[base + (index << scale) + disp], truncated to addrsize;
 * base X86_RIP_BASE means the address of the next instruction. For moffs forms
 * base and index are X86_NO_REG and disp is the zero-extended address.
 */
typedef struct X86DecodedInsn {
    uint16_t op;          /* X86Op */
    uint8_t len;          /* 1..15 */
    uint8_t opsize;       /* operand size in bits: 8 (byte forms), 16, 32, 64 */
    uint8_t addrsize;     /* 16, 32 or 64 */
    uint8_t prefixes;     /* X86_PFX_* */
    uint8_t rex;          /* REX byte in effect (0x40-0x4f), or 0 */
    uint8_t seg;          /* R_ES..R_GS: segment of the memory / X string operand */
    uint8_t map;          /* X86_MAP_* */
    uint8_t opcode;       /* the last opcode byte (in its map) */
    uint8_t modrm;        /* raw ModRM byte (0 when there is none) */
    uint8_t mod;          /* ModRM.mod; 3 when there is no memory ModRM operand */
    uint8_t reg;          /* ModRM.reg | REX.R << 3; without ModRM: opcode & 7 | REX.B << 3 */
    uint8_t rm;           /* ModRM.rm | REX.B << 3 (register forms, STi) */
    uint8_t base;         /* memory base register, X86_RIP_BASE or X86_NO_REG */
    uint8_t index;        /* memory index register or X86_NO_REG */
    uint8_t scale;        /* index shift count, 0-3 */
    uint8_t feature;      /* X86Feature the form needs */
    uint8_t operand[4];   /* X86OperandKind, destination first; X86_OPND__ = none */
    uint16_t imm2;        /* second immediate: ENTER level, far selector of Ap */
    uint32_t flags;       /* X86_F_* of the form, plus X86_F_MEM */
    union {
        int64_t disp;     /* memory displacement (sign-extended) or moffs address */
        int64_t rel;      /* Jb/Jz: branch displacement from the next instruction */
    };
    uint64_t imm;         /* first immediate: Iz/IbS sign-extended, Ib/Iw zero-
                             extended, Iv full; Ap: the offset */
} X86DecodedInsn;

/*
 * The tables (built in decode_tables.c from cpu/insn.def). Exposed for the
 * decoder, its tests and tools that walk the opcode space.
 */
enum { X86_ESC_NONE, X86_ESC_GROUP, X86_ESC_RMTAB };

typedef struct X86InsnInfo {
    uint32_t flags;       /* X86_F_* */
    uint16_t op;          /* X86Op; X86_OP_UNDEFINED for an undefined slot */
    uint8_t operand[4];   /* X86OperandKind */
    uint8_t feature;      /* X86Feature */
    uint8_t esc;          /* X86_ESC_*: continue in a group or an rm table */
    uint8_t esc_index;    /* which group / rm table */
} X86InsnInfo;

typedef enum X86Group {
#define GROUP(name) X86_GROUP_##name,
#include "cpu/insn.def"
    X86_GROUP_COUNT
} X86Group;

typedef enum X86RmTable {
#define RMTAB(name) X86_RMT_##name,
#include "cpu/insn.def"
    X86_RMT_COUNT
} X86RmTable;

typedef enum X86Special {
#define SPECIAL(name, id, o1, o2, o3, o4, fl, ft) X86_SPECIAL_##name,
#include "cpu/insn.def"
    X86_SPECIAL_COUNT
} X86Special;

/* Mandatory-prefix column: none, 66, F3, F2. */
enum { X86_PSEL_NONE, X86_PSEL_66, X86_PSEL_F3, X86_PSEL_F2 };

extern const X86InsnInfo x86_map_one[256];
extern const X86InsnInfo x86_map_0f[256][4];
extern const X86InsnInfo x86_map_0f38[256][4];
extern const X86InsnInfo x86_map_0f3a[256][4];
extern const X86InsnInfo x86_group[X86_GROUP_COUNT][8][2][4];  /* [reg][mod==3][psel] */
extern const X86InsnInfo x86_rm_table[X86_RMT_COUNT][8];
extern const X86InsnInfo x86_special[X86_SPECIAL_COUNT];

/*
 * Decode one instruction from `bytes` (`avail` of them are readable) in `mode`.
 * Returns its length (1..15) and fills *out, or X86_DECODE_NEED_MORE (supply more
 * bytes and call again), X86_DECODE_INVALID (#UD) or X86_DECODE_TOO_LONG (#GP);
 * after a negative result *out is unspecified. Reads at most min(avail, 15) bytes
 * and keeps no state: safe to call from any thread.
 */
int x86_decode(const uint8_t *bytes, size_t avail, X86CpuMode mode,
               X86DecodedInsn *out);

/* Debugging names: "add", "Ev", "sse2". Never NULL. */
const char *x86_op_name(unsigned op);
const char *x86_operand_kind_name(unsigned kind);
const char *x86_feature_name(unsigned feature);

static inline bool x86_insn_has_mem(const X86DecodedInsn *insn)
{
    return (insn->flags & X86_F_MEM) != 0;
}

#endif
