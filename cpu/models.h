/*
 * CPUID models of the interpreter: what `-cpu NAME` selects and `-cpu help` lists.
 * A model (X86CpuModel, cpu/cpu.h) fixes the vendor, family/model/stepping, the
 * brand string and the feature bits CPUID reports. The feature lists only ever
 * advertise what the interpreter implements; they grow as it does (x87, MMX and SSE
 * come later).
 */
#ifndef CPU_MODELS_H
#define CPU_MODELS_H

#include <stdint.h>
#include <stdio.h>
#include "cpu/cpu.h"

/* CPUID leaf 1, EDX */
#define CPUID_1_EDX_FPU   (1u << 0)
#define CPUID_1_EDX_VME   (1u << 1)
#define CPUID_1_EDX_DE    (1u << 2)
#define CPUID_1_EDX_PSE   (1u << 3)
#define CPUID_1_EDX_TSC   (1u << 4)
#define CPUID_1_EDX_MSR   (1u << 5)
#define CPUID_1_EDX_PAE   (1u << 6)
#define CPUID_1_EDX_MCE   (1u << 7)
#define CPUID_1_EDX_CX8   (1u << 8)
#define CPUID_1_EDX_APIC  (1u << 9)
#define CPUID_1_EDX_SEP   (1u << 11)
#define CPUID_1_EDX_MTRR  (1u << 12)
#define CPUID_1_EDX_PGE   (1u << 13)
#define CPUID_1_EDX_MCA   (1u << 14)
#define CPUID_1_EDX_CMOV  (1u << 15)
#define CPUID_1_EDX_PAT   (1u << 16)
#define CPUID_1_EDX_PSE36 (1u << 17)
#define CPUID_1_EDX_CLFSH (1u << 19)
#define CPUID_1_EDX_MMX   (1u << 23)
#define CPUID_1_EDX_FXSR  (1u << 24)
#define CPUID_1_EDX_SSE   (1u << 25)
#define CPUID_1_EDX_SSE2  (1u << 26)
#define CPUID_1_EDX_HTT   (1u << 28)

/* CPUID leaf 1, ECX */
#define CPUID_1_ECX_SSE3   (1u << 0)
#define CPUID_1_ECX_CX16   (1u << 13)
#define CPUID_1_ECX_X2APIC (1u << 21)
#define CPUID_1_ECX_POPCNT (1u << 23)
#define CPUID_1_ECX_TSC_DEADLINE (1u << 24)
#define CPUID_1_ECX_HYPERVISOR (1u << 31)

/* CPUID leaf 0x80000001, EDX / ECX */
#define CPUID_EXT_EDX_SYSCALL (1u << 11)
#define CPUID_EXT_EDX_NX      (1u << 20)
#define CPUID_EXT_EDX_RDTSCP  (1u << 27)
#define CPUID_EXT_EDX_LM      (1u << 29)
#define CPUID_EXT_ECX_LAHF_LM (1u << 0)

/* Physical and linear address widths reported by leaf 0x80000008 (and used for
 * reserved-bit checks): 36 physical bits as on P6/PAE parts, 48 linear bits. */
#define X86_MODEL_PHYS_BITS 36
#define X86_MODEL_VIRT_BITS 48

/* The model called `name`, or NULL. */
const X86CpuModel *x86_cpu_model_find(const char *name);
/* The model used without -cpu ("ember"). */
const X86CpuModel *x86_cpu_model_default(void);
/* The `-cpu help` list (one line per model). */
void x86_cpu_models_print(FILE *out);

/*
 * What CPUID returns for `leaf`/`subleaf` on a CPU of this model with this initial
 * APIC ID and `nr_cpus` logical processors in the machine: out[0..3] = EAX, EBX,
 * ECX, EDX. Leaves above the maximum return the highest basic leaf's values, as
 * Intel CPUs do; unknown leaves below it return zeros.
 */
void x86_cpu_model_cpuid(const X86CpuModel *model, uint32_t leaf, uint32_t subleaf,
                         uint32_t apic_id, int nr_cpus, uint32_t out[4]);

#endif
