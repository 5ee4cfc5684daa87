/*
 * A bare interpreter CPU for CPU unit tests: 4 MiB of RAM at 0, a port space with a
 * device at 0x80 (reads 0x5a, records writes), helpers that build a flat 32-bit
 * protected-mode environment (GDT, IDT, TSS with an I/O bitmap) and identity page
 * tables in guest memory, and a runner that executes guest code until HLT.
 */
#ifndef TESTS_UNIT_CPU_HARNESS_H
#define TESTS_UNIT_CPU_HARNESS_H

#include <stddef.h>
#include <stdint.h>
#include "cpu/cpu.h"

/* Guest-physical layout used by the helpers. */
#define CH_RAM_SIZE   (4u << 20)
#define CH_GDT        0x1000u
#define CH_IDT        0x2000u
#define CH_STACK0     0x8000u      /* initial ring-0 ESP */
#define CH_TSS_ESP0   0xa000u      /* ring-0 stack from the TSS */
#define CH_TSS        0x10000u     /* TSS, I/O bitmap at +0x68 (all ports denied) */
#define CH_TSS_IOMAP  0x68u
#define CH_PD         0x100000u    /* 32-bit page directory / PAE: PDPT */
#define CH_PT         0x101000u    /* page table mapping 0-4 MiB */

/* Selectors of the flat GDT. */
#define CH_CS0  0x08
#define CH_DS0  0x10
#define CH_CS3  0x1b
#define CH_DS3  0x23
#define CH_TSSS 0x28

typedef struct CpuHarness {
    MemoryRegion mem_root, ram, io_root, port80;
    AddressSpace mem, io;
    X86CPU cpu;
    uint32_t port80_last;        /* last value written to port 0x80 */
} CpuHarness;

CpuHarness *ch_new(void);        /* CPU after reset (real mode), model default */
void ch_free(CpuHarness *h);

void ch_write(CpuHarness *h, uint32_t addr, const void *data, size_t n);
uint32_t ch_rd32(CpuHarness *h, uint32_t addr);
void ch_wr32(CpuHarness *h, uint32_t addr, uint32_t v);
void ch_wr64(CpuHarness *h, uint32_t addr, uint64_t v);

/* Flat 32-bit protected mode at CPL 0 (CS=0x08, data 0x10, ESP=CH_STACK0), the GDT
 * (with ring-3 code/data and a 32-bit TSS), an empty IDT with limit 0x7ff (no gate
 * present) and TR loaded. */
void ch_setup_pm32(CpuHarness *h);
/* A 32-bit interrupt (or trap) gate to CH_CS0:offset with the given DPL. */
void ch_set_gate(CpuHarness *h, int vector, uint32_t offset, int dpl, bool trap);
/* Switch the CPU state to ring 3 (CS=0x1b, SS/DS/ES=0x23) at eip/esp. */
void ch_enter_ring3(CpuHarness *h, uint32_t eip, uint32_t esp);
/* Identity-map 0-4 MiB with 4 KiB pages (P|RW|US) and turn paging on (32-bit). */
void ch_setup_paging32(CpuHarness *h);
/* Address of the 32-bit PTE mapping `linear` (< 4 MiB). */
static inline uint32_t ch_pte(uint32_t linear) { return CH_PT + (linear >> 12) * 4; }

/* Copy code to `addr`, set EIP there and run until HLT (or `budget` instructions);
 * returns the number of instructions retired. */
uint64_t ch_run(CpuHarness *h, uint32_t addr, const uint8_t *code, size_t n);

/* Call fn(cpu, arg) with a fault catcher: returns the vector it raised, or -1
 * (the error code in *err). */
int ch_try(CpuHarness *h, void (*fn)(X86CPU *cpu, void *arg), void *arg, uint32_t *err);

#endif
