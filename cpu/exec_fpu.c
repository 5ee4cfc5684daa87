/*
 * x87 instruction handlers: loads and stores of every format (single, double,
 * extended, 16/32/64-bit integer, packed BCD), constants, exchange, arithmetic
 * (register, real-memory and integer-memory forms, with and without pop),
 * compares (FCOM/FUCOM/FICOM families, FCOMI/FUCOMI to EFLAGS, FTST, FXAM), FCMOVcc,
 * sign operations, square root, rounding, partial remainders, scaling, the
 * transcendentals and the stack-pointer and tag instructions. The control and
 * environment instructions (FINIT, FCLEX, FSTSW, FLDCW, FSTENV/FLDENV, FSAVE/FRSTOR,
 * FXSAVE/FXRSTOR, FWAIT) are in fpu_env.c; the core (stack, tags, exceptions, host
 * arithmetic) in fpu.c.
 *
 * Unmasked exceptions: invalid operation, denormal and zero divide suppress the
 * result (the destination and TOP are left unchanged); overflow, underflow and
 * precision deliver the rounded result (the SDM's bias-adjusted result for unmasked
 * overflow/underflow on register destinations is not modelled), except for stores
 * to memory, which write nothing.
 */
#include "cpu/fpu.h"

#include <string.h>

#define SUPPRESS_PRE (FSW_IE | FSW_DE | FSW_ZE)
#define SUPPRESS_STORE (FSW_IE | FSW_OE | FSW_UE)

/* Fold a host status word into FSW: the condition codes in cc_mask are replaced,
 * the exception flags accumulated. True when an unmasked exception in `suppress`
 * occurred, so the handler must not write its result. */
static bool fold(X86CPU *cpu, uint16_t hsw, uint16_t cc_mask, uint16_t suppress)
{
    X86FpuState *f = &cpu->s.fpu;
    f->fsw = (uint16_t)((f->fsw & ~cc_mask) | (hsw & cc_mask));
    return (fpu_raise_flags(cpu, hsw & FSW_EXC) & suppress) != 0;
}

static void clear_c1(X86CPU *cpu)
{
    cpu->s.fpu.fsw &= (uint16_t)~FSW_C1;
}

/* Read the memory operand (operand 0 of every x87 memory form) as a value. */
static uint16_t load_mem(X86CPU *cpu, const X86DecodedInsn *insn, long double *v)
{
    uint8_t img[16] = { 0 };
    uint64_t lo;

    switch (insn->operand[0]) {
    case X86_OPND_Mfs:
        return fpu_host_ld32(cpu, (uint32_t)fpu_mem_ld(cpu, insn, 0, 4), v);
    case X86_OPND_Mfd:
        return fpu_host_ld64(cpu, fpu_mem_ld(cpu, insn, 0, 8), v);
    case X86_OPND_Mfe:
        lo = fpu_mem_ld(cpu, insn, 0, 8);
        memcpy(img, &lo, 8);
        lo = fpu_mem_ld(cpu, insn, 8, 2);
        img[8] = (uint8_t)lo;
        img[9] = (uint8_t)(lo >> 8);
        memcpy(v, img, sizeof(*v));
        return 0;
    case X86_OPND_Mwi:
        *v = (long double)(int16_t)fpu_mem_ld(cpu, insn, 0, 2);
        return 0;
    case X86_OPND_Mdi:
        *v = (long double)(int32_t)fpu_mem_ld(cpu, insn, 0, 4);
        return 0;
    case X86_OPND_Mqi:
        *v = (long double)(int64_t)fpu_mem_ld(cpu, insn, 0, 8);
        return 0;
    case X86_OPND_Mbcd:
        lo = fpu_mem_ld(cpu, insn, 0, 8);
        memcpy(img, &lo, 8);
        lo = fpu_mem_ld(cpu, insn, 8, 2);
        img[8] = (uint8_t)lo;
        img[9] = (uint8_t)(lo >> 8);
        return fpu_host_bcd_load(cpu, img, v);
    default:
        cpu_raise(cpu, EXCP_UD);
    }
}

/* 4 or 8 for a single or double real memory operand, else 0. */
static unsigned float_mem_size(const X86DecodedInsn *insn)
{
    if (!x86_insn_has_mem(insn)) {
        return 0;
    }
    switch (insn->operand[0]) {
    case X86_OPND_Mfs: return 4;
    case X86_OPND_Mfd: return 8;
    default: return 0;
    }
}

static void store_ext(X86CPU *cpu, const X86DecodedInsn *insn, long double v)
{
    uint8_t img[16];
    uint64_t lo;
    memcpy(img, &v, 10);
    memcpy(&lo, img, 8);
    fpu_mem_st(cpu, insn, 0, lo, 8);
    fpu_mem_st(cpu, insn, 8, img[8] | (unsigned)img[9] << 8, 2);
}

/* Register operand of a register form: ST(rm). */
static unsigned sti(const X86DecodedInsn *insn)
{
    return insn->rm & 7;
}

/* Stack overflow check before an instruction that replaces ST(0) and pushes:
 * 0 = room, 1 = masked overflow (write indefinites), -1 = unmasked (do nothing). */
static int push_room(X86CPU *cpu)
{
    if (fpu_empty(&cpu->s.fpu, 7)) {
        return 0;
    }
    cpu->s.fpu.fsw |= FSW_C1;
    return (fpu_raise_flags(cpu, FSW_IE | FSW_SF) & FSW_IE) ? -1 : 1;
}

/* ---- loads ---- */

static void op_fld(X86CPU *cpu, const X86DecodedInsn *insn)
{
    X86FpuState *f = &cpu->s.fpu;
    long double v;

    fpu_prepare(cpu, true);
    if (x86_insn_has_mem(insn)) {
        uint16_t sw = load_mem(cpu, insn, &v);
        fpu_note_insn(cpu, insn);
        clear_c1(cpu);
        if (!fpu_empty(f, 7)) {
            sw = 0;             /* stack overflow outranks what the conversion raised */
        }
        if (fold(cpu, sw, 0, SUPPRESS_PRE)) {
            return;
        }
    } else {
        fpu_note_insn(cpu, insn);
        clear_c1(cpu);
        if (fpu_empty(f, sti(insn))) {
            if (!fpu_stack_underflow(cpu)) {
                return;
            }
            v = fpu_indefinite();
        } else {
            v = fpu_get(f, sti(insn));
        }
    }
    fpu_push(cpu, v);
}

static void op_fild_fbld(X86CPU *cpu, const X86DecodedInsn *insn)
{
    op_fld(cpu, insn);                /* load_mem knows the integer and BCD kinds */
}

static void op_fconst(X86CPU *cpu, const X86DecodedInsn *insn)
{
    static const uint16_t order[] = {
        [X86_OP_FLD1] = 0, [X86_OP_FLDL2T] = 1, [X86_OP_FLDL2E] = 2, [X86_OP_FLDPI] = 3,
        [X86_OP_FLDLG2] = 4, [X86_OP_FLDLN2] = 5, [X86_OP_FLDZ] = 6,
    };
    fpu_prepare(cpu, true);
    fpu_note_insn(cpu, insn);
    clear_c1(cpu);
    fpu_push(cpu, fpu_host_const(cpu, order[insn->op]));
}

/* ---- stores ---- */

static void op_fst(X86CPU *cpu, const X86DecodedInsn *insn)
{
    X86FpuState *f = &cpu->s.fpu;
    bool pop = insn->op == X86_OP_FSTP || insn->op == X86_OP_FISTP ||
               insn->op == X86_OP_FBSTP;
    long double v;
    uint16_t sw = 0;
    uint64_t bits;
    uint8_t bcd[10];

    fpu_prepare(cpu, true);
    clear_c1(cpu);
    if (fpu_empty(f, 0)) {
        if (!fpu_stack_underflow(cpu)) {
            fpu_note_insn(cpu, insn);
            return;
        }
        v = fpu_indefinite();
    } else {
        v = fpu_get(f, 0);
    }
    if (!x86_insn_has_mem(insn)) {
        fpu_note_insn(cpu, insn);
        if (fpu_empty(f, 0)) {
            fpu_set(f, sti(insn), v);
        } else {
            fpu_set_raw(f, sti(insn), f->st[0]);
        }
        if (pop) {
            fpu_pop(f);
        }
        return;
    }
    switch (insn->operand[0]) {
    case X86_OPND_Mfs: {
        uint32_t b32;
        sw = fpu_host_st32(cpu, v, &b32);
        bits = b32;
        break;
    }
    case X86_OPND_Mfd:
        sw = fpu_host_st64(cpu, v, &bits);
        break;
    case X86_OPND_Mwi:
        sw = fpu_host_sti(cpu, v, 2, &bits);
        break;
    case X86_OPND_Mdi:
        sw = fpu_host_sti(cpu, v, 4, &bits);
        break;
    case X86_OPND_Mqi:
        sw = fpu_host_sti(cpu, v, 8, &bits);
        break;
    case X86_OPND_Mbcd:
        sw = fpu_host_bcd_store(cpu, v, bcd);
        break;
    default:
        break;
    }
    /* the exceptions are decided before the store; the store may still fault */
    X86FpuState saved = *f;
    if (fold(cpu, sw, FSW_C1, SUPPRESS_STORE)) {
        fpu_note_insn(cpu, insn);
        return;
    }
    switch (insn->operand[0]) {
    case X86_OPND_Mfs: fpu_mem_st(cpu, insn, 0, bits, 4); break;
    case X86_OPND_Mfd: case X86_OPND_Mqi: fpu_mem_st(cpu, insn, 0, bits, 8); break;
    case X86_OPND_Mwi: fpu_mem_st(cpu, insn, 0, bits, 2); break;
    case X86_OPND_Mdi: fpu_mem_st(cpu, insn, 0, bits, 4); break;
    case X86_OPND_Mfe: store_ext(cpu, insn, v); break;
    case X86_OPND_Mbcd: {
        uint64_t lo;
        memcpy(&lo, bcd, 8);
        fpu_mem_st(cpu, insn, 0, lo, 8);
        fpu_mem_st(cpu, insn, 8, bcd[8] | (unsigned)bcd[9] << 8, 2);
        break;
    }
    default:
        *f = saved;
        cpu_raise(cpu, EXCP_UD);
    }
    fpu_note_insn(cpu, insn);
    if (pop) {
        fpu_pop(f);
    }
}

/* ---- exchange, conditional moves, stack and tags ---- */

static void op_fxch(X86CPU *cpu, const X86DecodedInsn *insn)
{
    X86FpuState *f = &cpu->s.fpu;
    unsigned i = sti(insn);
    uint8_t tmp[16];

    fpu_prepare(cpu, true);
    fpu_note_insn(cpu, insn);
    clear_c1(cpu);
    if (fpu_empty(f, 0) || fpu_empty(f, i)) {
        if (!fpu_stack_underflow(cpu)) {
            return;
        }
        if (fpu_empty(f, 0)) {
            fpu_set(f, 0, fpu_indefinite());
        }
        if (fpu_empty(f, i)) {
            fpu_set(f, i, fpu_indefinite());
        }
    }
    memcpy(tmp, f->st[0], 16);
    memcpy(f->st[0], f->st[i], 16);
    memcpy(f->st[i], tmp, 16);
}

static void op_fcmov(X86CPU *cpu, const X86DecodedInsn *insn)
{
    static const uint8_t cond[] = {
        [X86_OP_FCMOVB] = 0x2, [X86_OP_FCMOVE] = 0x4, [X86_OP_FCMOVBE] = 0x6,
        [X86_OP_FCMOVU] = 0xa, [X86_OP_FCMOVNB] = 0x3, [X86_OP_FCMOVNE] = 0x5,
        [X86_OP_FCMOVNBE] = 0x7, [X86_OP_FCMOVNU] = 0xb,
    };
    X86FpuState *f = &cpu->s.fpu;
    unsigned i = sti(insn);

    fpu_prepare(cpu, true);
    fpu_note_insn(cpu, insn);
    clear_c1(cpu);
    if (fpu_empty(f, 0) || fpu_empty(f, i)) {
        if (fpu_stack_underflow(cpu)) {
            fpu_set(f, 0, fpu_indefinite());
        }
        return;
    }
    if (cpu_cond(cpu, cond[insn->op])) {
        fpu_set_raw(f, 0, f->st[i]);
    }
}

static void op_fstack(X86CPU *cpu, const X86DecodedInsn *insn)
{
    X86FpuState *f = &cpu->s.fpu;

    fpu_prepare(cpu, true);
    fpu_note_insn(cpu, insn);
    switch (insn->op) {
    case X86_OP_FDECSTP: clear_c1(cpu); fpu_decstp(f); break;
    case X86_OP_FINCSTP: clear_c1(cpu); fpu_incstp(f); break;
    case X86_OP_FFREE: fpu_free(f, sti(insn)); break;
    case X86_OP_FFREEP: fpu_free(f, sti(insn)); fpu_incstp(f); break;
    default: break;                                  /* FNOP */
    }
}

/* ---- arithmetic ---- */

static void op_arith(X86CPU *cpu, const X86DecodedInsn *insn)
{
    X86FpuState *f = &cpu->s.fpu;
    FpuHostOp hop;
    bool rev = false, pop = false;
    unsigned dst = 0, other = 0;
    long double src = 0, r;
    uint16_t sw = 0;

    switch (insn->op) {
    case X86_OP_FADDP: pop = true; /* fall through */
    case X86_OP_FADD: case X86_OP_FIADD: hop = FPU_ADD; break;
    case X86_OP_FMULP: pop = true; /* fall through */
    case X86_OP_FMUL: case X86_OP_FIMUL: hop = FPU_MUL; break;
    case X86_OP_FSUBP: pop = true; /* fall through */
    case X86_OP_FSUB: case X86_OP_FISUB: hop = FPU_SUB; break;
    case X86_OP_FSUBRP: pop = true; /* fall through */
    case X86_OP_FSUBR: case X86_OP_FISUBR: hop = FPU_SUB; rev = true; break;
    case X86_OP_FDIVP: pop = true; /* fall through */
    case X86_OP_FDIV: case X86_OP_FIDIV: hop = FPU_DIV; break;
    case X86_OP_FDIVRP: pop = true; /* fall through */
    default: hop = FPU_DIV; rev = true; break;       /* FDIVR, FIDIVR */
    }

    fpu_prepare(cpu, true);
    bool mem = x86_insn_has_mem(insn);
    unsigned fp_size = float_mem_size(insn);
    uint64_t fp_bits = 0;
    if (fp_size) {
        fp_bits = fpu_mem_ld(cpu, insn, 0, fp_size);  /* used in its own format */
    } else if (mem) {
        sw = load_mem(cpu, insn, &src);
    } else if (insn->operand[0] == X86_OPND_STi) {
        dst = sti(insn);
    } else {
        other = sti(insn);
    }
    fpu_note_insn(cpu, insn);
    if (fpu_empty(f, dst) || (!mem && fpu_empty(f, other))) {
        clear_c1(cpu);
        if (fpu_stack_underflow(cpu)) {
            fpu_set(f, dst, fpu_indefinite());
            if (pop) {
                fpu_pop(f);
            }
        }
        return;
    }
    if (!mem) {
        src = fpu_get(f, other);
    }
    long double a = fpu_get(f, dst);
    if (fp_size) {
        sw = fpu_host_op_mem(cpu, hop, rev, a, fp_bits, fp_size, &r);
    } else {
        sw |= rev ? fpu_host_op(cpu, hop, src, a, &r) : fpu_host_op(cpu, hop, a, src, &r);
    }
    if (fold(cpu, sw, FSW_C1, SUPPRESS_PRE)) {
        return;
    }
    fpu_set(f, dst, r);
    if (pop) {
        fpu_pop(f);
    }
}

/* ---- compares ---- */

static void op_fcom(X86CPU *cpu, const X86DecodedInsn *insn)
{
    X86FpuState *f = &cpu->s.fpu;
    unsigned pops = 0, other = 1;
    bool quiet = false, to_eflags = false;
    long double src = 0;
    uint16_t sw = 0;

    switch (insn->op) {
    case X86_OP_FCOMP: case X86_OP_FICOMP: pops = 1; break;
    case X86_OP_FCOMPP: pops = 2; break;
    case X86_OP_FUCOM: quiet = true; break;
    case X86_OP_FUCOMP: quiet = true; pops = 1; break;
    case X86_OP_FUCOMPP: quiet = true; pops = 2; break;
    case X86_OP_FCOMI: to_eflags = true; break;
    case X86_OP_FCOMIP: to_eflags = true; pops = 1; break;
    case X86_OP_FUCOMI: to_eflags = true; quiet = true; break;
    case X86_OP_FUCOMIP: to_eflags = true; quiet = true; pops = 1; break;
    default: break;                                   /* FCOM, FICOM */
    }

    fpu_prepare(cpu, true);
    bool mem = x86_insn_has_mem(insn);
    unsigned fp_size = float_mem_size(insn);
    uint64_t fp_bits = 0;
    if (fp_size) {
        fp_bits = fpu_mem_ld(cpu, insn, 0, fp_size);  /* compared in its own format */
    } else if (mem) {
        sw = load_mem(cpu, insn, &src);
    } else if (insn->op != X86_OP_FCOMPP && insn->op != X86_OP_FUCOMPP) {
        other = sti(insn);
    }
    fpu_note_insn(cpu, insn);
    clear_c1(cpu);
    uint16_t cc;
    if (fpu_empty(f, 0) || (!mem && fpu_empty(f, other))) {
        if (!fpu_stack_underflow(cpu)) {
            return;
        }
        cc = FSW_C0 | FSW_C2 | FSW_C3;                /* unordered */
    } else {
        if (!mem) {
            src = fpu_get(f, other);
        }
        if (fp_size) {
            sw = fpu_host_compare_mem(cpu, fpu_get(f, 0), fp_bits, fp_size);
        } else {
            sw |= fpu_host_compare(cpu, fpu_get(f, 0), src, quiet);
        }
        if ((fpu_raise_flags(cpu, sw & FSW_EXC) & (FSW_IE | FSW_DE))) {
            return;
        }
        cc = sw & (FSW_C0 | FSW_C2 | FSW_C3);
    }
    if (to_eflags) {
        exec_set_flags(cpu, X86_FLAG_ZF | X86_FLAG_PF | X86_FLAG_CF | X86_FLAG_OF |
                            X86_FLAG_SF | X86_FLAG_AF,
                       (cc & FSW_C3 ? X86_FLAG_ZF : 0) | (cc & FSW_C2 ? X86_FLAG_PF : 0) |
                       (cc & FSW_C0 ? X86_FLAG_CF : 0));
    } else {
        f->fsw = (uint16_t)((f->fsw & ~(FSW_C0 | FSW_C2 | FSW_C3)) | cc);
    }
    while (pops--) {
        fpu_pop(f);
    }
}

static void op_ftst(X86CPU *cpu, const X86DecodedInsn *insn)
{
    X86FpuState *f = &cpu->s.fpu;
    fpu_prepare(cpu, true);
    fpu_note_insn(cpu, insn);
    clear_c1(cpu);
    uint16_t cc;
    if (fpu_empty(f, 0)) {
        if (!fpu_stack_underflow(cpu)) {
            return;
        }
        cc = FSW_C0 | FSW_C2 | FSW_C3;
    } else {
        uint16_t sw = fpu_host_compare(cpu, fpu_get(f, 0), 0.0L, false);
        if (fpu_raise_flags(cpu, sw & FSW_EXC) & (FSW_IE | FSW_DE)) {
            return;
        }
        cc = sw & (FSW_C0 | FSW_C2 | FSW_C3);
    }
    f->fsw = (uint16_t)((f->fsw & ~(FSW_C0 | FSW_C2 | FSW_C3)) | cc);
}

static void op_fxam(X86CPU *cpu, const X86DecodedInsn *insn)
{
    X86FpuState *f = &cpu->s.fpu;
    const uint8_t *img = f->st[0];
    uint64_t m;
    unsigned e = (img[8] | (unsigned)img[9] << 8) & 0x7fff;
    uint16_t cc;

    fpu_prepare(cpu, true);
    fpu_note_insn(cpu, insn);
    memcpy(&m, img, 8);
    if (fpu_empty(f, 0)) {
        cc = FSW_C3 | FSW_C0;
    } else if (e == 0x7fff) {
        if (!(m >> 63)) {
            cc = 0;                                   /* pseudo-NaN/-infinity */
        } else {
            cc = (m << 1) ? FSW_C0 : FSW_C2 | FSW_C0;  /* NaN : infinity */
        }
    } else if (e == 0) {
        cc = m == 0 ? FSW_C3 : FSW_C3 | FSW_C2;       /* zero : denormal */
    } else {
        cc = (m >> 63) ? FSW_C2 : 0;                  /* normal : unnormal */
    }
    if (img[9] & 0x80) {
        cc |= FSW_C1;
    }
    f->fsw = (uint16_t)((f->fsw & ~FSW_CC) | cc);
}

/* ---- one-operand and ST(0)/ST(1) operations ---- */

static void op_unary(X86CPU *cpu, const X86DecodedInsn *insn)
{
    X86FpuState *f = &cpu->s.fpu;
    FpuHostOp hop;
    uint16_t ccmask = FSW_C1;
    long double r;

    switch (insn->op) {
    case X86_OP_FCHS: hop = FPU_CHS; break;
    case X86_OP_FABS: hop = FPU_ABS; break;
    case X86_OP_FSQRT: hop = FPU_SQRT; break;
    case X86_OP_FRNDINT: hop = FPU_RNDINT; break;
    case X86_OP_F2XM1: hop = FPU_F2XM1; break;
    case X86_OP_FSIN: hop = FPU_SIN; ccmask |= FSW_C2; break;
    default: hop = FPU_COS; ccmask |= FSW_C2; break;
    }
    fpu_prepare(cpu, true);
    fpu_note_insn(cpu, insn);
    clear_c1(cpu);
    if (fpu_empty(f, 0)) {
        if (fpu_stack_underflow(cpu)) {
            fpu_set(f, 0, fpu_indefinite());
        }
        return;
    }
    if (hop == FPU_CHS || hop == FPU_ABS) {
        /* sign operations never raise and work on any encoding */
        f->st[0][9] = hop == FPU_CHS ? f->st[0][9] ^ 0x80 : f->st[0][9] & 0x7f;
        return;
    }
    uint16_t sw = fpu_host_op(cpu, hop, fpu_get(f, 0), 0, &r);
    if (fold(cpu, sw, ccmask, SUPPRESS_PRE) || (sw & ccmask & FSW_C2)) {
        return;                          /* C2: out of range, ST(0) unchanged */
    }
    fpu_set(f, 0, r);
}

static void op_binary01(X86CPU *cpu, const X86DecodedInsn *insn)
{
    X86FpuState *f = &cpu->s.fpu;
    FpuHostOp hop;
    uint16_t ccmask = FSW_C1;
    bool to_st1 = false;
    long double r;

    switch (insn->op) {
    case X86_OP_FPREM: hop = FPU_PREM; ccmask = FSW_CC; break;
    case X86_OP_FPREM1: hop = FPU_PREM1; ccmask = FSW_CC; break;
    case X86_OP_FSCALE: hop = FPU_SCALE; break;
    case X86_OP_FYL2X: hop = FPU_YL2X; to_st1 = true; break;
    case X86_OP_FYL2XP1: hop = FPU_YL2XP1; to_st1 = true; break;
    default: hop = FPU_PATAN; to_st1 = true; break;
    }
    fpu_prepare(cpu, true);
    fpu_note_insn(cpu, insn);
    clear_c1(cpu);
    if (fpu_empty(f, 0) || fpu_empty(f, 1)) {
        if (fpu_stack_underflow(cpu)) {
            fpu_set(f, to_st1 ? 1 : 0, fpu_indefinite());
            if (to_st1) {
                fpu_pop(f);
            }
        }
        return;
    }
    uint16_t sw = fpu_host_op(cpu, hop, fpu_get(f, 0), fpu_get(f, 1), &r);
    if (fold(cpu, sw, ccmask, SUPPRESS_PRE)) {
        return;
    }
    if (to_st1) {
        fpu_set(f, 1, r);
        fpu_pop(f);
    } else {
        fpu_set(f, 0, r);
    }
}

/* FXTRACT, FPTAN, FSINCOS: ST(0) is replaced and a second result pushed. */
static void op_push2(X86CPU *cpu, const X86DecodedInsn *insn)
{
    X86FpuState *f = &cpu->s.fpu;
    FpuHostOp2 hop = insn->op == X86_OP_FXTRACT ? FPU_XTRACT
                   : insn->op == X86_OP_FPTAN ? FPU_PTAN : FPU_SINCOS;
    long double r0, r1;

    fpu_prepare(cpu, true);
    fpu_note_insn(cpu, insn);
    clear_c1(cpu);
    if (fpu_empty(f, 0)) {
        if (fpu_stack_underflow(cpu)) {
            fpu_set(f, 0, fpu_indefinite());
            fpu_push(cpu, fpu_indefinite());
        }
        return;
    }
    int room = push_room(cpu);
    if (room < 0) {
        return;
    }
    if (room > 0) {
        fpu_set(f, 0, fpu_indefinite());
        fpu_decstp(f);
        fpu_set(f, 0, fpu_indefinite());
        return;
    }
    uint16_t ccmask = hop == FPU_XTRACT ? FSW_C1 : FSW_C1 | FSW_C2;
    uint16_t sw = fpu_host_op2(cpu, hop, fpu_get(f, 0), &r0, &r1);
    if (fold(cpu, sw, ccmask, SUPPRESS_PRE) || (sw & ccmask & FSW_C2)) {
        return;
    }
    fpu_set(f, 0, r1);
    fpu_decstp(f);
    fpu_set(f, 0, r0);
}

/* ---- registration ---- */

void exec_register_fpu(ExecFn *table)
{
    static const struct { uint16_t op; ExecFn fn; } ops[] = {
        { X86_OP_FLD, op_fld }, { X86_OP_FILD, op_fild_fbld }, { X86_OP_FBLD, op_fild_fbld },
        { X86_OP_FLD1, op_fconst }, { X86_OP_FLDL2T, op_fconst },
        { X86_OP_FLDL2E, op_fconst }, { X86_OP_FLDPI, op_fconst },
        { X86_OP_FLDLG2, op_fconst }, { X86_OP_FLDLN2, op_fconst }, { X86_OP_FLDZ, op_fconst },
        { X86_OP_FST, op_fst }, { X86_OP_FSTP, op_fst }, { X86_OP_FIST, op_fst },
        { X86_OP_FISTP, op_fst }, { X86_OP_FBSTP, op_fst },
        { X86_OP_FXCH, op_fxch },
        { X86_OP_FCMOVB, op_fcmov }, { X86_OP_FCMOVE, op_fcmov },
        { X86_OP_FCMOVBE, op_fcmov }, { X86_OP_FCMOVU, op_fcmov },
        { X86_OP_FCMOVNB, op_fcmov }, { X86_OP_FCMOVNE, op_fcmov },
        { X86_OP_FCMOVNBE, op_fcmov }, { X86_OP_FCMOVNU, op_fcmov },
        { X86_OP_FDECSTP, op_fstack }, { X86_OP_FINCSTP, op_fstack },
        { X86_OP_FFREE, op_fstack }, { X86_OP_FFREEP, op_fstack }, { X86_OP_FNOP, op_fstack },
        { X86_OP_FADD, op_arith }, { X86_OP_FADDP, op_arith }, { X86_OP_FIADD, op_arith },
        { X86_OP_FMUL, op_arith }, { X86_OP_FMULP, op_arith }, { X86_OP_FIMUL, op_arith },
        { X86_OP_FSUB, op_arith }, { X86_OP_FSUBP, op_arith }, { X86_OP_FISUB, op_arith },
        { X86_OP_FSUBR, op_arith }, { X86_OP_FSUBRP, op_arith }, { X86_OP_FISUBR, op_arith },
        { X86_OP_FDIV, op_arith }, { X86_OP_FDIVP, op_arith }, { X86_OP_FIDIV, op_arith },
        { X86_OP_FDIVR, op_arith }, { X86_OP_FDIVRP, op_arith }, { X86_OP_FIDIVR, op_arith },
        { X86_OP_FCOM, op_fcom }, { X86_OP_FCOMP, op_fcom }, { X86_OP_FCOMPP, op_fcom },
        { X86_OP_FUCOM, op_fcom }, { X86_OP_FUCOMP, op_fcom }, { X86_OP_FUCOMPP, op_fcom },
        { X86_OP_FICOM, op_fcom }, { X86_OP_FICOMP, op_fcom },
        { X86_OP_FCOMI, op_fcom }, { X86_OP_FCOMIP, op_fcom },
        { X86_OP_FUCOMI, op_fcom }, { X86_OP_FUCOMIP, op_fcom },
        { X86_OP_FTST, op_ftst }, { X86_OP_FXAM, op_fxam },
        { X86_OP_FCHS, op_unary }, { X86_OP_FABS, op_unary }, { X86_OP_FSQRT, op_unary },
        { X86_OP_FRNDINT, op_unary }, { X86_OP_F2XM1, op_unary },
        { X86_OP_FSIN, op_unary }, { X86_OP_FCOS, op_unary },
        { X86_OP_FPREM, op_binary01 }, { X86_OP_FPREM1, op_binary01 },
        { X86_OP_FSCALE, op_binary01 }, { X86_OP_FYL2X, op_binary01 },
        { X86_OP_FYL2XP1, op_binary01 }, { X86_OP_FPATAN, op_binary01 },
        { X86_OP_FXTRACT, op_push2 }, { X86_OP_FPTAN, op_push2 }, { X86_OP_FSINCOS, op_push2 },
    };
    for (unsigned i = 0; i < sizeof(ops) / sizeof(ops[0]); i++) {
        table[ops[i].op] = ops[i].fn;
    }
    fpu_env_register(table);
}
