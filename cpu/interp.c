/*
 * The interpreter's run loop (cpu_exec): between instructions it takes NMIs and
 * maskable interrupts (through the engine's ack_interrupt hook), then fetches the
 * instruction bytes through the TLB (a second fetch when the instruction crosses a
 * page), decodes them, applies the checks common to all handlers (unsupported
 * forms and CPUID features -> #UD, CPL-0-only forms -> #GP(0)) and dispatches
 * through the handler table. Faults longjmp back here: RIP and RSP are rolled back
 * to the faulting instruction and the exception is delivered (excp.c).
 *
 * Normally instructions run from the decoded-instruction cache (tcache.h): once per
 * block the loop looks at pending interrupts and the budget, translates RIP, finds
 * (or builds) the block and calls the cached handlers in a row, setting insn_rip,
 * insn_rsp and the next RIP for each. Blocks end after anything that changes the
 * mode, the interrupt shadow (STI, MOV/POP SS), TF or IF, halts or does port I/O,
 * so those are seen at the next block boundary as before; a REP string
 * instruction that yields rewinds RIP and branches back to itself, which also
 * ends the block. While -d in_asm/cpu/exec is on, or TF is set, the loop takes the
 * old path: fetch, decode and trace each instruction.
 *
 * INIT and start-up IPIs are applied by the engine between calls: cpu_exec returns
 * when CPU_INTERRUPT_INIT, _SIPI or _EXIT is pending, when the CPU halts, on a
 * triple fault (cpu->triple_fault), or when the budget is used up.
 */
#include "cpu/cpu.h"

#include <pthread.h>

#include "cpu/excp.h"
#include "cpu/exec.h"
#include "cpu/tcache.h"
#include "cpu/trace.h"
#include "system/log.h"

static ExecFn exec_table[X86_OP_COUNT];
static pthread_once_t exec_table_once = PTHREAD_ONCE_INIT;

static void exec_table_build(void)
{
    exec_register_integer(exec_table);
    exec_register_system(exec_table);
    exec_register_fpu(exec_table);
    exec_register_simd(exec_table);
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

/* The mask of RIP in the current code mode. */
static inline uint64_t rip_mask(X86CPU *cpu)
{
    switch (cpu->code_mode) {
    case X86_MODE_16: return 0xffff;
    case X86_MODE_32: return 0xffffffff;
    default: return ~UINT64_C(0);
    }
}

/* Run one cached block (RIP at its first instruction, interrupts already looked
 * at). Returns how many instructions it ran; a fault unwinds from inside. */
static unsigned run_block(X86CPU *cpu, TCache *tc, const TCacheBlock *b)
{
    const TCacheInsn *r = b->insns;
    const TCacheInsn *end = r + b->count;
    uint64_t mask = rip_mask(cpu);

    tc->stop = false;
    /* Only a block's last instruction may move RIP elsewhere (branches, a REP
     * loop that yields; a fault leaves through longjmp), so before it the next RIP
     * is the one computed here and need not be read back. */
    uint64_t rip = cpu->s.rip;
    for (; r < end; r += r->span) {
        uint64_t next = (rip + r->span_len) & mask;
        cpu->insn_rip = rip;
        cpu->insn_rsp = cpu->s.regs[R_ESP];
        cpu->s.rip = next;
        r->fn(cpu, &r->insn);
        rip = next;
        if (__builtin_expect(tc->stop, 0)) {
            /* this block (or all) was dropped by a write or a flush: stop here */
            return (unsigned)(r - b->insns) + r->span;
        }
    }
    return b->count;
}

/* The block at CS:RIP: from the jump cache when the CPU's TLB still maps the
 * linear page to the block's physical page for execution, else translated (which
 * may fault) and looked up or built. NULL: run one instruction the slow way. */
static inline TCacheBlock *find_block(X86CPU *cpu, TCache *tc)
{
    uint64_t rip = cpu->s.rip;
    uint64_t linear = rip;
    uint32_t key = tcache_mode_key(cpu);
    bool not64 = cpu->code_mode != X86_MODE_64;

    if (not64) {
        linear = (cpu->s.seg[R_CS].base + rip) & 0xffffffff;
    }
    TCacheJump *j = &tc->jump[tcache_jump_index(linear)];
    if (__builtin_expect(j->linear == linear && j->key == key && j->gen == tc->gen, 1)) {
        TCacheBlock *b = j->block;
        const TLBEntry *e = &cpu->tlb[(linear >> 12) & (TLB_SIZE - 1)];
        uint32_t need = cpu->cpl == 3 ? TLB_EXEC | TLB_USER : TLB_EXEC;
        if (e->vpage == ((linear & ~UINT64_C(0xfff)) | 1) && (e->perm & need) == need &&
            !(e->perm & TLB_MMIO) && e->ppage == (b->phys & ~UINT64_C(0xfff)) &&
            (!not64 || rip + b->bytes - 1 <= cpu->s.seg[R_CS].limit)) {
            return b;
        }
    }
    uint64_t phys;
    unsigned room;
    const uint8_t *host = cpu_code_translate(cpu, rip, &phys, &room);
    TCacheBlock *b = tcache_lookup(tc, cpu, phys, host, room, exec_table);
    if (b && b->bytes <= room) {
        j->linear = linear;
        j->key = key;
        j->gen = tc->gen;
        j->block = b;
    }
    return b && b->bytes <= room ? b : NULL;
}

uint64_t cpu_exec(X86CPU *cpu, uint64_t budget)
{
    /* retired = icount - start: icount lives in memory, so it is right after a
     * fault unwinds too (a block is counted before it runs, then corrected) */
    const uint64_t start = cpu->icount;

    pthread_once(&exec_table_once, exec_table_build);
    if (cpu->wait_for_sipi || cpu->triple_fault) {
        return 0;
    }
    if (!cpu->tcache) {
        /* a CPU run outside an engine (unit tests): its owner may rewrite guest
         * memory from the host between calls, so this cache starts empty each time */
        tcache_attach(tcache_new(), cpu);
        cpu->tcache->flush_on_entry = true;
    }
    if (cpu->tcache->flush_on_entry) {
        tcache_flush(cpu->tcache);
    }
    cpu->fault_depth = 0;
    if (setjmp(cpu->fault_env) != 0) {
        /* a fault unwound: roll back and deliver (which may fault again) */
        cpu->s.rip = cpu->insn_rip;
        cpu->s.regs[R_ESP] = cpu->insn_rsp;
        if (!excp_handle_fault(cpu)) {
            return cpu->icount - start;
        }
    }
    /* the block run last, where it was entered, if it ran to its end */
    TCacheBlock *last = NULL;
    uint64_t last_rip = 0;
    while (cpu->icount - start < budget) {
        int req = atomic_load_explicit(&cpu->interrupt_request, memory_order_relaxed);
        /* in an interrupt shadow with something pending: run just the shadowed
         * instruction, so the event is taken right after it as before */
        bool shadowed = req && cpu->inhibit_irq;
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
        /* (a scalar load: a wide load of RIP and RFLAGS together right after the
         * handler stored RIP defeats store forwarding) */
        bool single_step = (*(volatile uint64_t *)&cpu->s.rflags & X86_FLAG_TF) != 0;
        TCache *tc = cpu->tcache;
        if (__builtin_expect(!single_step && tc && !shadowed && !cpu->one_at_a_time &&
                             !(log_mask & (LOG_IN_ASM | LOG_CPU | LOG_EXEC)), 1)) {
            uint64_t rip = cpu->s.rip;
            cpu->insn_rip = rip;
            cpu->insn_rsp = cpu->s.regs[R_ESP];
            TCacheBlock *b = last ? tcache_chain(tc, last, last_rip, rip) : NULL;
            if (!b || (cpu->code_mode != X86_MODE_64 &&
                       rip + b->bytes - 1 > cpu->s.seg[R_CS].limit)) {
                b = find_block(cpu, tc);
                if (b && last) {
                    tcache_link(tc, last, last_rip, rip, b);
                }
            }
            last = NULL;
            if (b) {
                for (;;) {
                    cpu->icount += b->count;
                    unsigned n = run_block(cpu, tc, b);
                    cpu->icount -= b->count - n;
                    if (n != b->count || tc->stop) {
                        break;
                    }
                    last = b;
                    last_rip = rip;
                    /* a loop that is one block: go round again right here while
                     * nothing else needs looking at (the checks at the top of the
                     * outer loop would all pass the same way) */
                    if (cpu->s.rip != rip || tcache_chain(tc, b, rip, rip) != b ||
                        cpu->icount - start >= budget || cpu->inhibit_irq ||
                        atomic_load_explicit(&cpu->interrupt_request,
                                             memory_order_relaxed) ||
                        (*(volatile uint64_t *)&cpu->s.rflags & X86_FLAG_TF)) {
                        break;
                    }
                }
                continue;
            }
        }
        last = NULL;
        cpu->insn_rip = cpu->s.rip;
        cpu->insn_rsp = cpu->s.regs[R_ESP];
        exec_one(cpu);
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
                return cpu->icount - start;
            }
        }
    }
    return cpu->icount - start;
}
