/*
 * Private declarations shared by the KVM engine's files: the per-VM state (memslots,
 * capabilities, the parking lot for vCPU threads, the ExtINT line, the level-triggered
 * MSI routes) and the per-vCPU state (fd, the mmapped kvm_run area).
 */
#ifndef ACCEL_KVM_KVM_INTERNAL_H
#define ACCEL_KVM_KVM_INTERNAL_H

#include "config-host.h"

#ifdef CONFIG_KVM

#include <linux/kvm.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>
#include "accel/accel.h"
#include "hw/core/memory.h"
#include "hw/i386/pc.h"

/* Addresses KVM needs for its own use on Intel hosts (real-mode emulation without
 * unrestricted guest): three pages for a TSS and one page for an identity-mapped page
 * table. The board's e820 map reserves [KVM_IDENTITY_MAP_ADDR, +16 KiB). */
#define KVM_IDENTITY_MAP_ADDR 0xfeffc000ull
#define KVM_TSS_ADDR 0xfeffd000ull

/* The IOAPIC's 24 pins: GSI routes 0..23 are reserved for the user-space IOAPIC. */
#define KVM_IOAPIC_ROUTES 24

/* The signal that kicks a vCPU thread out of KVM_RUN. */
#define KVM_KICK_SIGNAL SIGUSR1

#define KVM_MAX_SLOTS 256

typedef struct KvmSlot {
    bool used;
    uint32_t id;
    uint64_t gpa;
    uint64_t size;
    void *host;
    uint32_t flags;
} KvmSlot;

/* A level-triggered MSI message seen from the IOAPIC, kept as a GSI route so KVM sets
 * the vector in the EOI-exit bitmap (see kvm.c). */
typedef struct KvmLevelRoute {
    bool used;
    uint32_t addr_lo, addr_hi, data;
    uint64_t last_use;
} KvmLevelRoute;

typedef struct KvmCaps {
    bool readonly_mem;
    bool immediate_exit;
    bool xsave;
    bool xcrs;
    bool debugregs;
    bool vcpu_events;
    bool tsc_deadline;
    bool set_tss_addr;
    bool set_identity_map_addr;
    int nr_memslots;
    int max_vcpus;
    int xsave_size;              /* bytes KVM_SET_XSAVE reads */
} KvmCaps;

typedef struct KvmState {
    Machine *machine;
    int vm_fd;
    int vcpu_mmap_size;
    KvmCaps caps;

    /* memory */
    MemoryListener listener;
    KvmSlot slots[KVM_MAX_SLOTS];
    bool slot_failed;            /* a range could not be mapped */

    /* MSRs carried in X86State.msrs that this kernel can save and restore */
    uint32_t *msr_indices;
    int nr_msr_indices;

    /* vCPU threads park here (stop/start/reset) */
    pthread_mutex_t park_lock;
    pthread_cond_t park_cond;
    bool threads_started;
    atomic_bool quit;

    /* the i8259's INTR output, delivered to the BSP as ExtINT */
    atomic_int extint_level;

    /* level-triggered MSI routes (EOI-exit bitmap) */
    pthread_mutex_t route_lock;
    KvmLevelRoute routes[KVM_IOAPIC_ROUTES];
    uint64_t route_clock;
} KvmState;

typedef struct KvmCpu {
    CPUState *cpu;
    KvmState *s;
    int fd;
    struct kvm_run *run;
    bool needs_power_on;     /* load the power-on state before running */
    bool io_pending;         /* the last exit must be completed by a KVM_RUN */
    bool halted_for_event;   /* asked for shutdown/reset: run nothing until stopped */
    uint64_t tsc_seen;       /* the TSC as get_state last read it */
    bool tsc_seen_valid;
    struct X86CPU *fallback; /* interpreter CPU for what KVM cannot emulate, or NULL */
    uint64_t fallback_steps; /* instructions it ran */
} KvmCpu;

static inline KvmState *kvm_state(Machine *m)
{
    return m->accel_state;
}

static inline KvmCpu *kvm_cpu(CPUState *cpu)
{
    return cpu->engine;
}

/* kvm.c */
int kvm_dev_fd(void);                    /* /dev/kvm, opened once */
int kvm_check_extension(int fd, long cap);
/* Forget the level-triggered EOI routes (machine reset). */
void kvm_routes_reset(KvmState *s);

/* kvm_cpu.c */
bool kvm_cpu_init(CPUState *cpu, Error **errp);
void kvm_cpu_start_all(Machine *m);
void kvm_cpu_stop_all(Machine *m);
void kvm_cpu_kick(CPUState *cpu);
void kvm_cpu_reset_all(Machine *m);
void kvm_cpu_get_state(CPUState *cpu);
void kvm_cpu_set_state(CPUState *cpu);
void kvm_cpu_destroy_all(Machine *m);
void kvm_cpu_install_kick_handler(void);

/* kvm_fallback.c: run the instruction KVM failed to emulate in the interpreter and
 * put the resulting state back; false if that was impossible (the caller fails). */
bool kvm_fallback_step(KvmCpu *kc);
void kvm_fallback_free(KvmCpu *kc);

/* kvm_cpuid.c: set the vCPU's CPUID table from what KVM supports. */
bool kvm_cpuid_setup(KvmCpu *kc, int nr_cpus, Error **errp);

/* kvm_regs.c */
bool kvm_regs_init_msr_list(KvmState *s, Error **errp);
/* Copy the engine's state into st; false (with a message on stderr) on failure. */
bool kvm_regs_get(KvmCpu *kc, X86State *st);
/* Load st into the engine. */
bool kvm_regs_put(KvmCpu *kc, const X86State *st);
/* Power-on: load st and put what X86State does not carry (LAPIC, pending events,
 * extended FPU state, XCR0, paravirtual MSRs) in its power-on values; the BSP is made
 * runnable, an AP waits for INIT/SIPI. */
bool kvm_regs_power_on(KvmCpu *kc, const X86State *st, bool is_bsp);
/* Print RIP and CS of the vCPU (for error messages) into buf. */
void kvm_regs_describe(KvmCpu *kc, char *buf, size_t len);

#endif /* CONFIG_KVM */
#endif
