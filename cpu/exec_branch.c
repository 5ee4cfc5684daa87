/*
 * Near control transfers: JMP (relative and indirect), Jcc, CALL (relative and
 * indirect), RET (with its optional stack release), LOOP LOOPE LOOPNE, and
 * JCXZ/JECXZ/JRCXZ.
 *
 * cpu->s.rip already holds the next instruction's address (the return address and
 * the base of relative displacements). Targets are truncated to the operand size
 * and checked by exec_jump_near (CS limit, or canonical form in 64-bit mode) before
 * anything else changes, so a bad target faults with the registers intact.
 */
#include "cpu/exec.h"

static inline bool is_relative(const X86DecodedInsn *insn)
{
    return insn->operand[0] == X86_OPND_Jb || insn->operand[0] == X86_OPND_Jz;
}

static uint64_t branch_target(X86CPU *cpu, const X86DecodedInsn *insn)
{
    if (is_relative(insn)) {
        return cpu->s.rip + (uint64_t)insn->rel;
    }
    return exec_read(cpu, insn, 0);      /* JMP/CALL r/m */
}

static void exec_jmp(X86CPU *cpu, const X86DecodedInsn *insn)
{
    exec_jump_near(cpu, branch_target(cpu, insn), insn->opsize);
}

static void exec_jcc(X86CPU *cpu, const X86DecodedInsn *insn)
{
    if (cpu_cond(cpu, insn->opcode & 15)) {
        exec_jump_near(cpu, cpu->s.rip + (uint64_t)insn->rel, insn->opsize);
    }
}

static void exec_call(X86CPU *cpu, const X86DecodedInsn *insn)
{
    uint64_t ret = cpu->s.rip;
    uint64_t target = branch_target(cpu, insn);   /* CALL [rSP]: read before the push */

    exec_jump_near(cpu, target, insn->opsize);
    exec_push(cpu, ret, insn->opsize);           /* a fault here rolls RIP back */
}

static void exec_ret(X86CPU *cpu, const X86DecodedInsn *insn)
{
    uint64_t target = exec_pop(cpu, insn->opsize);

    if (insn->operand[0] == X86_OPND_Iw) {
        exec_adjust_sp(cpu, (int64_t)(insn->imm & 0xffff));
    }
    exec_jump_near(cpu, target, insn->opsize);
}

/* LOOP family: rCX by address size is decremented; the branch is taken while it
 * is non-zero (and ZF matches for LOOPE/LOOPNE). */
static void loop_common(X86CPU *cpu, const X86DecodedInsn *insn, int zf_needed)
{
    uint64_t count = trunc_bits(exec_addr_reg(cpu, insn, R_ECX) - 1, insn->addrsize);
    bool take = count != 0;

    if (take && zf_needed >= 0) {
        bool zf = (cpu_get_rflags(cpu) & X86_FLAG_ZF) != 0;
        take = zf == (zf_needed != 0);
    }
    if (take) {
        exec_jump_near(cpu, cpu->s.rip + (uint64_t)insn->rel, insn->opsize);
    }
    exec_set_addr_reg(cpu, insn, R_ECX, count);
}

static void exec_loop(X86CPU *cpu, const X86DecodedInsn *insn) { loop_common(cpu, insn, -1); }
static void exec_loope(X86CPU *cpu, const X86DecodedInsn *insn) { loop_common(cpu, insn, 1); }
static void exec_loopne(X86CPU *cpu, const X86DecodedInsn *insn) { loop_common(cpu, insn, 0); }

static void exec_jcxz(X86CPU *cpu, const X86DecodedInsn *insn)
{
    if (exec_addr_reg(cpu, insn, R_ECX) == 0) {
        exec_jump_near(cpu, cpu->s.rip + (uint64_t)insn->rel, insn->opsize);
    }
}

void exec_register_branch(ExecFn *table)
{
    table[X86_OP_JMP] = exec_jmp;
    table[X86_OP_JCC] = exec_jcc;
    table[X86_OP_CALL] = exec_call;
    table[X86_OP_RET] = exec_ret;
    table[X86_OP_LOOP] = exec_loop;
    table[X86_OP_LOOPE] = exec_loope;
    table[X86_OP_LOOPNE] = exec_loopne;
    table[X86_OP_JCXZ] = exec_jcxz;
}
