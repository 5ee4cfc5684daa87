/*
 * Shift and rotate handlers: SHL/SAL SHR SAR ROL ROR RCL RCR, SHLD SHRD.
 *
 * Counts are masked to 5 bits (6 with a 64-bit operand); a masked count of 0
 * changes no flags. SHL/SHR/SAR record lazy flags (CC_OP_SHL/SHR/SAR: src = the
 * masked count, src2 = the value shifted, as cpu.h documents); rotates and the
 * double shifts compute their flags here. Choices where the SDM says undefined:
 *  - OF for counts > 1 uses the 1-bit formula (SHL/ROL/RCL/SHLD: MSB(result) XOR
 *    CF; SHR: MSB(original); ROR/RCR/SHRD: XOR of the two top result bits), as
 *    current Intel cores do.
 *  - AF after SHL/SHR/SAR/SHLD/SHRD with a non-zero count reads as 0.
 *  - SHLD/SHRD on 16-bit operands with a count above 16 behave as Intel cores do:
 *    the shift runs over the 48-bit pattern dest:src:dest.
 * A zero count still writes a register destination back (a 32-bit register is
 * then zero-extended in 64-bit mode, like the hardware), but not memory.
 */
#include "cpu/exec.h"

static inline unsigned count_mask(unsigned bits)
{
    return bits == 64 ? 63 : 31;
}

static inline uint64_t msb(uint64_t v, unsigned bits)
{
    return (v >> (bits - 1)) & 1;
}

/* Write back an unchanged destination for a zero count (register only). */
static void write_back_zero_count(X86CPU *cpu, const X86DecodedInsn *insn, uint64_t v)
{
    if (insn->mod == 3) {
        exec_write(cpu, insn, 0, v);
    }
}

typedef enum ShiftKind { SH_ROL, SH_ROR, SH_RCL, SH_RCR, SH_SHL, SH_SHR, SH_SAR } ShiftKind;

static void shift_op(X86CPU *cpu, const X86DecodedInsn *insn, ShiftKind kind)
{
    unsigned bits = insn->opsize;
    uint64_t v = exec_read(cpu, insn, 0);
    unsigned count = (unsigned)exec_read(cpu, insn, 1) & count_mask(bits);
    uint64_t r, cf, of;
    unsigned n;

    if (count == 0) {
        write_back_zero_count(cpu, insn, v);
        return;
    }
    switch (kind) {
    case SH_SHL:
        r = count >= 64 ? 0 : trunc_bits(v << count, bits);
        exec_write(cpu, insn, 0, r);
        cpu_set_cc(cpu, CC_OP_SHL, bits, r, count, v);
        return;
    case SH_SHR:
        r = count >= 64 ? 0 : v >> count;
        exec_write(cpu, insn, 0, r);
        cpu_set_cc(cpu, CC_OP_SHR, bits, r, count, v);
        return;
    case SH_SAR:
        r = trunc_bits((uint64_t)(sext(v, bits) >> (count > 63 ? 63 : count)), bits);
        exec_write(cpu, insn, 0, r);
        cpu_set_cc(cpu, CC_OP_SAR, bits, r, count, v);
        return;
    case SH_ROL:
        n = count % bits;
        r = n ? trunc_bits((v << n) | (v >> (bits - n)), bits) : v;
        cf = r & 1;
        of = msb(r, bits) ^ cf;
        break;
    case SH_ROR:
        n = count % bits;
        r = n ? trunc_bits((v >> n) | (v << (bits - n)), bits) : v;
        cf = msb(r, bits);
        of = msb(r, bits) ^ msb(r, bits - 1);
        break;
    case SH_RCL:
    case SH_RCR: {
        /* Rotate the (bits + 1)-bit value CF:dest. */
        n = count % (bits + 1);
        if (n == 0) {
            write_back_zero_count(cpu, insn, v);
            return;
        }
        unsigned w = bits + 1;
        unsigned __int128 wmask = ((unsigned __int128)1 << w) - 1;
        unsigned __int128 x = ((unsigned __int128)(cpu_get_rflags(cpu) & X86_FLAG_CF) << bits) | v;
        unsigned __int128 y;
        if (kind == SH_RCL) {
            y = ((x << n) | (x >> (w - n))) & wmask;
        } else {
            y = ((x >> n) | (x << (w - n))) & wmask;
        }
        r = trunc_bits((uint64_t)y, bits);
        cf = (uint64_t)(y >> bits) & 1;
        of = kind == SH_RCL ? msb(r, bits) ^ cf : msb(r, bits) ^ msb(r, bits - 1);
        break;
    }
    default:
        return;
    }
    exec_write(cpu, insn, 0, r);
    exec_set_flags(cpu, X86_FLAG_CF | X86_FLAG_OF,
                   (cf ? X86_FLAG_CF : 0) | (of ? X86_FLAG_OF : 0));
}

static void exec_rol(X86CPU *cpu, const X86DecodedInsn *insn) { shift_op(cpu, insn, SH_ROL); }
static void exec_ror(X86CPU *cpu, const X86DecodedInsn *insn) { shift_op(cpu, insn, SH_ROR); }
static void exec_rcl(X86CPU *cpu, const X86DecodedInsn *insn) { shift_op(cpu, insn, SH_RCL); }
static void exec_rcr(X86CPU *cpu, const X86DecodedInsn *insn) { shift_op(cpu, insn, SH_RCR); }
static void exec_shl(X86CPU *cpu, const X86DecodedInsn *insn) { shift_op(cpu, insn, SH_SHL); }
static void exec_shr(X86CPU *cpu, const X86DecodedInsn *insn) { shift_op(cpu, insn, SH_SHR); }
static void exec_sar(X86CPU *cpu, const X86DecodedInsn *insn) { shift_op(cpu, insn, SH_SAR); }

/* SHLD/SHRD: operand 0 the destination, 1 the register shifted in, 2 the count. */
static void double_shift(X86CPU *cpu, const X86DecodedInsn *insn, bool left)
{
    unsigned bits = insn->opsize;
    uint64_t d = exec_read(cpu, insn, 0);
    uint64_t s = exec_read(cpu, insn, 1);
    unsigned c = (unsigned)exec_read(cpu, insn, 2) & count_mask(bits);
    unsigned __int128 x;
    unsigned w;
    uint64_t r, cf;

    if (c == 0) {
        write_back_zero_count(cpu, insn, d);
        return;
    }
    if (bits == 16) {
        /* 48-bit pattern dest:src:dest (high to low) for SHLD; for SHRD the low
         * 16 bits are dest, then src, then dest again. */
        w = 48;
        x = ((unsigned __int128)d << 32) | (s << 16) | d;
    } else {
        w = 2 * bits;
        x = left ? ((unsigned __int128)d << bits) | s
                 : ((unsigned __int128)s << bits) | d;
    }
    if (left) {
        r = trunc_bits((uint64_t)((x << c) >> (w - bits)), bits);
        cf = (uint64_t)(x >> (w - c)) & 1;
    } else {
        r = trunc_bits((uint64_t)(x >> c), bits);
        cf = (uint64_t)(x >> (c - 1)) & 1;
    }
    exec_write(cpu, insn, 0, r);
    uint64_t of = msb(r, bits) ^ msb(d, bits);     /* sign change */
    exec_set_flags(cpu, X86_ARITH_FLAGS,
                   exec_szp_flags(r, bits) | (cf ? X86_FLAG_CF : 0) |
                   (of ? X86_FLAG_OF : 0));
}

static void exec_shld(X86CPU *cpu, const X86DecodedInsn *insn) { double_shift(cpu, insn, true); }
static void exec_shrd(X86CPU *cpu, const X86DecodedInsn *insn) { double_shift(cpu, insn, false); }

void exec_register_shift(ExecFn *table)
{
    table[X86_OP_ROL] = exec_rol;
    table[X86_OP_ROR] = exec_ror;
    table[X86_OP_RCL] = exec_rcl;
    table[X86_OP_RCR] = exec_rcr;
    table[X86_OP_SHL] = exec_shl;
    table[X86_OP_SHR] = exec_shr;
    table[X86_OP_SAR] = exec_sar;
    table[X86_OP_SHLD] = exec_shld;
    table[X86_OP_SHRD] = exec_shrd;
}
