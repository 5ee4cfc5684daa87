/*
 * Data movement, stack and flag-control handlers: MOV (all integer forms, moffs,
 * to/from segment registers), MOVZX MOVSX MOVSXD MOVNTI LEA, XCHG XADD CMPXCHG
 * CMPXCHG8B CMPXCHG16B, BSWAP, CBW/CWDE/CDQE, CWD/CDQ/CQO, XLAT, LAHF SAHF, CMOVcc
 * SETcc, PUSH POP (all forms) PUSHA POPA PUSHF POPF ENTER LEAVE, LES LDS LSS LFS
 * LGS, BOUND, NOP PAUSE PREFETCH, CLC STC CMC CLD STD.
 *
 * Fault ordering: the run loop rolls back only RIP and RSP, so every handler does
 * its memory accesses (which can fault) before it changes a general register or a
 * flag; when it writes both memory and a register, memory goes first.
 */
#include "cpu/exec.h"
#include "cpu/seg.h"

static inline bool insn_rex(const X86DecodedInsn *insn)
{
    return insn->rex != 0;
}

/* ---- moves ---- */

static void exec_mov(X86CPU *cpu, const X86DecodedInsn *insn)
{
    exec_write(cpu, insn, 0, exec_read(cpu, insn, 1));
}

static void exec_mov_from_seg(X86CPU *cpu, const X86DecodedInsn *insn)
{
    uint16_t sel = cpu->s.seg[insn->reg & 7].selector;

    if (insn->mod == 3) {
        /* register destination: zero-extended to the operand size */
        reg_write(cpu, insn->rm, insn->opsize, sel, insn_rex(insn));
    } else {
        cpu_st(cpu, insn->seg, exec_ea(cpu, insn), sel, 2);   /* always a word */
    }
}

static void exec_mov_to_seg(X86CPU *cpu, const X86DecodedInsn *insn)
{
    uint16_t sel = (uint16_t)exec_read(cpu, insn, 1);
    int seg = insn->reg & 7;

    seg_load(cpu, seg, sel);
    if (seg == R_SS) {
        cpu->inhibit_irq = true;     /* MOV SS: no interrupt before the next insn */
    }
}

static void exec_movzx(X86CPU *cpu, const X86DecodedInsn *insn)
{
    exec_write(cpu, insn, 0, exec_read(cpu, insn, 1));
}

static void exec_movsx(X86CPU *cpu, const X86DecodedInsn *insn)
{
    unsigned src_bits = exec_operand_bits(insn, 1);
    exec_write(cpu, insn, 0, (uint64_t)sext(exec_read(cpu, insn, 1), src_bits));
}

static void exec_movsxd(X86CPU *cpu, const X86DecodedInsn *insn)
{
    exec_write(cpu, insn, 0, (uint64_t)sext(exec_read(cpu, insn, 1), 32));
}

static void exec_lea(X86CPU *cpu, const X86DecodedInsn *insn)
{
    exec_write(cpu, insn, 0, exec_ea(cpu, insn));
}

static void exec_xchg(X86CPU *cpu, const X86DecodedInsn *insn)
{
    uint64_t a = exec_read(cpu, insn, 0);
    uint64_t b = exec_read(cpu, insn, 1);

    exec_write(cpu, insn, 0, b);      /* operand 0 is the memory one, if any */
    exec_write(cpu, insn, 1, a);
}

static void exec_xadd(X86CPU *cpu, const X86DecodedInsn *insn)
{
    unsigned bits = insn->opsize;
    uint64_t d = exec_read(cpu, insn, 0);
    uint64_t s = exec_read(cpu, insn, 1);
    uint64_t sum = trunc_bits(d + s, bits);

    if (insn->mod == 3) {
        /* SRC <- DEST then DEST <- sum: with one register for both, it holds the sum */
        exec_write(cpu, insn, 1, d);
        exec_write(cpu, insn, 0, sum);
    } else {
        exec_write(cpu, insn, 0, sum);
        exec_write(cpu, insn, 1, d);
    }
    cpu_set_cc(cpu, CC_OP_ADD, bits, sum, s, d);
}

static void exec_cmpxchg(X86CPU *cpu, const X86DecodedInsn *insn)
{
    unsigned bits = insn->opsize;
    uint64_t acc = reg_read(cpu, R_EAX, bits, true);
    uint64_t d = exec_read(cpu, insn, 0);
    uint64_t s = exec_read(cpu, insn, 1);

    if (acc == d) {
        exec_write(cpu, insn, 0, s);
    } else {
        /* A memory destination is written back (the locked cycle: a read-only page
         * faults); a register destination is left alone, so a failing CMPXCHG r32
         * does not zero its upper half (as the hardware behaves). */
        if (insn->mod != 3) {
            exec_write(cpu, insn, 0, d);
        }
        reg_write(cpu, R_EAX, bits, d, true);
    }
    cpu_set_cc(cpu, CC_OP_SUB, bits, trunc_bits(acc - d, bits), d, acc);
}

static void exec_cmpxchg8b(X86CPU *cpu, const X86DecodedInsn *insn)
{
    uint64_t ea = exec_ea(cpu, insn);
    uint64_t m = cpu_ld(cpu, insn->seg, ea, 8);
    uint64_t cmp = (reg_read(cpu, R_EDX, 32, true) << 32) | reg_read(cpu, R_EAX, 32, true);
    bool eq = m == cmp;

    if (eq) {
        cpu_st(cpu, insn->seg, ea,
               (reg_read(cpu, R_ECX, 32, true) << 32) | reg_read(cpu, R_EBX, 32, true), 8);
    } else {
        cpu_st(cpu, insn->seg, ea, m, 8);
        reg_write(cpu, R_EAX, 32, m, true);
        reg_write(cpu, R_EDX, 32, m >> 32, true);
    }
    exec_set_flags(cpu, X86_FLAG_ZF, eq ? X86_FLAG_ZF : 0);
}

static void exec_cmpxchg16b(X86CPU *cpu, const X86DecodedInsn *insn)
{
    uint64_t ea = exec_ea(cpu, insn);
    uint64_t ea_hi = trunc_bits(ea + 8, insn->addrsize);

    if (ea & 15) {
        cpu_raise_err(cpu, EXCP_GP, 0);
    }
    uint64_t lo = cpu_ld(cpu, insn->seg, ea, 8);
    uint64_t hi = cpu_ld(cpu, insn->seg, ea_hi, 8);
    bool eq = lo == cpu->s.regs[R_EAX] && hi == cpu->s.regs[R_EDX];

    if (eq) {
        cpu_st(cpu, insn->seg, ea, cpu->s.regs[R_EBX], 8);
        cpu_st(cpu, insn->seg, ea_hi, cpu->s.regs[R_ECX], 8);
    } else {
        cpu_st(cpu, insn->seg, ea, lo, 8);
        cpu_st(cpu, insn->seg, ea_hi, hi, 8);
        cpu->s.regs[R_EAX] = lo;
        cpu->s.regs[R_EDX] = hi;
    }
    exec_set_flags(cpu, X86_FLAG_ZF, eq ? X86_FLAG_ZF : 0);
}

/* BSWAP r16 is undefined; Intel cores leave zero in the low word, as here. */
static void exec_bswap(X86CPU *cpu, const X86DecodedInsn *insn)
{
    if (insn->opsize == 16) {
        reg_write(cpu, insn->reg, 16, 0, true);
    } else if (insn->opsize == 64) {
        reg_write(cpu, insn->reg, 64, __builtin_bswap64(cpu->s.regs[insn->reg & 15]), true);
    } else {
        reg_write(cpu, insn->reg, 32,
                  __builtin_bswap32((uint32_t)cpu->s.regs[insn->reg & 15]), true);
    }
}

static void exec_cbw(X86CPU *cpu, const X86DecodedInsn *insn)
{
    unsigned bits = insn->opsize;
    uint64_t v = (uint64_t)sext(reg_read(cpu, R_EAX, bits / 2, true), bits / 2);
    reg_write(cpu, R_EAX, bits, v, true);
}

static void exec_cwd(X86CPU *cpu, const X86DecodedInsn *insn)
{
    unsigned bits = insn->opsize;
    uint64_t sign = (reg_read(cpu, R_EAX, bits, true) >> (bits - 1)) & 1;
    reg_write(cpu, R_EDX, bits, sign ? ~UINT64_C(0) : 0, true);
}

static void exec_xlat(X86CPU *cpu, const X86DecodedInsn *insn)
{
    uint64_t addr = trunc_bits(cpu->s.regs[R_EBX] + (cpu->s.regs[R_EAX] & 0xff),
                               insn->addrsize);
    reg_write(cpu, R_EAX, 8, cpu_ld(cpu, insn->seg, addr, 1), true);
}

#define LAHF_FLAGS (X86_FLAG_SF | X86_FLAG_ZF | X86_FLAG_AF | X86_FLAG_PF | X86_FLAG_CF)

static void exec_lahf(X86CPU *cpu, const X86DecodedInsn *insn)
{
    uint64_t f = (cpu_get_rflags(cpu) & LAHF_FLAGS) | 2;
    reg_write(cpu, 4 /* AH */, 8, f, false);
}

static void exec_sahf(X86CPU *cpu, const X86DecodedInsn *insn)
{
    exec_set_flags(cpu, LAHF_FLAGS, (cpu->s.regs[R_EAX] >> 8) & 0xff);
}

static void exec_cmovcc(X86CPU *cpu, const X86DecodedInsn *insn)
{
    uint64_t v = exec_read(cpu, insn, 1);        /* read (and fault) regardless */

    if (cpu_cond(cpu, insn->opcode & 15)) {
        exec_write(cpu, insn, 0, v);
    } else if (insn->opsize == 32) {
        /* 32-bit CMOV writes its destination even when false: upper half zeroed */
        exec_write(cpu, insn, 0, exec_read(cpu, insn, 0));
    }
}

static void exec_setcc(X86CPU *cpu, const X86DecodedInsn *insn)
{
    exec_write(cpu, insn, 0, cpu_cond(cpu, insn->opcode & 15) ? 1 : 0);
}

static void exec_nop(X86CPU *cpu, const X86DecodedInsn *insn)
{
    /* NOP, PAUSE, hint NOPs (no memory access), PREFETCHh, MOVNTI's cousins */
}

static void exec_movnti(X86CPU *cpu, const X86DecodedInsn *insn)
{
    exec_write(cpu, insn, 0, exec_read(cpu, insn, 1));
}

/* ---- flag control ---- */

static void exec_clc(X86CPU *cpu, const X86DecodedInsn *insn)
{
    exec_set_flags(cpu, X86_FLAG_CF, 0);
}

static void exec_stc(X86CPU *cpu, const X86DecodedInsn *insn)
{
    exec_set_flags(cpu, X86_FLAG_CF, X86_FLAG_CF);
}

static void exec_cmc(X86CPU *cpu, const X86DecodedInsn *insn)
{
    exec_set_flags(cpu, X86_FLAG_CF, ~cpu_get_rflags(cpu));
}

static void exec_cld(X86CPU *cpu, const X86DecodedInsn *insn)
{
    cpu_set_rflags(cpu, 0, X86_FLAG_DF);
}

static void exec_std(X86CPU *cpu, const X86DecodedInsn *insn)
{
    cpu_set_rflags(cpu, X86_FLAG_DF, X86_FLAG_DF);
}

/* ---- stack ---- */

static bool is_seg_operand(unsigned kind)
{
    return kind >= X86_OPND_ES && kind <= X86_OPND_GS;
}

static void exec_push_op(X86CPU *cpu, const X86DecodedInsn *insn)
{
    /* Segment registers are pushed zero-extended (one of the two behaviours the
     * SDM allows for a 32/64-bit push of a selector). PUSH rSP pushes the value
     * before the decrement, and PUSH [rSP...] reads its operand first. */
    exec_push(cpu, exec_read(cpu, insn, 0), insn->opsize);
}

static void exec_pop_op(X86CPU *cpu, const X86DecodedInsn *insn)
{
    unsigned kind = insn->operand[0];
    uint64_t v = exec_pop(cpu, insn->opsize);

    if (is_seg_operand(kind)) {
        int seg = R_ES + (int)(kind - X86_OPND_ES);
        seg_load(cpu, seg, (uint16_t)v);
        if (seg == R_SS) {
            cpu->inhibit_irq = true;
        }
    } else {
        /* POP r/m: the address is computed with the incremented rSP, and POP rSP
         * leaves the popped value in rSP. */
        exec_write(cpu, insn, 0, v);
    }
}

static void exec_pusha(X86CPU *cpu, const X86DecodedInsn *insn)
{
    unsigned bits = insn->opsize;
    uint64_t old_sp = reg_read(cpu, R_ESP, bits, true);

    for (int r = R_EAX; r <= R_EDI; r++) {
        exec_push(cpu, r == R_ESP ? old_sp : reg_read(cpu, r, bits, true), bits);
    }
}

static void exec_popa(X86CPU *cpu, const X86DecodedInsn *insn)
{
    unsigned bits = insn->opsize, bytes = bits / 8;
    unsigned sbits = exec_stack_bits(cpu);
    uint64_t sp = cpu->s.regs[R_ESP];
    uint64_t v[8];

    /* load everything first: a fault leaves the registers untouched */
    for (int i = 0; i < 8; i++) {
        v[i] = cpu_ld(cpu, R_SS, trunc_bits(sp + (uint64_t)i * bytes, sbits), bytes);
    }
    for (int i = 0; i < 8; i++) {
        int r = R_EDI - i;             /* DI SI BP (SP skipped) BX DX CX AX */
        if (r != R_ESP) {
            reg_write(cpu, r, bits, v[i], true);
        }
    }
    exec_adjust_sp(cpu, 8 * (int64_t)bytes);
}

static void exec_pushf(X86CPU *cpu, const X86DecodedInsn *insn)
{
    uint64_t f = cpu_get_rflags(cpu);

    if ((f & X86_FLAG_VM) && ((f & X86_FLAG_IOPL) >> 12) < 3) {
        cpu_raise_err(cpu, EXCP_GP, 0);
    }
    /* the image has VM and RF clear */
    exec_push(cpu, f & ~(uint64_t)(X86_FLAG_VM | X86_FLAG_RF), insn->opsize);
}

static void exec_popf(X86CPU *cpu, const X86DecodedInsn *insn)
{
    /* cpu_popf_mask raises #GP(0) in V86 mode with IOPL < 3 and never lets VM,
     * RF, VIF or VIP change; IOPL only at CPL 0, IF only when CPL <= IOPL. */
    uint64_t mask = cpu_popf_mask(cpu, insn->opsize);
    uint64_t v = exec_pop(cpu, insn->opsize);

    cpu_set_rflags(cpu, v, mask);
}

static void exec_enter(X86CPU *cpu, const X86DecodedInsn *insn)
{
    unsigned bits = insn->opsize, bytes = bits / 8;
    unsigned sbits = exec_stack_bits(cpu);
    uint64_t alloc = insn->imm & 0xffff;
    unsigned level = insn->imm2 & 31;

    exec_push(cpu, cpu->s.regs[R_EBP], bits);
    uint64_t frame = trunc_bits(cpu->s.regs[R_ESP], sbits);
    if (level > 0) {
        uint64_t bp = cpu->s.regs[R_EBP];
        for (unsigned i = 1; i < level; i++) {
            bp = trunc_bits(bp - bytes, sbits);
            exec_push(cpu, cpu_ld(cpu, R_SS, bp, bytes), bits);
        }
        exec_push(cpu, frame, bits);
    }
    reg_write(cpu, R_EBP, bits, frame, true);
    exec_adjust_sp(cpu, -(int64_t)alloc);
}

static void exec_leave(X86CPU *cpu, const X86DecodedInsn *insn)
{
    unsigned sbits = exec_stack_bits(cpu);
    uint64_t sp = trunc_bits(cpu->s.regs[R_EBP], sbits);
    uint64_t v = cpu_ld(cpu, R_SS, sp, insn->opsize / 8);

    reg_write(cpu, R_ESP, sbits, sp + insn->opsize / 8, true);
    reg_write(cpu, R_EBP, insn->opsize, v, true);
}

/* ---- far pointer loads and BOUND ---- */

static void load_far_pointer(X86CPU *cpu, const X86DecodedInsn *insn, int seg)
{
    unsigned bytes = insn->opsize / 8;
    uint64_t ea = exec_ea(cpu, insn);
    uint64_t off = cpu_ld(cpu, insn->seg, ea, bytes);
    uint16_t sel = (uint16_t)cpu_ld(cpu, insn->seg, trunc_bits(ea + bytes, insn->addrsize), 2);

    seg_load(cpu, seg, sel);
    if (seg == R_SS) {
        cpu->inhibit_irq = true;
    }
    reg_write(cpu, insn->reg, insn->opsize, off, insn_rex(insn));
}

static void exec_les(X86CPU *cpu, const X86DecodedInsn *insn) { load_far_pointer(cpu, insn, R_ES); }
static void exec_lds(X86CPU *cpu, const X86DecodedInsn *insn) { load_far_pointer(cpu, insn, R_DS); }
static void exec_lss(X86CPU *cpu, const X86DecodedInsn *insn) { load_far_pointer(cpu, insn, R_SS); }
static void exec_lfs(X86CPU *cpu, const X86DecodedInsn *insn) { load_far_pointer(cpu, insn, R_FS); }
static void exec_lgs(X86CPU *cpu, const X86DecodedInsn *insn) { load_far_pointer(cpu, insn, R_GS); }

static void exec_bound(X86CPU *cpu, const X86DecodedInsn *insn)
{
    unsigned bits = insn->opsize, bytes = bits / 8;
    uint64_t ea = exec_ea(cpu, insn);
    int64_t lo = sext(cpu_ld(cpu, insn->seg, ea, bytes), bits);
    int64_t hi = sext(cpu_ld(cpu, insn->seg, trunc_bits(ea + bytes, insn->addrsize), bytes),
                      bits);
    int64_t idx = sext(reg_read(cpu, insn->reg, bits, true), bits);

    if (idx < lo || idx > hi) {
        cpu_raise(cpu, EXCP_BR);
    }
}

void exec_register_move(ExecFn *table)
{
    table[X86_OP_MOV] = exec_mov;
    table[X86_OP_MOV_FROM_SEG] = exec_mov_from_seg;
    table[X86_OP_MOV_TO_SEG] = exec_mov_to_seg;
    table[X86_OP_MOVZX] = exec_movzx;
    table[X86_OP_MOVSX] = exec_movsx;
    table[X86_OP_MOVSXD] = exec_movsxd;
    table[X86_OP_MOVNTI] = exec_movnti;
    table[X86_OP_LEA] = exec_lea;
    table[X86_OP_XCHG] = exec_xchg;
    table[X86_OP_XADD] = exec_xadd;
    table[X86_OP_CMPXCHG] = exec_cmpxchg;
    table[X86_OP_CMPXCHG8B] = exec_cmpxchg8b;
    table[X86_OP_CMPXCHG16B] = exec_cmpxchg16b;
    table[X86_OP_BSWAP] = exec_bswap;
    table[X86_OP_CBW] = exec_cbw;
    table[X86_OP_CWD] = exec_cwd;
    table[X86_OP_XLAT] = exec_xlat;
    table[X86_OP_LAHF] = exec_lahf;
    table[X86_OP_SAHF] = exec_sahf;
    table[X86_OP_CMOVCC] = exec_cmovcc;
    table[X86_OP_SETCC] = exec_setcc;
    table[X86_OP_NOP] = exec_nop;
    table[X86_OP_PAUSE] = exec_nop;
    table[X86_OP_PREFETCH] = exec_nop;
    table[X86_OP_CLC] = exec_clc;
    table[X86_OP_STC] = exec_stc;
    table[X86_OP_CMC] = exec_cmc;
    table[X86_OP_CLD] = exec_cld;
    table[X86_OP_STD] = exec_std;
    table[X86_OP_PUSH] = exec_push_op;
    table[X86_OP_POP] = exec_pop_op;
    table[X86_OP_PUSHA] = exec_pusha;
    table[X86_OP_POPA] = exec_popa;
    table[X86_OP_PUSHF] = exec_pushf;
    table[X86_OP_POPF] = exec_popf;
    table[X86_OP_ENTER] = exec_enter;
    table[X86_OP_LEAVE] = exec_leave;
    table[X86_OP_LES] = exec_les;
    table[X86_OP_LDS] = exec_lds;
    table[X86_OP_LSS] = exec_lss;
    table[X86_OP_LFS] = exec_lfs;
    table[X86_OP_LGS] = exec_lgs;
    table[X86_OP_BOUND] = exec_bound;
}
