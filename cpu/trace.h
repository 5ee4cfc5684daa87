/*
 * Instruction tracing for the interpreter (-d in_asm, -d cpu, -d exec), written to
 * the log (-D FILE, else stderr).
 *
 *   -d exec    one line per executed instruction:  "exec 0x<linear> <CS>:<rip>"
 *   -d cpu     the register state before each instruction (trace_cpu_state)
 *   -d in_asm  the instruction, disassembled with capstone:
 *              "0x<linear> <CS>:<rip>: <bytes>  <mnemonic> <operands>"
 *
 * The run loop calls trace_insn() for each instruction it is about to execute,
 * when log_enabled(TRACE_LOG_MASK): after decoding, with cpu->insn_rip set to the
 * instruction's offset in CS and the registers still as before the instruction
 * (cpu->s.rip may already point at the next instruction; it is not used).
 */
#ifndef CPU_TRACE_H
#define CPU_TRACE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include "cpu/cpu.h"
#include "system/log.h"

/* The log flags that make the run loop call trace_insn(). */
#define TRACE_LOG_MASK (LOG_IN_ASM | LOG_CPU | LOG_EXEC)

/* Log the instruction at CS:cpu->insn_rip (bytes[0..len), len <= 15) per the -d
 * items. */
void trace_insn(X86CPU *cpu, const uint8_t *bytes, unsigned len);
/* Write a register dump (general registers, RIP, RFLAGS with flag letters, CPL,
 * segments, descriptor tables, control registers, EFER) to out. */
void trace_cpu_state(X86CPU *cpu, FILE *out);
/* Disassemble one instruction into buf ("mnemonic operands"); false if capstone
 * cannot decode it (buf then holds "(bad)"). */
bool trace_disas(X86CpuMode mode, uint64_t rip, const uint8_t *bytes, unsigned len,
                 char *buf, size_t size);

#endif
