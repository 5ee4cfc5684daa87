/*
 * The interpreter's CPU: the architectural state (X86State) plus what executing it
 * needs — lazily computed flags, the current privilege level and code mode, the
 * software TLB, the fault unwinder and the interrupt inputs. The decoder is in
 * decode.h, the page walk and TLB in mmu.h, segmentation, exceptions and far
 * transfers in seg.h, instruction handlers in exec.h, the run loop in interp.h.
 *
 * Faults: any helper may call cpu_raise() (or cpu_raise_err()) from any depth; it
 * longjmps back to the run loop, which restores RIP/RSP to the faulting
 * instruction's values and delivers the exception. So handlers never check
 * return values of memory accesses, and must write architectural state only after
 * the last access that can fault (or accept the documented rollback: the loop
 * restores RIP and RSP only).
 */
#ifndef CPU_CPU_H
#define CPU_CPU_H

#include <setjmp.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>

#include "cpu/decode.h"
#include "cpu/x86_state.h"
#include "hw/core/memory.h"

/* Exception vectors */
enum {
    EXCP_DE = 0, EXCP_DB = 1, EXCP_NMI = 2, EXCP_BP = 3, EXCP_OF = 4, EXCP_BR = 5,
    EXCP_UD = 6, EXCP_NM = 7, EXCP_DF = 8, EXCP_TS = 10, EXCP_NP = 11, EXCP_SS = 12,
    EXCP_GP = 13, EXCP_PF = 14, EXCP_MF = 16, EXCP_AC = 17, EXCP_MC = 18, EXCP_XM = 19,
};

/* Page-fault error code bits */
#define PF_P    (1u << 0)
#define PF_W    (1u << 1)
#define PF_U    (1u << 2)
#define PF_RSVD (1u << 3)
#define PF_I    (1u << 4)

/* ---- lazy flags ----
 * Arithmetic handlers record what they computed; flags are derived when read.
 * cc_op says how to derive each of CF PF AF ZF SF OF from cc_dst (the result),
 * cc_src (the second operand, or the carry-in for ADC/SBB, or the count for shifts)
 * and cc_src2 (the first operand), all truncated to the operation's size. */
typedef enum CCOp {
    CC_OP_EFLAGS,        /* flags are materialised in rflags (cc_* unused) */
    CC_OP_ADD, CC_OP_ADC, CC_OP_SUB, CC_OP_SBB, CC_OP_LOGIC, CC_OP_INC, CC_OP_DEC,
    CC_OP_SHL, CC_OP_SHR, CC_OP_SAR, CC_OP_MUL, CC_OP_IMUL,
} CCOp;

#define X86_ARITH_FLAGS (X86_FLAG_CF | X86_FLAG_PF | X86_FLAG_AF | X86_FLAG_ZF | \
                         X86_FLAG_SF | X86_FLAG_OF)

/* ---- software TLB ---- */
#define TLB_BITS 8
#define TLB_SIZE (1u << TLB_BITS)

typedef struct TLBEntry {
    uint64_t vpage;          /* linear page number | 1 (valid); ~0 when empty */
    uint8_t *host;           /* host address of the page for RAM/ROM, else NULL */
    uint64_t ppage;          /* physical page address */
    uint32_t perm;           /* TLB_* bits */
} TLBEntry;

#define TLB_READ   (1u << 0)   /* readable at any CPL the entry was filled for */
#define TLB_WRITE  (1u << 1)   /* writable (page writable and dirty already set) */
#define TLB_EXEC   (1u << 2)
#define TLB_USER   (1u << 3)   /* user-accessible page */
#define TLB_MMIO   (1u << 4)   /* not plain RAM: go through the address space */
#define TLB_ROM    (1u << 5)   /* writes ignored */

typedef struct X86CPU X86CPU;

typedef struct X86CPU {
    X86State s;

    /* lazy flags: the arithmetic flags of s.rflags are stale unless cc_op == EFLAGS */
    uint32_t cc_op;
    uint8_t cc_size;           /* operand size in bits of the recorded operation */
    uint64_t cc_dst, cc_src, cc_src2;

    int cpl;                   /* current privilege level (CS.DPL / SS.DPL rules) */
    X86CpuMode code_mode;      /* from CS.D / CS.L and CR0.PE / RFLAGS.VM */
    bool long_mode;            /* EFER.LMA */

    AddressSpace *mem;         /* guest-physical memory */
    AddressSpace *io;          /* port space */

    /* the TLB: separate lookups for data (with CPL) and instruction fetch */
    TLBEntry tlb[TLB_SIZE];
    uint64_t a20_mask;         /* ~0, or ~(1 << 20) with the A20 gate closed */

    /* fault unwinding */
    jmp_buf fault_env;
    uint64_t insn_rip;         /* RIP of the instruction being executed */
    uint64_t insn_rsp;         /* RSP before it */
    int fault_depth;           /* 0 normal, 1 delivering, 2 double fault (3: triple) */

    /* interrupts */
    atomic_int interrupt_request;   /* CPU_INTERRUPT_* bits, set from any thread */
    bool halted;               /* HLT: waiting for an interrupt */
    bool inhibit_irq;          /* one-instruction shadow after STI / MOV SS */
    bool wait_for_sipi;        /* AP after INIT */
    uint8_t sipi_vector;
    void *apic;                /* DeviceState * of this CPU's local APIC (or NULL) */
    uint64_t apic_base;        /* where the APIC MMIO page is mapped, for this CPU */

    /* counters */
    uint64_t icount;           /* instructions retired */
    uint64_t tsc_offset;       /* TSC = virtual ns * tsc_khz / 1e6 + offset */
    uint32_t tsc_khz;

    /* the CPUID model */
    const struct X86CpuModel *model;
    int index;                 /* 0 = BSP */
    uint32_t apic_id;
    void *opaque;              /* the engine's per-CPU data */

    /* ---- added by the system core (cpu.c, mmu.c, seg.c, excp.c, interp.c) ---- */
    int excp_vector;           /* the exception cpu_raise*() is unwinding with */
    uint32_t excp_error;
    bool excp_has_error;
    int excp_first;            /* vector being delivered while fault_depth > 0 */
    bool excp_ext;             /* delivering an external event: EXT bit in error codes */
    bool triple_fault;         /* set by cpu_exec on a triple fault (cpu_exec returns;
                                  the engine resets the machine and clears it) */
    bool nmi_blocked;          /* inside an NMI handler (until the next IRET) */
    bool one_at_a_time;        /* cpu_exec decodes and runs single instructions (no
                                  blocks): a budget of 1 is then exactly one */
    /* Engine hooks (all optional):
     * ack_interrupt: acknowledge the pending maskable interrupt (called when
     *   CPU_INTERRUPT_HARD is set and the CPU can take it) and return its vector, or
     *   -1 if there is none after all. cpu_exec never clears CPU_INTERRUPT_HARD:
     *   the engine keeps that bit equal to "an interrupt is pending".
     * apic_mmio: the local APIC's 4 KiB MMIO region. When `apic` is non-NULL,
     *   physical accesses to the page at `apic_base` go to it (not the address space).
     * apic_base_changed: WRMSR IA32_APIC_BASE (s.apic_base and apic_base are
     *   already updated when it is called).
     * cr8_read / cr8_write: MOV CR8 (TPR); without them CR8 is stored in s.cr8. */
    int (*ack_interrupt)(X86CPU *cpu);
    MemoryRegion *apic_mmio;
    void (*apic_base_changed)(X86CPU *cpu, uint64_t value);
    uint64_t (*cr8_read)(X86CPU *cpu);
    void (*cr8_write)(X86CPU *cpu, uint64_t value);
    int nr_cpus;               /* engine: logical CPUs in the machine (CPUID); 0 = 1 */
    /* ---- added by the decoded-instruction cache (tcache.h) ----
     * The cache this CPU runs from (tcache_attach; cpu_exec makes a private one
     * when NULL). Not touched by cpu_reset. */
    struct TCache *tcache;
} X86CPU;

/* For the decoded-instruction cache (mmu.c): translate CS:rip for execution with
 * the checks of cpu_fetch_code; sets the physical address and the bytes left in the
 * page and the segment; returns the host pointer, or NULL for non-RAM code. */
const uint8_t *cpu_code_translate(X86CPU *cpu, uint64_t rip, uint64_t *phys,
                                  unsigned *room);

#define CPU_INTERRUPT_HARD   (1 << 0)   /* maskable interrupt pending (APIC or ExtINT) */
#define CPU_INTERRUPT_NMI    (1 << 1)
#define CPU_INTERRUPT_INIT   (1 << 2)
#define CPU_INTERRUPT_SIPI   (1 << 3)
#define CPU_INTERRUPT_EXIT   (1 << 4)   /* leave the run loop (kick) */
#define CPU_INTERRUPT_SMI    (1 << 5)

/* A CPUID model: -cpu NAME selects one; `-cpu help` lists them. */
typedef struct X86CpuModel {
    const char *name;
    const char *desc;
    uint32_t family, model, stepping;
    char vendor[13];
    uint32_t features_edx, features_ecx;     /* leaf 1 */
    uint32_t ext_features_edx, ext_features_ecx;  /* leaf 0x80000001 */
    uint32_t max_leaf, max_ext_leaf;
    const char *brand;
} X86CpuModel;

/* ---- raising faults (never return) ---- */
_Noreturn void cpu_raise(X86CPU *cpu, int vector);
_Noreturn void cpu_raise_err(X86CPU *cpu, int vector, uint32_t error_code);
_Noreturn void cpu_raise_pf(X86CPU *cpu, uint64_t linear, uint32_t error_code);

/* ---- flags ---- */
uint64_t cpu_get_rflags(X86CPU *cpu);           /* materialises lazy flags */
void cpu_set_rflags(X86CPU *cpu, uint64_t value, uint64_t writable_mask);
bool cpu_cond(X86CPU *cpu, unsigned cc);        /* Jcc/SETcc/CMOVcc condition 0-15 */
static inline void cpu_set_cc(X86CPU *cpu, CCOp op, unsigned size, uint64_t dst,
                              uint64_t src, uint64_t src2)
{
    cpu->cc_op = op;
    cpu->cc_size = (uint8_t)size;
    cpu->cc_dst = dst;
    cpu->cc_src = src;
    cpu->cc_src2 = src2;
}

/* ---- memory (mmu.c / mem.c) ----
 * Linear accesses go through the TLB and page walk; `user` is true for accesses that
 * are checked as CPL 3 (set from cpu->cpl for ordinary accesses; false for implicit
 * supervisor accesses to the GDT/IDT/TSS). All raise #PF as needed. */
uint64_t cpu_ld_linear(X86CPU *cpu, uint64_t linear, unsigned size, bool user);
void cpu_st_linear(X86CPU *cpu, uint64_t linear, uint64_t value, unsigned size, bool user);
/* Segmented data accesses (limit and rights checked, #GP/#SS raised): seg is R_ES..R_GS.
 * cpu_ld/cpu_st (below the TLB bits) do the common case inline and call these. */
uint64_t cpu_ld_slow(X86CPU *cpu, int seg, uint64_t offset, unsigned size);
void cpu_st_slow(X86CPU *cpu, int seg, uint64_t offset, uint64_t value, unsigned size);
/* Fetch up to `max` code bytes at CS:rip into buf; returns how many (at least 1,
 * or raises #PF/#GP). */
unsigned cpu_fetch_code(X86CPU *cpu, uint64_t rip, uint8_t *buf, unsigned max);
void cpu_tlb_flush(X86CPU *cpu, bool include_global);
void cpu_tlb_flush_page(X86CPU *cpu, uint64_t linear);

/* Port I/O with the IOPL / TSS bitmap check (raises #GP) */
uint32_t cpu_port_in(X86CPU *cpu, uint16_t port, unsigned size);
void cpu_port_out(X86CPU *cpu, uint16_t port, uint32_t value, unsigned size);

/* ---- modes ---- */
/* Recompute cpl, code_mode and long_mode after CR0/EFER/CS/RFLAGS.VM changes. */
void cpu_update_mode(X86CPU *cpu);
void cpu_reset(X86CPU *cpu);               /* power-on/INIT state (x86_state_reset) */

/* ---- execution (interp.c) ---- */
/* Execute until about `budget` instructions retired, the CPU halts, or
 * CPU_INTERRUPT_EXIT is set. Returns the number retired. */
uint64_t cpu_exec(X86CPU *cpu, uint64_t budget);

/* ---- added by the system core ---- */

/* More TLB permission bits (see mmu.c): TLB_WRITE is "supervisor may write", this one
 * "user may write" (both only once the page's dirty bit is set). */
#define TLB_USER_WRITE (1u << 6)

/* The TLB permission bits a data access needs (the MMU's lookup and cpu_ram_fast). */
static inline uint32_t tlb_data_need(bool write, bool user)
{
    return write ? (user ? TLB_USER_WRITE : TLB_WRITE) : (user ? TLB_USER : TLB_READ);
}

/* Little-endian loads and stores of 1, 2, 4 or 8 bytes on host memory. */
static inline uint64_t host_load_le(const uint8_t *p, unsigned size)
{
    switch (size) {
    case 1: return p[0];
    case 2: { uint16_t v; __builtin_memcpy(&v, p, 2); return v; }
    case 4: { uint32_t v; __builtin_memcpy(&v, p, 4); return v; }
    default: { uint64_t v; __builtin_memcpy(&v, p, 8); return v; }
    }
}

static inline void host_store_le(uint8_t *p, uint64_t value, unsigned size)
{
    switch (size) {
    case 1: p[0] = (uint8_t)value; break;
    case 2: { uint16_t v = (uint16_t)value; __builtin_memcpy(p, &v, 2); break; }
    case 4: { uint32_t v = (uint32_t)value; __builtin_memcpy(p, &v, 4); break; }
    default: __builtin_memcpy(p, &value, 8); break;
    }
}

/* The inline part of cpu_ld/cpu_st: in 64-bit mode, through a segment without a base
 * (not FS/GS), an access inside one page that the TLB maps to plain RAM with the
 * permission the access needs (the same test as the MMU's TLB lookup) goes straight
 * to the host page. Anything else, every fault included, takes the slow path. */
static inline uint8_t *cpu_ram_fast(X86CPU *cpu, int seg, uint64_t offset, unsigned size,
                                    bool write)
{
    if (cpu->code_mode != X86_MODE_64 || seg == R_FS || seg == R_GS ||
        (offset & 0xfff) + size > 4096) {
        return NULL;
    }
    const TLBEntry *e = &cpu->tlb[(offset >> 12) & (TLB_SIZE - 1)];
    uint32_t need = tlb_data_need(write, cpu->cpl == 3);
    uint32_t avoid = write ? (TLB_MMIO | TLB_ROM) : TLB_MMIO;
    if (e->vpage != ((offset & ~UINT64_C(0xfff)) | 1) || (e->perm & (need | avoid)) != need) {
        return NULL;
    }
    return e->host + (offset & 0xfff);
}

static inline uint64_t cpu_ld(X86CPU *cpu, int seg, uint64_t offset, unsigned size)
{
    const uint8_t *p = cpu_ram_fast(cpu, seg, offset, size, false);
    if (__builtin_expect(p != NULL, 1)) {
        return host_load_le(p, size);
    }
    return cpu_ld_slow(cpu, seg, offset, size);
}

static inline void cpu_st(X86CPU *cpu, int seg, uint64_t offset, uint64_t value,
                          unsigned size)
{
    uint8_t *p = cpu_ram_fast(cpu, seg, offset, size, true);
    if (__builtin_expect(p != NULL, 1)) {
        host_store_le(p, value, size);
        return;
    }
    cpu_st_slow(cpu, seg, offset, value, size);
}

/* Lazy-flags conventions the flag code (cpu.c) relies on, beyond the comment above:
 *   ADD/SUB/LOGIC: dst = result, src = second operand, src2 = first operand.
 *   ADC/SBB: as ADD/SUB with src = the second operand (NOT the carry); the carry-in is
 *     recovered as dst - src2 - src (ADC) or src2 - src - dst (SBB).
 *   INC/DEC: src2 = the operand before, src = CF before the instruction (0 or 1).
 *   SHL/SHR/SAR: src = count (already masked, non-zero), src2 = the value shifted.
 *   MUL/IMUL: dst = low half of the result, src = non-zero when CF=OF=1.
 * Rotates and others compute flags themselves and set CC_OP_EFLAGS. */

/* RFLAGS bits POPF may change at the current CPL/IOPL for the operand size (the
 * caller uses cpu_set_rflags(cpu, value, cpu_popf_mask(cpu, bits))). Raises #GP(0)
 * in V86 mode with IOPL < 3. IRET, INT and far transfers are the system core's. */
uint64_t cpu_popf_mask(X86CPU *cpu, unsigned opbits);

/* Flush every TLB entry, global ones included: the engine calls this from its
 * MemoryListener commit (the memory map changed) and after A20 gate changes. */
void cpu_tlb_flush_all_mappings(X86CPU *cpu);

/* Physical access (A20 applied, APIC page routed to apic_mmio). */
uint64_t cpu_ld_phys(X86CPU *cpu, uint64_t addr, unsigned size);
void cpu_st_phys(X86CPU *cpu, uint64_t addr, uint64_t value, unsigned size);

/* Model-specific registers (exec_system.c): returns false for an unknown MSR. */
bool cpu_rdmsr(X86CPU *cpu, uint32_t index, uint64_t *value);
bool cpu_wrmsr(X86CPU *cpu, uint32_t index, uint64_t value);
/* Current time-stamp counter. */
uint64_t cpu_get_tsc(X86CPU *cpu);
/* Is the decoder feature available on this CPU's model? (NULL model: everything
 * up to CX16.) */
bool cpu_has_feature(X86CPU *cpu, unsigned feature);

/* ---- added by the x87 (fpu.c) ----
 * Legacy x87 error reporting (CR0.NE=0): the FPU drives FERR#, which the PC board
 * turns into IRQ 13. The hook is called with true when an unmasked exception becomes
 * pending (FSW.ES set) while CR0.NE=0, and with false when ES is cleared (FNCLEX,
 * FNINIT, FLDCW/FLDENV/FRSTOR masking it). NULL (the default): not wired. */
extern void (*cpu_fpu_ferr)(X86CPU *cpu, bool asserted);

#endif
