/* IN and OUT: port I/O through the permission check (IOPL, V86, TSS bitmap). */
#include "cpu/exec.h"

/* eAX forms move 16 or 32 bits (a 64-bit operand size still moves 32). */
static unsigned io_bytes(const X86DecodedInsn *insn)
{
    return insn->opsize == 8 ? 1 : insn->opsize == 16 ? 2 : 4;
}

/* The port is an imm8 (Ib) or DX. */
static uint16_t io_port(X86CPU *cpu, const X86DecodedInsn *insn, int n)
{
    if (insn->operand[n] == X86_OPND_Ib) {
        return (uint16_t)(insn->imm & 0xff);
    }
    return (uint16_t)cpu->s.regs[R_EDX];
}

static void exec_in(X86CPU *cpu, const X86DecodedInsn *insn)
{
    unsigned size = io_bytes(insn);
    uint32_t v = cpu_port_in(cpu, io_port(cpu, insn, 1), size);
    reg_write(cpu, R_EAX, size * 8, v, false);
}

static void exec_out(X86CPU *cpu, const X86DecodedInsn *insn)
{
    unsigned size = io_bytes(insn);
    uint32_t v = (uint32_t)trunc_bits(cpu->s.regs[R_EAX], size * 8);
    cpu_port_out(cpu, io_port(cpu, insn, 0), v, size);
}

void exec_register_io(ExecFn *table)
{
    table[X86_OP_IN] = exec_in;
    table[X86_OP_OUT] = exec_out;
}
