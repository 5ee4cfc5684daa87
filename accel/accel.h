/*
 * Execution engines behind one interface. The machine and devices never call an
 * engine directly except through these operations; the engine owns how vCPUs run
 * (threads under KVM, the main loop thread under the interpreter).
 */
#ifndef ACCEL_ACCEL_H
#define ACCEL_ACCEL_H

#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include "cpu/x86_state.h"
#include "system/error.h"

typedef struct Machine Machine;

typedef struct CPUState {
    int index;
    uint32_t apic_id;
    X86State env;               /* architectural state, valid when !state_in_engine */
    bool state_in_engine;       /* the engine holds newer state than env */
    Machine *machine;
    void *engine;               /* engine-private per-vCPU data */
    pthread_t thread;
    bool thread_started;
    atomic_bool stop;           /* asked to leave the run loop and park */
    atomic_bool stopped;        /* parked (acknowledged stop) */
} CPUState;

typedef struct AccelOps {
    const char *name;
    const char *desc;
    /* Can this engine run here? On false, *why says why (caller frees). */
    bool (*available)(char **why);
    /* Create the VM (after the machine built its memory map, before devices run). */
    bool (*init)(Machine *m, Error **errp);
    bool (*cpu_init)(CPUState *cpu, Error **errp);
    /* Start running all vCPUs (KVM: one thread each). */
    void (*start)(Machine *m);
    /* Stop all vCPUs and wait until they are parked (for reset, pause, exit). */
    void (*stop)(Machine *m);
    /* Make a vCPU leave guest execution soon (any thread). */
    void (*kick)(CPUState *cpu);
    /* Copy state engine -> cpu->env, and cpu->env -> engine. */
    void (*get_state)(CPUState *cpu);
    void (*set_state)(CPUState *cpu);
    /* The i8259's INTR output (wired to the BSP's LINT0 as ExtINT). */
    void (*set_extint)(Machine *m, int level);
    /* An MSI-format interrupt message (from the IOAPIC or a PCI device). */
    void (*deliver_msi)(Machine *m, uint64_t addr, uint32_t data);
    /* Put every vCPU in its power-on state (BSP runs, APs wait for INIT/SIPI). */
    void (*reset)(Machine *m);
    void (*destroy)(Machine *m);
    /* The A20 gate changed (NULL: the engine cannot mask A20, as KVM). */
    void (*set_a20)(Machine *m, bool enabled);
} AccelOps;

/* All engines compiled in, in preference order. */
const AccelOps *accel_find(const char *name);
void accel_print_help(FILE *out);

extern const AccelOps accel_kvm_ops;
/* The software interpreter (accel/interp/interp.c): always available. */
extern const AccelOps accel_interp_ops;
/* True when /dev/kvm is served by a software-backed KVM (kvm_pvm): guest ring-0 code
 * (and 32-bit ring-3 code) is emulated slowly there, 64-bit ring-3 code runs natively. */
bool accel_kvm_software_backed(void);

#endif
