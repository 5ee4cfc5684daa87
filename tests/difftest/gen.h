/*
 * Differential testing of the interpreter: shared definitions. A test case is a short
 * ring-3 64-bit snippet (a list of instruction groups), its initial general registers
 * and flags and the seed of its memory contents; a runner executes a batch of cases
 * and fills one result per case (final registers, flags, fault, touched memory).
 * Runners: native (the host CPU in a forked child, native.c), interpreter
 * (interp_runner.c); a KVM runner can implement DtRunner the same way.
 *
 * Address layout, identical in every runner (virtual = physical in the interpreter):
 *   DT_CODE   the snippet (the runner appends its own terminator after it)
 *   DT_DATA   4 KiB data buffer; RBX points at it and is never written by snippets
 *   DT_STACK  4 KiB scratch stack; RSP starts at DT_STACK_INIT
 * Both buffers start with pseudo-random bytes derived from DtCase.mem_seed.
 */
#ifndef TESTS_DIFFTEST_GEN_H
#define TESTS_DIFFTEST_GEN_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define DT_CODE        UINT64_C(0x10000000)
#define DT_DATA        UINT64_C(0x10001000)
#define DT_STACK       UINT64_C(0x10002000)
#define DT_PAGE        4096u
#define DT_STACK_INIT  (DT_STACK + 0x800)
#define DT_MAX_CODE    512u       /* snippet bytes (without the terminator) */
#define DT_MAX_GROUPS  16u

/* Flag bits compared (all arithmetic flags and DF) */
#define DT_CF 0x001u
#define DT_PF 0x004u
#define DT_AF 0x010u
#define DT_ZF 0x040u
#define DT_SF 0x080u
#define DT_OF 0x800u
#define DT_DF 0x400u
#define DT_ARITH (DT_CF | DT_PF | DT_AF | DT_ZF | DT_SF | DT_OF)
#define DT_FLAGS_COMPARED (DT_ARITH | DT_DF)
/* Pseudo-flag in the group masks: x87 status bit C1. FCOMI/FUCOMI/FCOMIP/FUCOMIP
 * clear it on Intel (SDM) but leave it unchanged on AMD parts, so after them it is
 * undefined until another x87 instruction sets it. */
#define DT_X87_C1 0x8000u
#define DT_FSW_C1 0x0200u

/* Instruction classes */
typedef enum DtClass {
    DT_CLASS_ALU, DT_CLASS_SHIFT, DT_CLASS_BIT, DT_CLASS_MULDIV, DT_CLASS_STRING,
    DT_CLASS_MOVE, DT_CLASS_SSE2, DT_CLASS_X87, DT_CLASS_BCD, DT_CLASS_COUNT
} DtClass;

typedef struct DtCase {
    uint8_t code[DT_MAX_CODE];
    uint16_t len;
    uint8_t ngroups;
    uint8_t cls;                       /* DtClass */
    uint8_t mode32;                    /* 32-bit code (compatibility mode): only the
                                          low halves of the registers are compared */
    uint16_t group_end[DT_MAX_GROUPS]; /* byte offset where group i ends */
    /* per group: flags it writes with defined values, flags it leaves undefined
     * (architecturally), flags it reads */
    uint16_t group_def[DT_MAX_GROUPS], group_undef[DT_MAX_GROUPS];
    uint16_t group_reads[DT_MAX_GROUPS];
    uint64_t regs[16];                 /* initial RAX..R15 (RSP = DT_STACK_INIT) */
    uint64_t rflags;                   /* initial arithmetic flags + DF */
    uint64_t mem_seed;                 /* initial contents of data and stack pages */
    uint32_t undef_flags;              /* flags left undefined at the end: not compared */
    uint8_t xmm[16][16];               /* initial XMM0..15 */
    uint32_t mxcsr;                    /* initial MXCSR; x87 starts FNINIT-clean */
    uint64_t id;                       /* case number within the campaign */
} DtCase;

/* Result of running one case. vector: -1 normal end, 0..31 exception vector,
 * DT_VEC_CRASH when the runner lost the case (native child died). */
#define DT_VEC_CRASH (-2)
typedef struct DtResult {
    int vector;
    uint32_t error_code;
    uint64_t rip;                      /* end of snippet, or the faulting instruction */
    uint64_t regs[16];
    uint64_t rflags;
    uint8_t xmm[16][16];
    uint32_t mxcsr;
    uint16_t fcw, fsw;                 /* x87 control and status words */
    uint8_t ftw;                       /* abridged tag word (FXSAVE format) */
    uint8_t data[DT_PAGE];
    uint8_t stack[DT_PAGE];
} DtResult;

/* A way of executing cases. run_batch fills out[0..n); returns false (message in
 * err) if the runner itself broke. */
typedef struct DtRunner DtRunner;
struct DtRunner {
    const char *name;
    bool (*run_batch)(DtRunner *r, const DtCase *cases, DtResult *out, size_t n);
    void (*destroy)(DtRunner *r);
    char err[256];
};

/* Default x87 control word and MXCSR (everything masked, round to nearest) */
#define DT_FCW_INIT   0x037fu
#define DT_MXCSR_INIT 0x1f80u

/* ---- generator (gen.c) ---- */
const char *dt_class_name(DtClass cls);
int dt_class_parse(const char *name);       /* -1 if unknown */
/* Deterministic case `index` of a campaign with `seed` in class `cls`. */
void dt_gen_case(DtCase *c, uint64_t seed, uint64_t index, DtClass cls);
/* Initial contents of the data and stack pages of a case. */
void dt_fill_memory(uint64_t mem_seed, uint8_t *data, uint8_t *stack);
/* Rebuild a case keeping only the groups whose bit is set in keep (minimizer);
 * false if that subset would read a flag left undefined (not a valid test). */
bool dt_case_subset(const DtCase *src, uint32_t keep, DtCase *dst);

/* Flags undefined once the groups ending at or before byte `offset` have run
 * (for comparing the state at a fault). */
uint16_t dt_undef_at(const DtCase *c, uint64_t offset);

/* Small deterministic PRNG shared by the generator */
uint64_t dt_rand_mix(uint64_t x);

#endif
