/*
 * Hardware task switches of the interpreter (protected mode outside IA-32e mode):
 * JMP or CALL to a TSS descriptor or a task gate, an interrupt or exception through a
 * task gate, and IRET with NT set back to the previous task; 16- and 32-bit TSSes.
 */
#ifndef CPU_TASK_H
#define CPU_TASK_H

#include "cpu/cpu.h"

typedef enum TaskSource {
    TASK_FROM_JMP,       /* old task's busy bit cleared, no back link */
    TASK_FROM_CALL,      /* new task linked back to the old one, NT set */
    TASK_FROM_INT,       /* as CALL (interrupt or exception through a task gate) */
    TASK_FROM_IRET,      /* back to the linked task: old busy bit and NT cleared */
} TaskSource;

/*
 * Switch from the current task (TR) to the task whose TSS descriptor `tss_sel`
 * names. The old task's state is saved with EIP = cpu->s.rip (the caller has set
 * it to where the old task resumes). `ext` is the EXT bit for error codes. Raises
 * #GP/#TS/#NP/#SS with the architectural error codes; checks that fail after the
 * old state was saved fault in the context of the new task, as on hardware.
 * Returns the size in bytes (2 or 4) of the new task's stack pushes, for an error
 * code a caller must push.
 */
unsigned task_switch(X86CPU *cpu, uint16_t tss_sel, TaskSource src, uint32_t ext);

/* A far JMP/CALL named a system descriptor: a TSS or a task gate (checked here, with
 * the privilege rules of the instruction) followed by the switch; anything else
 * raises #GP(selector). */
void task_far_transfer(X86CPU *cpu, uint16_t sel, uint64_t desc, TaskSource src);

#endif
