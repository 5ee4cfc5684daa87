/*
 * The KVM engine, vCPU side: one thread per vCPU that runs KVM_RUN and hands each
 * exit to the devices (port I/O, MMIO, IOAPIC EOIs) under the device lock; ExtINT
 * injection for the BSP; kicking, parking (stop/start), power-on and reset.
 *
 * Kicks: KVM_KICK_SIGNAL has an empty handler and is blocked in every thread (the
 * main thread blocks it when the engine initializes; vCPU threads start with all
 * signals blocked, so SIGINT/SIGTERM stay with the main thread). KVM_SET_SIGNAL_MASK
 * unblocks it, and only it, inside KVM_RUN. A kick is pthread_kill: it interrupts a
 * running (or halted) guest, or, sent while the thread is outside KVM_RUN, stays
 * pending so the next KVM_RUN returns EINTR at once. Whatever a kick announces (stop,
 * the PIC's INTR) is stored before the kick and checked by the vCPU thread before
 * each KVM_RUN, so no kick is lost. After an EINTR the thread consumes the pending
 * signal with sigtimedwait.
 *
 * Parking: a vCPU asked to stop first completes a pending I/O exit (a KVM_RUN with
 * immediate_exit, or with the kick signal pending, finishes the instruction without
 * running more guest code, so the state read afterwards is consistent), then waits on
 * the park condition. stop() drops the device lock while it waits, because a vCPU
 * may be waiting for that lock to finish an exit.
 */
#include "config-host.h"

#ifdef CONFIG_KVM

#include "accel/kvm/kvm_internal.h"
#include "hw/intc/ioapic.h"
#include "system/error.h"
#include "system/log.h"
#include "system/mainloop.h"

#include <errno.h>
#include <inttypes.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <time.h>
#include <unistd.h>

#define APIC_BASE_BSP (1ull << 8)
#define APIC_BASE_ENABLE (1ull << 11)
#define KERNEL_SIGSET_BYTES 8          /* the kernel's sigset_t on x86-64 */

static __thread KvmCpu *kvm_current_cpu;

/* ---- signals ---- */

static void kvm_kick_handler(int sig)
{
    (void)sig;                          /* its only job is to interrupt KVM_RUN */
}

void kvm_cpu_install_kick_handler(void)
{
    static bool installed;
    if (installed) {
        return;
    }
    struct sigaction sa;
    memset(&sa, 0, sizeof(sa));
    sa.sa_handler = kvm_kick_handler;
    sigemptyset(&sa.sa_mask);
    sigaction(KVM_KICK_SIGNAL, &sa, NULL);
    sigset_t set;
    sigemptyset(&set);
    sigaddset(&set, KVM_KICK_SIGNAL);
    pthread_sigmask(SIG_BLOCK, &set, NULL);
    installed = true;
}

static bool kvm_cpu_set_signal_mask(KvmCpu *kc, Error **errp)
{
    sigset_t during_run;
    sigfillset(&during_run);
    sigdelset(&during_run, KVM_KICK_SIGNAL);
    struct kvm_signal_mask *mask = xzalloc(sizeof(*mask) + KERNEL_SIGSET_BYTES);
    mask->len = KERNEL_SIGSET_BYTES;
    memcpy(mask->sigset, &during_run, KERNEL_SIGSET_BYTES);
    int r = ioctl(kc->fd, KVM_SET_SIGNAL_MASK, mask);
    int err = errno;
    free(mask);
    if (r < 0) {
        error_setg(errp, "KVM: cannot set the vCPU signal mask: %s", strerror(err));
        return false;
    }
    return true;
}

static void kvm_cpu_eat_kicks(void)
{
    sigset_t set;
    sigemptyset(&set);
    sigaddset(&set, KVM_KICK_SIGNAL);
    struct timespec zero = { 0, 0 };
    while (sigtimedwait(&set, NULL, &zero) > 0) {
    }
}

void kvm_cpu_kick(CPUState *cpu)
{
    if (!cpu || !cpu->thread_started) {
        return;
    }
    if (kvm_current_cpu && kvm_current_cpu->cpu == cpu) {
        return;             /* the thread re-checks everything before its next KVM_RUN */
    }
    pthread_kill(cpu->thread, KVM_KICK_SIGNAL);
}

/* ---- creation and power-on ---- */

bool kvm_cpu_init(CPUState *cpu, Error **errp)
{
    Machine *m = cpu->machine;
    KvmState *s = kvm_state(m);
    if (!s) {
        error_setg(errp, "KVM: vCPU created before the VM");
        return false;
    }
    KvmCpu *kc = xzalloc(sizeof(*kc));
    kc->cpu = cpu;
    kc->s = s;
    kc->fd = ioctl(s->vm_fd, KVM_CREATE_VCPU, (unsigned long)cpu->apic_id);
    if (kc->fd < 0) {
        error_setg(errp, "KVM: cannot create vCPU %d (APIC ID %u): %s", cpu->index,
                   cpu->apic_id, strerror(errno));
        free(kc);
        return false;
    }
    void *run = mmap(NULL, (size_t)s->vcpu_mmap_size, PROT_READ | PROT_WRITE, MAP_SHARED,
                     kc->fd, 0);
    if (run == MAP_FAILED) {
        error_setg(errp, "KVM: cannot map vCPU %d run area: %s", cpu->index,
                   strerror(errno));
        close(kc->fd);
        free(kc);
        return false;
    }
    kc->run = run;
    if (!kvm_cpuid_setup(kc, m->cfg.smp, errp) || !kvm_cpu_set_signal_mask(kc, errp)) {
        munmap(kc->run, (size_t)s->vcpu_mmap_size);
        close(kc->fd);
        free(kc);
        return false;
    }
    kc->needs_power_on = true;
    cpu->engine = kc;
    cpu->state_in_engine = false;
    return true;
}

/* The state a vCPU powers on with: the BSP enters a directly loaded kernel when there
 * is one, else every vCPU starts at the reset vector; only the BSP has APIC_BASE.BSP. */
static void kvm_cpu_power_on_state(CPUState *cpu, X86State *st)
{
    Machine *m = cpu->machine;
    bool bsp = cpu->index == 0;
    x86_state_reset(st);
    if (bsp && m->boot.valid) {
        *st = m->boot.bsp;
    }
    if (st->apic_base == 0) {
        st->apic_base = PC_LAPIC_BASE | APIC_BASE_ENABLE;
    }
    if (bsp) {
        st->apic_base |= APIC_BASE_BSP;
    } else {
        st->apic_base &= ~APIC_BASE_BSP;
    }
}

static bool kvm_cpu_power_on(KvmCpu *kc)
{
    CPUState *cpu = kc->cpu;
    X86State st;
    kvm_cpu_power_on_state(cpu, &st);
    kc->tsc_seen_valid = false;
    if (!kvm_regs_power_on(kc, &st, cpu->index == 0)) {
        return false;
    }
    cpu->env = st;
    cpu->state_in_engine = false;
    kc->needs_power_on = false;
    kc->halted_for_event = false;
    kc->io_pending = false;
    log_item(LOG_CPU_RESET, "kvm: vCPU %d power-on: CS=%04x RIP=0x%" PRIx64 " CR0=0x%" PRIx64
             "%s\n", cpu->index, st.seg[R_CS].selector, st.rip, st.cr0,
             cpu->index == 0 ? "" : " (waiting for INIT/SIPI)");
    return true;
}

/* ---- exits ---- */

static void kvm_cpu_fail(KvmCpu *kc, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* One line with what happened and where, then the machine shuts down with status 1. */
static void kvm_cpu_fail(KvmCpu *kc, const char *fmt, ...)
{
    char what[256], where[256];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(what, sizeof(what), fmt, ap);
    va_end(ap);
    kvm_regs_describe(kc, where, sizeof(where));
    error_report("KVM: vCPU %d: %s at %s", kc->cpu->index, what, where);
    system_request_shutdown(SHUTDOWN_ERROR, 1);
    kc->halted_for_event = true;
}

static void kvm_cpu_handle_io(KvmCpu *kc)
{
    struct kvm_run *run = kc->run;
    Machine *m = kc->cpu->machine;
    unsigned size = run->io.size;
    uint32_t count = run->io.count;
    bool is_write = run->io.direction == KVM_EXIT_IO_OUT;
    uint64_t bytes = (uint64_t)size * count;
    if (size == 0 || size > 4 || run->io.data_offset > (uint64_t)kc->s->vcpu_mmap_size ||
        bytes > (uint64_t)kc->s->vcpu_mmap_size - run->io.data_offset) {
        kvm_cpu_fail(kc, "malformed I/O exit (port 0x%x, size %u, count %u)", run->io.port,
                     size, count);
        return;
    }
    uint8_t *data = (uint8_t *)run + run->io.data_offset;
    devlock_lock();
    for (uint32_t i = 0; i < count; i++) {
        address_space_rw(&m->as_io, run->io.port, data + (size_t)i * size, size, is_write);
    }
    devlock_unlock();
    if (log_enabled(LOG_EXITS)) {
        uint32_t v = 0;
        memcpy(&v, data, size);
        qemu_log("kvm: cpu%d io %s port 0x%04x size %u count %u data 0x%x\n",
                 kc->cpu->index, is_write ? "out" : "in", run->io.port, size, count, v);
    }
}

static void kvm_cpu_handle_mmio(KvmCpu *kc)
{
    struct kvm_run *run = kc->run;
    Machine *m = kc->cpu->machine;
    uint32_t len = run->mmio.len;
    if (len == 0 || len > sizeof(run->mmio.data)) {
        kvm_cpu_fail(kc, "malformed MMIO exit (address 0x%" PRIx64 ", length %u)",
                     (uint64_t)run->mmio.phys_addr, len);
        return;
    }
    devlock_lock();
    address_space_rw(&m->as_mem, run->mmio.phys_addr, run->mmio.data, len,
                     run->mmio.is_write != 0);
    devlock_unlock();
    if (log_enabled(LOG_EXITS)) {
        uint64_t v = 0;
        memcpy(&v, run->mmio.data, len);
        qemu_log("kvm: cpu%d mmio %s 0x%" PRIx64 " len %u data 0x%" PRIx64 "\n",
                 kc->cpu->index, run->mmio.is_write ? "write" : "read",
                 (uint64_t)run->mmio.phys_addr, len, v);
    }
}

static const char *kvm_internal_error_name(uint32_t suberror)
{
    switch (suberror) {
    case KVM_INTERNAL_ERROR_EMULATION: return "instruction emulation failed";
    case KVM_INTERNAL_ERROR_SIMUL_EX: return "exception while delivering an exception";
    case KVM_INTERNAL_ERROR_DELIVERY_EV: return "event delivery failed";
    case KVM_INTERNAL_ERROR_UNEXPECTED_EXIT_REASON: return "unexpected hardware exit";
    default: return "internal error";
    }
}

static void kvm_cpu_handle_system_event(KvmCpu *kc)
{
    switch (kc->run->system_event.type) {
    case KVM_SYSTEM_EVENT_SHUTDOWN:
        log_item(LOG_EXITS, "kvm: cpu%d system event: power off\n", kc->cpu->index);
        system_request_shutdown(SHUTDOWN_GUEST_POWEROFF, 0);
        kc->halted_for_event = true;
        break;
    case KVM_SYSTEM_EVENT_RESET:
        log_item(LOG_EXITS, "kvm: cpu%d system event: reset\n", kc->cpu->index);
        system_request_reset();
        kc->halted_for_event = true;
        break;
    case KVM_SYSTEM_EVENT_CRASH:
        kvm_cpu_fail(kc, "the guest reported a crash");
        break;
    default:
        log_item(LOG_EXITS, "kvm: cpu%d system event %u ignored\n", kc->cpu->index,
                 kc->run->system_event.type);
        break;
    }
}

static void kvm_cpu_handle_exit(KvmCpu *kc)
{
    struct kvm_run *run = kc->run;
    Machine *m = kc->cpu->machine;
    kc->io_pending = false;
    switch (run->exit_reason) {
    case KVM_EXIT_IO:
        kvm_cpu_handle_io(kc);
        kc->io_pending = !kc->halted_for_event;
        break;
    case KVM_EXIT_MMIO:
        kvm_cpu_handle_mmio(kc);
        kc->io_pending = !kc->halted_for_event;
        break;
    case KVM_EXIT_IRQ_WINDOW_OPEN:
        break;                          /* the injection happens before the next run */
    case KVM_EXIT_INTR:
        kvm_cpu_eat_kicks();
        break;
    case KVM_EXIT_IOAPIC_EOI:
        log_item(LOG_EXITS, "kvm: cpu%d EOI vector %u\n", kc->cpu->index, run->eoi.vector);
        devlock_lock();
        if (m->ioapic) {
            ioapic_eoi_broadcast(m->ioapic, run->eoi.vector);
        }
        devlock_unlock();
        break;
    case KVM_EXIT_HLT:
        /* the in-kernel LAPIC handles HLT; seeing it means KVM changed its mind */
        log_item(LOG_EXITS, "kvm: cpu%d unexpected HLT exit\n", kc->cpu->index);
        break;
    case KVM_EXIT_SHUTDOWN:
        log_item(LOG_EXITS, "kvm: cpu%d triple fault: resetting\n", kc->cpu->index);
        system_request_reset();
        kc->halted_for_event = true;
        break;
    case KVM_EXIT_SYSTEM_EVENT:
        kvm_cpu_handle_system_event(kc);
        break;
    case KVM_EXIT_FAIL_ENTRY:
        kvm_cpu_fail(kc, "VM entry failed (hardware reason 0x%" PRIx64 ")",
                     (uint64_t)run->fail_entry.hardware_entry_failure_reason);
        break;
    case KVM_EXIT_INTERNAL_ERROR:
        if (run->internal.suberror == KVM_INTERNAL_ERROR_EMULATION && kvm_fallback_step(kc)) {
            break;                      /* the interpreter ran it */
        }
        kvm_cpu_fail(kc, "KVM internal error: %s (suberror %u)",
                     kvm_internal_error_name(run->internal.suberror),
                     run->internal.suberror);
        break;
    case KVM_EXIT_DEBUG:
        break;
    case KVM_EXIT_UNKNOWN:
        kvm_cpu_fail(kc, "unknown exit (hardware reason 0x%" PRIx64 ")",
                     (uint64_t)run->hw.hardware_exit_reason);
        break;
    default:
        kvm_cpu_fail(kc, "unexpected exit reason %u", run->exit_reason);
        break;
    }
}

/* ---- the run loop ---- */

/* The BSP takes the i8259's INTR as ExtINT: acknowledge the PIC only when KVM can
 * inject right away, else ask KVM to exit as soon as it can. */
static void kvm_cpu_prepare_extint(KvmCpu *kc)
{
    struct kvm_run *run = kc->run;
    Machine *m = kc->cpu->machine;
    KvmState *s = kc->s;
    if (!atomic_load(&s->extint_level)) {
        run->request_interrupt_window = 0;
        return;
    }
    if (run->ready_for_interrupt_injection && run->if_flag) {
        int vector = -1;
        devlock_lock();
        if (atomic_load(&s->extint_level)) {    /* the PIC may have dropped INTR */
            vector = pc_machine_pic_ack(m);
        }
        devlock_unlock();
        if (vector >= 0) {
            struct kvm_interrupt irq = { .irq = (uint32_t)vector & 0xff };
            if (ioctl(kc->fd, KVM_INTERRUPT, &irq) < 0) {
                log_item(LOG_INT, "kvm: ExtINT vector 0x%x refused: %s\n", irq.irq,
                         strerror(errno));
            } else {
                log_item(LOG_INT, "kvm: ExtINT vector 0x%x\n", irq.irq);
            }
        }
    }
    run->request_interrupt_window = atomic_load(&s->extint_level) ? 1 : 0;
}

static void kvm_cpu_run_once(KvmCpu *kc)
{
    CPUState *cpu = kc->cpu;
    if (cpu->index == 0) {
        kvm_cpu_prepare_extint(kc);
    }
    cpu->state_in_engine = true;
    int r = ioctl(kc->fd, KVM_RUN, 0);
    if (r < 0) {
        int err = errno;
        kc->io_pending = false;         /* KVM_RUN completes pending I/O before anything */
        if (err == EINTR || err == EAGAIN) {
            /* EAGAIN: an AP waiting for INIT/SIPI saw an event and wants another run */
            kvm_cpu_eat_kicks();
            return;
        }
        kvm_cpu_fail(kc, "KVM_RUN failed: %s", strerror(err));
        return;
    }
    kvm_cpu_handle_exit(kc);
}

/* Finish the instruction behind the last I/O exit without running more guest code:
 * KVM completes pending operations before it looks at immediate_exit or signals. */
static void kvm_cpu_complete_io(KvmCpu *kc)
{
    for (int rounds = 0; kc->io_pending && rounds < 4096; rounds++) {
        kc->io_pending = false;
        if (kc->s->caps.immediate_exit) {
            kc->run->immediate_exit = 1;
        } else {
            pthread_kill(pthread_self(), KVM_KICK_SIGNAL);
        }
        int r = ioctl(kc->fd, KVM_RUN, 0);
        kc->run->immediate_exit = 0;
        kvm_cpu_eat_kicks();
        if (r == 0) {
            /* completing it needed another exit (a long string instruction) */
            kvm_cpu_handle_exit(kc);
        }
    }
    kc->io_pending = false;
}

static void kvm_cpu_park(KvmCpu *kc)
{
    CPUState *cpu = kc->cpu;
    KvmState *s = kc->s;
    if (kc->io_pending) {
        kvm_cpu_complete_io(kc);
    }
    pthread_mutex_lock(&s->park_lock);
    while (kc->halted_for_event && !atomic_load(&cpu->stop) && !atomic_load(&s->quit)) {
        pthread_cond_wait(&s->park_cond, &s->park_lock);
    }
    if (atomic_load(&cpu->stop)) {
        atomic_store(&cpu->stopped, true);
        pthread_cond_broadcast(&s->park_cond);
        while (atomic_load(&cpu->stop) && !atomic_load(&s->quit)) {
            pthread_cond_wait(&s->park_cond, &s->park_lock);
        }
        atomic_store(&cpu->stopped, false);
    }
    pthread_mutex_unlock(&s->park_lock);
}

static void *kvm_vcpu_thread(void *opaque)
{
    KvmCpu *kc = opaque;
    CPUState *cpu = kc->cpu;
    KvmState *s = kc->s;
    kvm_current_cpu = kc;
    char name[16];
    snprintf(name, sizeof(name), "vcpu%d", cpu->index);
    pthread_setname_np(pthread_self(), name);

    while (!atomic_load(&s->quit)) {
        if (atomic_load(&cpu->stop) || kc->halted_for_event) {
            kvm_cpu_park(kc);
            continue;
        }
        kvm_cpu_run_once(kc);
    }
    pthread_mutex_lock(&s->park_lock);
    atomic_store(&cpu->stopped, true);
    pthread_cond_broadcast(&s->park_cond);
    pthread_mutex_unlock(&s->park_lock);
    return NULL;
}

/* ---- start / stop / reset ---- */

void kvm_cpu_start_all(Machine *m)
{
    KvmState *s = kvm_state(m);
    if (!s || kvm_current_cpu) {
        return;                         /* vCPU threads never start the machine */
    }
    for (int i = 0; i < m->nr_cpus; i++) {
        KvmCpu *kc = kvm_cpu(m->cpus[i]);
        if (kc && kc->needs_power_on && !kvm_cpu_power_on(kc)) {
            system_request_shutdown(SHUTDOWN_ERROR, 1);
            return;
        }
    }
    pthread_mutex_lock(&s->park_lock);
    for (int i = 0; i < m->nr_cpus; i++) {
        atomic_store(&m->cpus[i]->stop, false);
    }
    pthread_cond_broadcast(&s->park_cond);
    pthread_mutex_unlock(&s->park_lock);
    if (s->threads_started) {
        return;
    }
    s->threads_started = true;
    /* threads inherit this mask: every signal blocked outside KVM_RUN */
    sigset_t all, old;
    sigfillset(&all);
    pthread_sigmask(SIG_SETMASK, &all, &old);
    for (int i = 0; i < m->nr_cpus; i++) {
        CPUState *cpu = m->cpus[i];
        if (!kvm_cpu(cpu)) {
            continue;
        }
        int err = pthread_create(&cpu->thread, NULL, kvm_vcpu_thread, kvm_cpu(cpu));
        if (err) {
            error_report("KVM: cannot start the thread of vCPU %d: %s", i, strerror(err));
            system_request_shutdown(SHUTDOWN_ERROR, 1);
            break;
        }
        cpu->thread_started = true;
    }
    pthread_sigmask(SIG_SETMASK, &old, NULL);
}

static bool kvm_cpu_all_parked(Machine *m)
{
    for (int i = 0; i < m->nr_cpus; i++) {
        CPUState *cpu = m->cpus[i];
        if (kvm_current_cpu && kvm_current_cpu->cpu == cpu) {
            continue;                   /* the caller parks when it returns */
        }
        if (cpu->thread_started && !atomic_load(&cpu->stopped)) {
            return false;
        }
    }
    return true;
}

void kvm_cpu_stop_all(Machine *m)
{
    KvmState *s = kvm_state(m);
    if (!s) {
        return;
    }
    pthread_mutex_lock(&s->park_lock);
    for (int i = 0; i < m->nr_cpus; i++) {
        atomic_store(&m->cpus[i]->stop, true);
    }
    pthread_cond_broadcast(&s->park_cond);
    pthread_mutex_unlock(&s->park_lock);
    if (!s->threads_started) {
        return;
    }
    for (int i = 0; i < m->nr_cpus; i++) {
        kvm_cpu_kick(m->cpus[i]);
    }
    bool relock = devlock_held();
    if (relock) {
        devlock_unlock();
    }
    pthread_mutex_lock(&s->park_lock);
    while (!kvm_cpu_all_parked(m)) {
        pthread_cond_wait(&s->park_cond, &s->park_lock);
    }
    pthread_mutex_unlock(&s->park_lock);
    if (relock) {
        devlock_lock();
    }
}

void kvm_cpu_reset_all(Machine *m)
{
    KvmState *s = kvm_state(m);
    if (!s) {
        return;
    }
    if (kvm_current_cpu) {
        system_request_reset();         /* a vCPU cannot wait for itself to park */
        return;
    }
    bool was_running = false;
    for (int i = 0; i < m->nr_cpus; i++) {
        was_running |= m->cpus[i]->thread_started && !atomic_load(&m->cpus[i]->stop);
    }
    kvm_cpu_stop_all(m);
    kvm_routes_reset(s);
    for (int i = 0; i < m->nr_cpus; i++) {
        KvmCpu *kc = kvm_cpu(m->cpus[i]);
        if (kc && !kvm_cpu_power_on(kc)) {
            system_request_shutdown(SHUTDOWN_ERROR, 1);
            return;
        }
    }
    if (was_running) {
        kvm_cpu_start_all(m);
    }
}

/* ---- state transfer (vCPUs stopped, or from the vCPU's own thread) ---- */

void kvm_cpu_get_state(CPUState *cpu)
{
    KvmCpu *kc = kvm_cpu(cpu);
    if (!kc || kc->needs_power_on) {
        return;                         /* env already holds what will be loaded */
    }
    if (kc->io_pending && kvm_current_cpu == kc) {
        kvm_cpu_complete_io(kc);
    }
    if (kvm_regs_get(kc, &cpu->env)) {
        cpu->state_in_engine = false;
    }
}

void kvm_cpu_set_state(CPUState *cpu)
{
    KvmCpu *kc = kvm_cpu(cpu);
    if (!kc) {
        return;
    }
    if (kc->needs_power_on) {
        /* the parts env does not carry still need their power-on values */
        X86State wanted = cpu->env;
        if (!kvm_cpu_power_on(kc)) {
            return;
        }
        cpu->env = wanted;
    }
    if (kvm_regs_put(kc, &cpu->env)) {
        cpu->state_in_engine = false;
    }
}

void kvm_cpu_destroy_all(Machine *m)
{
    KvmState *s = kvm_state(m);
    atomic_store(&s->quit, true);
    pthread_mutex_lock(&s->park_lock);
    pthread_cond_broadcast(&s->park_cond);
    pthread_mutex_unlock(&s->park_lock);
    for (int i = 0; i < m->nr_cpus; i++) {
        kvm_cpu_kick(m->cpus[i]);
    }
    bool relock = devlock_held();
    if (relock) {
        devlock_unlock();
    }
    for (int i = 0; i < m->nr_cpus; i++) {
        CPUState *cpu = m->cpus[i];
        if (cpu->thread_started && !(kvm_current_cpu && kvm_current_cpu->cpu == cpu)) {
            pthread_join(cpu->thread, NULL);
            cpu->thread_started = false;
        }
    }
    if (relock) {
        devlock_lock();
    }
    for (int i = 0; i < m->nr_cpus; i++) {
        KvmCpu *kc = kvm_cpu(m->cpus[i]);
        if (!kc || m->cpus[i]->thread_started) {
            continue;
        }
        munmap(kc->run, (size_t)s->vcpu_mmap_size);
        close(kc->fd);
        kvm_fallback_free(kc);
        free(kc);
        m->cpus[i]->engine = NULL;
    }
}

#endif /* CONFIG_KVM */
