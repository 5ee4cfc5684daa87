/*
 * Interrupt and exception delivery (real-mode IVT, protected-mode and long-mode
 * IDT gates with the stack switch from the TSS), the double/triple fault rules,
 * IRET in all its forms, and far JMP/CALL/RET with call gates.
 */
#ifndef CPU_EXCP_H
#define CPU_EXCP_H

#include "cpu/cpu.h"

/* Where an event comes from: decides the DPL check, the EXT bit and the V86 rules. */
typedef enum ExcpSource {
    EXCP_SRC_FAULT,      /* exception raised by the CPU (EXT = 1 in error codes) */
    EXCP_SRC_HW,         /* external interrupt or NMI (EXT = 1) */
    EXCP_SRC_INTN,       /* INT n: gate DPL >= CPL, IOPL-sensitive in V86 */
    EXCP_SRC_SOFT,       /* INT3, INTO: gate DPL >= CPL */
    EXCP_SRC_INT1,       /* ICEBP (F1): no DPL check */
} ExcpSource;

/*
 * Deliver `vector` now: push the return frame (returning to cpu->s.rip) and enter
 * the handler. Raises a fault when the delivery itself fails (the run loop applies
 * the double-fault rules).
 */
void excp_deliver(X86CPU *cpu, int vector, ExcpSource src, bool has_error,
                  uint32_t error_code);

/*
 * Called by the run loop after a cpu_raise*() unwound (RIP/RSP already rolled
 * back): applies the contributory/#PF double-fault rules and delivers. Returns
 * false on a triple fault (cpu->triple_fault is set).
 */
bool excp_handle_fault(X86CPU *cpu);

/* IRET / IRETD / IRETQ (opbits 16, 32, 64). */
void excp_iret(X86CPU *cpu, unsigned opbits);
/* Far transfers to selector:offset (opbits: operand size of the instruction). */
void excp_far_jmp(X86CPU *cpu, uint16_t selector, uint64_t offset, unsigned opbits);
void excp_far_call(X86CPU *cpu, uint16_t selector, uint64_t offset, unsigned opbits);
/* RETF [imm16]. */
void excp_far_ret(X86CPU *cpu, unsigned opbits, uint16_t pop_bytes);

#endif
