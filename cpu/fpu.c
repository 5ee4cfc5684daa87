/*
 * The x87 core (see fpu.h): the register stack in stack order with the abridged tag
 * word, TOP, tags computed from contents, exception flag folding with ES/B and
 * FERR#, the CR0.EM/TS/MP/NE checks, FIP/FDP/FOP, and the host x87 operations
 * every x87 handler computes with.
 */
#include "cpu/fpu.h"

#include <float.h>
#include <string.h>

_Static_assert(LDBL_MANT_DIG == 64, "long double must be the x87 80-bit format");

void (*cpu_fpu_ferr)(X86CPU *cpu, bool asserted);

/* ---- register images ---- */

static uint64_t img_mant(const uint8_t *img)
{
    uint64_t m;
    memcpy(&m, img, 8);
    return m;
}

static unsigned img_exp(const uint8_t *img)
{
    return (img[8] | (unsigned)img[9] << 8) & 0x7fff;
}

static bool ld_nan(long double v, bool signalling_only)
{
    uint8_t img[16];
    memcpy(img, &v, 10);
    uint64_t m = img_mant(img);
    if (img_exp(img) != 0x7fff || (m << 1) == 0) {
        return false;
    }
    return !signalling_only || !(m & (UINT64_C(1) << 62));
}

bool fpu_is_nan(long double v) { return ld_nan(v, false); }
bool fpu_is_snan(long double v) { return ld_nan(v, true); }

long double fpu_indefinite(void)
{
    static const uint8_t img[16] = { 0, 0, 0, 0, 0, 0, 0, 0xc0, 0xff, 0xff };
    long double v;
    memcpy(&v, img, sizeof(v));
    return v;
}

/* ---- stack ---- */

bool fpu_empty(const X86FpuState *f, unsigned i)
{
    return !(f->ftw & (1u << fpu_phys(f, i & 7)));
}

long double fpu_get(const X86FpuState *f, unsigned i)
{
    long double v = 0;
    memcpy(&v, f->st[i & 7], 10);
    return v;
}

void fpu_set_raw(X86FpuState *f, unsigned i, const uint8_t img[10])
{
    memcpy(f->st[i & 7], img, 10);
    memset(f->st[i & 7] + 10, 0, 6);
    f->ftw |= (uint8_t)(1u << fpu_phys(f, i & 7));
}

void fpu_set(X86FpuState *f, unsigned i, long double v)
{
    uint8_t img[16];
    memcpy(img, &v, 10);
    fpu_set_raw(f, i, img);
}

void fpu_free(X86FpuState *f, unsigned i)
{
    f->ftw &= (uint8_t)~(1u << fpu_phys(f, i & 7));
}

/* Change TOP keeping every physical register's contents (the array is in stack
 * order, so it rotates). */
static void fpu_set_top(X86FpuState *f, unsigned top)
{
    uint8_t old[8][16];
    unsigned old_top = fpu_top(f);
    top &= 7;
    if (top == old_top) {
        return;
    }
    memcpy(old, f->st, sizeof(old));
    for (unsigned i = 0; i < 8; i++) {
        memcpy(f->st[i], old[(top + i - old_top) & 7], 16);
    }
    f->fsw = (uint16_t)((f->fsw & ~FSW_TOP) | top << 11);
}

void fpu_decstp(X86FpuState *f) { fpu_set_top(f, fpu_top(f) - 1); }
void fpu_incstp(X86FpuState *f) { fpu_set_top(f, fpu_top(f) + 1); }

void fpu_pop(X86FpuState *f)
{
    fpu_free(f, 0);
    fpu_incstp(f);
}

bool fpu_push(X86CPU *cpu, long double v)
{
    X86FpuState *f = &cpu->s.fpu;
    if (!fpu_empty(f, 7)) {
        f->fsw |= FSW_C1;                          /* C1=1: overflow */
        if (fpu_raise_flags(cpu, FSW_IE | FSW_SF) & FSW_IE) {
            return false;
        }
        v = fpu_indefinite();
    }
    fpu_decstp(f);
    fpu_set(f, 0, v);
    return true;
}

unsigned fpu_tag_of(const X86FpuState *f, unsigned i)
{
    if (fpu_empty(f, i)) {
        return FPU_TAG_EMPTY;
    }
    const uint8_t *img = f->st[i & 7];
    unsigned e = img_exp(img);
    uint64_t m = img_mant(img);
    if (e == 0x7fff) {
        return FPU_TAG_SPECIAL;
    }
    if (e == 0) {
        return m == 0 ? FPU_TAG_ZERO : FPU_TAG_SPECIAL;
    }
    return (m >> 63) ? FPU_TAG_VALID : FPU_TAG_SPECIAL;   /* unnormal: special */
}

uint16_t fpu_tag_word(const X86FpuState *f)
{
    uint16_t tw = 0;
    for (unsigned p = 0; p < 8; p++) {
        tw |= (uint16_t)(fpu_tag_of(f, (p - fpu_top(f)) & 7) << (2 * p));
    }
    return tw;
}

uint8_t fpu_abridge_tags(uint16_t tag_word)
{
    uint8_t ftw = 0;
    for (unsigned p = 0; p < 8; p++) {
        if (((tag_word >> (2 * p)) & 3) != FPU_TAG_EMPTY) {
            ftw |= (uint8_t)(1u << p);
        }
    }
    return ftw;
}

void fpu_load_fsw(X86CPU *cpu, uint16_t fsw)
{
    X86FpuState *f = &cpu->s.fpu;
    fpu_set_top(f, (fsw >> 11) & 7);
    f->fsw = (uint16_t)((fsw & ~(FSW_ES | FSW_B)) | (f->fsw & (FSW_ES | FSW_B)));
    fpu_update_es(cpu);
}

void fpu_reset(X86FpuState *f)
{
    fpu_set_top(f, 0);
    f->fcw = 0x37f;
    f->fsw = 0;
    f->ftw = 0;
    f->fop = 0;
    f->fip = 0;
    f->fdp = 0;
}

/* ---- exceptions ---- */

static void ferr(X86CPU *cpu, bool asserted)
{
    if (cpu_fpu_ferr && !(cpu->s.cr0 & X86_CR0_NE)) {
        cpu_fpu_ferr(cpu, asserted);
    }
}

void fpu_update_es(X86CPU *cpu)
{
    X86FpuState *f = &cpu->s.fpu;
    bool was = (f->fsw & FSW_ES) != 0;
    bool pending = (f->fsw & ~f->fcw & FSW_EXC) != 0;
    if (pending) {
        f->fsw |= FSW_ES | FSW_B;
    } else {
        f->fsw &= (uint16_t)~(FSW_ES | FSW_B);
    }
    if (pending != was) {
        ferr(cpu, pending);
    }
}

uint16_t fpu_raise_flags(X86CPU *cpu, uint16_t flags)
{
    X86FpuState *f = &cpu->s.fpu;
    uint16_t unmasked = flags & FSW_EXC & ~f->fcw;
    f->fsw |= flags & (FSW_EXC | FSW_SF);
    if (unmasked) {
        fpu_update_es(cpu);
    }
    return unmasked;
}

bool fpu_stack_underflow(X86CPU *cpu)
{
    cpu->s.fpu.fsw &= (uint16_t)~FSW_C1;           /* C1=0: underflow */
    return !(fpu_raise_flags(cpu, FSW_IE | FSW_SF) & FSW_IE);
}

void fpu_prepare(X86CPU *cpu, bool wait)
{
    if (cpu->s.cr0 & (X86_CR0_EM | X86_CR0_TS)) {
        cpu_raise(cpu, EXCP_NM);
    }
    if (wait && (cpu->s.fpu.fsw & FSW_ES) && (cpu->s.cr0 & X86_CR0_NE)) {
        cpu_raise(cpu, EXCP_MF);
    }
}

void fpu_note_insn(X86CPU *cpu, const X86DecodedInsn *insn)
{
    X86FpuState *f = &cpu->s.fpu;
    bool m64 = cpu->code_mode == X86_MODE_64;

    f->fop = (uint16_t)(((insn->opcode & 7) << 8) | insn->modrm);
    f->fip = m64 ? cpu->insn_rip
                 : (cpu->insn_rip & 0xffffffffu) |
                   (uint64_t)cpu->s.seg[R_CS].selector << 32;
    if (x86_insn_has_mem(insn)) {
        uint64_t ea = exec_ea(cpu, insn);
        f->fdp = m64 ? ea : (ea & 0xffffffffu) |
                            (uint64_t)cpu->s.seg[insn->seg % SEG_COUNT].selector << 32;
    }
}

/* ---- the host x87 ---- */

/* Load the guest's rounding and precision control with every exception masked and
 * the flags clear; returns the host control word to restore. */
static inline uint16_t host_enter(X86CPU *cpu)
{
    uint16_t saved, cw = (uint16_t)((cpu->s.fpu.fcw & (FCW_PC | FCW_RC)) | 0x7f);
    __asm__ volatile("fnstcw %0" : "=m"(saved));
    __asm__ volatile("fnclex\n\tfldcw %0" : : "m"(cw));
    return saved;
}

/* The exception flags raised since host_enter; restores the host. */
static inline uint16_t host_leave(uint16_t saved)
{
    uint16_t sw;
    __asm__ volatile("fnstsw %0\n\tfnclex\n\tfldcw %1" : "=m"(sw) : "m"(saved));
    return sw & FSW_EXC;
}

/* One-operand instruction on ST(0), condition codes captured right after it. */
#define HOST_UNARY(insn, x, cc, a) \
    __asm__ volatile(insn "\n\tfnstsw %%ax" : "=t"(x), "=a"(cc) : "0"(a))
/* ST(0) op= ST(1), ST(1) left in place. */
#define HOST_BINARY(insn, x, cc, a, b) \
    __asm__ volatile(insn "\n\tfnstsw %%ax" : "=t"(x), "=a"(cc) : "0"(a), "u"(b))
/* ST(1) = f(ST(0), ST(1)), then pop. */
#define HOST_BINARY_POP(insn, x, cc, a, b) \
    __asm__ volatile(insn "\n\tfnstsw %%ax" : "=t"(x), "=a"(cc) : "0"(a), "u"(b) : "st(1)")

uint16_t fpu_host_op(X86CPU *cpu, FpuHostOp op, long double a, long double b,
                     long double *r)
{
    uint16_t saved = host_enter(cpu), cc = 0;
    long double x = a;

    switch (op) {
    case FPU_ADD: HOST_BINARY("fadd %%st(1), %%st", x, cc, a, b); break;
    case FPU_SUB: HOST_BINARY("fsub %%st(1), %%st", x, cc, a, b); break;
    case FPU_MUL: HOST_BINARY("fmul %%st(1), %%st", x, cc, a, b); break;
    case FPU_DIV: HOST_BINARY("fdiv %%st(1), %%st", x, cc, a, b); break;
    case FPU_PREM: HOST_BINARY("fprem", x, cc, a, b); break;
    case FPU_PREM1: HOST_BINARY("fprem1", x, cc, a, b); break;
    case FPU_SCALE: HOST_BINARY("fscale", x, cc, a, b); break;
    case FPU_YL2X: HOST_BINARY_POP("fyl2x", x, cc, a, b); break;
    case FPU_YL2XP1: HOST_BINARY_POP("fyl2xp1", x, cc, a, b); break;
    case FPU_PATAN: HOST_BINARY_POP("fpatan", x, cc, a, b); break;
    case FPU_SQRT: HOST_UNARY("fsqrt", x, cc, a); break;
    case FPU_RNDINT: HOST_UNARY("frndint", x, cc, a); break;
    case FPU_F2XM1: HOST_UNARY("f2xm1", x, cc, a); break;
    case FPU_SIN: HOST_UNARY("fsin", x, cc, a); break;
    case FPU_COS: HOST_UNARY("fcos", x, cc, a); break;
    case FPU_ABS: HOST_UNARY("fabs", x, cc, a); break;
    case FPU_CHS: HOST_UNARY("fchs", x, cc, a); break;
    }
    *r = x;
    return host_leave(saved) | (cc & FSW_CC);
}

uint16_t fpu_host_op2(X86CPU *cpu, FpuHostOp2 op, long double a, long double *r0,
                      long double *r1)
{
    uint16_t saved = host_enter(cpu), cc = 0;
    long double x = a, y = a;

    switch (op) {
    case FPU_XTRACT:
        __asm__ volatile("fxtract\n\tfnstsw %%ax" : "=t"(x), "=u"(y), "=a"(cc) : "0"(a));
        break;
    case FPU_PTAN:
        __asm__ volatile("fptan\n\tfnstsw %%ax" : "=t"(x), "=u"(y), "=a"(cc) : "0"(a));
        break;
    case FPU_SINCOS:
        __asm__ volatile("fsincos\n\tfnstsw %%ax" : "=t"(x), "=u"(y), "=a"(cc) : "0"(a));
        break;
    }
    *r0 = x;
    *r1 = y;
    return host_leave(saved) | (cc & FSW_CC);
}

uint16_t fpu_host_compare(X86CPU *cpu, long double a, long double b, bool quiet)
{
    uint16_t saved = host_enter(cpu), cc;
    if (quiet) {
        __asm__ volatile("fucom %%st(1)\n\tfnstsw %%ax" : "=a"(cc) : "t"(a), "u"(b));
    } else {
        __asm__ volatile("fcom %%st(1)\n\tfnstsw %%ax" : "=a"(cc) : "t"(a), "u"(b));
    }
    return host_leave(saved) | (cc & FSW_CC);
}

/* ST(0) op= memory operand m, condition codes captured right after it. */
#define HOST_MEM(insn, x, cc, a, m) \
    __asm__ volatile(insn " %2\n\tfnstsw %%ax" : "=t"(x), "=a"(cc) : "m"(m), "0"(a))

/* The operation `op` (reversed for SUB/DIV when rev) with memory operand m; sfx is
 * the AT&T size suffix: "s" single, "l" double. */
#define HOST_MEM_OP(op, rev, sfx, x, cc, a, m)                                         \
    switch (op) {                                                                      \
    case FPU_ADD: HOST_MEM("fadd" sfx, x, cc, a, m); break;                            \
    case FPU_MUL: HOST_MEM("fmul" sfx, x, cc, a, m); break;                            \
    case FPU_SUB:                                                                      \
        if (rev) { HOST_MEM("fsubr" sfx, x, cc, a, m); }                               \
        else { HOST_MEM("fsub" sfx, x, cc, a, m); }                                    \
        break;                                                                         \
    default:                                                                           \
        if (rev) { HOST_MEM("fdivr" sfx, x, cc, a, m); }                               \
        else { HOST_MEM("fdiv" sfx, x, cc, a, m); }                                    \
        break;                                                                         \
    }

uint16_t fpu_host_op_mem(X86CPU *cpu, FpuHostOp op, bool rev, long double a,
                         uint64_t bits, unsigned size, long double *r)
{
    uint16_t saved = host_enter(cpu), cc = 0;
    long double x = a;
    uint32_t m32 = (uint32_t)bits;
    uint64_t m64 = bits;

    if (size == 4) {
        HOST_MEM_OP(op, rev, "s", x, cc, a, m32);
    } else {
        HOST_MEM_OP(op, rev, "l", x, cc, a, m64);
    }
    *r = x;
    return host_leave(saved) | (cc & FSW_CC);
}

uint16_t fpu_host_compare_mem(X86CPU *cpu, long double a, uint64_t bits, unsigned size)
{
    uint16_t saved = host_enter(cpu), cc;
    uint32_t m32 = (uint32_t)bits;
    if (size == 4) {
        __asm__ volatile("fcoms %1\n\tfnstsw %%ax" : "=a"(cc) : "m"(m32), "t"(a));
    } else {
        __asm__ volatile("fcoml %1\n\tfnstsw %%ax" : "=a"(cc) : "m"(bits), "t"(a));
    }
    return host_leave(saved) | (cc & FSW_CC);
}

uint16_t fpu_host_ld32(X86CPU *cpu, uint32_t bits, long double *r)
{
    uint16_t saved = host_enter(cpu);
    long double x;
    __asm__ volatile("flds %1" : "=t"(x) : "m"(bits));
    *r = x;
    return host_leave(saved);
}

uint16_t fpu_host_ld64(X86CPU *cpu, uint64_t bits, long double *r)
{
    uint16_t saved = host_enter(cpu);
    long double x;
    __asm__ volatile("fldl %1" : "=t"(x) : "m"(bits));
    *r = x;
    return host_leave(saved);
}

uint16_t fpu_host_st32(X86CPU *cpu, long double v, uint32_t *bits)
{
    uint16_t saved = host_enter(cpu), cc;
    uint32_t out;
    __asm__ volatile("fsts %0\n\tfnstsw %%ax" : "=m"(out), "=a"(cc) : "t"(v));
    *bits = out;
    return host_leave(saved) | (cc & FSW_C1);
}

uint16_t fpu_host_st64(X86CPU *cpu, long double v, uint64_t *bits)
{
    uint16_t saved = host_enter(cpu), cc;
    uint64_t out;
    __asm__ volatile("fstl %0\n\tfnstsw %%ax" : "=m"(out), "=a"(cc) : "t"(v));
    *bits = out;
    return host_leave(saved) | (cc & FSW_C1);
}

uint16_t fpu_host_sti(X86CPU *cpu, long double v, unsigned size, uint64_t *out)
{
    uint16_t saved = host_enter(cpu), cc;
    int16_t i16;
    int32_t i32;
    int64_t i64;

    switch (size) {
    case 2:
        __asm__ volatile("fists %0\n\tfnstsw %%ax" : "=m"(i16), "=a"(cc) : "t"(v));
        *out = (uint16_t)i16;
        break;
    case 4:
        __asm__ volatile("fistl %0\n\tfnstsw %%ax" : "=m"(i32), "=a"(cc) : "t"(v));
        *out = (uint32_t)i32;
        break;
    default:
        __asm__ volatile("fistpll %0\n\tfnstsw %%ax" : "=m"(i64), "=a"(cc) : "t"(v) : "st");
        *out = (uint64_t)i64;
        break;
    }
    return host_leave(saved) | (cc & FSW_C1);
}

typedef struct { uint8_t b[10]; } Bcd10;

uint16_t fpu_host_bcd_load(X86CPU *cpu, const uint8_t bcd[10], long double *r)
{
    uint16_t saved = host_enter(cpu);
    Bcd10 in;
    long double x;
    memcpy(in.b, bcd, 10);
    __asm__ volatile("fbld %1" : "=t"(x) : "m"(in));
    *r = x;
    return host_leave(saved);
}

uint16_t fpu_host_bcd_store(X86CPU *cpu, long double v, uint8_t bcd[10])
{
    uint16_t saved = host_enter(cpu), cc;
    Bcd10 out;
    __asm__ volatile("fbstp %0\n\tfnstsw %%ax" : "=m"(out), "=a"(cc) : "t"(v) : "st");
    memcpy(bcd, out.b, 10);
    return host_leave(saved) | (cc & FSW_C1);
}

long double fpu_host_const(X86CPU *cpu, unsigned which)
{
    uint16_t saved = host_enter(cpu);
    long double x;
    switch (which) {
    case 0: __asm__ volatile("fld1" : "=t"(x)); break;
    case 1: __asm__ volatile("fldl2t" : "=t"(x)); break;
    case 2: __asm__ volatile("fldl2e" : "=t"(x)); break;
    case 3: __asm__ volatile("fldpi" : "=t"(x)); break;
    case 4: __asm__ volatile("fldlg2" : "=t"(x)); break;
    case 5: __asm__ volatile("fldln2" : "=t"(x)); break;
    default: __asm__ volatile("fldz" : "=t"(x)); break;
    }
    host_leave(saved);
    return x;
}

/* ---- memory operands ---- */

uint64_t fpu_mem_ld(X86CPU *cpu, const X86DecodedInsn *insn, unsigned off, unsigned size)
{
    uint64_t ea = trunc_bits(exec_ea(cpu, insn) + off, insn->addrsize);
    return cpu_ld(cpu, insn->seg, ea, size);
}

void fpu_mem_st(X86CPU *cpu, const X86DecodedInsn *insn, unsigned off, uint64_t value,
                unsigned size)
{
    uint64_t ea = trunc_bits(exec_ea(cpu, insn) + off, insn->addrsize);
    cpu_st(cpu, insn->seg, ea, value, size);
}
