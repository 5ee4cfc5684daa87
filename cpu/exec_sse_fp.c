/*
 * SSE/SSE2 floating point: the MXCSR environment (guest rounding mode applied to
 * the host around each operation, host exception flags mapped to IE/ZE/OE/UE/PE,
 * DE / DAZ / FTZ and NaN rules done in software), packed and scalar arithmetic
 * (ADD SUB MUL DIV MIN MAX SQRT), the approximations RCP / RSQRT, the compares
 * CMPccPS/PD/SS/SD and (U)COMISS/SD, and every conversion between 32/64-bit
 * integers, singles and doubles.
 *
 * Values are handled as raw bits (uint64_t; singles in the low 32). NaNs are dealt
 * with before the host sees them, so results follow the x86 rules (the first NaN
 * operand, quieted; the "real indefinite" for invalid operations) on any host.
 * Singles are computed in double and rounded once to single: for + - * / and sqrt
 * double (53 bits) is wide enough for that to be correctly rounded in every
 * rounding mode. Host arithmetic goes through volatile variables so that the
 * compiler neither folds it nor moves it out of the guest's rounding mode.
 */
#include "cpu/exec_simd.h"

#include <math.h>
#include <string.h>

/* ---- environment ---- */

void simd_fp_begin(X86CPU *cpu, SimdFpEnv *env)
{
    static const int modes[4] = { FE_TONEAREST, FE_DOWNWARD, FE_UPWARD, FE_TOWARDZERO };

    env->mxcsr = cpu->s.fpu.mxcsr;
    env->flags = 0;
    fegetenv(&env->host);
    fesetround(modes[(env->mxcsr >> MXCSR_RC_SHIFT) & 3]);
    feclearexcept(FE_ALL_EXCEPT);
}

void simd_fp_end(X86CPU *cpu, SimdFpEnv *env)
{
    int host = fetestexcept(FE_ALL_EXCEPT);
    uint32_t flags = env->flags;

    if (host & FE_INVALID) {
        flags |= MXCSR_IE;
    }
    if (host & FE_DIVBYZERO) {
        flags |= MXCSR_ZE;
    }
    if (host & FE_OVERFLOW) {
        flags |= MXCSR_OE;
    }
    if (host & FE_UNDERFLOW) {
        flags |= MXCSR_UE;
    }
    if (host & FE_INEXACT) {
        flags |= MXCSR_PE;
    }
    fesetenv(&env->host);
    cpu->s.fpu.mxcsr |= flags;
    if (flags & ~(env->mxcsr >> MXCSR_MASK_SHIFT) & MXCSR_FLAGS) {
        cpu_raise(cpu, (cpu->s.cr4 & X86_CR4_OSXMMEXCPT) ? EXCP_XM : EXCP_UD);
    }
}

/* ---- raw-bit helpers ---- */

static inline unsigned fp_frac_bits(bool dbl) { return dbl ? 52 : 23; }
static inline uint64_t fp_exp_mask(bool dbl)
{
    return dbl ? UINT64_C(0x7ff0000000000000) : 0x7f800000u;
}
static inline uint64_t fp_frac_mask(bool dbl)
{
    return (UINT64_C(1) << fp_frac_bits(dbl)) - 1;
}
static inline uint64_t fp_sign(uint64_t x, bool dbl)
{
    return x & (UINT64_C(1) << (dbl ? 63 : 31));
}
static inline bool fp_is_nan(uint64_t x, bool dbl)
{
    return (x & fp_exp_mask(dbl)) == fp_exp_mask(dbl) && (x & fp_frac_mask(dbl));
}
static inline uint64_t fp_quiet_bit(bool dbl)
{
    return UINT64_C(1) << (fp_frac_bits(dbl) - 1);
}
static inline bool fp_is_snan(uint64_t x, bool dbl)
{
    return fp_is_nan(x, dbl) && !(x & fp_quiet_bit(dbl));
}
static inline uint64_t fp_quiet(uint64_t x, bool dbl) { return x | fp_quiet_bit(dbl); }
static inline bool fp_is_denormal(uint64_t x, bool dbl)
{
    return !(x & fp_exp_mask(dbl)) && (x & fp_frac_mask(dbl));
}
static inline bool fp_is_zero(uint64_t x, bool dbl)
{
    return !(x & (fp_exp_mask(dbl) | fp_frac_mask(dbl)));
}
static inline uint64_t fp_indefinite(bool dbl)
{
    return dbl ? UINT64_C(0xfff8000000000000) : 0xffc00000u;
}
static inline uint64_t fp_inf(bool negative, bool dbl)
{
    return fp_exp_mask(dbl) | (negative ? (dbl ? UINT64_C(1) << 63 : 1u << 31) : 0);
}

static double fp_to_host(uint64_t x, bool dbl)
{
    if (dbl) {
        double d;
        memcpy(&d, &x, 8);
        return d;
    }
    uint32_t u = (uint32_t)x;
    float f;
    memcpy(&f, &u, 4);
    return f;
}

/* A denormal input: flushed to zero under DAZ, else it raises DE. */
static uint64_t fp_input(SimdFpEnv *env, uint64_t x, bool dbl)
{
    if (fp_is_denormal(x, dbl)) {
        if (env->mxcsr & MXCSR_DAZ) {
            return fp_sign(x, dbl);
        }
        env->flags |= MXCSR_DE;
    }
    return x;
}

/* Round a host double to the destination format (host flags record OE/UE/PE),
 * then flush a denormal result to zero under FTZ with underflow masked. */
static uint64_t fp_from_host(SimdFpEnv *env, double r, bool dbl)
{
    uint64_t bits;

    if (dbl) {
        volatile double v = r;
        double out = v;
        memcpy(&bits, &out, 8);
    } else {
        volatile float v = (float)r;
        float out = v;
        uint32_t u;
        memcpy(&u, &out, 4);
        bits = u;
    }
    if (fp_is_denormal(bits, dbl) && (env->mxcsr & MXCSR_FZ) &&
        (env->mxcsr & (MXCSR_UE << MXCSR_MASK_SHIFT))) {
        env->flags |= MXCSR_UE | MXCSR_PE;
        bits = fp_sign(bits, dbl);
    }
    return bits;
}

/* ---- arithmetic ---- */

enum { FA_ADD = 1, FA_SUB, FA_MUL, FA_DIV, FA_MIN, FA_MAX, FA_SQRT };

static uint64_t fp_arith(SimdFpEnv *env, int kind, uint64_t a, uint64_t b, bool dbl)
{
    if (kind == FA_MIN || kind == FA_MAX) {
        /* any NaN (signalling or not) is invalid; NaNs and equal values give the
         * second operand */
        if (fp_is_nan(a, dbl) || fp_is_nan(b, dbl)) {
            env->flags |= MXCSR_IE;
            return b;
        }
        a = fp_input(env, a, dbl);
        b = fp_input(env, b, dbl);
        double x = fp_to_host(a, dbl), y = fp_to_host(b, dbl);
        if (kind == FA_MIN) {
            return x < y ? a : b;
        }
        return x > y ? a : b;
    }
    if (kind == FA_SQRT) {
        if (fp_is_nan(b, dbl)) {
            env->flags |= fp_is_snan(b, dbl) ? MXCSR_IE : 0;
            return fp_quiet(b, dbl);
        }
        /* a negative operand is invalid, and then no DE is reported for it */
        bool flushed = fp_is_denormal(b, dbl) && (env->mxcsr & MXCSR_DAZ);
        if (fp_sign(b, dbl) && !fp_is_zero(b, dbl) && !flushed) {
            env->flags |= MXCSR_IE;
            return fp_indefinite(dbl);
        }
        b = fp_input(env, b, dbl);
        volatile double y = fp_to_host(b, dbl);
        volatile double r = sqrt(y);
        return fp_from_host(env, r, dbl);
    }
    if (fp_is_nan(a, dbl) || fp_is_nan(b, dbl)) {
        if (fp_is_snan(a, dbl) || fp_is_snan(b, dbl)) {
            env->flags |= MXCSR_IE;
        }
        return fp_quiet(fp_is_nan(a, dbl) ? a : b, dbl);
    }
    /* At most one pre-computation exception per lane: invalid, then divide by
     * zero, then denormal. DE from this lane is held back until both are ruled out. */
    uint32_t before = env->flags;
    a = fp_input(env, a, dbl);
    b = fp_input(env, b, dbl);
    uint32_t lane_de = env->flags & ~before & MXCSR_DE;
    env->flags &= ~lane_de;
    volatile double x = fp_to_host(a, dbl), y = fp_to_host(b, dbl);
    volatile double r;
    switch (kind) {
    case FA_ADD: r = x + y; break;
    case FA_SUB: r = x - y; break;
    case FA_MUL: r = x * y; break;
    default: r = x / y; break;
    }
    if (isnan(r)) {                  /* inf - inf, 0 * inf, 0 / 0, inf / inf */
        env->flags |= MXCSR_IE;
        return fp_indefinite(dbl);
    }
    if (kind != FA_DIV || y != 0) {
        env->flags |= lane_de;
    }
    return fp_from_host(env, r, dbl);
}

typedef struct FpOpInfo {
    uint8_t kind;      /* FA_* (0: not an entry) */
    bool dbl;
    bool scalar;
} FpOpInfo;

#define FP4(base, k) \
    [X86_OP_##base##PS] = { k, false, false }, [X86_OP_##base##PD] = { k, true, false }, \
    [X86_OP_##base##SS] = { k, false, true }, [X86_OP_##base##SD] = { k, true, true }

static const FpOpInfo fp_ops[X86_OP_COUNT] = {
    FP4(ADD, FA_ADD), FP4(SUB, FA_SUB), FP4(MUL, FA_MUL), FP4(DIV, FA_DIV),
    FP4(MIN, FA_MIN), FP4(MAX, FA_MAX), FP4(SQRT, FA_SQRT),
};

static inline uint64_t lane_get(const SimdVec *v, unsigned i, bool dbl)
{
    return dbl ? v->q[i] : v->d[i];
}
static inline void lane_set(SimdVec *v, unsigned i, bool dbl, uint64_t x)
{
    if (dbl) {
        v->q[i] = x;
    } else {
        v->d[i] = (uint32_t)x;
    }
}

static void exec_fp_arith(X86CPU *cpu, const X86DecodedInsn *insn)
{
    const FpOpInfo *info = &fp_ops[insn->op];
    unsigned lanes = info->scalar ? 1 : info->dbl ? 2 : 4;
    SimdVec d, s;
    SimdFpEnv env;

    simd_enter(cpu, insn);
    simd_read(cpu, insn, 1, &s);
    simd_read(cpu, insn, 0, &d);
    simd_fp_begin(cpu, &env);
    for (unsigned i = 0; i < lanes; i++) {
        lane_set(&d, i, info->dbl,
                 fp_arith(&env, info->kind, lane_get(&d, i, info->dbl),
                          lane_get(&s, i, info->dbl), info->dbl));
    }
    simd_fp_end(cpu, &env);
    simd_write(cpu, insn, 0, &d, 16);
}

/* RCPPS/RCPSS/RSQRTPS/RSQRTSS: computed exactly (well within the architectural
 * 1.5 * 2^-12 relative error); they raise no exceptions. Denormal inputs count as
 * zero and tiny results are flushed to zero, as on hardware. */
static uint32_t fp_approx(uint32_t x, bool rsqrt)
{
    if (fp_is_nan(x, false)) {
        return (uint32_t)fp_quiet(x, false);
    }
    bool neg = fp_sign(x, false) != 0;
    if (fp_is_zero(x, false) || fp_is_denormal(x, false)) {
        return (uint32_t)fp_inf(neg, false);
    }
    if (rsqrt && neg) {
        return (uint32_t)fp_indefinite(false);
    }
    if ((x & 0x7fffffffu) == 0x7f800000u) {
        return (uint32_t)fp_sign(x, false);
    }
    double v = fp_to_host(x, false);
    float r = (float)(rsqrt ? 1.0 / sqrt(v) : 1.0 / v);
    uint32_t u;
    memcpy(&u, &r, 4);
    if (fp_is_denormal(u, false)) {
        u &= 0x80000000u;
    }
    return u;
}

static void exec_fp_approx(X86CPU *cpu, const X86DecodedInsn *insn)
{
    bool rsqrt = insn->op == X86_OP_RSQRTPS || insn->op == X86_OP_RSQRTSS;
    bool scalar = insn->op == X86_OP_RCPSS || insn->op == X86_OP_RSQRTSS;
    SimdVec d, s;

    simd_enter(cpu, insn);
    simd_read(cpu, insn, 1, &s);
    simd_read(cpu, insn, 0, &d);
    for (unsigned i = 0; i < (scalar ? 1u : 4u); i++) {
        d.d[i] = fp_approx(s.d[i], rsqrt);
    }
    simd_write(cpu, insn, 0, &d, 16);
}

/* ---- compares ---- */

/* CMPccPS predicate 0-7 (EQ LT LE UNORD NEQ NLT NLE ORD). */
static bool fp_compare(SimdFpEnv *env, unsigned pred, uint64_t a, uint64_t b, bool dbl)
{
    bool unordered = fp_is_nan(a, dbl) || fp_is_nan(b, dbl);
    bool signalling = pred == 1 || pred == 2 || pred == 5 || pred == 6;

    if (unordered) {
        if (signalling || fp_is_snan(a, dbl) || fp_is_snan(b, dbl)) {
            env->flags |= MXCSR_IE;
        }
        return pred == 3 || pred == 4 || pred == 5 || pred == 6;
    }
    a = fp_input(env, a, dbl);
    b = fp_input(env, b, dbl);
    double x = fp_to_host(a, dbl), y = fp_to_host(b, dbl);
    bool eq = x == y, lt = x < y;
    switch (pred & 7) {
    case 0: return eq;
    case 1: return lt;
    case 2: return lt || eq;
    case 3: return false;
    case 4: return !eq;
    case 5: return !lt;
    case 6: return !(lt || eq);
    default: return true;
    }
}

static void exec_fp_cmp(X86CPU *cpu, const X86DecodedInsn *insn)
{
    bool dbl = insn->op == X86_OP_CMPPD || insn->op == X86_OP_CMPSD;
    bool scalar = insn->op == X86_OP_CMPSS || insn->op == X86_OP_CMPSD;
    unsigned lanes = scalar ? 1 : dbl ? 2 : 4;
    unsigned pred = (unsigned)insn->imm & 7;
    SimdVec d, s;
    SimdFpEnv env;

    simd_enter(cpu, insn);
    simd_read(cpu, insn, 1, &s);
    simd_read(cpu, insn, 0, &d);
    simd_fp_begin(cpu, &env);
    for (unsigned i = 0; i < lanes; i++) {
        bool r = fp_compare(&env, pred, lane_get(&d, i, dbl), lane_get(&s, i, dbl), dbl);
        lane_set(&d, i, dbl, r ? UINT64_MAX : 0);
    }
    simd_fp_end(cpu, &env);
    simd_write(cpu, insn, 0, &d, 16);
}

/* COMISS/COMISD (invalid on any NaN) and UCOMISS/UCOMISD (on signalling NaNs):
 * ZF PF CF = 111 unordered, 000 greater, 001 less, 100 equal; OF SF AF = 0. */
static void exec_fp_comi(X86CPU *cpu, const X86DecodedInsn *insn)
{
    bool dbl = insn->op == X86_OP_COMISD || insn->op == X86_OP_UCOMISD;
    bool quiet = insn->op == X86_OP_UCOMISS || insn->op == X86_OP_UCOMISD;
    SimdVec d, s;
    SimdFpEnv env;
    uint32_t flags;

    simd_enter(cpu, insn);
    simd_read(cpu, insn, 1, &s);
    simd_read(cpu, insn, 0, &d);
    uint64_t a = lane_get(&d, 0, dbl), b = lane_get(&s, 0, dbl);
    simd_fp_begin(cpu, &env);
    if (fp_is_nan(a, dbl) || fp_is_nan(b, dbl)) {
        if (!quiet || fp_is_snan(a, dbl) || fp_is_snan(b, dbl)) {
            env.flags |= MXCSR_IE;
        }
        flags = X86_FLAG_ZF | X86_FLAG_PF | X86_FLAG_CF;
    } else {
        double x = fp_to_host(fp_input(&env, a, dbl), dbl);
        double y = fp_to_host(fp_input(&env, b, dbl), dbl);
        flags = x == y ? X86_FLAG_ZF : x < y ? X86_FLAG_CF : 0;
    }
    simd_fp_end(cpu, &env);
    exec_set_flags(cpu, X86_ARITH_FLAGS, flags);
}

/* ---- conversions ---- */

enum { CV_I32 = 1, CV_I64, CV_F32, CV_F64 };

/* Float to integer: NaN and out-of-range values are invalid and give the integer
 * indefinite (only the sign bit set); otherwise rounded by MXCSR.RC (or
 * truncated), with PE when inexact. */
static uint64_t fp_to_int(SimdFpEnv *env, uint64_t x, bool dbl, unsigned bits,
                          bool truncate)
{
    uint64_t indefinite = UINT64_C(1) << (bits - 1);

    if (fp_is_nan(x, dbl)) {
        env->flags |= MXCSR_IE;
        return indefinite;
    }
    if (fp_is_denormal(x, dbl) && (env->mxcsr & MXCSR_DAZ)) {
        x = fp_sign(x, dbl);
    }
    volatile double v = fp_to_host(x, dbl);
    /* the host's rounding helpers may raise inexact: PE is decided below */
    fexcept_t host_flags;
    fegetexceptflag(&host_flags, FE_ALL_EXCEPT);
    double r = truncate ? trunc(v) : nearbyint(v);
    fesetexceptflag(&host_flags, FE_ALL_EXCEPT);
    bool in_range = bits == 32 ? (r >= -2147483648.0 && r <= 2147483647.0)
                               : (r >= -9223372036854775808.0 && r < 9223372036854775808.0);
    if (!in_range) {
        env->flags |= MXCSR_IE;
        return indefinite;
    }
    if (r != v) {
        env->flags |= MXCSR_PE;
    }
    return trunc_bits((uint64_t)(int64_t)r, bits);
}

/* A NaN converted between single and double keeps its sign and top payload bits
 * and becomes quiet. */
static uint64_t fp_nan_convert(uint64_t x, bool from_dbl)
{
    if (from_dbl) {
        return (uint32_t)(((x >> 63) << 31) | 0x7fc00000u |
                          ((x & fp_frac_mask(true)) >> 29));
    }
    return ((x >> 31) << 63) | UINT64_C(0x7ff8000000000000) |
           ((x & fp_frac_mask(false)) << 29);
}

static uint64_t cvt_elem(SimdFpEnv *env, uint64_t x, int from, int to, bool truncate)
{
    if (from == CV_I32 || from == CV_I64) {
        volatile int64_t v = from == CV_I32 ? (int64_t)(int32_t)x : (int64_t)x;
        uint64_t bits;
        if (to == CV_F32) {
            volatile float f = (float)v;
            float out = f;
            uint32_t u;
            memcpy(&u, &out, 4);
            bits = u;
        } else {
            volatile double f = (double)v;
            double out = f;
            memcpy(&bits, &out, 8);
        }
        return bits;
    }
    bool dbl = from == CV_F64;
    if (to == CV_I32 || to == CV_I64) {
        return fp_to_int(env, x, dbl, to == CV_I32 ? 32 : 64, truncate);
    }
    if (fp_is_nan(x, dbl)) {
        env->flags |= fp_is_snan(x, dbl) ? MXCSR_IE : 0;
        return fp_nan_convert(x, dbl);
    }
    x = fp_input(env, x, dbl);
    return fp_from_host(env, fp_to_host(x, dbl), to == CV_F64);
}

typedef struct CvtInfo {
    uint8_t from, to;        /* CV_*; CV_I64 for Ey / Gy means "by operand size" */
    uint8_t lanes;
    bool truncate;
    bool keep;               /* the rest of the destination XMM register is kept
                                (else zeroed) */
} CvtInfo;

static const CvtInfo cvt_ops[X86_OP_COUNT] = {
    [X86_OP_CVTSI2SS] = { CV_I64, CV_F32, 1, false, true },
    [X86_OP_CVTSI2SD] = { CV_I64, CV_F64, 1, false, true },
    [X86_OP_CVTSS2SI] = { CV_F32, CV_I64, 1, false, false },
    [X86_OP_CVTSD2SI] = { CV_F64, CV_I64, 1, false, false },
    [X86_OP_CVTTSS2SI] = { CV_F32, CV_I64, 1, true, false },
    [X86_OP_CVTTSD2SI] = { CV_F64, CV_I64, 1, true, false },
    [X86_OP_CVTPS2PD] = { CV_F32, CV_F64, 2, false, false },
    [X86_OP_CVTPD2PS] = { CV_F64, CV_F32, 2, false, false },
    [X86_OP_CVTSS2SD] = { CV_F32, CV_F64, 1, false, true },
    [X86_OP_CVTSD2SS] = { CV_F64, CV_F32, 1, false, true },
    [X86_OP_CVTDQ2PS] = { CV_I32, CV_F32, 4, false, false },
    [X86_OP_CVTPS2DQ] = { CV_F32, CV_I32, 4, false, false },
    [X86_OP_CVTTPS2DQ] = { CV_F32, CV_I32, 4, true, false },
    [X86_OP_CVTDQ2PD] = { CV_I32, CV_F64, 2, false, false },
    [X86_OP_CVTPD2DQ] = { CV_F64, CV_I32, 2, false, false },
    [X86_OP_CVTTPD2DQ] = { CV_F64, CV_I32, 2, true, false },
    [X86_OP_CVTPI2PS] = { CV_I32, CV_F32, 2, false, true },
    [X86_OP_CVTPS2PI] = { CV_F32, CV_I32, 2, false, false },
    [X86_OP_CVTTPS2PI] = { CV_F32, CV_I32, 2, true, false },
    [X86_OP_CVTPI2PD] = { CV_I32, CV_F64, 2, false, false },
    [X86_OP_CVTPD2PI] = { CV_F64, CV_I32, 2, false, false },
    [X86_OP_CVTTPD2PI] = { CV_F64, CV_I32, 2, true, false },
};

static unsigned cv_size(int kind)
{
    return kind == CV_I32 || kind == CV_F32 ? 4 : 8;
}

static void exec_fp_cvt(X86CPU *cpu, const X86DecodedInsn *insn)
{
    const CvtInfo *info = &cvt_ops[insn->op];
    int from = info->from, to = info->to;
    SimdVec s, r;
    SimdFpEnv env;
    unsigned dest = insn->operand[0];
    bool to_gpr = dest == X86_OPND_Gy;

    simd_enter(cpu, insn);
    if (insn->operand[1] == X86_OPND_Ey && exec_operand_bits(insn, 1) == 32) {
        from = CV_I32;
    }
    if (to_gpr && exec_operand_bits(insn, 0) == 32) {
        to = CV_I32;
    }
    simd_read(cpu, insn, 1, &s);
    if (info->keep) {
        simd_read(cpu, insn, 0, &r);
    } else {
        memset(&r, 0, sizeof(r));
    }
    unsigned fs = cv_size(from), ts = cv_size(to);
    simd_fp_begin(cpu, &env);
    for (unsigned i = 0; i < info->lanes; i++) {
        uint64_t x = 0, y;
        memcpy(&x, s.b + i * fs, fs);
        y = cvt_elem(&env, x, from, to, info->truncate);
        memcpy(r.b + i * ts, &y, ts);
    }
    simd_fp_end(cpu, &env);
    if (to_gpr) {
        simd_write(cpu, insn, 0, &r, ts);
    } else {
        simd_write(cpu, insn, 0, &r, dest == X86_OPND_Pq ? 8 : 16);
    }
}

void simd_register_fp(ExecFn *table)
{
    for (unsigned op = 0; op < X86_OP_COUNT; op++) {
        if (fp_ops[op].kind) {
            table[op] = exec_fp_arith;
        }
        if (cvt_ops[op].from) {
            table[op] = exec_fp_cvt;
        }
    }
    table[X86_OP_RCPPS] = exec_fp_approx;
    table[X86_OP_RCPSS] = exec_fp_approx;
    table[X86_OP_RSQRTPS] = exec_fp_approx;
    table[X86_OP_RSQRTSS] = exec_fp_approx;
    table[X86_OP_CMPPS] = exec_fp_cmp;
    table[X86_OP_CMPPD] = exec_fp_cmp;
    table[X86_OP_CMPSS] = exec_fp_cmp;
    table[X86_OP_CMPSD] = exec_fp_cmp;
    table[X86_OP_COMISS] = exec_fp_comi;
    table[X86_OP_COMISD] = exec_fp_comi;
    table[X86_OP_UCOMISS] = exec_fp_comi;
    table[X86_OP_UCOMISD] = exec_fp_comi;
}
