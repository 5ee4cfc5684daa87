/*
 * The KVM engine's CPUID: what KVM_GET_SUPPORTED_CPUID offers, with this vCPU's
 * identity (initial and x2APIC IDs), a topology of one package with one core per vCPU,
 * the hypervisor bit, the TSC-deadline timer of the in-kernel LAPIC, and the KVM
 * paravirtual leaves (signature "KVMKVMKVM", features as KVM supports them). On a
 * software-backed KVM (kvm_pvm) it hides what that KVM's ring-0 instruction emulator
 * cannot execute, so the guest picks its fallbacks (see software_backed_hidden).
 */
#include "config-host.h"

#ifdef CONFIG_KVM

#include "accel/kvm/kvm_internal.h"
#include "system/error.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>

#define CPUID_MAX_ENTRIES 256           /* KVM_SET_CPUID2 refuses more */

#define CPUID_1_ECX_MONITOR (1u << 3)
#define CPUID_1_ECX_CX16 (1u << 13)
#define CPUID_1_ECX_TSC_DEADLINE (1u << 24)
#define CPUID_1_ECX_HYPERVISOR (1u << 31)
#define CPUID_1_EDX_HTT (1u << 28)
#define CPUID_5_LEAF 5                  /* MONITOR/MWAIT parameters */

#define KVM_SIGNATURE_EBX 0x4b4d564bu   /* "KVMK" */
#define KVM_SIGNATURE_ECX 0x564b4d56u   /* "VMKV" */
#define KVM_SIGNATURE_EDX 0x0000004du   /* "M\0\0\0" */
#define KVM_LEAF_SIGNATURE 0x40000000u
#define KVM_LEAF_FEATURES 0x40000001u

#define AMD_VENDOR_EBX 0x68747541u      /* "Auth" */

/* The supported list, read once (it does not change while we run). */
static struct kvm_cpuid2 *kvm_supported_cpuid(Error **errp)
{
    static struct kvm_cpuid2 *cached;
    if (cached) {
        return cached;
    }
    for (uint32_t n = 128; n <= 4096; n *= 2) {
        struct kvm_cpuid2 *c = xzalloc(sizeof(*c) + n * sizeof(c->entries[0]));
        c->nent = n;
        if (ioctl(kvm_dev_fd(), KVM_GET_SUPPORTED_CPUID, c) == 0) {
            cached = c;
            return c;
        }
        int err = errno;
        free(c);
        if (err != E2BIG) {
            error_setg(errp, "KVM: cannot read the supported CPUID: %s", strerror(err));
            return NULL;
        }
    }
    error_setg(errp, "KVM: the supported CPUID list is too long");
    return NULL;
}

/* Our table: a kvm_cpuid2 with room for CPUID_MAX_ENTRIES entries. */
typedef struct kvm_cpuid2 CpuidTable;

static struct kvm_cpuid_entry2 *cpuid_find(CpuidTable *t, uint32_t function, uint32_t index)
{
    for (uint32_t i = 0; i < t->nent; i++) {
        struct kvm_cpuid_entry2 *e = &t->entries[i];
        if (e->function == function &&
            (!(e->flags & KVM_CPUID_FLAG_SIGNIFCANT_INDEX) || e->index == index)) {
            return e;
        }
    }
    return NULL;
}

static struct kvm_cpuid_entry2 *cpuid_add(CpuidTable *t, uint32_t function, uint32_t index,
                                          bool indexed)
{
    if (t->nent >= CPUID_MAX_ENTRIES) {
        return NULL;
    }
    struct kvm_cpuid_entry2 *e = &t->entries[t->nent++];
    memset(e, 0, sizeof(*e));
    e->function = function;
    e->index = index;
    e->flags = indexed ? KVM_CPUID_FLAG_SIGNIFCANT_INDEX : 0;
    return e;
}

static uint32_t ceil_log2(uint32_t n)
{
    uint32_t bits = 0;
    while ((1u << bits) < n) {
        bits++;
    }
    return bits;
}

/* Leaves 0xb and 0x1f: SMT level with one thread, core level with nr_cpus cores. */
static void cpuid_add_topology(CpuidTable *t, uint32_t leaf, uint32_t apic_id,
                               uint32_t nr_cpus)
{
    uint32_t core_bits = ceil_log2(nr_cpus);
    struct kvm_cpuid_entry2 *e;
    if ((e = cpuid_add(t, leaf, 0, true))) {
        e->eax = 0;                     /* no SMT bits in the APIC ID */
        e->ebx = 1;                     /* one thread per core */
        e->ecx = 0 | (1u << 8);         /* level 0, type SMT */
        e->edx = apic_id;
    }
    if ((e = cpuid_add(t, leaf, 1, true))) {
        e->eax = core_bits;
        e->ebx = nr_cpus;
        e->ecx = 1 | (2u << 8);         /* level 1, type core */
        e->edx = apic_id;
    }
    if ((e = cpuid_add(t, leaf, 2, true))) {
        e->ecx = 2;                     /* level 2, type invalid: the end */
        e->edx = apic_id;
    }
}

/* kvm_pvm emulates guest ring 0 instruction by instruction with an emulator that
 * fails on CMPXCHG16B (Linux uses it in its slab allocator when CPUID offers it). It
 * also fails on XRSTOR, but keeps XSAVE in the guest's CPUID whatever we set: a Linux
 * guest there needs "noxsave" on its command line. */
static void software_backed_hidden(CpuidTable *t)
{
    struct kvm_cpuid_entry2 *leaf1 = cpuid_find(t, 1, 0);
    if (leaf1) {
        leaf1->ecx &= ~CPUID_1_ECX_CX16;
    }
}

bool kvm_cpuid_setup(KvmCpu *kc, int nr_cpus_int, Error **errp)
{
    struct kvm_cpuid2 *sup = kvm_supported_cpuid(errp);
    if (!sup) {
        return false;
    }
    uint32_t nr_cpus = nr_cpus_int > 0 ? (uint32_t)nr_cpus_int : 1;
    uint32_t apic_id = kc->cpu->apic_id;
    uint32_t core_bits = ceil_log2(nr_cpus);
    CpuidTable *t = xzalloc(sizeof(*t) + CPUID_MAX_ENTRIES * sizeof(t->entries[0]));

    uint32_t max_basic = 0;
    bool amd = false;
    for (uint32_t i = 0; i < sup->nent; i++) {
        if (sup->entries[i].function == 0) {
            max_basic = sup->entries[i].eax;
            amd = sup->entries[i].ebx == AMD_VENDOR_EBX;
        }
    }

    for (uint32_t i = 0; i < sup->nent && t->nent < CPUID_MAX_ENTRIES; i++) {
        struct kvm_cpuid_entry2 e = sup->entries[i];
        switch (e.function) {
        case 0xb:
        case 0x1f:
            continue;                   /* rebuilt below for our topology */
        case 1:
            e.ebx = (e.ebx & 0xffff) | ((1u << core_bits) << 16) | (apic_id << 24);
            if (nr_cpus > 1) {
                e.edx |= CPUID_1_EDX_HTT;
            } else {
                e.edx &= ~CPUID_1_EDX_HTT;
            }
            e.ecx |= CPUID_1_ECX_HYPERVISOR;
            if (kc->s->caps.tsc_deadline) {
                e.ecx |= CPUID_1_ECX_TSC_DEADLINE;
            }
            break;
        case 4:
            if (e.eax & 0x1f) {         /* a cache is described */
                uint32_t level = (e.eax >> 5) & 7;
                uint32_t sharing = level >= 3 ? (1u << core_bits) - 1 : 0;
                e.eax &= 0x3fff;
                e.eax |= (((1u << core_bits) - 1) & 0x3f) << 26;
                e.eax |= (sharing & 0xfff) << 14;
            }
            break;
        case 0x80000008:
            if (amd) {
                e.ecx = (e.ecx & ~0xf0ffu) | ((nr_cpus - 1) & 0xff) | (core_bits << 12);
            }
            break;
        case 0x8000001e:
            e.eax = apic_id;
            e.ebx = apic_id & 0xff;     /* core id; one thread per core */
            e.ecx = 0;                  /* one node, node 0 */
            break;
        default:
            break;
        }
        t->entries[t->nent++] = e;
    }
    if (max_basic >= 0xb) {
        cpuid_add_topology(t, 0xb, apic_id, nr_cpus);
    }
    if (max_basic >= 0x1f) {
        cpuid_add_topology(t, 0x1f, apic_id, nr_cpus);
    }

    /* MONITOR/MWAIT only when KVM lets the guest run them (then it lists leaf 5). */
    struct kvm_cpuid_entry2 *leaf1 = cpuid_find(t, 1, 0);
    if (leaf1 && (leaf1->ecx & CPUID_1_ECX_MONITOR) && !cpuid_find(t, CPUID_5_LEAF, 0)) {
        leaf1->ecx &= ~CPUID_1_ECX_MONITOR;
    }
    if (accel_kvm_software_backed()) {
        software_backed_hidden(t);
    }
    /* The paravirtual signature: KVM lists it; make sure it reads "KVMKVMKVM". */
    struct kvm_cpuid_entry2 *sig = cpuid_find(t, KVM_LEAF_SIGNATURE, 0);
    if (!sig) {
        sig = cpuid_add(t, KVM_LEAF_SIGNATURE, 0, false);
    }
    if (sig) {
        sig->ebx = KVM_SIGNATURE_EBX;
        sig->ecx = KVM_SIGNATURE_ECX;
        sig->edx = KVM_SIGNATURE_EDX;
        if (sig->eax < KVM_LEAF_FEATURES) {
            sig->eax = KVM_LEAF_FEATURES;
        }
    }
    if (!cpuid_find(t, KVM_LEAF_FEATURES, 0)) {
        cpuid_add(t, KVM_LEAF_FEATURES, 0, false);      /* no paravirtual features */
    }

    int r = ioctl(kc->fd, KVM_SET_CPUID2, t);
    int err = errno;
    free(t);
    if (r < 0) {
        error_setg(errp, "KVM: cannot set the CPUID of vCPU %d: %s", kc->cpu->index,
                   strerror(err));
        return false;
    }
    return true;
}

#endif /* CONFIG_KVM */
