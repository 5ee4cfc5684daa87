/*
 * The interpreter engine ("interp", also "tcg"): turns the software x86 CPU
 * (cpu/cpu.h) into an engine of the pc machine.
 *
 * Execution: all vCPUs run in the main-loop thread, with the device lock held, from
 * a main-loop runner (mainloop_set_runner). Each call runs the runnable vCPUs
 * round-robin for a slice bounded by the time to the next timer deadline, converted
 * to instructions at a fixed nominal rate of INTERP_INSNS_PER_US (100 per microsecond, i.e.
 * 100 MIPS; the guest never sees this number, it only sizes slices) and capped at
 * INTERP_MAX_SLICE_NS (1 ms) so timers, fds and deferred work stay responsive. A
 * vCPU that is halted (HLT, no wake-up pending) or waits for a start-up IPI is
 * skipped; when none can run the runner returns false and the main loop sleeps
 * until a timer or fd fires, so an idle guest costs no host CPU.
 *
 * Interrupts: each vCPU has a software local APIC ("apic" device, a child of the
 * machine) on one ApicSystem that routes IPIs and MSIs. The APIC tells the CPU about
 * pending interrupts through ApicCpuOps, which set or clear bits of
 * cpu->interrupt_request; the CPU takes an interrupt with its ack_interrupt hook
 * (apic_acknowledge; an ExtINT is acknowledged at the i8259 through
 * pc_machine_pic_ack). The i8259's INTR drives the BSP APIC's LINT0. INIT and
 * start-up IPIs are applied by the engine, never inside an instruction of their
 * target (see interp_apic_init). Level-triggered EOIs go back to the IOAPIC
 * (ioapic_eoi_broadcast). MOV CR8 and IA32_APIC_BASE writes reach the APIC through
 * the CPU's cr8_* and apic_base_changed hooks; the CPU routes its APIC page to
 * the APIC's MMIO region itself (apic_mmio).
 *
 * If the "apic" type is not registered in this build, the engine runs a
 * uniprocessor machine whose CPU takes the i8259's INTR directly.
 *
 * Time: CLOCK_VIRTUAL is host time while running (no instruction counting yet).
 *
 * Decoded code: the CPUs share one decoded-instruction cache (cpu/tcache.h), flushed
 * when the memory map changes (the listener's commit) and on reset (a directly
 * booted kernel is reloaded through the address space, which the cache does not
 * see). With EMBER_STATS=1 in the environment the engine prints at exit how many
 * instructions ran in how much host time inside cpu_exec (MIPS) on stderr.
 */
#include "accel/accel.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "cpu/cpu.h"
#include "cpu/models.h"
#include "cpu/tcache.h"
#include "hw/core/device.h"
#include "hw/core/memory.h"
#include "hw/i386/pc.h"
#include "hw/intc/apic.h"
#include "hw/intc/ioapic.h"
#include "system/error.h"
#include "system/log.h"
#include "system/mainloop.h"

#define INTERP_INSNS_PER_US 100              /* nominal rate: sizes slices only */
#define INTERP_MAX_SLICE_NS 1000000          /* 1 ms */
#define INTERP_MIN_QUANTUM 1000              /* instructions per vCPU per turn */

typedef struct InterpState InterpState;

/* One vCPU: the interpreter's CPU and what ties it to the machine. */
typedef struct InterpCpu {
    X86CPU cpu;
    InterpState *s;
    CPUState *cs;                /* the machine's view (NULL until cpu_init) */
    DeviceState *apic;           /* NULL without local APICs */
} InterpCpu;

struct InterpState {
    Machine *machine;
    const X86CpuModel *model;
    MemoryListener listener;
    ApicSystem *apic_sys;        /* NULL without local APICs */
    InterpCpu *cpus[PC_MAX_CPUS];
    int nr_cpus;                 /* created so far */
    int nr_cpus_total;           /* -smp */
    int next_cpu;                /* round-robin position */
    InterpCpu *current;          /* the vCPU inside cpu_exec, or NULL */
    bool running;                /* between start and stop */
    bool reset_pending;          /* triple fault: run nothing until the reset */
    bool a20_enabled;
    TCache *tcache;              /* decoded code, shared by the CPUs */
};

/* EMBER_STATS=1: instructions retired and host time spent in cpu_exec, printed at
 * exit (one machine per process, hence static). */
static struct {
    bool enabled;
    bool registered;
    uint64_t insns;
    uint64_t ns;
    TCacheStats tcache;
} interp_stats;

static uint64_t interp_host_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

static void interp_stats_print(void)
{
    double s = (double)interp_stats.ns / 1e9;
    fprintf(stderr, "interp: %" PRIu64 " instructions in %.3f s = %.1f MIPS\n",
            interp_stats.insns, s, s > 0 ? (double)interp_stats.insns / s / 1e6 : 0.0);
    fprintf(stderr, "interp: tcache: %" PRIu64 " blocks built, %" PRIu64 " page "
            "invalidations, %" PRIu64 " flushes\n", interp_stats.tcache.blocks_built,
            interp_stats.tcache.page_invalidations, interp_stats.tcache.flushes);
}

static InterpState *interp_state(Machine *m)
{
    return m->accel_state;
}

static InterpCpu *interp_cpu_of(X86CPU *cpu)
{
    return cpu->opaque;
}

static void interp_cpu_init_event(InterpCpu *ic);
static void interp_cpu_startup(X86CPU *cpu, uint8_t vector);

/* ---- interrupt plumbing (APIC <-> CPU) ---- */

static void interp_request(X86CPU *cpu, int bits)
{
    atomic_fetch_or(&cpu->interrupt_request, bits);
}

static void interp_cancel(X86CPU *cpu, int bits)
{
    atomic_fetch_and(&cpu->interrupt_request, ~bits);
}

static void interp_apic_interrupt_request(void *opaque, bool pending)
{
    X86CPU *cpu = opaque;
    if (pending) {
        interp_request(cpu, CPU_INTERRUPT_HARD);
    } else {
        interp_cancel(cpu, CPU_INTERRUPT_HARD);
    }
}

static void interp_apic_nmi(void *opaque)
{
    interp_request(opaque, CPU_INTERRUPT_NMI);
}

/* INIT and SIPI replace the whole CPU state, so they must not land in the middle of
 * an instruction of that CPU. All vCPUs run in this thread, so a CPU other than the
 * one executing is between instructions: apply at once, in arrival order (an INIT
 * then a SIPI, as the start-up sequence sends them). A CPU that sends INIT to itself
 * gets it as CPU_INTERRUPT_INIT, applied when its slice ends (EXIT ends it now). */
static void interp_apic_init(void *opaque)
{
    X86CPU *cpu = opaque;
    InterpCpu *ic = interp_cpu_of(cpu);
    if (ic->s->current == ic) {
        interp_request(cpu, CPU_INTERRUPT_INIT | CPU_INTERRUPT_EXIT);
    } else {
        interp_cpu_init_event(ic);
    }
}

static void interp_apic_sipi(void *opaque, uint8_t vector)
{
    X86CPU *cpu = opaque;
    if (!cpu->wait_for_sipi) {
        return;                 /* only a CPU waiting for SIPI reacts */
    }
    /* a CPU waiting for SIPI never executes, so it cannot be the current one */
    cpu->sipi_vector = vector;
    log_item(LOG_INT, "interp: SIPI vector 0x%02x starts CPU %d\n", vector, cpu->index);
    interp_cpu_startup(cpu, vector);
}

static void interp_apic_smi(void *opaque)
{
    X86CPU *cpu = opaque;
    log_item(LOG_UNIMP, "interp: SMI to CPU %d ignored (no SMM)\n", cpu->index);
}

static int interp_apic_extint_ack(void *opaque)
{
    X86CPU *cpu = opaque;
    return pc_machine_pic_ack(interp_cpu_of(cpu)->s->machine);
}

static const ApicCpuOps interp_apic_cpu_ops = {
    .interrupt_request = interp_apic_interrupt_request,
    .nmi = interp_apic_nmi,
    .init = interp_apic_init,
    .sipi = interp_apic_sipi,
    .extint_ack = interp_apic_extint_ack,
    .smi = interp_apic_smi,
};

/* The CPU's INTA: the vector of the interrupt it is taking. */
static int interp_ack_interrupt(X86CPU *cpu)
{
    InterpCpu *ic = interp_cpu_of(cpu);
    if (ic->apic) {
        return apic_acknowledge(ic->apic);
    }
    return pc_machine_pic_ack(ic->s->machine);
}

/* WRMSR IA32_APIC_BASE: the CPU already stored the value; the APIC decides what it
 * accepts (the BSP flag is its own) and the CPU then mirrors the APIC. */
static void interp_apic_base_changed(X86CPU *cpu, uint64_t value)
{
    InterpCpu *ic = interp_cpu_of(cpu);
    if (!ic->apic) {
        return;
    }
    if (!apic_set_base(ic->apic, value)) {
        log_item(LOG_GUEST_ERRORS, "interp: CPU %d: IA32_APIC_BASE 0x%" PRIx64
                 " has reserved bits set\n", cpu->index, value);
    }
    cpu->s.apic_base = apic_get_base(ic->apic);
    cpu->apic_base = cpu->s.apic_base & APIC_BASE_ADDR_MASK;
    cpu_tlb_flush_all_mappings(cpu);
}

/* CR8 is the TPR's priority class (TPR bits 7:4). */
static uint64_t interp_cr8_read(X86CPU *cpu)
{
    InterpCpu *ic = interp_cpu_of(cpu);
    return ic->apic ? (uint64_t)(apic_get_tpr(ic->apic) >> 4) : cpu->s.cr8;
}

static void interp_cr8_write(X86CPU *cpu, uint64_t value)
{
    InterpCpu *ic = interp_cpu_of(cpu);
    cpu->s.cr8 = value & 0xf;
    if (ic->apic) {
        apic_set_tpr(ic->apic, (uint8_t)((value & 0xf) << 4));
    }
}

static void interp_ioapic_eoi(void *opaque, int vector)
{
    Machine *m = opaque;
    if (m->ioapic) {
        ioapic_eoi_broadcast(m->ioapic, vector);
    }
}

/* ---- CPU state ---- */

/* Point the CPU at the machine (after cpu_reset, which may clear these). */
static void interp_cpu_wire(InterpCpu *ic)
{
    X86CPU *cpu = &ic->cpu;
    Machine *m = ic->s->machine;
    cpu->mem = &m->as_mem;
    cpu->io = &m->as_io;
    cpu->opaque = ic;
    cpu->model = ic->s->model;
    cpu->apic = ic->apic;
    cpu->nr_cpus = ic->s->nr_cpus_total;
    cpu->ack_interrupt = interp_ack_interrupt;
    if (ic->apic) {
        cpu->apic_mmio = apic_get_mmio(ic->apic);
        cpu->apic_base_changed = interp_apic_base_changed;
        cpu->cr8_read = interp_cr8_read;
        cpu->cr8_write = interp_cr8_write;
        cpu->s.apic_base = apic_get_base(ic->apic);
        cpu->apic_base = cpu->s.apic_base & APIC_BASE_ADDR_MASK;
    } else {
        cpu->apic_mmio = NULL;
        cpu->apic_base_changed = NULL;
        cpu->cr8_read = NULL;
        cpu->cr8_write = NULL;
    }
    cpu->a20_mask = ic->s->a20_enabled ? ~UINT64_C(0) : ~(UINT64_C(1) << 20);
}

/* Power-on (or INIT) state; cpu_reset may clear the whole structure. */
static void interp_cpu_reset(InterpCpu *ic)
{
    X86CPU *cpu = &ic->cpu;
    int index = cpu->index;
    uint32_t apic_id = cpu->apic_id;
    interp_cpu_wire(ic);                /* cpu_reset reads the model */
    cpu_reset(cpu);
    cpu->index = index;
    cpu->apic_id = apic_id;
    interp_cpu_wire(ic);
    cpu->halted = false;
    cpu->wait_for_sipi = false;
}

/* Load architectural state (a copy of CPUState.env) into the CPU. */
static void interp_load_state(X86CPU *cpu, const X86State *st)
{
    InterpCpu *ic = interp_cpu_of(cpu);
    cpu->s = *st;
    cpu->cc_op = CC_OP_EFLAGS;
    cpu->s.rflags |= 0x2;                       /* the always-one bit */
    if (ic->apic) {
        cpu->s.apic_base = apic_get_base(ic->apic);   /* the APIC owns it */
    }
    cpu_update_mode(cpu);
    cpu_tlb_flush_all_mappings(cpu);
}

/* Start-up IPI: real mode at vector * 0x1000 (CS = vector << 8, IP = 0). */
static void interp_cpu_startup(X86CPU *cpu, uint8_t vector)
{
    x86_segment_set_real(&cpu->s.seg[R_CS], (uint16_t)(vector << 8), true);
    cpu->s.rip = 0;
    cpu->wait_for_sipi = false;
    cpu->halted = false;
    cpu_update_mode(cpu);
    cpu_tlb_flush_all_mappings(cpu);
}

/* INIT: the CPU resets; the BSP restarts at the reset vector, an AP waits for a
 * start-up IPI. (Pending NMI/SMI are dropped; the APIC already did its own INIT.) */
static void interp_cpu_init_event(InterpCpu *ic)
{
    X86CPU *cpu = &ic->cpu;
    interp_cancel(cpu, CPU_INTERRUPT_INIT | CPU_INTERRUPT_SIPI | CPU_INTERRUPT_NMI |
                  CPU_INTERRUPT_SMI);
    interp_cpu_reset(ic);
    cpu->wait_for_sipi = cpu->index != 0;
    log_item(LOG_INT, "interp: INIT on CPU %d\n", cpu->index);
}

/* A self-INIT deferred to the end of the CPU's slice. */
static void interp_service_events(InterpCpu *ic)
{
    if (atomic_load(&ic->cpu.interrupt_request) & CPU_INTERRUPT_INIT) {
        interp_cpu_init_event(ic);
    }
}

/* Could this CPU do something if run now? */
static bool interp_cpu_runnable(X86CPU *cpu)
{
    if (cpu->wait_for_sipi) {
        return false;
    }
    if (!cpu->halted) {
        return true;
    }
    int req = atomic_load(&cpu->interrupt_request);
    if (req & (CPU_INTERRUPT_NMI | CPU_INTERRUPT_INIT)) {
        return true;
    }
    return (req & CPU_INTERRUPT_HARD) && (cpu->s.rflags & X86_FLAG_IF);
}

/* ---- the memory map ---- */

static void interp_memory_commit(MemoryListener *l)
{
    InterpState *s = (InterpState *)((char *)l - offsetof(InterpState, listener));
    for (int i = 0; i < s->nr_cpus; i++) {
        cpu_tlb_flush_all_mappings(&s->cpus[i]->cpu);
    }
    if (s->tcache) {
        tcache_flush(s->tcache);     /* RAM/ROM may have moved under cached code */
    }
}

/* The A20 gate (i8042 output port, port 0x92): address bit 20 is masked while closed. */
static void interp_set_a20(Machine *m, bool enabled)
{
    InterpState *s = interp_state(m);
    if (!s) {
        return;
    }
    s->a20_enabled = enabled;
    for (int i = 0; i < s->nr_cpus; i++) {
        X86CPU *cpu = &s->cpus[i]->cpu;
        cpu->a20_mask = enabled ? ~UINT64_C(0) : ~(UINT64_C(1) << 20);
        cpu_tlb_flush_all_mappings(cpu);
    }
}

/* ---- the runner ---- */

static bool interp_runner(void *opaque, int64_t budget_ns)
{
    Machine *m = opaque;
    InterpState *s = interp_state(m);
    if (!s || !s->running || s->reset_pending || s->nr_cpus == 0) {
        return false;
    }
    if (budget_ns < 0 || budget_ns > INTERP_MAX_SLICE_NS) {
        budget_ns = INTERP_MAX_SLICE_NS;
    }
    uint64_t budget = (uint64_t)budget_ns * INTERP_INSNS_PER_US / 1000;

    int runnable = 0;
    for (int i = 0; i < s->nr_cpus; i++) {
        interp_service_events(s->cpus[i]);
        runnable += interp_cpu_runnable(&s->cpus[i]->cpu);
    }
    if (runnable == 0) {
        return false;
    }
    uint64_t quantum = budget / (uint64_t)runnable;
    if (quantum < INTERP_MIN_QUANTUM) {
        quantum = INTERP_MIN_QUANTUM;
    }

    bool stuck[PC_MAX_CPUS] = { false };
    for (int n = 0; n < s->nr_cpus; n++) {
        int i = (s->next_cpu + n) % s->nr_cpus;
        InterpCpu *ic = s->cpus[i];
        X86CPU *cpu = &ic->cpu;
        interp_service_events(ic);
        if (!interp_cpu_runnable(cpu)) {
            continue;
        }
        interp_cancel(cpu, CPU_INTERRUPT_EXIT);
        if (ic->cs) {
            ic->cs->state_in_engine = true;
        }
        s->current = ic;
        uint64_t t0 = interp_stats.enabled ? interp_host_ns() : 0;
        uint64_t retired = cpu_exec(cpu, quantum);
        if (interp_stats.enabled) {
            interp_stats.ns += interp_host_ns() - t0;
            interp_stats.insns += retired;
            if (s->tcache) {
                interp_stats.tcache = s->tcache->stats;
            }
        }
        s->current = NULL;
        interp_cancel(cpu, CPU_INTERRUPT_EXIT);
        interp_service_events(ic);
        if (cpu->triple_fault) {
            cpu->triple_fault = false;
            /* triple fault: shutdown cycle, which the board turns into a reset */
            log_item(LOG_INT | LOG_CPU_RESET, "interp: triple fault on CPU %d at "
                     "%04x:%" PRIx64 ": resetting\n", cpu->index,
                     cpu->s.seg[R_CS].selector, cpu->insn_rip);
            s->reset_pending = true;
            system_request_reset();
            return false;
        }
        /* halted with a wake-up the run loop did not take: do not spin on it */
        stuck[i] = retired == 0 && cpu->halted;
        if (system_shutdown_requested()) {
            return false;
        }
    }
    s->next_cpu = (s->next_cpu + 1) % s->nr_cpus;
    /* busy while some CPU can run, including one woken (by an IPI) after its turn */
    for (int i = 0; i < s->nr_cpus; i++) {
        if (!stuck[i] && interp_cpu_runnable(&s->cpus[i]->cpu)) {
            return true;
        }
    }
    return false;
}

/* ---- engine operations ---- */

static bool interp_available(char **why)
{
    (void)why;
    return true;
}

static InterpCpu *interp_create_cpu(InterpState *s, int index, Error **errp)
{
    Machine *m = s->machine;
    InterpCpu *ic = xzalloc(sizeof(*ic));
    ic->s = s;
    ic->cpu.index = index;
    ic->cpu.apic_id = (uint32_t)index;
    if (s->apic_sys) {
        char name[32];
        snprintf(name, sizeof(name), "apic%d", index);
        DeviceState *apic = device_new(TYPE_APIC);
        if (!apic) {
            error_setg(errp, "internal: no device type %s", TYPE_APIC);
            free(ic);
            return NULL;
        }
        object_add_child(OBJECT(m), name, OBJECT(apic));
        object_unref(OBJECT(apic));
        if (!device_set_prop_uint(apic, "id", (uint64_t)index, errp) ||
            !device_set_prop(apic, "bsp", index == 0 ? "on" : "off", errp) ||
            !device_realize(apic, m->sysbus, errp)) {
            object_unparent(OBJECT(apic));
            free(ic);
            return NULL;
        }
        apic_system_add(s->apic_sys, apic);
        ic->apic = apic;
    }
    interp_cpu_reset(ic);
    if (ic->apic) {
        apic_set_cpu_ops(ic->apic, &interp_apic_cpu_ops, &ic->cpu);
    }
    return ic;
}

static void interp_free_cpus(InterpState *s)
{
    for (int i = 0; i < s->nr_cpus; i++) {
        InterpCpu *ic = s->cpus[i];
        if (ic->apic) {
            apic_set_cpu_ops(ic->apic, NULL, NULL);
        }
        if (ic->cs) {
            ic->cs->engine = NULL;
        }
        free(ic);
        s->cpus[i] = NULL;
    }
    s->nr_cpus = 0;
}

/* The x87's FERR# output (CR0.NE=0 error reporting) is ISA IRQ 13, as on a PC. */
static Machine *ferr_machine;

static void interp_fpu_ferr(X86CPU *cpu, bool asserted)
{
    (void)cpu;
    if (ferr_machine && ferr_machine->gsi) {
        irq_set(&ferr_machine->gsi[13], asserted);
    }
}

static bool interp_init(Machine *m, Error **errp)
{
    ferr_machine = m;
    cpu_fpu_ferr = interp_fpu_ferr;
    const char *name = m->cfg.cpu_model;
    const X86CpuModel *model = name ? x86_cpu_model_find(name) : x86_cpu_model_default();
    if (!model) {
        if (strcmp(name, "host") == 0) {
            error_setg(errp, "-cpu host needs -accel kvm (try -cpu help)");
        } else {
            error_setg(errp, "-cpu %s: unknown CPU model (try -cpu help)", name);
        }
        return false;
    }
    bool have_apic = object_class_by_name(TYPE_APIC) != NULL;
    if (!have_apic && m->cfg.smp > 1) {
        error_setg(errp, "-smp %d: this build of the interpreter has no local APIC, "
                   "so it runs one CPU", m->cfg.smp);
        return false;
    }
    InterpState *s = xzalloc(sizeof(*s));
    s->machine = m;
    s->model = model;
    s->a20_enabled = true;
    s->nr_cpus_total = m->cfg.smp;
    m->accel_state = s;
    if (have_apic) {
        s->apic_sys = apic_system_new();
        apic_system_set_eoi_handler(s->apic_sys, interp_ioapic_eoi, m);
    }
    for (int i = 0; i < m->cfg.smp; i++) {
        InterpCpu *ic = interp_create_cpu(s, i, errp);
        if (!ic) {
            interp_free_cpus(s);
            if (s->apic_sys) {
                apic_system_free(s->apic_sys);
            }
            free(s);
            m->accel_state = NULL;
            return false;
        }
        s->cpus[s->nr_cpus++] = ic;
    }
    s->tcache = tcache_new();
    for (int i = 0; i < s->nr_cpus; i++) {
        tcache_attach(s->tcache, &s->cpus[i]->cpu);
    }
    const char *stats = getenv("EMBER_STATS");
    if (stats && *stats && strcmp(stats, "0") != 0) {
        interp_stats.enabled = true;
        if (!interp_stats.registered) {
            interp_stats.registered = true;
            atexit(interp_stats_print);
        }
    }
    s->listener.commit = interp_memory_commit;
    address_space_add_listener(&m->as_mem, &s->listener);
    return true;
}

static bool interp_cpu_init(CPUState *cs, Error **errp)
{
    InterpState *s = interp_state(cs->machine);
    if (!s || cs->index < 0 || cs->index >= s->nr_cpus) {
        error_setg(errp, "internal: vCPU %d has no interpreter CPU", cs->index);
        return false;
    }
    InterpCpu *ic = s->cpus[cs->index];
    ic->cs = cs;
    cs->engine = &ic->cpu;
    cs->state_in_engine = false;
    X86CPU *cpu = &ic->cpu;
    cpu->apic_id = cs->apic_id;
    if (cs->index == 0) {
        /* the power-on state, or the direct-boot entry state the board put there */
        interp_load_state(cpu, &cs->env);
    } else {
        cpu->wait_for_sipi = true;
    }
    return true;
}

static void interp_start(Machine *m)
{
    InterpState *s = interp_state(m);
    if (!s) {
        return;
    }
    s->running = true;
    mainloop_set_runner(interp_runner, m);
}

static void interp_stop(Machine *m)
{
    InterpState *s = interp_state(m);
    if (s) {
        s->running = false;
    }
    mainloop_set_runner(NULL, NULL);
}

static void interp_kick(CPUState *cs)
{
    X86CPU *cpu = cs->engine;
    if (cpu) {
        interp_request(cpu, CPU_INTERRUPT_EXIT);
    }
    mainloop_notify();
}

static void interp_get_state(CPUState *cs)
{
    X86CPU *cpu = cs->engine;
    if (!cpu) {
        return;
    }
    cs->env = cpu->s;
    cs->env.rflags = cpu_get_rflags(cpu);
    InterpCpu *ic = interp_cpu_of(cpu);
    if (ic->apic) {
        cs->env.apic_base = apic_get_base(ic->apic);
    }
    cs->state_in_engine = false;
}

static void interp_set_state(CPUState *cs)
{
    X86CPU *cpu = cs->engine;
    if (!cpu) {
        return;
    }
    InterpCpu *ic = interp_cpu_of(cpu);
    if (ic->apic && ((apic_get_base(ic->apic) ^ cs->env.apic_base) & ~APIC_BASE_BSP)) {
        if (apic_set_base(ic->apic, cs->env.apic_base)) {
            cpu->apic_base = apic_get_base(ic->apic) & APIC_BASE_ADDR_MASK;
        }
    }
    interp_load_state(cpu, &cs->env);
    cs->state_in_engine = false;
}

static void interp_set_extint(Machine *m, int level)
{
    InterpState *s = interp_state(m);
    if (!s || s->nr_cpus == 0) {
        return;                 /* before the CPUs exist nothing can listen */
    }
    InterpCpu *bsp = s->cpus[0];
    if (bsp->apic) {
        irq_set(apic_get_lint(bsp->apic, 0), level);
    } else if (level) {
        interp_request(&bsp->cpu, CPU_INTERRUPT_HARD);
    } else {
        interp_cancel(&bsp->cpu, CPU_INTERRUPT_HARD);
    }
}

static void interp_deliver_msi(Machine *m, uint64_t addr, uint32_t data)
{
    InterpState *s = interp_state(m);
    if (!s || !s->apic_sys) {
        log_item(LOG_GUEST_ERRORS, "interp: MSI addr 0x%" PRIx64 " data 0x%x dropped "
                 "(no local APIC)\n", addr, data);
        return;
    }
    apic_system_deliver_msi(s->apic_sys, addr, data);
}

static void interp_reset(Machine *m)
{
    InterpState *s = interp_state(m);
    if (!s) {
        return;
    }
    for (int i = 0; i < s->nr_cpus; i++) {
        InterpCpu *ic = s->cpus[i];
        if (ic->apic) {
            device_reset(ic->apic);
        }
        interp_cancel(&ic->cpu, CPU_INTERRUPT_INIT | CPU_INTERRUPT_SIPI |
                      CPU_INTERRUPT_NMI | CPU_INTERRUPT_SMI | CPU_INTERRUPT_EXIT);
        interp_cpu_reset(ic);
        if (i == 0) {
            /* pc_machine_reset put the power-on or direct-boot state in env */
            if (ic->cs) {
                interp_load_state(&ic->cpu, &ic->cs->env);
            }
        } else {
            ic->cpu.wait_for_sipi = true;
        }
    }
    s->reset_pending = false;
    s->next_cpu = 0;
    if (s->tcache) {
        tcache_flush(s->tcache);     /* the loader rewrites memory behind its back */
    }
    if (log_enabled(LOG_CPU_RESET)) {
        qemu_log("interp: reset of %d CPU(s)\n", s->nr_cpus);
    }
}

static void interp_destroy(Machine *m)
{
    InterpState *s = interp_state(m);
    if (!s) {
        return;
    }
    interp_stop(m);
    address_space_remove_listener(&m->as_mem, &s->listener);
    tcache_free(s->tcache);          /* before the CPUs it points at */
    interp_free_cpus(s);
    if (s->apic_sys) {
        apic_system_free(s->apic_sys);
    }
    free(s);
    m->accel_state = NULL;
}

const AccelOps accel_interp_ops = {
    .name = "interp",
    .desc = "x86 interpreter",
    .available = interp_available,
    .init = interp_init,
    .cpu_init = interp_cpu_init,
    .start = interp_start,
    .stop = interp_stop,
    .kick = interp_kick,
    .get_state = interp_get_state,
    .set_state = interp_set_state,
    .set_extint = interp_set_extint,
    .deliver_msi = interp_deliver_msi,
    .reset = interp_reset,
    .destroy = interp_destroy,
    .set_a20 = interp_set_a20,
};
