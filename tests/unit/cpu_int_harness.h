/*
 * Harness for the integer-handler unit tests (test_cpu_integer.c): a CPU over the
 * test board's RAM in flat 32-bit protected mode or 64-bit mode, and a runner that
 * decodes hex-coded machine code with x86_decode and calls the handlers that
 * exec_register_integer installs, rolling RIP/RSP back on a fault as the run loop
 * does. Header-only: included by that one test.
 */
#ifndef TESTS_UNIT_CPU_INT_HARNESS_H
#define TESTS_UNIT_CPU_INT_HARNESS_H

#include <check.h>
#include <setjmp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cpu/cpu.h"
#include "cpu/exec.h"
#include "harness.h"

#define CODE 0x1000u
#define DATA 0x4000u
#define STACK_TOP 0x8000u

static TestBoard *tb;
static X86CPU *cpu;
static ExecFn table[X86_OP_COUNT];
static int steps;               /* handler calls made by the last run() */

static void setup_mode(bool mode64)
{
    tb = tb_new();
    cpu = calloc(1, sizeof(*cpu));
    cpu->mem = &tb->mem;
    cpu->io = &tb->io;
    cpu_reset(cpu);
    cpu->s.cr0 |= X86_CR0_PE;
    if (mode64) {
        cpu->s.efer |= X86_EFER_LME | X86_EFER_LMA;
    }
    for (int i = 0; i < SEG_COUNT; i++) {
        x86_segment_set_flat(&cpu->s.seg[i], i == R_CS ? 0x08 : 0x10, i == R_CS, mode64);
    }
    cpu_update_mode(cpu);
    cpu->s.regs[R_ESP] = STACK_TOP;
    memset(table, 0, sizeof(table));
    exec_register_integer(table);
}

static void setup32(void) { setup_mode(false); }
static void setup64(void) { setup_mode(true); }

static void teardown(void)
{
    free(cpu);
    tb_free(tb);
}

static uint64_t wrap_ip(uint64_t ip)
{
    return cpu->code_mode == X86_MODE_64 ? ip
         : cpu->code_mode == X86_MODE_32 ? ip & 0xffffffffu : ip & 0xffff;
}

/* Execute one instruction at RIP as the run loop would. Returns the exception
 * vector if it faulted (RIP/RSP rolled back), else -1. */
static int step(void)
{
    uint8_t buf[X86_MAX_INSN_LEN];
    static X86DecodedInsn insn;

    address_space_read(&tb->mem, cpu->s.seg[R_CS].base + cpu->s.rip, buf, sizeof(buf));
    int len = x86_decode(buf, sizeof(buf), cpu->code_mode, &insn);
    ck_assert_msg(len > 0, "undecodable code at %#llx", (unsigned long long)cpu->s.rip);
    ck_assert_msg(table[insn.op] != NULL, "no handler for %s", x86_op_name(insn.op));
    cpu->insn_rip = cpu->s.rip;
    cpu->insn_rsp = cpu->s.regs[R_ESP];
    cpu->s.rip = wrap_ip(cpu->s.rip + (unsigned)len);
    steps++;
    if (setjmp(cpu->fault_env) != 0) {
        cpu->s.rip = cpu->insn_rip;
        cpu->s.regs[R_ESP] = cpu->insn_rsp;
        return cpu->excp_vector;
    }
    table[insn.op](cpu, &insn);
    return -1;
}

/* Place hex-coded machine code at CODE and run until RIP leaves it at its end.
 * Returns -1, or the vector of the first exception (execution stops there). */
static int run(const char *hex)
{
    uint8_t code[256];
    size_t n = 0;
    unsigned v;
    int used;

    while (sscanf(hex, " %2x%n", &v, &used) == 1) {
        ck_assert_uint_lt(n, sizeof(code));
        code[n++] = (uint8_t)v;
        hex += used;
    }
    address_space_write(&tb->mem, CODE, code, n);
    cpu->s.rip = CODE;
    steps = 0;
    while (cpu->s.rip != CODE + n) {
        ck_assert_msg(steps < 200000, "runaway code");
        ck_assert_msg(cpu->s.rip >= CODE && cpu->s.rip < CODE + n,
                      "RIP %#llx left the code", (unsigned long long)cpu->s.rip);
        int vec = step();
        if (vec >= 0) {
            return vec;
        }
    }
    return -1;
}

#define RUN_OK(hex) ck_assert_int_eq(run(hex), -1)
#define REG(r) (cpu->s.regs[r])
#define E32(r) (cpu->s.regs[r] & 0xffffffffu)
#define FLAG(f) ((cpu_get_rflags(cpu) & (f)) != 0)
#define CF X86_FLAG_CF
#define PF X86_FLAG_PF
#define AF X86_FLAG_AF
#define ZF X86_FLAG_ZF
#define SF X86_FLAG_SF
#define OF X86_FLAG_OF
#define DF X86_FLAG_DF

static void set_flags(uint64_t f)
{
    cpu_set_rflags(cpu, f, X86_ARITH_FLAGS | X86_FLAG_DF);
}

static uint32_t ld32(uint64_t a) { return (uint32_t)address_space_ld(&tb->mem, a, 4); }
static uint8_t ld8(uint64_t a) { return (uint8_t)address_space_ld(&tb->mem, a, 1); }
static void st32(uint64_t a, uint32_t v) { address_space_st(&tb->mem, a, v, 4); }

#endif
