/*
 * Packed integer operations of MMX and SSE2 (and the bitwise SSE logic ops):
 * one element-wise function per operation, applied to 8 bytes for the MMX forms
 * and 16 for the XMM forms by a single dispatching handler; wrapping and
 * saturating add/subtract, multiplies, compares, min/max/average, PSADBW,
 * packs and unpacks, and the shifts (by register, memory or immediate, with
 * counts past the element width giving zero or the sign).
 */
#include "cpu/exec_simd.h"

#include <string.h>

/* d = d OP s over nb bytes (8 or 16). */
typedef void (*PintFn)(SimdVec *d, const SimdVec *s, unsigned nb);

static inline int8_t sat_s8(int v) { return v > 127 ? 127 : v < -128 ? -128 : (int8_t)v; }
static inline uint8_t sat_u8(int v) { return v > 255 ? 255 : v < 0 ? 0 : (uint8_t)v; }
static inline int16_t sat_s16(int32_t v)
{
    return v > 32767 ? 32767 : v < -32768 ? -32768 : (int16_t)v;
}
static inline uint16_t sat_u16(int32_t v)
{
    return v > 65535 ? 65535 : v < 0 ? 0 : (uint16_t)v;
}

/* An element-wise operation on the union member `f`, with a = d->f[i] and
 * b = s->f[i] promoted to int64_t (no int overflow in the expressions). */
#define ELEMWISE(name, f, expr)                                          \
    static void name(SimdVec *d, const SimdVec *s, unsigned nb)          \
    {                                                                    \
        for (unsigned i = 0; i < nb / sizeof(d->f[0]); i++) {            \
            int64_t a = d->f[i], b = s->f[i];                            \
            d->f[i] = (__typeof__(d->f[0]))(expr);                       \
        }                                                                \
    }

ELEMWISE(paddb, b, a + b)
ELEMWISE(paddw, w, a + b)
ELEMWISE(paddd, d, a + b)
ELEMWISE(psubb, b, a - b)
ELEMWISE(psubw, w, a - b)
ELEMWISE(psubd, d, a - b)
ELEMWISE(paddsb, sb, sat_s8((int)(a + b)))
ELEMWISE(paddsw, sw, sat_s16((int32_t)(a + b)))
ELEMWISE(paddusb, b, sat_u8((int)(a + b)))
ELEMWISE(paddusw, w, sat_u16((int32_t)(a + b)))
ELEMWISE(psubsb, sb, sat_s8((int)(a - b)))
ELEMWISE(psubsw, sw, sat_s16((int32_t)(a - b)))
ELEMWISE(psubusb, b, sat_u8((int)(a - b)))
ELEMWISE(psubusw, w, sat_u16((int32_t)(a - b)))
ELEMWISE(pmullw, w, (uint64_t)a * (uint64_t)b)
ELEMWISE(pmulhw, sw, (a * b) >> 16)
ELEMWISE(pmulhuw, w, (a * b) >> 16)
ELEMWISE(pcmpeqb, b, a == b ? 0xff : 0)
ELEMWISE(pcmpeqw, w, a == b ? 0xffff : 0)
ELEMWISE(pcmpeqd, d, a == b ? 0xffffffffu : 0)
ELEMWISE(pcmpgtb, sb, a > b ? -1 : 0)
ELEMWISE(pcmpgtw, sw, a > b ? -1 : 0)
ELEMWISE(pcmpgtd, sd, a > b ? -1 : 0)
ELEMWISE(pavgb, b, (a + b + 1) >> 1)
ELEMWISE(pavgw, w, (a + b + 1) >> 1)
ELEMWISE(pminub, b, a < b ? a : b)
ELEMWISE(pmaxub, b, a > b ? a : b)
ELEMWISE(pminsw, sw, a < b ? a : b)
ELEMWISE(pmaxsw, sw, a > b ? a : b)

/* 64-bit lanes: plain unsigned arithmetic (wraps). */
#define QWORDWISE(name, expr)                                            \
    static void name(SimdVec *d, const SimdVec *s, unsigned nb)          \
    {                                                                    \
        for (unsigned i = 0; i < nb / 8; i++) {                          \
            uint64_t a = d->q[i], b = s->q[i];                           \
            d->q[i] = (expr);                                            \
        }                                                                \
    }

QWORDWISE(paddq, a + b)
QWORDWISE(psubq, a - b)
QWORDWISE(pand, a & b)
QWORDWISE(pandn, ~a & b)
QWORDWISE(por, a | b)
QWORDWISE(pxor, a ^ b)

static void pmuludq(SimdVec *d, const SimdVec *s, unsigned nb)
{
    for (unsigned i = 0; i < nb / 8; i++) {
        d->q[i] = (uint64_t)d->d[2 * i] * s->d[2 * i];
    }
}

static void pmaddwd(SimdVec *d, const SimdVec *s, unsigned nb)
{
    for (unsigned i = 0; i < nb / 4; i++) {
        int64_t sum = (int64_t)d->sw[2 * i] * s->sw[2 * i] +
                      (int64_t)d->sw[2 * i + 1] * s->sw[2 * i + 1];
        d->d[i] = (uint32_t)sum;      /* only -32768^2 * 2 wraps, to 0x80000000 */
    }
}

static void psadbw(SimdVec *d, const SimdVec *s, unsigned nb)
{
    for (unsigned i = 0; i < nb / 8; i++) {
        unsigned sum = 0;
        for (unsigned j = 0; j < 8; j++) {
            int diff = d->b[8 * i + j] - s->b[8 * i + j];
            sum += (unsigned)(diff < 0 ? -diff : diff);
        }
        d->q[i] = sum;
    }
}

static void packsswb(SimdVec *d, const SimdVec *s, unsigned nb)
{
    SimdVec r = { .q = { 0, 0 } };
    unsigned n = nb / 2;
    for (unsigned i = 0; i < n; i++) {
        r.sb[i] = sat_s8(d->sw[i]);
        r.sb[n + i] = sat_s8(s->sw[i]);
    }
    *d = r;
}

static void packuswb(SimdVec *d, const SimdVec *s, unsigned nb)
{
    SimdVec r = { .q = { 0, 0 } };
    unsigned n = nb / 2;
    for (unsigned i = 0; i < n; i++) {
        r.b[i] = sat_u8(d->sw[i]);
        r.b[n + i] = sat_u8(s->sw[i]);
    }
    *d = r;
}

static void packssdw(SimdVec *d, const SimdVec *s, unsigned nb)
{
    SimdVec r = { .q = { 0, 0 } };
    unsigned n = nb / 4;
    for (unsigned i = 0; i < n; i++) {
        r.sw[i] = sat_s16(d->sd[i]);
        r.sw[n + i] = sat_s16(s->sd[i]);
    }
    *d = r;
}

/* Interleave elements of `size` bytes from the low (high = false) or high halves
 * of d and s: d0 s0 d1 s1 ... */
static void unpack(SimdVec *d, const SimdVec *s, unsigned nb, unsigned size, bool high)
{
    SimdVec r = { .q = { 0, 0 } };
    unsigned half = nb / 2, base = high ? half : 0;
    for (unsigned i = 0; i < half / size; i++) {
        memcpy(r.b + 2 * i * size, d->b + base + i * size, size);
        memcpy(r.b + (2 * i + 1) * size, s->b + base + i * size, size);
    }
    memcpy(d->b, r.b, nb);
}

#define UNPACK(name, size, high) \
    static void name(SimdVec *d, const SimdVec *s, unsigned nb) { unpack(d, s, nb, size, high); }
UNPACK(punpcklbw, 1, false)
UNPACK(punpcklwd, 2, false)
UNPACK(punpckldq, 4, false)
UNPACK(punpcklqdq, 8, false)
UNPACK(punpckhbw, 1, true)
UNPACK(punpckhwd, 2, true)
UNPACK(punpckhdq, 4, true)
UNPACK(punpckhqdq, 8, true)

static const PintFn pint_fns[X86_OP_COUNT] = {
    [X86_OP_PADDB] = paddb, [X86_OP_PADDW] = paddw, [X86_OP_PADDD] = paddd,
    [X86_OP_PADDQ] = paddq, [X86_OP_PSUBB] = psubb, [X86_OP_PSUBW] = psubw,
    [X86_OP_PSUBD] = psubd, [X86_OP_PSUBQ] = psubq,
    [X86_OP_PADDSB] = paddsb, [X86_OP_PADDSW] = paddsw, [X86_OP_PADDUSB] = paddusb,
    [X86_OP_PADDUSW] = paddusw, [X86_OP_PSUBSB] = psubsb, [X86_OP_PSUBSW] = psubsw,
    [X86_OP_PSUBUSB] = psubusb, [X86_OP_PSUBUSW] = psubusw,
    [X86_OP_PMULLW] = pmullw, [X86_OP_PMULHW] = pmulhw, [X86_OP_PMULHUW] = pmulhuw,
    [X86_OP_PMULUDQ] = pmuludq, [X86_OP_PMADDWD] = pmaddwd, [X86_OP_PSADBW] = psadbw,
    [X86_OP_PAND] = pand, [X86_OP_PANDN] = pandn, [X86_OP_POR] = por,
    [X86_OP_PXOR] = pxor,
    [X86_OP_ANDPS] = pand, [X86_OP_ANDPD] = pand, [X86_OP_ANDNPS] = pandn,
    [X86_OP_ANDNPD] = pandn, [X86_OP_ORPS] = por, [X86_OP_ORPD] = por,
    [X86_OP_XORPS] = pxor, [X86_OP_XORPD] = pxor,
    [X86_OP_PCMPEQB] = pcmpeqb, [X86_OP_PCMPEQW] = pcmpeqw, [X86_OP_PCMPEQD] = pcmpeqd,
    [X86_OP_PCMPGTB] = pcmpgtb, [X86_OP_PCMPGTW] = pcmpgtw, [X86_OP_PCMPGTD] = pcmpgtd,
    [X86_OP_PAVGB] = pavgb, [X86_OP_PAVGW] = pavgw, [X86_OP_PMINUB] = pminub,
    [X86_OP_PMAXUB] = pmaxub, [X86_OP_PMINSW] = pminsw, [X86_OP_PMAXSW] = pmaxsw,
    [X86_OP_PACKSSWB] = packsswb, [X86_OP_PACKUSWB] = packuswb,
    [X86_OP_PACKSSDW] = packssdw,
    [X86_OP_PUNPCKLBW] = punpcklbw, [X86_OP_PUNPCKLWD] = punpcklwd,
    [X86_OP_PUNPCKLDQ] = punpckldq, [X86_OP_PUNPCKLQDQ] = punpcklqdq,
    [X86_OP_PUNPCKHBW] = punpckhbw, [X86_OP_PUNPCKHWD] = punpckhwd,
    [X86_OP_PUNPCKHDQ] = punpckhdq, [X86_OP_PUNPCKHQDQ] = punpckhqdq,
    /* the floating-point unpacks move the same bits */
    [X86_OP_UNPCKLPS] = punpckldq, [X86_OP_UNPCKHPS] = punpckhdq,
    [X86_OP_UNPCKLPD] = punpcklqdq, [X86_OP_UNPCKHPD] = punpckhqdq,
};

/* Width in bytes of the vector an instruction works on: 8 for MMX forms. */
static unsigned vec_bytes(const X86DecodedInsn *insn)
{
    unsigned k = insn->operand[0];
    return (k == X86_OPND_Pq || k == X86_OPND_Nq || k == X86_OPND_Qq) ? 8 : 16;
}

static void exec_pint(X86CPU *cpu, const X86DecodedInsn *insn)
{
    SimdVec d, s;
    unsigned nb = vec_bytes(insn);
    PintFn fn = pint_fns[insn->op];

    simd_enter(cpu, insn);
    simd_read(cpu, insn, 1, &s);
    simd_read(cpu, insn, 0, &d);
    fn(&d, &s, nb);
    simd_write(cpu, insn, 0, &d, nb);
}

/* ---- shifts ---- */

static void shift_elems(SimdVec *v, unsigned nb, unsigned size, uint64_t count,
                        int kind)       /* kind: 0 left, 1 logical right, 2 arith */
{
    unsigned bits = size * 8;
    for (unsigned i = 0; i < nb / size; i++) {
        uint64_t x = 0;
        memcpy(&x, v->b + i * size, size);
        if (kind == 2) {
            int64_t sx = sext(x, bits);
            x = (uint64_t)(sx >> (count >= bits ? bits - 1 : count));
        } else if (count >= bits) {
            x = 0;
        } else {
            x = kind == 0 ? x << count : x >> count;
        }
        memcpy(v->b + i * size, &x, size);
    }
}

static void exec_pshift(X86CPU *cpu, const X86DecodedInsn *insn)
{
    SimdVec d, s;
    unsigned nb = vec_bytes(insn);
    uint64_t count;
    unsigned size = 2;
    int kind = 0;

    simd_enter(cpu, insn);
    if (insn->operand[1] == X86_OPND_Ib) {
        count = insn->imm & 0xff;
    } else {
        simd_read(cpu, insn, 1, &s);
        count = s.q[0];
    }
    simd_read(cpu, insn, 0, &d);
    switch (insn->op) {
    case X86_OP_PSLLW: size = 2; kind = 0; break;
    case X86_OP_PSLLD: size = 4; kind = 0; break;
    case X86_OP_PSLLQ: size = 8; kind = 0; break;
    case X86_OP_PSRLW: size = 2; kind = 1; break;
    case X86_OP_PSRLD: size = 4; kind = 1; break;
    case X86_OP_PSRLQ: size = 8; kind = 1; break;
    case X86_OP_PSRAW: size = 2; kind = 2; break;
    case X86_OP_PSRAD: size = 4; kind = 2; break;
    case X86_OP_PSLLDQ: case X86_OP_PSRLDQ: {
        SimdVec r = { .q = { 0, 0 } };
        unsigned n = count > 16 ? 16 : (unsigned)count;
        if (insn->op == X86_OP_PSLLDQ) {
            memcpy(r.b + n, d.b, 16 - n);
        } else {
            memcpy(r.b, d.b + n, 16 - n);
        }
        simd_write(cpu, insn, 0, &r, 16);
        return;
    }
    default:
        cpu_raise(cpu, EXCP_UD);
    }
    shift_elems(&d, nb, size, count, kind);
    simd_write(cpu, insn, 0, &d, nb);
}

void simd_register_int(ExecFn *table)
{
    for (unsigned op = 0; op < X86_OP_COUNT; op++) {
        if (pint_fns[op]) {
            table[op] = exec_pint;
        }
    }
    static const uint16_t shifts[] = {
        X86_OP_PSLLW, X86_OP_PSLLD, X86_OP_PSLLQ, X86_OP_PSRLW, X86_OP_PSRLD,
        X86_OP_PSRLQ, X86_OP_PSRAW, X86_OP_PSRAD, X86_OP_PSLLDQ, X86_OP_PSRLDQ,
    };
    for (unsigned i = 0; i < sizeof(shifts) / sizeof(shifts[0]); i++) {
        table[shifts[i]] = exec_pshift;
    }
}
