/*
 * The interpreter's run loop (cpu_exec): between instructions it takes NMIs and
 * maskable interrupts (through the engine's ack_interrupt hook), then fetches the
 * instruction bytes through the TLB (a second fetch when the instruction crosses a
 * page), decodes them, applies the checks common to all handlers (unsupported
 * forms and CPUID features -> #UD, CPL-0-only forms -> #GP(0)) and dispatches
 * through the handler table. Faults longjmp back here: RIP and RSP are rolled back
 * to the faulting instruction and the exception is delivered (excp.c).
 *
 * INIT and start-up IPIs are applied by the engine between calls: cpu_exec returns
 * when CPU_INTERRUPT_INIT, _SIPI or _EXIT is pending, when the CPU halts, on a
 * triple fault (cpu->triple_fault), or when the budget is used up.
 */
#include "cpu/cpu.h"

#include <pthread.h>

#include "cpu/excp.h"
#include "cpu/exec.h"
#include "cpu/trace.h"
#include "system/log.h"

static ExecFn exec_table[X86_OP_COUNT];
static pthread_once_t exec_table_once = PTHREAD_ONCE_INIT;

static void exec_table_build(void)
{
    exec_register_integer(exec_table);
    exec_register_system(exec_table);
    exec_register_fpu(exec_table);
}

/* Take a pending NMI or interrupt if the CPU can. Returns true if one was taken. */
static bool take_interrupt(X86CPU *cpu, int req)
{
    if ((req & CPU_INTERRUPT_NMI) && !cpu->nmi_blocked) {
        atomic_fetch_and(&cpu->interrupt_request, ~CPU_INTERRUPT_NMI);
        cpu->insn_rip = cpu->s.rip;
        cpu->insn_rsp = cpu->s.regs[R_ESP];
        excp_deliver(cpu, EXCP_NMI, EXCP_SRC_HW, false, 0);
        return true;
    }
    if ((req & CPU_INTERRUPT_HARD) && (cpu->s.rflags & X86_FLAG_IF) &&
        !cpu->inhibit_irq && cpu->ack_interrupt) {
        int vector = cpu->ack_interrupt(cpu);
        if (vector >= 0 && vector < 256) {
            cpu->insn_rip = cpu->s.rip;
            cpu->insn_rsp = cpu->s.regs[R_ESP];
            excp_deliver(cpu, vector, EXCP_SRC_HW, false, 0);
            return true;
        }
    }
    return false;
}

/* Fetch and decode the instruction at RIP; raises #PF/#GP/#UD. */
static void fetch_decode(X86CPU *cpu, X86DecodedInsn *insn)
{
    uint8_t buf[X86_MAX_INSN_LEN];
    uint64_t rip = cpu->s.rip;
    unsigned n = cpu_fetch_code(cpu, rip, buf, X86_MAX_INSN_LEN);
    int len = x86_decode(buf, n, cpu->code_mode, insn);

    while (len == X86_DECODE_NEED_MORE && n < X86_MAX_INSN_LEN) {
        uint64_t next = rip + n;
        if (cpu->code_mode == X86_MODE_16) {
            next &= 0xffff;
        } else if (cpu->code_mode == X86_MODE_32) {
            next &= 0xffffffff;
        }
        n += cpu_fetch_code(cpu, next, buf + n, X86_MAX_INSN_LEN - n);
        len = x86_decode(buf, n, cpu->code_mode, insn);
    }
    if (len == X86_DECODE_TOO_LONG || len == X86_DECODE_NEED_MORE) {
        cpu_raise_err(cpu, EXCP_GP, 0);
    }
    if (len < 0) {
        cpu_raise(cpu, EXCP_UD);
    }
    if (__builtin_expect(log_mask & (LOG_IN_ASM | LOG_CPU | LOG_EXEC), 0)) {
        trace_insn(cpu, buf, (unsigned)len);
    }
}

/* Execute one instruction (RIP at it, insn_rip/insn_rsp set). */
static void exec_one(X86CPU *cpu)
{
    X86DecodedInsn insn;

    fetch_decode(cpu, &insn);
    if (insn.op == X86_OP_UNSUPPORTED ||
        !cpu_has_feature(cpu, insn.feature)) {
        log_item(LOG_UNIMP, "unimp: %s (%s) at %#llx: #UD\n", x86_op_name(insn.op),
                 x86_feature_name(insn.feature), (unsigned long long)cpu->insn_rip);
        cpu_raise(cpu, EXCP_UD);
    }
    if ((insn.flags & X86_F_PRIV) && cpu->cpl > 0) {
        cpu_raise_err(cpu, EXCP_GP, 0);
    }
    uint64_t next = cpu->s.rip + insn.len;
    if (cpu->code_mode == X86_MODE_16) {
        next &= 0xffff;
    } else if (cpu->code_mode == X86_MODE_32) {
        next &= 0xffffffff;
    }
    cpu->s.rip = next;
    ExecFn fn = exec_table[insn.op];
    if (!fn) {
        log_item(LOG_UNIMP, "unimp: no handler for %s at %#llx: #UD\n",
                 x86_op_name(insn.op), (unsigned long long)cpu->insn_rip);
        cpu_raise(cpu, EXCP_UD);
    }
    fn(cpu, &insn);
}

uint64_t cpu_exec(X86CPU *cpu, uint64_t budget)
{
    volatile uint64_t retired = 0;

    pthread_once(&exec_table_once, exec_table_build);
    if (cpu->wait_for_sipi || cpu->triple_fault) {
        return 0;
    }
    cpu->fault_depth = 0;
    if (setjmp(cpu->fault_env) != 0) {
        /* a fault unwound: roll back and deliver (which may fault again) */
        cpu->s.rip = cpu->insn_rip;
        cpu->s.regs[R_ESP] = cpu->insn_rsp;
        if (!excp_handle_fault(cpu)) {
            return retired;
        }
    }
    while (retired < budget) {
        int req = atomic_load(&cpu->interrupt_request);
        if (req) {
            if (req & (CPU_INTERRUPT_EXIT | CPU_INTERRUPT_INIT | CPU_INTERRUPT_SIPI)) {
                break;
            }
            take_interrupt(cpu, req);
        }
        if (cpu->halted) {
            break;
        }
        cpu->inhibit_irq = false;
        cpu->insn_rip = cpu->s.rip;
        cpu->insn_rsp = cpu->s.regs[R_ESP];
        bool single_step = (cpu->s.rflags & X86_FLAG_TF) != 0;
        exec_one(cpu);
        retired = retired + 1;
        cpu->icount++;
        if (single_step) {
            /* debug trap after the instruction: #DB with DR6.BS */
            cpu->s.dr[6] |= 1u << 14;
            cpu->insn_rip = cpu->s.rip;
            cpu->insn_rsp = cpu->s.regs[R_ESP];
            cpu->excp_vector = EXCP_DB;
            cpu->excp_has_error = false;
            cpu->excp_error = 0;
            if (!excp_handle_fault(cpu)) {
                return retired;
            }
        }
    }
    return retired;
}
