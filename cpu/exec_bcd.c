/*
 * Decimal-adjust handlers: DAA DAS AAA AAS AAM AAD, and the undocumented SALC.
 * (The decoder rejects them in 64-bit mode.) They follow the SDM pseudo-code and
 * compute their flags eagerly. Flags the SDM leaves undefined:
 *  - DAA/DAS: OF reads as 0.
 *  - AAA/AAS: SF ZF PF from the final AL, OF 0. Both adjust AX as a whole, as the
 *    current SDM pseudo-code has it (AX + 106H; AX - 6 then AH - 1).
 *  - AAM: SF ZF PF from AL, CF OF AF 0.
 *  - AAD: all six as an 8-bit ADD of the old AL and AH * imm (what the hardware's
 *    adder leaves).
 */
#include "cpu/exec.h"

static inline uint8_t get_al(X86CPU *cpu) { return cpu->s.regs[R_EAX] & 0xff; }
static inline uint8_t get_ah(X86CPU *cpu) { return (cpu->s.regs[R_EAX] >> 8) & 0xff; }
static inline void set_al(X86CPU *cpu, uint8_t v) { reg_write(cpu, R_EAX, 8, v, true); }

static void exec_daa(X86CPU *cpu, const X86DecodedInsn *insn)
{
    uint64_t f = cpu_get_rflags(cpu);
    uint8_t al = get_al(cpu), old_al = al;
    bool old_cf = f & X86_FLAG_CF, cf = false, af = false;

    if ((al & 0x0f) > 9 || (f & X86_FLAG_AF)) {
        cf = old_cf || al > 0xff - 6;
        al += 6;
        af = true;
    }
    if (old_al > 0x99 || old_cf) {
        al += 0x60;
        cf = true;
    } else {
        cf = false;
    }
    set_al(cpu, al);
    exec_set_flags(cpu, X86_ARITH_FLAGS, exec_szp_flags(al, 8) |
                   (cf ? X86_FLAG_CF : 0) | (af ? X86_FLAG_AF : 0));
}

static void exec_das(X86CPU *cpu, const X86DecodedInsn *insn)
{
    uint64_t f = cpu_get_rflags(cpu);
    uint8_t al = get_al(cpu), old_al = al;
    bool old_cf = f & X86_FLAG_CF, cf = false, af = false;

    if ((al & 0x0f) > 9 || (f & X86_FLAG_AF)) {
        cf = old_cf || al < 6;
        al -= 6;
        af = true;
    }
    if (old_al > 0x99 || old_cf) {
        al -= 0x60;
        cf = true;
    }
    set_al(cpu, al);
    exec_set_flags(cpu, X86_ARITH_FLAGS, exec_szp_flags(al, 8) |
                   (cf ? X86_FLAG_CF : 0) | (af ? X86_FLAG_AF : 0));
}

static void ascii_adjust(X86CPU *cpu, bool subtract)
{
    uint64_t f = cpu_get_rflags(cpu);
    uint16_t ax = cpu->s.regs[R_EAX] & 0xffff;
    bool adjust = (ax & 0x0f) > 9 || (f & X86_FLAG_AF);

    if (adjust) {
        if (subtract) {
            ax = (uint16_t)(ax - 6 - 0x100);   /* AX - 6 (borrow reaches AH), AH - 1 */
        } else {
            ax += 0x106;
        }
    }
    ax &= 0xff0f;
    reg_write(cpu, R_EAX, 16, ax, true);
    exec_set_flags(cpu, X86_ARITH_FLAGS, exec_szp_flags(ax & 0xff, 8) |
                   (adjust ? X86_FLAG_CF | X86_FLAG_AF : 0));
}

static void exec_aaa(X86CPU *cpu, const X86DecodedInsn *insn) { ascii_adjust(cpu, false); }
static void exec_aas(X86CPU *cpu, const X86DecodedInsn *insn) { ascii_adjust(cpu, true); }

static void exec_aam(X86CPU *cpu, const X86DecodedInsn *insn)
{
    uint8_t base = insn->imm & 0xff, al = get_al(cpu);

    if (base == 0) {
        cpu_raise(cpu, EXCP_DE);
    }
    uint8_t q = al / base, r = al % base;
    reg_write(cpu, R_EAX, 16, ((uint16_t)q << 8) | r, true);
    exec_set_flags(cpu, X86_ARITH_FLAGS, exec_szp_flags(r, 8));
}

static void exec_aad(X86CPU *cpu, const X86DecodedInsn *insn)
{
    uint8_t base = insn->imm & 0xff, al = get_al(cpu);
    uint8_t prod = (uint8_t)(get_ah(cpu) * base);
    uint8_t r = (uint8_t)(al + prod);

    reg_write(cpu, R_EAX, 16, r, true);
    cpu_set_cc(cpu, CC_OP_ADD, 8, r, prod, al);
}

static void exec_salc(X86CPU *cpu, const X86DecodedInsn *insn)
{
    set_al(cpu, (cpu_get_rflags(cpu) & X86_FLAG_CF) ? 0xff : 0);
}

void exec_register_bcd(ExecFn *table)
{
    table[X86_OP_DAA] = exec_daa;
    table[X86_OP_DAS] = exec_das;
    table[X86_OP_AAA] = exec_aaa;
    table[X86_OP_AAS] = exec_aas;
    table[X86_OP_AAM] = exec_aam;
    table[X86_OP_AAD] = exec_aad;
    table[X86_OP_SALC] = exec_salc;
}
