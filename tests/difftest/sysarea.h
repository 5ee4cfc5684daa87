/*
 * The system area of the differential tester's virtual machines (the interpreter and
 * KVM runners): 64 KiB of RAM at DT_CODE holding, after the snippet's code, data and
 * stack pages, 4-level identity page tables (the three snippet pages user-accessible,
 * the rest supervisor-only), a 64-bit GDT, TSS and IDT, and a page of HLT instructions
 * with one byte per vector as every gate's handler. The snippet runs at CPL 3 in 64-bit
 * mode and is followed by UD2; any exception goes through the real long-mode path
 * (stack switch to RSP0) and the CPU halts in its handler, so the vector is where it
 * halted and the faulting RIP, RFLAGS and RSP are in the exception frame.
 */
#ifndef TESTS_DIFFTEST_SYSAREA_H
#define TESTS_DIFFTEST_SYSAREA_H

#include "tests/difftest/gen.h"

#define DT_RAM_SIZE    0x10000u
#define DT_GDT         (DT_CODE + 0x3000)
#define DT_TSS         (DT_CODE + 0x3800)
#define DT_IDT         (DT_CODE + 0x4000)
#define DT_HANDLERS    (DT_CODE + 0x5000)
#define DT_STACK0_TOP  (DT_CODE + 0x7000)
#define DT_PML4        (DT_CODE + 0x7000)
#define DT_SYS_PAGES   11u

#define DT_GDT_LIMIT   0x3fu
#define DT_IDT_LIMIT   0xfffu
#define DT_SEL_CS0     0x08
#define DT_SEL_DS3     0x1b
#define DT_SEL_CS3     0x23
#define DT_SEL_TSS     0x28
#define DT_SEL_CS3_32  0x3b               /* ring-3 32-bit code (compatibility mode) */
#define DT_TSS_LIMIT   0x67u

/* Write the page tables, GDT, TSS, IDT and handler page into ram (DT_RAM_SIZE bytes,
 * guest-physical = virtual DT_CODE). */
void dt_sys_build(uint8_t *ram);

/* Prepare a case: the snippet and its UD2 end marker in the code page, the data and
 * stack pages filled. */
void dt_sys_load_case(uint8_t *ram, const DtCase *c);

/* After the CPU halted at rip with stack pointer rsp: set r->vector, error_code, and
 * the interrupted RIP, RFLAGS and RSP from the exception frame (a #UD at the end
 * marker is a normal end), and copy the data and stack pages. r->regs must already
 * hold the general registers. A halt elsewhere or a bad frame is DT_VEC_CRASH. */
void dt_sys_finish(const uint8_t *ram, const DtCase *c, bool halted, uint64_t rip,
                   uint64_t rsp, DtResult *r);

#endif
