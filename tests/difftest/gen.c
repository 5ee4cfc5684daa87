/*
 * Random snippet generator for the differential tester: builds 64-bit ring-3
 * instruction groups (an instruction plus the setup moves that keep its memory
 * operands inside the data buffer) with random operands and random initial flags,
 * and records for each group which flags it defines, leaves undefined and reads.
 *
 * Undefined-flag masks (Intel SDM vol. 2 "Flags Affected", cross-checked against
 * the AMD APM vol. 3 where the host is an AMD part; where one vendor says
 * "unaffected" and the other "undefined" the flag is treated as undefined):
 *   AND/OR/XOR/TEST     AF undefined (OF, CF cleared; SF ZF PF from the result)
 *   SHL/SHR/SAR         count (masked) 0: flags unaffected; otherwise AF undefined,
 *                       OF undefined unless the masked count is 1, and for SHL/SHR
 *                       CF undefined when the count is >= the operand size
 *   ROL/ROR/RCL/RCR     count 0: unaffected; OF undefined unless the masked count is 1
 *   SHLD/SHRD           count 0: unaffected; AF undefined, OF undefined unless count
 *                       is 1; a 16-bit count > 16 makes the result undefined, so the
 *                       generator never produces one
 *   BT/BTS/BTR/BTC      CF defined; OF SF AF PF undefined; ZF "unaffected" (Intel) but
 *                       "undefined" (AMD): masked
 *   BSF/BSR             ZF defined; CF OF SF AF PF undefined. The destination for a
 *                       zero source is left unchanged by both vendors in practice
 *                       (AMD documents it): compared, not masked
 *   MUL/IMUL            CF OF defined; SF ZF AF PF undefined
 *   DIV/IDIV            all arithmetic flags undefined
 * A group that reads a flag currently undefined (ADC/SBB, RCL/RCR, CMOVcc, SETcc,
 * LAHF) is never generated, so undefined values never reach a register.
 */
#include "tests/difftest/gen.h"

#include <string.h>

#define ALL_ARITH DT_ARITH

static const char *const class_names[DT_CLASS_COUNT] = {
    [DT_CLASS_ALU] = "alu", [DT_CLASS_SHIFT] = "shift", [DT_CLASS_BIT] = "bit",
    [DT_CLASS_MULDIV] = "muldiv", [DT_CLASS_STRING] = "string", [DT_CLASS_MOVE] = "move",
    [DT_CLASS_SSE2] = "sse2", [DT_CLASS_X87] = "x87", [DT_CLASS_BCD] = "bcd",
};

const char *dt_class_name(DtClass cls)
{
    return cls < DT_CLASS_COUNT ? class_names[cls] : "?";
}

int dt_class_parse(const char *name)
{
    for (int i = 0; i < DT_CLASS_COUNT; i++) {
        if (strcmp(name, class_names[i]) == 0) {
            return i;
        }
    }
    return -1;
}

uint64_t dt_rand_mix(uint64_t x)
{
    x += UINT64_C(0x9e3779b97f4a7c15);
    x = (x ^ (x >> 30)) * UINT64_C(0xbf58476d1ce4e5b9);
    x = (x ^ (x >> 27)) * UINT64_C(0x94d049bb133111eb);
    return x ^ (x >> 31);
}

/* ---------------------------------------------------------------- emitter */

typedef struct Gen {
    uint64_t rng;
    uint8_t buf[64];          /* the group being built */
    unsigned n;
    uint16_t def, undef, reads;
} Gen;

static uint64_t rnd(Gen *g)
{
    g->rng = dt_rand_mix(g->rng);
    return g->rng;
}

static unsigned rn(Gen *g, unsigned n)       /* 0..n-1 */
{
    return (unsigned)(rnd(g) % n);
}

static bool chance(Gen *g, unsigned percent)
{
    return rn(g, 100) < percent;
}

static void emit(Gen *g, uint8_t b)
{
    if (g->n < sizeof(g->buf)) {
        g->buf[g->n++] = b;
    }
}

static void emit_imm(Gen *g, uint64_t v, unsigned bytes)
{
    for (unsigned i = 0; i < bytes; i++) {
        emit(g, (uint8_t)(v >> (8 * i)));
    }
}

/* A ModRM r/m operand: a register, or [RBX + disp] (optionally through a SIB). */
typedef struct Rm {
    bool mem;
    int reg;
    int32_t disp;
    bool sib;
} Rm;

static Rm rm_reg(int reg) { return (Rm){ .reg = reg }; }

static Rm rm_mem(Gen *g, int32_t disp)
{
    return (Rm){ .mem = true, .reg = 3, .disp = disp, .sib = chance(g, 25) };
}

/* A random in-buffer displacement for an access of `bytes`. */
static int32_t rand_disp(Gen *g, unsigned bytes)
{
    if (chance(g, 30)) {
        return (int32_t)rn(g, 128 - bytes + 1);        /* disp8 form */
    }
    return (int32_t)rn(g, DT_PAGE - bytes + 1);
}

/*
 * Emit [66] [REX] opcode ModRM [SIB] [disp]. size is the operand size in bits
 * (8 uses the opcode the caller chose; 16 adds 66; 64 sets REX.W unless no_w);
 * force_rex adds a REX byte even when no bit is needed (8-bit SPL..DIL).
 */
static void enc(Gen *g, unsigned size, bool force_rex, const uint8_t *op, unsigned oplen,
                int regfield, Rm rm)
{
    uint8_t rex = 0x40;
    if (size == 16) {
        emit(g, 0x66);
    }
    if (size == 64) {
        rex |= 8;
    }
    if (regfield & 8) {
        rex |= 4;
    }
    if (!rm.mem && (rm.reg & 8)) {
        rex |= 1;
    }
    if (rex != 0x40 || force_rex) {
        emit(g, rex);
    }
    for (unsigned i = 0; i < oplen; i++) {
        emit(g, op[i]);
    }
    unsigned reg = (unsigned)regfield & 7;
    if (!rm.mem) {
        emit(g, (uint8_t)(0xc0 | reg << 3 | (rm.reg & 7)));
        return;
    }
    unsigned mod = rm.disp >= -128 && rm.disp < 128 ? 1 : 2;
    if (rm.sib) {
        emit(g, (uint8_t)(mod << 6 | reg << 3 | 4));
        emit(g, (uint8_t)((rn(g, 4) << 6) | (4 << 3) | 3));   /* no index, base RBX */
    } else {
        emit(g, (uint8_t)(mod << 6 | reg << 3 | 3));
    }
    emit_imm(g, (uint64_t)(int64_t)rm.disp, mod == 1 ? 1 : 4);
}

static void enc1(Gen *g, unsigned size, bool force_rex, uint8_t op, int regfield, Rm rm)
{
    enc(g, size, force_rex, &op, 1, regfield, rm);
}

static void enc2(Gen *g, unsigned size, bool force_rex, uint8_t op2, int regfield, Rm rm)
{
    uint8_t op[2] = { 0x0f, op2 };
    enc(g, size, force_rex, op, 2, regfield, rm);
}

static unsigned rand_size(Gen *g)
{
    static const unsigned sizes[4] = { 8, 16, 32, 64 };
    return sizes[rn(g, 4)];
}

static unsigned rand_size_nobyte(Gen *g)
{
    static const unsigned sizes[3] = { 16, 32, 64 };
    return sizes[rn(g, 3)];
}

/*
 * Register choice. For 8-bit operands without REX, numbers 4-7 are AH CH DH BH;
 * with REX they are SPL BPL SIL DIL. Destinations never touch RBX (the buffer base)
 * or RSP (the stack).
 */
typedef struct RegCtx {
    unsigned size;
    bool rex;               /* 8-bit: REX present (SPL..DIL, R8B..) */
} RegCtx;

static RegCtx reg_ctx(Gen *g, unsigned size)
{
    return (RegCtx){ .size = size, .rex = size == 8 ? chance(g, 50) : true };
}

static int pick_src(Gen *g, RegCtx rc)
{
    return (int)(rc.size == 8 && !rc.rex ? rn(g, 8) : rn(g, 16));
}

static int pick_dst(Gen *g, RegCtx rc)
{
    for (;;) {
        int r = pick_src(g, rc);
        if (r == 3 || r == 4) {
            continue;                      /* RBX/BL, RSP/SPL */
        }
        if (rc.size == 8 && !rc.rex && r == 7) {
            continue;                      /* BH */
        }
        return r;
    }
}

/* A destination register that is a full 64-bit GPR other than RBX/RSP. */
static int pick_gpr(Gen *g)
{
    for (;;) {
        int r = (int)rn(g, 16);
        if (r != 3 && r != 4) {
            return r;
        }
    }
}

/* force REX for an 8-bit operand context when it asks for SPL..DIL semantics */
static bool need_rex(RegCtx rc)
{
    return rc.size == 8 && rc.rex;
}

/* mov r64, simm32 (REX.W C7 /0) */
static void emit_mov_r64_imm(Gen *g, int reg, int32_t v)
{
    enc1(g, 64, false, 0xc7, 0, rm_reg(reg));
    emit_imm(g, (uint32_t)v, 4);
}

/* mov r32, imm32 (zero-extends) */
static void emit_mov_r32_imm(Gen *g, int reg, uint32_t v)
{
    if (reg & 8) {
        emit(g, 0x41);
    }
    emit(g, (uint8_t)(0xb8 + (reg & 7)));
    emit_imm(g, v, 4);
}

static unsigned imm_bytes(unsigned size)
{
    return size == 8 ? 1 : size == 16 ? 2 : 4;
}

static uint64_t rand_value(Gen *g)
{
    switch (rn(g, 10)) {
    case 0: return 0;
    case 1: return 1;
    case 2: return ~UINT64_C(0);
    case 3: return UINT64_C(1) << rn(g, 64);
    case 4: return (UINT64_C(1) << rn(g, 64)) - 1;
    case 5: return rnd(g) & 0xff;
    case 6: return rnd(g) & 0xffff;
    case 7: return rnd(g) & 0xffffffff;
    case 8: return (uint64_t)(int64_t)(int32_t)rnd(g);
    default: return rnd(g);
    }
}

/* Emit the immediate for an operation of `size` (64-bit forms take simm32). */
static void emit_rand_imm(Gen *g, unsigned size)
{
    emit_imm(g, rand_value(g), imm_bytes(size));
}

/* A register or memory r/m of `size` that will be written (dst) or only read. */
static Rm rand_rm(Gen *g, RegCtx rc, bool dst, unsigned mem_percent)
{
    if (chance(g, mem_percent)) {
        return rm_mem(g, rand_disp(g, rc.size / 8));
    }
    return rm_reg(dst ? pick_dst(g, rc) : pick_src(g, rc));
}

static uint16_t cc_reads(unsigned cc)
{
    static const uint16_t reads[8] = {
        DT_OF, DT_CF, DT_ZF, DT_CF | DT_ZF, DT_SF, DT_PF, DT_SF | DT_OF,
        DT_ZF | DT_SF | DT_OF,
    };
    return reads[(cc >> 1) & 7];
}

/* ---------------------------------------------------------------- classes */

static void gen_alu(Gen *g)
{
    unsigned kind = rn(g, 13);
    unsigned size = rand_size(g);
    RegCtx rc = reg_ctx(g, size);
    bool w = size != 8;

    if (kind < 8) {          /* add or adc sbb and sub xor cmp */
        g->def = ALL_ARITH;
        if (kind == 1 || kind == 4 || kind == 6) {
            g->def = ALL_ARITH & ~DT_AF;
            g->undef = DT_AF;
        }
        if (kind == 2 || kind == 3) {
            g->reads = DT_CF;
        }
        switch (rn(g, 4)) {
        case 0: {            /* r/m, reg */
            Rm rm = rand_rm(g, rc, true, 40);
            if (rm.mem && kind != 7 && chance(g, 10)) {
                emit(g, 0xf0);       /* LOCK */
            }
            enc1(g, size, need_rex(rc), (uint8_t)(kind * 8 + w), pick_src(g, rc), rm);
            break;
        }
        case 1:              /* reg, r/m */
            enc1(g, size, need_rex(rc), (uint8_t)(kind * 8 + 2 + w), pick_dst(g, rc),
                 rand_rm(g, rc, false, 40));
            break;
        case 2:              /* accumulator, imm */
            if (size == 16) {
                emit(g, 0x66);
            } else if (size == 64) {
                emit(g, 0x48);
            }
            emit(g, (uint8_t)(kind * 8 + 4 + w));
            emit_rand_imm(g, size);
            break;
        default: {           /* 80/81/83 /op imm */
            Rm rm = rand_rm(g, rc, true, 40);
            if (rm.mem && kind != 7 && chance(g, 10)) {
                emit(g, 0xf0);
            }
            if (size != 8 && chance(g, 50)) {
                enc1(g, size, false, 0x83, (int)kind, rm);
                emit_imm(g, rand_value(g), 1);
            } else {
                enc1(g, size, need_rex(rc), w ? 0x81 : 0x80, (int)kind, rm);
                emit_rand_imm(g, size);
            }
            break;
        }
        }
        return;
    }
    switch (kind) {
    case 8:                  /* test */
        g->def = ALL_ARITH & ~DT_AF;
        g->undef = DT_AF;
        if (chance(g, 50)) {
            enc1(g, size, need_rex(rc), (uint8_t)(0x84 + w), pick_src(g, rc),
                 rand_rm(g, rc, false, 40));
        } else {
            enc1(g, size, need_rex(rc), (uint8_t)(0xf6 + w), 0, rand_rm(g, rc, false, 40));
            emit_rand_imm(g, size);
        }
        break;
    case 9: case 10: {       /* inc, dec */
        g->def = ALL_ARITH & ~DT_CF;
        Rm rm = rand_rm(g, rc, true, 40);
        if (rm.mem && chance(g, 10)) {
            emit(g, 0xf0);
        }
        enc1(g, size, need_rex(rc), (uint8_t)(0xfe + w), (int)kind - 9, rm);
        break;
    }
    case 11:                 /* neg */
        g->def = ALL_ARITH;
        enc1(g, size, need_rex(rc), (uint8_t)(0xf6 + w), 3, rand_rm(g, rc, true, 40));
        break;
    default: {               /* not; occasionally a LOCK on a register form (#UD) */
        Rm rm = rand_rm(g, rc, true, 40);
        if (chance(g, 3)) {
            emit(g, 0xf0);
        }
        enc1(g, size, need_rex(rc), (uint8_t)(0xf6 + w), 2, rm);
        break;
    }
    }
}

static void gen_shift(Gen *g)
{
    if (chance(g, 25)) {     /* SHLD / SHRD */
        unsigned size = rand_size_nobyte(g);
        RegCtx rc = reg_ctx(g, size);
        unsigned mask = size == 64 ? 63 : 31;
        unsigned count;
        do {
            count = chance(g, 50) ? rn(g, 64) : rn(g, 256);
        } while (size == 16 && (count & mask) > 16);   /* result undefined */
        bool by_cl = chance(g, 50);
        bool right = chance(g, 50);
        Rm rm = rand_rm(g, rc, true, 40);
        int src = pick_src(g, rc);
        if (by_cl) {
            emit(g, 0xb1);                 /* mov cl, count */
            emit(g, (uint8_t)count);
            if (!rm.mem && rm.reg == 1) {
                rm.reg = 0;                /* keep CL the count */
            }
        }
        enc2(g, size, false, (uint8_t)((right ? 0xac : 0xa4) + by_cl), src, rm);
        if (!by_cl) {
            emit(g, (uint8_t)count);
        }
        unsigned masked = count & mask;
        if (masked) {
            g->def = DT_CF | DT_PF | DT_ZF | DT_SF | (masked == 1 ? DT_OF : 0);
            g->undef = DT_AF | (masked == 1 ? 0 : DT_OF);
        }
        return;
    }
    unsigned op = rn(g, 7);
    op = op == 6 ? 7 : op;                 /* rol ror rcl rcr shl shr sar */
    unsigned size = rand_size(g);
    RegCtx rc = reg_ctx(g, size);
    bool w = size != 8;
    unsigned count;
    unsigned form = rn(g, 3);
    Rm rm = rand_rm(g, rc, true, 40);
    if (form == 0) {                        /* by 1 */
        count = 1;
        enc1(g, size, need_rex(rc), (uint8_t)(0xd0 + w), (int)op, rm);
    } else if (form == 1) {                 /* by imm8 */
        count = chance(g, 70) ? rn(g, 64) : rn(g, 256);
        enc1(g, size, need_rex(rc), (uint8_t)(0xc0 + w), (int)op, rm);
        emit(g, (uint8_t)count);
    } else {                                /* by CL */
        count = chance(g, 70) ? rn(g, 64) : rn(g, 256);
        /* mov cl, count must come first: re-encode */
        g->n = 0;
        emit(g, 0xb1);
        emit(g, (uint8_t)count);
        if (!rm.mem && rm.reg == 1) {
            rm.reg = 0;
        }
        enc1(g, size, need_rex(rc), (uint8_t)(0xd2 + w), (int)op, rm);
    }
    unsigned masked = count & (size == 64 ? 63 : 31);
    if (!masked) {
        return;                            /* flags unaffected */
    }
    if (op <= 3) {                         /* rotates */
        if (op >= 2) {
            g->reads = DT_CF;
        }
        g->def = DT_CF | (masked == 1 ? DT_OF : 0);
        g->undef = masked == 1 ? 0 : DT_OF;
        return;
    }
    g->def = DT_CF | DT_PF | DT_ZF | DT_SF | DT_OF;
    g->undef = DT_AF;
    if (masked != 1) {
        g->undef |= DT_OF;
    }
    if (op != 7 && masked >= size) {
        g->undef |= DT_CF;
    }
    g->def &= (uint16_t)~g->undef;
}

static void gen_bit(Gen *g)
{
    unsigned size = rand_size_nobyte(g);
    RegCtx rc = reg_ctx(g, size);
    unsigned kind = rn(g, 10);

    if (kind >= 8) {                       /* bsf / bsr */
        g->def = DT_ZF;
        g->undef = DT_CF | DT_OF | DT_SF | DT_AF | DT_PF;
        Rm src = rand_rm(g, rc, false, 40);
        if (chance(g, 25)) {               /* zero source */
            if (src.mem) {
                enc1(g, 64, false, 0xc7, 0, src);
                emit_imm(g, 0, 4);
            } else if (src.reg != 3 && src.reg != 4) {
                emit_mov_r32_imm(g, src.reg, 0);
            }
        }
        enc2(g, size, false, kind == 8 ? 0xbc : 0xbd, pick_dst(g, rc), src);
        return;
    }
    unsigned op = kind & 3;                /* bt bts btr btc */
    g->def = DT_CF;
    g->undef = DT_OF | DT_SF | DT_AF | DT_PF | DT_ZF;
    unsigned form = rn(g, 4);
    if (form == 0) {                       /* bt r/m, imm8 */
        Rm rm = rand_rm(g, rc, op != 0, 50);
        if (rm.mem && op && chance(g, 10)) {
            emit(g, 0xf0);
        }
        enc2(g, size, false, 0xba, (int)(4 + op), rm);
        emit(g, (uint8_t)rnd(g));
    } else if (form == 1) {                /* bt reg, reg */
        enc2(g, size, false, (uint8_t)(0xa3 + op * 8), pick_src(g, rc),
             rm_reg(op ? pick_dst(g, rc) : pick_src(g, rc)));
    } else {                               /* bt [rbx+disp], reg: bit string */
        int offreg = pick_gpr(g);
        int32_t bits = (int32_t)rn(g, 16001) - 8000;
        emit_mov_r64_imm(g, offreg, bits);
        Rm rm = rm_mem(g, 1100 + (int32_t)rn(g, 1800));
        if (op && chance(g, 10)) {
            emit(g, 0xf0);
        }
        enc2(g, size, false, (uint8_t)(0xa3 + op * 8), offreg, rm);
    }
}

static void gen_muldiv(Gen *g)
{
    unsigned kind = rn(g, 12);
    unsigned size = rand_size(g);
    RegCtx rc = reg_ctx(g, size);
    bool w = size != 8;

    if (kind >= 8) {
        kind &= 3;                         /* more multiplies than divides */
    }
    if (kind < 2) {                        /* mul, imul r/m */
        g->def = DT_CF | DT_OF;
        g->undef = DT_SF | DT_ZF | DT_AF | DT_PF;
        enc1(g, size, need_rex(rc), (uint8_t)(0xf6 + w), (int)(4 + kind),
             rand_rm(g, rc, false, 40));
        return;
    }
    if (kind < 4) {                        /* imul r, r/m [, imm] */
        size = rand_size_nobyte(g);
        rc = reg_ctx(g, size);
        g->def = DT_CF | DT_OF;
        g->undef = DT_SF | DT_ZF | DT_AF | DT_PF;
        int dst = pick_dst(g, rc);
        Rm src = rand_rm(g, rc, false, 40);
        switch (rn(g, 3)) {
        case 0: enc2(g, size, false, 0xaf, dst, src); break;
        case 1: enc1(g, size, false, 0x6b, dst, src); emit(g, (uint8_t)rnd(g)); break;
        default: enc1(g, size, false, 0x69, dst, src); emit_rand_imm(g, size); break;
        }
        return;
    }
    /* div, idiv: all flags undefined */
    bool sign = kind >= 6;
    g->undef = ALL_ARITH;
    Rm src = rand_rm(g, rc, false, 40);
    switch (rn(g, 6)) {
    case 0:
        break;                             /* random dividend: often #DE */
    case 1: case 2:                        /* high half from the low half */
        if (size == 8) {
            if (sign) {
                emit(g, 0x66);             /* cbw */
                emit(g, 0x98);
            } else {
                emit(g, 0xb4);             /* mov ah, 0 */
                emit(g, 0);
            }
        } else if (sign) {
            if (size == 16) {
                emit(g, 0x66);
            } else if (size == 64) {
                emit(g, 0x48);
            }
            emit(g, 0x99);                 /* cwd / cdq / cqo */
        } else {
            emit_mov_r32_imm(g, 2, 0);     /* mov edx, 0 */
        }
        break;
    case 3: case 4:                        /* high half zero, divisor from memory */
        emit_mov_r32_imm(g, 2, 0);
        if (size == 8) {
            emit(g, 0xb4);
            emit(g, 0);
        }
        src = rm_mem(g, rand_disp(g, size / 8));
        break;
    default:                               /* divisor zero */
        if (src.mem) {
            enc1(g, 64, false, 0xc7, 0, src);
            emit_imm(g, 0, 4);
        } else if (src.reg != 3 && src.reg != 4 && !(size == 8 && !rc.rex && src.reg >= 4)) {
            emit_mov_r32_imm(g, src.reg, 0);
        }
        break;
    }
    enc1(g, size, need_rex(rc), (uint8_t)(0xf6 + w), sign ? 7 : 6, src);
}

static void gen_string(Gen *g)
{
    unsigned size = rand_size(g);
    unsigned op = rn(g, 5);                /* movs cmps stos lods scas */
    static const uint8_t opcodes[5] = { 0xa4, 0xa6, 0xaa, 0xac, 0xae };
    bool compares = op == 1 || op == 4;
    unsigned count = rn(g, 9);
    unsigned prefix = rn(g, 3);            /* none, F3, F2 (F2 only for compares) */
    if (!compares && prefix == 2) {
        prefix = 1;
    }
    emit_mov_r64_imm(g, 6, (int32_t)(DT_DATA + 128 + rn(g, DT_PAGE - 256)));
    emit_mov_r64_imm(g, 7, (int32_t)(DT_DATA + 128 + rn(g, DT_PAGE - 256)));
    emit_mov_r32_imm(g, 1, count);
    if (chance(g, 30)) {
        emit(g, chance(g, 50) ? 0xfd : 0xfc);   /* std / cld */
    }
    if (compares && (prefix == 0 || count > 0)) {
        g->def = ALL_ARITH;
    }
    if (chance(g, 10)) {
        emit(g, 0x67);                     /* 32-bit addresses: ESI EDI ECX */
    }
    if (size == 16) {
        emit(g, 0x66);
    }
    if (prefix) {
        emit(g, prefix == 1 ? 0xf3 : 0xf2);
    }
    if (size == 64) {
        emit(g, 0x48);
    }
    emit(g, (uint8_t)(opcodes[op] + (size != 8)));
}

static void gen_move(Gen *g)
{
    unsigned kind = rn(g, 17);
    unsigned size = rand_size(g);
    RegCtx rc = reg_ctx(g, size);
    bool w = size != 8;

    switch (kind) {
    case 0:                                /* mov r/m, reg */
        enc1(g, size, need_rex(rc), (uint8_t)(0x88 + w), pick_src(g, rc),
             rand_rm(g, rc, true, 50));
        break;
    case 1:                                /* mov reg, r/m */
        enc1(g, size, need_rex(rc), (uint8_t)(0x8a + w), pick_dst(g, rc),
             rand_rm(g, rc, false, 50));
        break;
    case 2:                                /* mov r/m, imm */
        enc1(g, size, need_rex(rc), (uint8_t)(0xc6 + w), 0, rand_rm(g, rc, true, 50));
        emit_rand_imm(g, size);
        break;
    case 3: {                              /* mov reg, imm (B0+r / B8+r, imm64) */
        int r = pick_dst(g, rc);
        if (size == 16) {
            emit(g, 0x66);
        }
        uint8_t rex = (uint8_t)(0x40 | (size == 64 ? 8 : 0) | (r >> 3));
        if (rex != 0x40 || need_rex(rc)) {
            emit(g, rex);
        }
        emit(g, (uint8_t)((size == 8 ? 0xb0 : 0xb8) + (r & 7)));
        emit_imm(g, rand_value(g), size / 8);
        break;
    }
    case 4: {                              /* movzx / movsx */
        unsigned dsize = rand_size_nobyte(g);
        bool from16 = dsize > 16 && chance(g, 50);
        RegCtx src_rc = reg_ctx(g, from16 ? 16 : 8);
        if (dsize == 64) {
            src_rc.rex = true;             /* REX.W: 8-bit numbers 4-7 are SPL..DIL */
        }
        Rm src = rand_rm(g, src_rc, false, 40);
        int dst = pick_dst(g, src_rc);
        uint8_t op = (uint8_t)((chance(g, 50) ? 0xb6 : 0xbe) + from16);
        enc2(g, dsize, need_rex(src_rc), op, dst, src);
        break;
    }
    case 5:                                /* movsxd r64, r/m32 */
        enc1(g, 64, false, 0x63, pick_gpr(g), rand_rm(g, reg_ctx(g, 32), false, 40));
        break;
    case 6:                                /* xchg r/m, reg */
        enc1(g, size, need_rex(rc), (uint8_t)(0x86 + w), pick_dst(g, rc),
             rand_rm(g, rc, true, 50));
        break;
    case 7: {                              /* xchg rAX, reg (90+r) */
        size = rand_size_nobyte(g);
        int r = pick_gpr(g);
        if (r == 0) {
            r = 8;                         /* plain 90 is NOP */
        }
        if (size == 16) {
            emit(g, 0x66);
        }
        uint8_t rex = (uint8_t)(0x40 | (size == 64 ? 8 : 0) | (r >> 3));
        if (rex != 0x40) {
            emit(g, rex);
        }
        emit(g, (uint8_t)(0x90 + (r & 7)));
        break;
    }
    case 8: case 9: {                      /* xadd / cmpxchg */
        g->def = ALL_ARITH;
        Rm rm = rand_rm(g, rc, true, 50);
        if (rm.mem && chance(g, 30)) {
            emit(g, 0xf0);
        }
        enc2(g, size, need_rex(rc), (uint8_t)((kind == 8 ? 0xc0 : 0xb0) + w),
             pick_dst(g, rc), rm);
        break;
    }
    case 10: {                             /* bswap r32/r64 */
        int r = pick_gpr(g);
        uint8_t rex = (uint8_t)(0x40 | (chance(g, 50) ? 8 : 0) | (r >> 3));
        if (rex != 0x40) {
            emit(g, rex);
        }
        emit(g, 0x0f);
        emit(g, (uint8_t)(0xc8 + (r & 7)));
        break;
    }
    case 11: {                             /* cmovcc / setcc */
        unsigned cc = rn(g, 16);
        g->reads = cc_reads(cc);
        if (chance(g, 50)) {
            size = rand_size_nobyte(g);
            rc = reg_ctx(g, size);
            enc2(g, size, false, (uint8_t)(0x40 + cc), pick_dst(g, rc),
                 rand_rm(g, rc, false, 40));
        } else {
            rc = reg_ctx(g, 8);
            enc2(g, 8, need_rex(rc), (uint8_t)(0x90 + cc), 0, rand_rm(g, rc, true, 40));
        }
        break;
    }
    case 12: {                             /* lea with base + index*scale + disp */
        size = rand_size_nobyte(g);
        int dst = pick_gpr(g);
        int base = (int)rn(g, 16), index = (int)rn(g, 16);
        if (index == 4) {
            index = 12;                    /* 4 would mean "no index" without REX.X */
        }
        if (chance(g, 15)) {
            emit(g, 0x67);                 /* 32-bit address computation */
        }
        if (size == 16) {
            emit(g, 0x66);
        }
        uint8_t rex = (uint8_t)(0x40 | (size == 64 ? 8 : 0) | ((dst >> 3) << 2) |
                                ((index >> 3) << 1) | (base >> 3));
        if (rex != 0x40) {
            emit(g, rex);
        }
        emit(g, 0x8d);
        emit(g, (uint8_t)(0x80 | (dst & 7) << 3 | 4));      /* mod 10: disp32 */
        emit(g, (uint8_t)(rn(g, 4) << 6 | (index & 7) << 3 | (base & 7)));
        emit_imm(g, rand_value(g), 4);
        break;
    }
    case 13: {                             /* push reg / imm / mem */
        unsigned form = rn(g, 4);
        if (form == 0) {
            int r = (int)rn(g, 16);
            if (chance(g, 20)) {
                emit(g, 0x66);
            }
            if (r & 8) {
                emit(g, 0x41);
            }
            emit(g, (uint8_t)(0x50 + (r & 7)));
        } else if (form == 1) {
            emit(g, 0x6a);
            emit(g, (uint8_t)rnd(g));
        } else if (form == 2) {
            emit(g, 0x68);
            emit_imm(g, rand_value(g), 4);
        } else {
            enc1(g, chance(g, 20) ? 16 : 32, false, 0xff, 6, rm_mem(g, rand_disp(g, 8)));
        }
        break;
    }
    case 14: {                             /* pop reg / mem */
        if (chance(g, 70)) {
            int r = pick_gpr(g);
            if (chance(g, 20)) {
                emit(g, 0x66);
            }
            if (r & 8) {
                emit(g, 0x41);
            }
            emit(g, (uint8_t)(0x58 + (r & 7)));
        } else {
            enc1(g, chance(g, 20) ? 16 : 32, false, 0x8f, 0, rm_mem(g, rand_disp(g, 8)));
        }
        break;
    }
    case 15:                               /* lahf / sahf */
        if (chance(g, 50)) {
            g->reads = DT_SF | DT_ZF | DT_AF | DT_PF | DT_CF;
            emit(g, 0x9f);
        } else {
            g->def = DT_SF | DT_ZF | DT_AF | DT_PF | DT_CF;
            emit(g, 0x9e);
        }
        break;
    default:                               /* cbw/cwde/cdqe, cwd/cdq/cqo */
        size = rand_size_nobyte(g);
        if (size == 16) {
            emit(g, 0x66);
        } else if (size == 64) {
            emit(g, 0x48);
        }
        emit(g, chance(g, 50) ? 0x98 : 0x99);
        break;
    }
}

/* ---------------------------------------------------------------- SSE2 */

/* Mandatory prefix (0 none, else 66/F2/F3), then [REX] 0F op ModRM. */
static void enc_sse(Gen *g, uint8_t pfx, bool w, uint8_t op, int regfield, Rm rm)
{
    if (pfx) {
        emit(g, pfx);
    }
    enc2(g, w ? 64 : 32, false, op, regfield, rm);
}

/* An XMM register, or a 16-byte aligned operand in the data buffer */
static Rm sse_rm(Gen *g, unsigned mem_percent)
{
    if (chance(g, mem_percent)) {
        return rm_mem(g, (int32_t)(16 * rn(g, DT_PAGE / 16)));
    }
    return rm_reg((int)rn(g, 16));
}

typedef enum { SK_XX, SK_XXI, SK_XXC } SseKind;
typedef struct SseOp {
    uint8_t pfx, op, kind;
} SseOp;

static const SseOp sse_ops[] = {
    /* packed integer */
    { 0x66, 0xfc }, { 0x66, 0xfd }, { 0x66, 0xfe }, { 0x66, 0xd4 },
    { 0x66, 0xf8 }, { 0x66, 0xf9 }, { 0x66, 0xfa }, { 0x66, 0xfb },
    { 0x66, 0xec }, { 0x66, 0xed }, { 0x66, 0xdc }, { 0x66, 0xdd },
    { 0x66, 0xe8 }, { 0x66, 0xe9 }, { 0x66, 0xd8 }, { 0x66, 0xd9 },
    { 0x66, 0xd5 }, { 0x66, 0xe5 }, { 0x66, 0xe4 }, { 0x66, 0xf4 }, { 0x66, 0xf5 },
    { 0x66, 0xdb }, { 0x66, 0xeb }, { 0x66, 0xef }, { 0x66, 0xdf },
    { 0x66, 0x74 }, { 0x66, 0x75 }, { 0x66, 0x76 }, { 0x66, 0x64 }, { 0x66, 0x65 },
    { 0x66, 0x66 },
    { 0x66, 0xf1 }, { 0x66, 0xf2 }, { 0x66, 0xf3 }, { 0x66, 0xd1 }, { 0x66, 0xd2 },
    { 0x66, 0xd3 }, { 0x66, 0xe1 }, { 0x66, 0xe2 },
    { 0x66, 0x63 }, { 0x66, 0x6b }, { 0x66, 0x67 },
    { 0x66, 0x60 }, { 0x66, 0x61 }, { 0x66, 0x62 }, { 0x66, 0x68 }, { 0x66, 0x69 },
    { 0x66, 0x6a }, { 0x66, 0x6c }, { 0x66, 0x6d },
    { 0x66, 0xe0 }, { 0x66, 0xe3 }, { 0x66, 0xda }, { 0x66, 0xde }, { 0x66, 0xea },
    { 0x66, 0xee }, { 0x66, 0xf6 },
    { 0x66, 0x70, SK_XXI }, { 0xf2, 0x70, SK_XXI }, { 0xf3, 0x70, SK_XXI },
    /* FP arithmetic: PS, PD, SS, SD */
    { 0, 0x58 }, { 0x66, 0x58 }, { 0xf3, 0x58 }, { 0xf2, 0x58 },
    { 0, 0x5c }, { 0x66, 0x5c }, { 0xf3, 0x5c }, { 0xf2, 0x5c },
    { 0, 0x59 }, { 0x66, 0x59 }, { 0xf3, 0x59 }, { 0xf2, 0x59 },
    { 0, 0x5e }, { 0x66, 0x5e }, { 0xf3, 0x5e }, { 0xf2, 0x5e },
    { 0, 0x5d }, { 0x66, 0x5d }, { 0xf3, 0x5d }, { 0xf2, 0x5d },
    { 0, 0x5f }, { 0x66, 0x5f }, { 0xf3, 0x5f }, { 0xf2, 0x5f },
    { 0, 0x51 }, { 0x66, 0x51 }, { 0xf3, 0x51 }, { 0xf2, 0x51 },
    { 0, 0xc2, SK_XXC }, { 0x66, 0xc2, SK_XXC }, { 0xf3, 0xc2, SK_XXC },
    { 0xf2, 0xc2, SK_XXC },
    /* conversions */
    { 0xf2, 0x5a }, { 0xf3, 0x5a }, { 0, 0x5a }, { 0x66, 0x5a },
    { 0, 0x5b }, { 0xf3, 0x5b }, { 0x66, 0x5b },
    { 0xf3, 0xe6 }, { 0x66, 0xe6 }, { 0xf2, 0xe6 },
    /* shuffles and logic */
    { 0, 0xc6, SK_XXI }, { 0x66, 0xc6, SK_XXI },
    { 0, 0x14 }, { 0, 0x15 }, { 0x66, 0x14 }, { 0x66, 0x15 },
    { 0, 0x54 }, { 0, 0x55 }, { 0, 0x56 }, { 0, 0x57 },
    { 0x66, 0x54 }, { 0x66, 0x55 }, { 0x66, 0x56 }, { 0x66, 0x57 },
    { 0xf3, 0x7e },
};

static void gen_sse2(Gen *g)
{
    unsigned pick = rn(g, 100);

    if (pick < 70) {                              /* xmm, xmm/m128 [, imm8] */
        const SseOp *o = &sse_ops[rn(g, sizeof(sse_ops) / sizeof(sse_ops[0]))];
        enc_sse(g, o->pfx, false, o->op, (int)rn(g, 16), sse_rm(g, 25));
        if (o->kind == SK_XXI) {
            emit(g, (uint8_t)rnd(g));
        } else if (o->kind == SK_XXC) {
            emit(g, (uint8_t)rn(g, 8));
        }
        return;
    }
    if (pick < 78) {                              /* shift by immediate */
        static const uint8_t grp[][2] = {
            { 0x71, 2 }, { 0x71, 4 }, { 0x71, 6 }, { 0x72, 2 }, { 0x72, 4 }, { 0x72, 6 },
            { 0x73, 2 }, { 0x73, 3 }, { 0x73, 6 }, { 0x73, 7 },
        };
        unsigned k = rn(g, sizeof(grp) / sizeof(grp[0]));
        enc_sse(g, 0x66, false, grp[k][0], grp[k][1], rm_reg((int)rn(g, 16)));
        emit(g, (uint8_t)(chance(g, 80) ? rn(g, 20) : rnd(g)));
        return;
    }
    if (pick < 83) {                              /* COMISS/UCOMISS/COMISD/UCOMISD */
        g->def = ALL_ARITH;
        enc_sse(g, chance(g, 50) ? 0x66 : 0, false, chance(g, 50) ? 0x2e : 0x2f,
                (int)rn(g, 16), sse_rm(g, 25));
        return;
    }
    if (pick < 87) {                              /* CVTSI2SD/SS xmm, r/m32/64 */
        bool w = chance(g, 50);
        Rm rm = chance(g, 25) ? rm_mem(g, (int32_t)(16 * rn(g, DT_PAGE / 16)))
                              : rm_reg(pick_gpr(g));
        enc_sse(g, chance(g, 50) ? 0xf2 : 0xf3, w, 0x2a, (int)rn(g, 16), rm);
        return;
    }
    if (pick < 91) {                              /* CVT(T)SD/SS2SI r32/64, xmm/m */
        bool w = chance(g, 50);
        enc_sse(g, chance(g, 50) ? 0xf2 : 0xf3, w, chance(g, 70) ? 0x2c : 0x2d,
                pick_gpr(g), sse_rm(g, 25));
        return;
    }
    if (pick < 93) {                              /* PMOVMSKB r32, xmm */
        enc_sse(g, 0x66, false, 0xd7, pick_gpr(g), rm_reg((int)rn(g, 16)));
        return;
    }
    if (pick < 96) {                              /* MOVD/MOVQ xmm, r/m */
        Rm rm = chance(g, 25) ? rm_mem(g, (int32_t)(16 * rn(g, DT_PAGE / 16)))
                              : rm_reg(pick_gpr(g));
        enc_sse(g, 0x66, chance(g, 50), 0x6e, (int)rn(g, 16), rm);
        return;
    }
    if (pick < 98) {                              /* MOVD/MOVQ r/m, xmm */
        Rm rm = chance(g, 25) ? rm_mem(g, (int32_t)(16 * rn(g, DT_PAGE / 16)))
                              : rm_reg(pick_gpr(g));
        enc_sse(g, 0x66, chance(g, 50), 0x7e, (int)rn(g, 16), rm);
        return;
    }
    /* MOVQ xmm/m64, xmm */
    enc_sse(g, 0x66, false, 0xd6, (int)rn(g, 16), sse_rm(g, 40));
}

/* ---------------------------------------------------------------- x87 */

static Rm x87_mem(Gen *g, unsigned bytes)
{
    return rm_mem(g, rand_disp(g, bytes));
}

static void gen_x87(Gen *g)
{
    static const uint8_t arith_n[6] = { 0, 1, 4, 5, 6, 7 };   /* ADD MUL SUB SUBR DIV DIVR */
    unsigned pick = rn(g, 100);

    if (pick < 94) {
        g->def = DT_X87_C1;                       /* every one below but FCOMI sets C1 */
    }

    if (pick < 25) {                              /* loads */
        switch (rn(g, 6)) {
        case 0: enc1(g, 32, false, 0xd9, 0, x87_mem(g, 4)); break;   /* FLD m32 */
        case 1: enc1(g, 32, false, 0xdd, 0, x87_mem(g, 8)); break;   /* FLD m64 */
        case 2: enc1(g, 32, false, 0xdb, 0, x87_mem(g, 4)); break;   /* FILD m32 */
        case 3: emit(g, 0xd9); emit(g, 0xe8); break;                 /* FLD1 */
        case 4: emit(g, 0xd9); emit(g, 0xee); break;                 /* FLDZ */
        default: emit(g, 0xd9); emit(g, 0xeb); break;                /* FLDPI */
        }
        return;
    }
    if (pick < 50) {                              /* arithmetic */
        unsigned n = arith_n[rn(g, 6)];
        switch (rn(g, 5)) {
        case 0: enc1(g, 32, false, 0xd8, (int)n, x87_mem(g, 4)); break;
        case 1: enc1(g, 32, false, 0xdc, (int)n, x87_mem(g, 8)); break;
        case 2: emit(g, 0xd8); emit(g, (uint8_t)(0xc0 | n << 3 | rn(g, 8))); break;
        case 3: emit(g, 0xdc); emit(g, (uint8_t)(0xc0 | n << 3 | rn(g, 8))); break;
        default: emit(g, 0xde); emit(g, (uint8_t)(0xc0 | n << 3 | rn(g, 8))); break;
        }
        return;
    }
    if (pick < 62) {                              /* one-operand ops, FXCH */
        static const uint8_t ops[5] = { 0xfa, 0xe1, 0xe0, 0xfc, 0xc8 };
        unsigned k = rn(g, 5);
        emit(g, 0xd9);
        emit(g, (uint8_t)(ops[k] + (k == 4 ? rn(g, 8) : 0)));
        return;
    }
    if (pick < 72) {                              /* FCOMI FUCOMI FCOMIP FUCOMIP */
        static const uint8_t ops[4][2] = {
            { 0xdb, 0xf0 }, { 0xdb, 0xe8 }, { 0xdf, 0xf0 }, { 0xdf, 0xe8 },
        };
        unsigned k = rn(g, 4);
        g->def = ALL_ARITH;
        g->undef = DT_X87_C1;
        emit(g, ops[k][0]);
        emit(g, (uint8_t)(ops[k][1] + rn(g, 8)));
        return;
    }
    if (pick < 94) {                              /* stores */
        switch (rn(g, 9)) {
        case 0: enc1(g, 32, false, 0xdb, 2, x87_mem(g, 4)); break;   /* FIST m32 */
        case 1: enc1(g, 32, false, 0xdb, 3, x87_mem(g, 4)); break;   /* FISTP m32 */
        case 2: enc1(g, 32, false, 0xdf, 7, x87_mem(g, 8)); break;   /* FISTP m64 */
        case 3: enc1(g, 32, false, 0xdf, 2, x87_mem(g, 2)); break;   /* FIST m16 */
        case 4: enc1(g, 32, false, 0xd9, 2, x87_mem(g, 4)); break;   /* FST m32 */
        case 5: enc1(g, 32, false, 0xd9, 3, x87_mem(g, 4)); break;   /* FSTP m32 */
        case 6: enc1(g, 32, false, 0xdd, 2, x87_mem(g, 8)); break;   /* FST m64 */
        case 7: enc1(g, 32, false, 0xdd, 3, x87_mem(g, 8)); break;   /* FSTP m64 */
        default: emit(g, 0xdd); emit(g, (uint8_t)(0xd8 + rn(g, 8))); break; /* FSTP st(i) */
        }
        return;
    }
    /* FLDCW with a random rounding mode: mov word [rbx+d], cw; fldcw [rbx+d] */
    Rm m = x87_mem(g, 2);
    m.sib = false;
    enc1(g, 16, false, 0xc7, 0, m);
    emit_imm(g, DT_FCW_INIT | rn(g, 4) << 10, 2);
    enc1(g, 32, false, 0xd9, 5, m);
}

/* Final x87 group: the whole register stack as 80-bit values (FSTP m80 eight times,
 * empty registers giving the indefinite), so every result lands in the compared
 * buffer; the final status word is compared from the FXSAVE image. */
static void gen_x87_dump(Gen *g)
{
    for (unsigned i = 0; i < 8; i++) {
        emit(g, 0xdb);
        emit(g, 0x7b);
        emit(g, (uint8_t)(0x10 + 10 * i));
    }
}

/* Initial XMM registers: random bits, with special values (zeros, infinities, NaNs,
 * denormals, ones) in some lanes, from their own stream so other draws don't move. */
static void gen_xmm_init(DtCase *c)
{
    static const uint32_t sp32[] = {
        0, 0x80000000u, 0x7f800000u, 0xff800000u, 0x7fc00000u, 0xffc00000u, 0x7fa00001u,
        0x00000001u, 0x807fffffu, 0x3f800000u, 0x7f7fffffu, 0x4f000000u, 0xcf000000u,
    };
    static const uint64_t sp64[] = {
        0, UINT64_C(0x8000000000000000), UINT64_C(0x7ff0000000000000),
        UINT64_C(0xfff0000000000000), UINT64_C(0x7ff8000000000000),
        UINT64_C(0xfff8000000000000), UINT64_C(0x7ff4000000000001), 1,
        UINT64_C(0x800fffffffffffff), UINT64_C(0x3ff0000000000000),
        UINT64_C(0x43e0000000000000), UINT64_C(0xc3e0000000000000),
        UINT64_C(0x41e0000000000000),
    };
    Gen g = { .rng = c->mem_seed ^ UINT64_C(0x5ee2f00d) };

    for (unsigned r = 0; r < 16; r++) {
        bool wide = chance(&g, 50);
        for (unsigned lane = 0; lane < (wide ? 2u : 4u); lane++) {
            if (wide) {
                uint64_t v = chance(&g, 30) ? sp64[rn(&g, sizeof(sp64) / 8)] : rnd(&g);
                memcpy(&c->xmm[r][lane * 8], &v, 8);
            } else {
                uint32_t v = chance(&g, 30) ? sp32[rn(&g, sizeof(sp32) / 4)]
                                            : (uint32_t)rnd(&g);
                memcpy(&c->xmm[r][lane * 4], &v, 4);
            }
        }
    }
    c->mxcsr = DT_MXCSR_INIT;
    if (chance(&g, 30)) {
        c->mxcsr |= rn(&g, 4) << 13;              /* rounding control */
    }
}

/*
 * BCD adjustments (32-bit code: these opcodes are invalid in 64-bit mode) mixed with
 * the 8-bit additions and subtractions whose carries they adjust. Undefined flags per
 * the SDM: DAA/DAS leave OF; AAA/AAS leave OF SF ZF PF; AAM/AAD leave OF AF CF.
 * No REX prefixes (0x40-0x4f are INC/DEC here); 8-bit registers are AL..BH.
 */
static void gen_bcd(Gen *g)
{
    static const uint8_t alu_ops[4] = { 0x00, 0x10, 0x28, 0x18 };   /* add adc sub sbb */
    switch (rn(g, 10)) {
    case 0: case 1:          /* DAA, DAS */
        emit(g, rn(g, 2) ? 0x27 : 0x2f);
        g->def = DT_CF | DT_AF | DT_SF | DT_ZF | DT_PF;
        g->undef = DT_OF;
        g->reads = DT_CF | DT_AF;
        break;
    case 2: case 3:          /* AAA, AAS */
        emit(g, rn(g, 2) ? 0x37 : 0x3f);
        g->def = DT_CF | DT_AF;
        g->undef = DT_OF | DT_SF | DT_ZF | DT_PF;
        g->reads = DT_AF;
        break;
    case 4: {                /* AAM, AAD with base 10 mostly; AAM 0 raises #DE */
        emit(g, rn(g, 2) ? 0xd4 : 0xd5);
        unsigned pick = rn(g, 100);
        emit(g, (uint8_t)(pick < 70 ? 10 : pick < 72 ? 0 : rnd(g)));
        g->def = DT_SF | DT_ZF | DT_PF;
        g->undef = DT_OF | DT_AF | DT_CF;
        break;
    }
    case 5:                  /* mov al/ah, imm8 */
        emit(g, rn(g, 2) ? 0xb0 : 0xb4);
        emit(g, (uint8_t)rand_value(g));
        break;
    case 6: case 7: {        /* add/adc/sub/sbb al, imm8 */
        unsigned k = rn(g, 4);
        emit(g, (uint8_t)(alu_ops[k] + 4));
        emit(g, (uint8_t)rand_value(g));
        g->def = ALL_ARITH;
        g->reads = (k == 1 || k == 3) ? DT_CF : 0;
        break;
    }
    default: {               /* add/adc/sub/sbb al, r8 (AL..BH, no REX) */
        unsigned k = rn(g, 4);
        emit(g, (uint8_t)(alu_ops[k] + 2));
        emit(g, (uint8_t)(0xc0 | rn(g, 8)));
        g->def = ALL_ARITH;
        g->reads = (k == 1 || k == 3) ? DT_CF : 0;
        break;
    }
    }
}

typedef void (*GenFn)(Gen *g);
static const GenFn class_gen[DT_CLASS_COUNT] = {
    [DT_CLASS_ALU] = gen_alu, [DT_CLASS_SHIFT] = gen_shift, [DT_CLASS_BIT] = gen_bit,
    [DT_CLASS_MULDIV] = gen_muldiv, [DT_CLASS_STRING] = gen_string,
    [DT_CLASS_MOVE] = gen_move, [DT_CLASS_SSE2] = gen_sse2, [DT_CLASS_X87] = gen_x87,
    [DT_CLASS_BCD] = gen_bcd,
};

/* ---------------------------------------------------------------- cases */

static uint16_t undef_after(uint16_t undef, uint16_t def, uint16_t und)
{
    return (uint16_t)((undef & ~(def | und)) | und);
}

void dt_gen_case(DtCase *c, uint64_t seed, uint64_t index, DtClass cls)
{
    Gen g = { .rng = dt_rand_mix(seed * UINT64_C(0x100000001b3) ^ index) };

    memset(c, 0, sizeof(*c));
    c->id = index;
    c->cls = (uint8_t)cls;
    c->mode32 = cls == DT_CLASS_BCD;
    c->mem_seed = rnd(&g);
    for (int r = 0; r < 16; r++) {
        c->regs[r] = rand_value(&g);
    }
    c->regs[3] = DT_DATA;
    c->regs[4] = DT_STACK_INIT;
    c->rflags = rnd(&g) & DT_FLAGS_COMPARED;

    bool fp = cls == DT_CLASS_SSE2 || cls == DT_CLASS_X87;
    unsigned want = fp ? 1 + rn(&g, 12) : 1 + rn(&g, 6);
    uint16_t undef = 0;
    while (c->ngroups < want) {
        Gen t;
        int tries = 0;
        do {
            t = g;
            t.n = 0;
            t.def = t.undef = t.reads = 0;
            class_gen[cls](&t);
            g.rng = t.rng;
        } while ((t.reads & undef) && ++tries < 50);
        if (t.reads & undef) {
            /* define every flag first: cmp rax, rcx (cmp eax, ecx in 32-bit code) */
            t.n = 0;
            t.def = ALL_ARITH;
            t.undef = t.reads = 0;
            if (!c->mode32) {
                emit(&t, 0x48);
            }
            emit(&t, 0x39);
            emit(&t, 0xc8);
        }
        if (c->len + t.n > DT_MAX_CODE) {
            break;
        }
        memcpy(c->code + c->len, t.buf, t.n);
        c->len = (uint16_t)(c->len + t.n);
        c->group_end[c->ngroups] = c->len;
        c->group_def[c->ngroups] = t.def;
        c->group_undef[c->ngroups] = t.undef;
        c->group_reads[c->ngroups] = t.reads;
        c->ngroups++;
        undef = undef_after(undef, t.def, t.undef);
    }
    if (cls == DT_CLASS_X87) {                     /* the dump group comes last */
        g.n = 0;
        gen_x87_dump(&g);
        if (c->len + g.n <= DT_MAX_CODE && c->ngroups < DT_MAX_GROUPS) {
            memcpy(c->code + c->len, g.buf, g.n);
            c->len = (uint16_t)(c->len + g.n);
            c->group_end[c->ngroups] = c->len;
            c->group_def[c->ngroups] = DT_X87_C1;
            c->group_undef[c->ngroups] = 0;
            c->group_reads[c->ngroups] = 0;
            c->ngroups++;
            undef = undef_after(undef, DT_X87_C1, 0);
        }
    }
    c->undef_flags = undef;
    gen_xmm_init(c);
}

bool dt_case_subset(const DtCase *src, uint32_t keep, DtCase *dst)
{
    DtCase out = *src;
    uint16_t undef = 0;
    bool valid = true;

    out.len = 0;
    out.ngroups = 0;
    for (unsigned i = 0; i < src->ngroups; i++) {
        if (!(keep & (1u << i))) {
            continue;
        }
        unsigned start = i ? src->group_end[i - 1] : 0;
        unsigned n = src->group_end[i] - start;
        if (src->group_reads[i] & undef) {
            valid = false;
        }
        memcpy(out.code + out.len, src->code + start, n);
        out.len = (uint16_t)(out.len + n);
        out.group_end[out.ngroups] = out.len;
        out.group_def[out.ngroups] = src->group_def[i];
        out.group_undef[out.ngroups] = src->group_undef[i];
        out.group_reads[out.ngroups] = src->group_reads[i];
        out.ngroups++;
        undef = undef_after(undef, src->group_def[i], src->group_undef[i]);
    }
    out.undef_flags = undef;
    *dst = out;
    return valid;
}

void dt_fill_memory(uint64_t mem_seed, uint8_t *data, uint8_t *stack)
{
    uint64_t x = mem_seed;
    for (unsigned i = 0; i < DT_PAGE; i += 8) {
        x = dt_rand_mix(x);
        memcpy(data + i, &x, 8);
        x = dt_rand_mix(x);
        memcpy(stack + i, &x, 8);
    }
}

uint16_t dt_undef_at(const DtCase *c, uint64_t offset)
{
    uint16_t undef = 0;
    for (unsigned i = 0; i < c->ngroups && c->group_end[i] <= offset; i++) {
        undef = undef_after(undef, c->group_def[i], c->group_undef[i]);
    }
    return undef;
}
