/*
 * Segmentation for the interpreter: descriptor-table reads, the descriptor cache
 * format, segment-register loads with every protected-mode check (and the #GP, #NP,
 * #SS, #TS error codes), and access to the current TSS.
 */
#ifndef CPU_SEG_H
#define CPU_SEG_H

#include "cpu/cpu.h"

/* Descriptor type helpers (X86Segment.type with .s set for code/data). */
static inline bool desc_is_code(const X86Segment *d) { return d->s && (d->type & 8); }
static inline bool desc_is_data(const X86Segment *d) { return d->s && !(d->type & 8); }
static inline bool desc_conforming(const X86Segment *d) { return (d->type & 0xc) == 0xc; }
static inline bool desc_readable(const X86Segment *d)
{
    return desc_is_data(d) || (d->type & 2);
}
static inline bool desc_writable_data(const X86Segment *d)
{
    return desc_is_data(d) && (d->type & 2);
}

/* System descriptor types (s = 0). */
enum {
    DESC_TSS16_AVAIL = 1, DESC_LDT = 2, DESC_TSS16_BUSY = 3, DESC_CALL16 = 4,
    DESC_TASK = 5, DESC_INT16 = 6, DESC_TRAP16 = 7, DESC_TSS32_AVAIL = 9,
    DESC_TSS32_BUSY = 11, DESC_CALL32 = 12, DESC_INT32 = 14, DESC_TRAP32 = 15,
};

/* Read the 8-byte descriptor `selector` names (GDT or LDT by TI). Returns false when
 * it lies beyond the table limit (or the LDT is unusable); the caller raises. */
bool seg_read_desc(X86CPU *cpu, uint16_t selector, uint64_t *desc);
/* Linear address of the descriptor (valid after seg_read_desc returned true). */
uint64_t seg_desc_addr(X86CPU *cpu, uint16_t selector);
/* Decode a descriptor into a segment cache (selector included). */
void seg_decode(X86Segment *seg, uint16_t selector, uint64_t desc);
/* Set the accessed bit of a code/data descriptor in its table. */
void seg_set_accessed(X86CPU *cpu, uint16_t selector, uint64_t desc);

/*
 * Load a data or stack segment register (MOV Sw, POP Sw, LDS/LES/LFS/LGS/LSS) with
 * the checks of the current mode; raises #GP(sel), #NP(sel), #SS(sel) or #GP(0).
 * Loading SS also sets the one-instruction interrupt shadow (cpu->inhibit_irq).
 */
void seg_load(X86CPU *cpu, int seg, uint16_t selector);

/* The protected-mode DS/ES/FS/GS part of seg_load, with `bad_vector` (#GP for the
 * instructions, #TS for a task switch) for a selector that is not usable there. */
void seg_load_data(X86CPU *cpu, int seg, uint16_t selector, int bad_vector);

/* Real-mode / V86 form: base = selector << 4 (V86 also resets limit and rights). */
void seg_load_real(X86CPU *cpu, int seg, uint16_t selector);

/* Install a checked code segment as CS at privilege `cpl` (RPL forced to cpl) and
 * update the mode. */
void seg_set_cs(X86CPU *cpu, const X86Segment *cs, int cpl);

/* Null data segment (selector kept, unusable). */
void seg_set_null(X86Segment *seg, uint16_t selector);

/* After a return to an outer ring: null ES/DS/FS/GS whose DPL is below the new CPL
 * (data or non-conforming code). */
void seg_null_invalid_data_segments(X86CPU *cpu);

/* The ring-`dpl` stack from the current TSS (16- or 32-bit; 64-bit: ss = 0).
 * Raises #TS(tr selector) if the TSS is too short. */
void seg_tss_stack(X86CPU *cpu, int dpl, uint16_t *ss, uint64_t *sp);
/* 64-bit TSS interrupt stack `ist` (1-7). */
uint64_t seg_tss_ist(X86CPU *cpu, int ist);

/* Check a stack segment descriptor for a load with privilege `cpl`; raises
 * #TS(sel) (or `vector` given) for a bad one and #SS(sel) if not present; fills *ss. */
void seg_check_stack(X86CPU *cpu, uint16_t selector, int cpl, int vector, X86Segment *ss);

#endif
