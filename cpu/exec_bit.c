/*
 * Bit handlers: BT BTS BTR BTC (register and immediate bit offsets, and the
 * memory form whose register bit offset may reach outside the addressed operand),
 * BSF and BSR.
 *
 * Flags: BTx set CF to the selected bit and leave the others unchanged (the SDM
 * leaves OF SF AF PF undefined; ZF is unaffected). BSF/BSR set ZF when the source
 * is zero and leave the destination unchanged then, as Intel and AMD cores do;
 * the undefined CF OF SF AF PF keep their values.
 */
#include "cpu/exec.h"

typedef enum BitOp { BIT_TEST, BIT_SET, BIT_RESET, BIT_COMPLEMENT } BitOp;

static void bit_op(X86CPU *cpu, const X86DecodedInsn *insn, BitOp op)
{
    unsigned bits = insn->opsize;
    bool reg_offset = insn->operand[1] != X86_OPND_Ib;
    uint64_t offset = exec_read(cpu, insn, 1);
    unsigned bit = (unsigned)(offset & (bits - 1));
    uint64_t v, r;

    if (insn->mod == 3 || !reg_offset) {
        v = exec_read(cpu, insn, 0);
    } else {
        /* Memory with a register offset: the signed offset selects an operand-
         * sized unit relative to the effective address. */
        int64_t unit = sext(offset, bits) >> (bits == 64 ? 6 : bits == 32 ? 5 : 4);
        uint64_t addr = trunc_bits(exec_ea(cpu, insn) + (uint64_t)(unit * (int64_t)(bits / 8)),
                                   insn->addrsize);
        v = cpu_ld(cpu, insn->seg, addr, bits / 8);
        r = v;
        switch (op) {
        case BIT_SET: r |= UINT64_C(1) << bit; break;
        case BIT_RESET: r &= ~(UINT64_C(1) << bit); break;
        case BIT_COMPLEMENT: r ^= UINT64_C(1) << bit; break;
        default: break;
        }
        if (op != BIT_TEST) {
            cpu_st(cpu, insn->seg, addr, r, bits / 8);
        }
        exec_set_flags(cpu, X86_FLAG_CF, ((v >> bit) & 1) ? X86_FLAG_CF : 0);
        return;
    }
    r = v;
    switch (op) {
    case BIT_SET: r |= UINT64_C(1) << bit; break;
    case BIT_RESET: r &= ~(UINT64_C(1) << bit); break;
    case BIT_COMPLEMENT: r ^= UINT64_C(1) << bit; break;
    default: break;
    }
    if (op != BIT_TEST) {
        exec_write(cpu, insn, 0, r);
    }
    exec_set_flags(cpu, X86_FLAG_CF, ((v >> bit) & 1) ? X86_FLAG_CF : 0);
}

static void exec_bt(X86CPU *cpu, const X86DecodedInsn *insn) { bit_op(cpu, insn, BIT_TEST); }
static void exec_bts(X86CPU *cpu, const X86DecodedInsn *insn) { bit_op(cpu, insn, BIT_SET); }
static void exec_btr(X86CPU *cpu, const X86DecodedInsn *insn) { bit_op(cpu, insn, BIT_RESET); }
static void exec_btc(X86CPU *cpu, const X86DecodedInsn *insn) { bit_op(cpu, insn, BIT_COMPLEMENT); }

static void bit_scan(X86CPU *cpu, const X86DecodedInsn *insn, bool reverse)
{
    uint64_t src = exec_read(cpu, insn, 1);

    if (src == 0) {
        exec_set_flags(cpu, X86_FLAG_ZF, X86_FLAG_ZF);
        return;
    }
    exec_write(cpu, insn, 0, reverse ? 63 - __builtin_clzll(src) : __builtin_ctzll(src));
    exec_set_flags(cpu, X86_FLAG_ZF, 0);
}

static void exec_bsf(X86CPU *cpu, const X86DecodedInsn *insn) { bit_scan(cpu, insn, false); }
static void exec_bsr(X86CPU *cpu, const X86DecodedInsn *insn) { bit_scan(cpu, insn, true); }

void exec_register_bit(ExecFn *table)
{
    table[X86_OP_BT] = exec_bt;
    table[X86_OP_BTS] = exec_bts;
    table[X86_OP_BTR] = exec_btr;
    table[X86_OP_BTC] = exec_btc;
    table[X86_OP_BSF] = exec_bsf;
    table[X86_OP_BSR] = exec_bsr;
}
