/*
 * The interpreter's CPUID models and the CPUID leaves computed from them.
 *
 * Rule for the feature lists: a bit is set only when the interpreter implements
 * the feature (an instruction, a paging mode, an MSR it keeps as storage). They
 * grow with the implementation: FPU when the x87 exists, MMX/FXSR/SSE/SSE2 with
 * the vector unit, and so on. MTRR is advertised because the MTRR MSRs are kept
 * as plain storage (the interpreter has no cache model, so they change nothing).
 */
#include "cpu/models.h"

#include <string.h>

/* What every P6-class model has. */
#define P6_BASE_EDX (CPUID_1_EDX_FPU | CPUID_1_EDX_FXSR | \
                     CPUID_1_EDX_PSE | CPUID_1_EDX_TSC | CPUID_1_EDX_MSR | \
                     CPUID_1_EDX_PAE | CPUID_1_EDX_CX8 | CPUID_1_EDX_APIC | \
                     CPUID_1_EDX_SEP | CPUID_1_EDX_MTRR | CPUID_1_EDX_PGE | \
                     CPUID_1_EDX_CMOV | CPUID_1_EDX_PAT)

static const X86CpuModel x86_cpu_models[] = {
    {
        .name = "ember",
        .desc = "Ember interpreter CPU: P6 class with long mode (default)",
        .vendor = "GenuineIntel",
        .family = 6, .model = 15, .stepping = 11,
        .features_edx = P6_BASE_EDX | CPUID_1_EDX_MMX | CPUID_1_EDX_SSE | CPUID_1_EDX_SSE2,
        .features_ecx = CPUID_1_ECX_HYPERVISOR,
        .ext_features_edx = CPUID_EXT_EDX_SYSCALL | CPUID_EXT_EDX_NX | CPUID_EXT_EDX_LM,
        .ext_features_ecx = CPUID_EXT_ECX_LAHF_LM,
        .max_leaf = 2,
        .max_ext_leaf = 0x80000008,
        .brand = "Ember Virtual CPU",
    },
    {
        .name = "ember32",
        .desc = "Ember interpreter CPU without long mode (32-bit P6 class)",
        .vendor = "GenuineIntel",
        .family = 6, .model = 8, .stepping = 3,
        .features_edx = P6_BASE_EDX,
        .features_ecx = CPUID_1_ECX_HYPERVISOR,
        .ext_features_edx = CPUID_EXT_EDX_NX,
        .ext_features_ecx = 0,
        .max_leaf = 2,
        .max_ext_leaf = 0x80000008,
        .brand = "Ember Virtual CPU (32-bit)",
    },
    {
        .name = "pentium",
        .desc = "Pentium (P54C class, on-chip APIC): no PAE, PGE, CMOV or SYSENTER",
        .vendor = "GenuineIntel",
        .family = 5, .model = 2, .stepping = 12,
        .features_edx = CPUID_1_EDX_FPU | CPUID_1_EDX_PSE | CPUID_1_EDX_TSC |
                        CPUID_1_EDX_MSR | CPUID_1_EDX_CX8 | CPUID_1_EDX_APIC,
        .features_ecx = 0,
        .ext_features_edx = 0,
        .ext_features_ecx = 0,
        .max_leaf = 1,
        .max_ext_leaf = 0,
        .brand = NULL,
    },
};

#define NR_MODELS (sizeof(x86_cpu_models) / sizeof(x86_cpu_models[0]))

const X86CpuModel *x86_cpu_model_find(const char *name)
{
    if (!name) {
        return NULL;
    }
    for (size_t i = 0; i < NR_MODELS; i++) {
        if (strcmp(x86_cpu_models[i].name, name) == 0) {
            return &x86_cpu_models[i];
        }
    }
    return NULL;
}

const X86CpuModel *x86_cpu_model_default(void)
{
    return &x86_cpu_models[0];
}

void x86_cpu_models_print(FILE *out)
{
    for (size_t i = 0; i < NR_MODELS; i++) {
        fprintf(out, "  %-10s %s\n", x86_cpu_models[i].name, x86_cpu_models[i].desc);
    }
}

/* ---- CPUID ---- */

/* Four characters of a string as a little-endian register value ('\0'-padded). */
static uint32_t cpuid_chars(const char *s, size_t len, size_t pos)
{
    uint32_t v = 0;
    for (size_t i = 0; i < 4; i++) {
        uint8_t c = pos + i < len ? (uint8_t)s[pos + i] : 0;
        v |= (uint32_t)c << (8 * i);
    }
    return v;
}

/* Leaf 1 EAX: stepping 3:0, model 7:4, family 11:8, extended model 19:16 (families 6
 * and 15), extended family 27:20 (family >= 15). */
static uint32_t cpuid_signature(const X86CpuModel *m)
{
    uint32_t family = m->family, model = m->model;
    uint32_t sig = (m->stepping & 0xf) | ((model & 0xf) << 4);
    if (family >= 15) {
        sig |= 15u << 8;
        sig |= ((family - 15) & 0xff) << 20;
    } else {
        sig |= (family & 0xf) << 8;
    }
    if (family == 6 || family >= 15) {
        sig |= ((model >> 4) & 0xf) << 16;
    }
    return sig;
}

static void cpuid_basic(const X86CpuModel *m, uint32_t leaf, uint32_t apic_id,
                        uint32_t out[4])
{
    size_t vlen = strnlen(m->vendor, sizeof(m->vendor));
    switch (leaf) {
    case 0:
        out[0] = m->max_leaf;
        out[1] = cpuid_chars(m->vendor, vlen, 0);
        out[3] = cpuid_chars(m->vendor, vlen, 4);
        out[2] = cpuid_chars(m->vendor, vlen, 8);
        break;
    case 1:
        out[0] = cpuid_signature(m);
        /* EBX: initial APIC ID 31:24, one logical processor per package 23:16,
         * CLFLUSH line size (in 8-byte units) 15:8 when CLFLUSH exists. */
        out[1] = (apic_id & 0xff) << 24 | 1u << 16;
        if (m->features_edx & CPUID_1_EDX_CLFSH) {
            out[1] |= 8u << 8;
        }
        out[2] = m->features_ecx;
        out[3] = m->features_edx;
        break;
    case 2:
        /* one iteration, no cache or TLB descriptors */
        out[0] = 0x00000001;
        break;
    default:
        break;                  /* reserved leaves below the maximum: zeros */
    }
}

void x86_cpu_model_cpuid(const X86CpuModel *m, uint32_t leaf, uint32_t subleaf,
                         uint32_t apic_id, int nr_cpus, uint32_t out[4])
{
    (void)subleaf;
    (void)nr_cpus;
    out[0] = out[1] = out[2] = out[3] = 0;
    if (leaf >= 0x80000000u && m->max_ext_leaf >= 0x80000000u && leaf <= m->max_ext_leaf) {
        switch (leaf) {
        case 0x80000000u:
            out[0] = m->max_ext_leaf;
            break;
        case 0x80000001u:
            out[2] = m->ext_features_ecx;
            out[3] = m->ext_features_edx;
            break;
        case 0x80000002u:
        case 0x80000003u:
        case 0x80000004u:
            if (m->brand) {
                size_t len = strlen(m->brand);
                size_t base = (leaf - 0x80000002u) * 16;
                for (int r = 0; r < 4; r++) {
                    out[r] = cpuid_chars(m->brand, len < 47 ? len : 47, base + 4 * (size_t)r);
                }
            }
            break;
        case 0x80000008u:
            out[0] = X86_MODEL_PHYS_BITS | (X86_MODEL_VIRT_BITS << 8);
            break;
        default:
            break;
        }
        return;
    }
    if (leaf > m->max_leaf) {
        leaf = m->max_leaf;     /* Intel: out-of-range leaves answer as the highest */
    }
    cpuid_basic(m, leaf, apic_id, out);
}
