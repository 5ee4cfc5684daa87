/*
 * Operand access for the instruction handlers: effective addresses (16/32/64-bit
 * addressing, RIP-relative), reading and writing the operand kinds the decoder
 * names (E/G/Z/I/J/O, fixed registers, string X/Y operands), general registers
 * with AH..BH and the 64-bit zero-extension rule, the stack, near jumps, and the
 * eager-flag helper the integer handlers share.
 */
#include "cpu/exec.h"

/* ---- flags ---- */

uint32_t exec_parity_flag(uint64_t v)
{
    return __builtin_parity((unsigned)(v & 0xff)) ? 0 : X86_FLAG_PF;
}

uint32_t exec_szp_flags(uint64_t result, unsigned bits)
{
    result = trunc_bits(result, bits);
    return (result == 0 ? X86_FLAG_ZF : 0) |
           ((result >> (bits - 1)) & 1 ? X86_FLAG_SF : 0) |
           exec_parity_flag(result);
}

void exec_set_flags(X86CPU *cpu, uint32_t mask, uint64_t value)
{
    uint64_t old = cpu_get_rflags(cpu);    /* materialises; cc_op is EFLAGS after */
    cpu->s.rflags = (old & ~(uint64_t)mask) | (value & mask);
    cpu->cc_op = CC_OP_EFLAGS;
}

/* ---- general registers ---- */

uint64_t reg_read(X86CPU *cpu, int reg, unsigned bits, bool rex)
{
    reg &= 15;
    switch (bits) {
    case 8:
        if (!rex && reg >= 4 && reg < 8) {
            return (cpu->s.regs[reg - 4] >> 8) & 0xff;
        }
        return cpu->s.regs[reg] & 0xff;
    case 16:
        return cpu->s.regs[reg] & 0xffff;
    case 32:
        return cpu->s.regs[reg] & 0xffffffffu;
    default:
        return cpu->s.regs[reg];
    }
}

void reg_write(X86CPU *cpu, int reg, unsigned bits, uint64_t value, bool rex)
{
    uint64_t *r;

    reg &= 15;
    switch (bits) {
    case 8:
        if (!rex && reg >= 4 && reg < 8) {
            r = &cpu->s.regs[reg - 4];
            *r = (*r & ~UINT64_C(0xff00)) | ((value & 0xff) << 8);
        } else {
            r = &cpu->s.regs[reg];
            *r = (*r & ~UINT64_C(0xff)) | (value & 0xff);
        }
        break;
    case 16:
        r = &cpu->s.regs[reg];
        *r = (*r & ~UINT64_C(0xffff)) | (value & 0xffff);
        break;
    case 32:
        /* Zero-extends: architectural in 64-bit mode; outside it the upper half
         * is invisible (and undefined after a mode switch), so zero is as good. */
        cpu->s.regs[reg] = value & 0xffffffffu;
        break;
    default:
        cpu->s.regs[reg] = value;
        break;
    }
}

static inline bool insn_rex(const X86DecodedInsn *insn)
{
    return insn->rex != 0;
}

uint64_t exec_addr_reg(X86CPU *cpu, const X86DecodedInsn *insn, int reg)
{
    return trunc_bits(cpu->s.regs[reg & 15], insn->addrsize);
}

void exec_set_addr_reg(X86CPU *cpu, const X86DecodedInsn *insn, int reg, uint64_t v)
{
    reg_write(cpu, reg, insn->addrsize, v, true);
}

/* ---- effective address ---- */

uint64_t exec_ea(X86CPU *cpu, const X86DecodedInsn *insn)
{
    uint64_t ea = (uint64_t)insn->disp;

    if (insn->base == X86_RIP_BASE) {
        ea += cpu->s.rip;             /* RIP-relative: from the next instruction */
    } else if (insn->base != X86_NO_REG) {
        ea += cpu->s.regs[insn->base & 15];
    }
    if (insn->index != X86_NO_REG) {
        ea += cpu->s.regs[insn->index & 15] << insn->scale;
    }
    return trunc_bits(ea, insn->addrsize);
}

/* ---- operand sizes ---- */

static unsigned kind_bits_compute(unsigned kind, unsigned opsize)
{
    switch (kind) {
    case X86_OPND_Eb: case X86_OPND_Gb: case X86_OPND_Mb: case X86_OPND_Ib:
    case X86_OPND_AL: case X86_OPND_CL: case X86_OPND_ONE: case X86_OPND_Zb:
    case X86_OPND_Xb: case X86_OPND_Yb: case X86_OPND_Ob: case X86_OPND_Jb:
        return 8;
    case X86_OPND_Ew: case X86_OPND_Gw: case X86_OPND_Mw: case X86_OPND_Iw:
    case X86_OPND_AX: case X86_OPND_DX: case X86_OPND_Sw:
    case X86_OPND_ES: case X86_OPND_CS: case X86_OPND_SS: case X86_OPND_DS:
    case X86_OPND_FS: case X86_OPND_GS:
        return 16;
    case X86_OPND_Ed: case X86_OPND_Gd: case X86_OPND_Md: case X86_OPND_Cd:
    case X86_OPND_Dd:
        return 32;
    case X86_OPND_Eq: case X86_OPND_Mq:
        return 64;
    case X86_OPND_Ey: case X86_OPND_Gy: case X86_OPND_Ry: case X86_OPND_My:
    case X86_OPND_Zy:
        return opsize == 64 ? 64 : 32;
    case X86_OPND_eAX: case X86_OPND_Xz: case X86_OPND_Yz:
        return opsize == 16 ? 16 : 32;
    default:
        /* v-sized kinds; Iz/IbS are sign-extended to the operand size */
        return opsize;
    }
}

/* kind_bits_compute for every kind and operand size (0, 8, 16, 32, 64: index size/8),
 * filled before main: every generic operand access asks. */
static uint8_t kind_bits_table[X86_OPND_COUNT][9];

__attribute__((constructor)) static void kind_bits_table_init(void)
{
    static const unsigned sizes[] = { 0, 8, 16, 32, 64 };
    for (unsigned kind = 0; kind < X86_OPND_COUNT; kind++) {
        for (size_t i = 0; i < sizeof(sizes) / sizeof(sizes[0]); i++) {
            kind_bits_table[kind][sizes[i] / 8] = (uint8_t)kind_bits_compute(kind, sizes[i]);
        }
    }
}

static inline unsigned kind_bits(unsigned kind, unsigned opsize)
{
    return kind_bits_table[kind][opsize >> 3];         /* opsize: 0, 8, 16, 32 or 64 */
}

unsigned exec_operand_bits(const X86DecodedInsn *insn, int n)
{
    return kind_bits(insn->operand[n & 3], insn->opsize);
}

/* ---- operand read / write ---- */

static int fixed_seg(unsigned kind)
{
    return R_ES + (int)(kind - X86_OPND_ES);
}

uint64_t exec_read(X86CPU *cpu, const X86DecodedInsn *insn, int n)
{
    unsigned kind = insn->operand[n & 3];
    unsigned bits = kind_bits(kind, insn->opsize);

    switch (kind) {
    case X86_OPND_Eb: case X86_OPND_Ew: case X86_OPND_Ed: case X86_OPND_Eq:
    case X86_OPND_Ev: case X86_OPND_Ey:
        if (insn->mod == 3) {
            return reg_read(cpu, insn->rm, bits, insn_rex(insn));
        }
        return cpu_ld(cpu, insn->seg, exec_ea(cpu, insn), bits / 8);
    case X86_OPND_M: case X86_OPND_Mb: case X86_OPND_Mw: case X86_OPND_Md:
    case X86_OPND_Mq: case X86_OPND_My:
        return cpu_ld(cpu, insn->seg, exec_ea(cpu, insn), bits / 8);
    case X86_OPND_Gb: case X86_OPND_Gw: case X86_OPND_Gd: case X86_OPND_Gv:
    case X86_OPND_Gy:
        return reg_read(cpu, insn->reg, bits, insn_rex(insn));
    case X86_OPND_Rv: case X86_OPND_Ry:
        return reg_read(cpu, insn->rm, bits, insn_rex(insn));
    case X86_OPND_Zb: case X86_OPND_Zv: case X86_OPND_Zy:
        return reg_read(cpu, insn->reg, bits, insn_rex(insn));
    case X86_OPND_Sw:
        return cpu->s.seg[insn->reg & 7].selector;
    case X86_OPND_ES: case X86_OPND_CS: case X86_OPND_SS: case X86_OPND_DS:
    case X86_OPND_FS: case X86_OPND_GS:
        return cpu->s.seg[fixed_seg(kind)].selector;
    case X86_OPND_Ib:
        return insn->imm & 0xff;
    case X86_OPND_Iw:
        return insn->imm & 0xffff;
    case X86_OPND_IbS: case X86_OPND_Iz: case X86_OPND_Iv:
        return trunc_bits(insn->imm, bits);
    case X86_OPND_Jb: case X86_OPND_Jz:
        return (uint64_t)insn->rel;
    case X86_OPND_Ob: case X86_OPND_Ov:
        return cpu_ld(cpu, insn->seg, trunc_bits((uint64_t)insn->disp, insn->addrsize),
                      bits / 8);
    case X86_OPND_AL: case X86_OPND_AX: case X86_OPND_eAX: case X86_OPND_rAX:
        return reg_read(cpu, R_EAX, bits, true);
    case X86_OPND_CL:
        return cpu->s.regs[R_ECX] & 0xff;
    case X86_OPND_DX:
        return cpu->s.regs[R_EDX] & 0xffff;
    case X86_OPND_ONE:
        return 1;
    case X86_OPND_Xb: case X86_OPND_Xv: case X86_OPND_Xz:
        return cpu_ld(cpu, insn->seg, exec_addr_reg(cpu, insn, R_ESI), bits / 8);
    case X86_OPND_Yb: case X86_OPND_Yv: case X86_OPND_Yz:
        return cpu_ld(cpu, R_ES, exec_addr_reg(cpu, insn, R_EDI), bits / 8);
    default:
        /* Not an integer operand: the decoder paired it with another group's op. */
        cpu_raise(cpu, EXCP_UD);
    }
}

void exec_write(X86CPU *cpu, const X86DecodedInsn *insn, int n, uint64_t value)
{
    unsigned kind = insn->operand[n & 3];
    unsigned bits = kind_bits(kind, insn->opsize);

    switch (kind) {
    case X86_OPND_Eb: case X86_OPND_Ew: case X86_OPND_Ed: case X86_OPND_Eq:
    case X86_OPND_Ev: case X86_OPND_Ey:
        if (insn->mod == 3) {
            reg_write(cpu, insn->rm, bits, value, insn_rex(insn));
        } else {
            cpu_st(cpu, insn->seg, exec_ea(cpu, insn), trunc_bits(value, bits), bits / 8);
        }
        return;
    case X86_OPND_M: case X86_OPND_Mb: case X86_OPND_Mw: case X86_OPND_Md:
    case X86_OPND_Mq: case X86_OPND_My:
        cpu_st(cpu, insn->seg, exec_ea(cpu, insn), trunc_bits(value, bits), bits / 8);
        return;
    case X86_OPND_Gb: case X86_OPND_Gw: case X86_OPND_Gd: case X86_OPND_Gv:
    case X86_OPND_Gy: case X86_OPND_Zb: case X86_OPND_Zv: case X86_OPND_Zy:
        reg_write(cpu, insn->reg, bits, value, insn_rex(insn));
        return;
    case X86_OPND_Rv: case X86_OPND_Ry:
        reg_write(cpu, insn->rm, bits, value, insn_rex(insn));
        return;
    case X86_OPND_Ob: case X86_OPND_Ov:
        cpu_st(cpu, insn->seg, trunc_bits((uint64_t)insn->disp, insn->addrsize),
               trunc_bits(value, bits), bits / 8);
        return;
    case X86_OPND_AL: case X86_OPND_AX: case X86_OPND_eAX: case X86_OPND_rAX:
        reg_write(cpu, R_EAX, bits, value, true);
        return;
    case X86_OPND_CL:
        reg_write(cpu, R_ECX, 8, value, true);
        return;
    case X86_OPND_DX:
        reg_write(cpu, R_EDX, 16, value, true);
        return;
    case X86_OPND_Xb: case X86_OPND_Xv: case X86_OPND_Xz:
        cpu_st(cpu, insn->seg, exec_addr_reg(cpu, insn, R_ESI), trunc_bits(value, bits),
               bits / 8);
        return;
    case X86_OPND_Yb: case X86_OPND_Yv: case X86_OPND_Yz:
        cpu_st(cpu, R_ES, exec_addr_reg(cpu, insn, R_EDI), trunc_bits(value, bits),
               bits / 8);
        return;
    default:
        cpu_raise(cpu, EXCP_UD);
    }
}

/* ---- stack ---- */

unsigned exec_stack_bits(X86CPU *cpu)
{
    if (cpu->code_mode == X86_MODE_64) {
        return 64;
    }
    return cpu->s.seg[R_SS].db ? 32 : 16;
}

void exec_adjust_sp(X86CPU *cpu, int64_t delta)
{
    unsigned sbits = exec_stack_bits(cpu);
    reg_write(cpu, R_ESP, sbits, cpu->s.regs[R_ESP] + (uint64_t)delta, true);
}

void exec_push(X86CPU *cpu, uint64_t value, unsigned bits)
{
    unsigned sbits = exec_stack_bits(cpu);
    uint64_t sp = trunc_bits(cpu->s.regs[R_ESP] - bits / 8, sbits);

    cpu_st(cpu, R_SS, sp, trunc_bits(value, bits), bits / 8);
    reg_write(cpu, R_ESP, sbits, sp, true);
}

uint64_t exec_pop(X86CPU *cpu, unsigned bits)
{
    unsigned sbits = exec_stack_bits(cpu);
    uint64_t sp = trunc_bits(cpu->s.regs[R_ESP], sbits);
    uint64_t value = cpu_ld(cpu, R_SS, sp, bits / 8);

    reg_write(cpu, R_ESP, sbits, sp + bits / 8, true);
    return value;
}

/* ---- near jumps ---- */

void exec_jump_near(X86CPU *cpu, uint64_t target, unsigned opbits)
{
    target = trunc_bits(target, opbits);
    if (cpu->code_mode == X86_MODE_64) {
        if (sext(target, 48) != (int64_t)target) {
            cpu_raise_err(cpu, EXCP_GP, 0);     /* non-canonical */
        }
    } else if (target > cpu->s.seg[R_CS].limit) {
        cpu_raise_err(cpu, EXCP_GP, 0);
    }
    cpu->s.rip = target;
}
