/*
 * KVM runner of the differential tester: the oracle is the real CPU behind /dev/kvm.
 * One VM with one vCPU over the 64 KiB system area of sysarea.c; each case is loaded
 * into guest RAM, the vCPU is put straight into 64-bit mode at CPL 3 (registers,
 * segments, control registers, x87/SSE state set through the KVM API) and run until it
 * halts in an exception handler (UD2 after the snippet is the normal end). Ring 3 runs
 * natively even on a software-backed KVM; only the one-instruction handler (HLT) is
 * emulated there.
 */
#include "tests/difftest/kvm_runner.h"

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <unistd.h>

#include "tests/difftest/sysarea.h"

#if !defined(__x86_64__) || !defined(__linux__)
DtRunner *kvm_runner_new(char *err, size_t errlen)
{
    snprintf(err, errlen, "the KVM runner needs an x86-64 Linux host");
    return NULL;
}
#else

#include <linux/kvm.h>

#define KR_CPUID_ENTRIES 256
#define KR_WATCHDOG_S    30u         /* a batch that runs longer than this is stuck */

typedef struct KvmRunner {
    DtRunner base;
    int kvm_fd, vm_fd, vcpu_fd;
    struct kvm_run *run;
    size_t run_size;
    uint8_t *ram;
    struct kvm_sregs sregs;          /* CPL-3 64-bit state, set before every case */
    struct kvm_xsave xsave_template; /* the vCPU's XSAVE image at creation */
} KvmRunner;

static void kr_alarm(int sig)
{
    (void)sig;                       /* only interrupts KVM_RUN */
}

/* A flat segment; long: 64-bit code (L=1, D=0), else D=1 (32-bit code or data). */
static struct kvm_segment kr_segment(uint16_t sel, uint8_t type, bool long_code)
{
    struct kvm_segment s = {
        .base = 0, .limit = 0xffffffff, .selector = sel, .type = type, .present = 1,
        .dpl = (uint8_t)(sel & 3), .db = long_code ? 0 : 1, .s = 1,
        .l = long_code ? 1 : 0, .g = 1,
    };
    return s;
}

static bool kr_setup_vcpu(KvmRunner *kr)
{
    struct kvm_cpuid2 *cpuid =
        calloc(1, sizeof(*cpuid) + KR_CPUID_ENTRIES * sizeof(cpuid->entries[0]));
    if (!cpuid) {
        snprintf(kr->base.err, sizeof(kr->base.err), "out of memory");
        return false;
    }
    cpuid->nent = KR_CPUID_ENTRIES;
    bool ok = ioctl(kr->kvm_fd, KVM_GET_SUPPORTED_CPUID, cpuid) == 0 &&
              ioctl(kr->vcpu_fd, KVM_SET_CPUID2, cpuid) == 0;
    int err = errno;
    free(cpuid);
    if (!ok) {
        snprintf(kr->base.err, sizeof(kr->base.err), "KVM CPUID set-up: %s",
                 strerror(err));
        return false;
    }
    struct kvm_sregs *sr = &kr->sregs;
    if (ioctl(kr->vcpu_fd, KVM_GET_SREGS, sr) < 0) {
        snprintf(kr->base.err, sizeof(kr->base.err), "KVM_GET_SREGS: %s",
                 strerror(errno));
        return false;
    }
    sr->cs = kr_segment(DT_SEL_CS3, 11, true);
    sr->ds = sr->es = sr->fs = sr->gs = sr->ss = kr_segment(DT_SEL_DS3, 3, false);
    memset(&sr->tr, 0, sizeof(sr->tr));
    sr->tr.base = DT_TSS;
    sr->tr.limit = DT_TSS_LIMIT;
    sr->tr.selector = DT_SEL_TSS;
    sr->tr.type = 11;                /* busy 64-bit TSS */
    sr->tr.present = 1;
    memset(&sr->ldt, 0, sizeof(sr->ldt));
    sr->ldt.unusable = 1;
    sr->gdt.base = DT_GDT;
    sr->gdt.limit = DT_GDT_LIMIT;
    sr->idt.base = DT_IDT;
    sr->idt.limit = DT_IDT_LIMIT;
    sr->cr0 = 0x80050033;            /* PG WP NE ET MP PE */
    sr->cr3 = DT_PML4;
    sr->cr4 = 0x620;                 /* OSXMMEXCPT OSFXSR PAE */
    sr->efer = 0x500;                /* LMA LME */
    memset(sr->interrupt_bitmap, 0, sizeof(sr->interrupt_bitmap));
    if (ioctl(kr->vcpu_fd, KVM_GET_XSAVE, &kr->xsave_template) < 0) {
        snprintf(kr->base.err, sizeof(kr->base.err), "KVM_GET_XSAVE: %s",
                 strerror(errno));
        return false;
    }
    return true;
}

/* kvm_regs order (RAX RBX RCX RDX RSI RDI RSP RBP R8..R15) <-> encoding order */
static __u64 *kr_reg(struct kvm_regs *kr, int r)
{
    __u64 *order[16] = {
        &kr->rax, &kr->rcx, &kr->rdx, &kr->rbx, &kr->rsp, &kr->rbp, &kr->rsi, &kr->rdi,
        &kr->r8, &kr->r9, &kr->r10, &kr->r11, &kr->r12, &kr->r13, &kr->r14, &kr->r15,
    };
    return order[r];
}

static bool kr_fail(KvmRunner *kr, const char *what)
{
    snprintf(kr->base.err, sizeof(kr->base.err), "%s: %s", what, strerror(errno));
    return false;
}

static bool kr_run_one(KvmRunner *kr, const DtCase *c, DtResult *r)
{
    memset(r, 0, offsetof(DtResult, data));
    dt_sys_load_case(kr->ram, c);

    struct kvm_regs regs;
    memset(&regs, 0, sizeof(regs));
    for (int i = 0; i < 16; i++) {
        *kr_reg(&regs, i) = c->regs[i];
    }
    regs.rsp = DT_STACK_INIT;
    regs.rip = DT_CODE;
    regs.rflags = 0x202 | (c->rflags & DT_FLAGS_COMPARED);
    /* x87 and SSE state through the XSAVE image (FXSAVE layout in its first 512
     * bytes, XSTATE_BV at 512): KVM_SET_FPU ignores MXCSR on some hosts */
    struct kvm_xsave xs = kr->xsave_template;
    uint8_t *fx = (uint8_t *)xs.region;
    memset(fx, 0, 512);
    uint16_t fcw = DT_FCW_INIT;
    memcpy(fx + 0, &fcw, 2);
    memcpy(fx + 24, &c->mxcsr, 4);
    memcpy(fx + 160, c->xmm, sizeof(c->xmm));
    fx[512] |= 3;                    /* XSTATE_BV: x87 and SSE state present */
    kr->sregs.cs = c->mode32 ? kr_segment(DT_SEL_CS3_32, 11, false)
                             : kr_segment(DT_SEL_CS3, 11, true);
    if (ioctl(kr->vcpu_fd, KVM_SET_SREGS, &kr->sregs) < 0) {
        return kr_fail(kr, "KVM_SET_SREGS");
    }
    if (ioctl(kr->vcpu_fd, KVM_SET_REGS, &regs) < 0) {
        return kr_fail(kr, "KVM_SET_REGS");
    }
    if (ioctl(kr->vcpu_fd, KVM_SET_XSAVE, &xs) < 0) {
        return kr_fail(kr, "KVM_SET_XSAVE");
    }
    bool halted = false;
    if (ioctl(kr->vcpu_fd, KVM_RUN, 0) < 0) {
        if (errno != EINTR) {
            return kr_fail(kr, "KVM_RUN");
        }
    } else {
        halted = kr->run->exit_reason == KVM_EXIT_HLT;
    }
    if (ioctl(kr->vcpu_fd, KVM_GET_REGS, &regs) < 0) {
        return kr_fail(kr, "KVM_GET_REGS");
    }
    if (ioctl(kr->vcpu_fd, KVM_GET_XSAVE, &xs) < 0) {
        return kr_fail(kr, "KVM_GET_XSAVE");
    }
    for (int i = 0; i < 16; i++) {
        r->regs[i] = *kr_reg(&regs, i);
    }
    r->rflags = regs.rflags;
    memcpy(&r->fcw, fx + 0, 2);
    memcpy(&r->fsw, fx + 2, 2);
    r->ftw = fx[4];
    memcpy(&r->mxcsr, fx + 24, 4);
    memcpy(r->xmm, fx + 160, sizeof(r->xmm));
    dt_sys_finish(kr->ram, c, halted, regs.rip, regs.rsp, r);
    return true;
}

static bool kr_run_batch(DtRunner *rn, const DtCase *cases, DtResult *out, size_t n)
{
    KvmRunner *kr = (KvmRunner *)rn;
    bool ok = true;
    for (size_t i = 0; i < n && ok; i++) {
        if (i % 256 == 0) {
            alarm(KR_WATCHDOG_S);
        }
        ok = kr_run_one(kr, &cases[i], &out[i]);
    }
    alarm(0);
    return ok;
}

static void kr_destroy(DtRunner *rn)
{
    KvmRunner *kr = (KvmRunner *)rn;
    if (kr->run) {
        munmap(kr->run, kr->run_size);
    }
    if (kr->ram) {
        munmap(kr->ram, DT_RAM_SIZE);
    }
    for (int *fd = &kr->kvm_fd; fd <= &kr->vcpu_fd; fd++) {
        if (*fd >= 0) {
            close(*fd);
        }
    }
    free(kr);
}

DtRunner *kvm_runner_new(char *err, size_t errlen)
{
    KvmRunner *kr = calloc(1, sizeof(*kr));
    if (!kr) {
        snprintf(err, errlen, "out of memory");
        return NULL;
    }
    kr->kvm_fd = kr->vm_fd = kr->vcpu_fd = -1;
    kr->base.name = "kvm";
    kr->base.run_batch = kr_run_batch;
    kr->base.destroy = kr_destroy;
    const char *step = "open /dev/kvm";
    kr->kvm_fd = open("/dev/kvm", O_RDWR | O_CLOEXEC);
    if (kr->kvm_fd < 0) {
        goto fail;
    }
    step = "KVM_GET_API_VERSION";
    if (ioctl(kr->kvm_fd, KVM_GET_API_VERSION, 0) != KVM_API_VERSION) {
        goto fail;
    }
    step = "KVM_CREATE_VM";
    do {
        kr->vm_fd = ioctl(kr->kvm_fd, KVM_CREATE_VM, 0);
    } while (kr->vm_fd < 0 && errno == EINTR);
    if (kr->vm_fd < 0) {
        goto fail;
    }
    step = "guest RAM";
    kr->ram = mmap(NULL, DT_RAM_SIZE, PROT_READ | PROT_WRITE,
                   MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    if (kr->ram == MAP_FAILED) {
        kr->ram = NULL;
        goto fail;
    }
    struct kvm_userspace_memory_region mr = {
        .slot = 0, .guest_phys_addr = DT_CODE, .memory_size = DT_RAM_SIZE,
        .userspace_addr = (uint64_t)(uintptr_t)kr->ram,
    };
    step = "KVM_SET_USER_MEMORY_REGION";
    if (ioctl(kr->vm_fd, KVM_SET_USER_MEMORY_REGION, &mr) < 0) {
        goto fail;
    }
    step = "KVM_CREATE_VCPU";
    kr->vcpu_fd = ioctl(kr->vm_fd, KVM_CREATE_VCPU, 0);
    if (kr->vcpu_fd < 0) {
        goto fail;
    }
    step = "KVM_GET_VCPU_MMAP_SIZE";
    int size = ioctl(kr->kvm_fd, KVM_GET_VCPU_MMAP_SIZE, 0);
    if (size <= 0) {
        goto fail;
    }
    kr->run_size = (size_t)size;
    step = "mmap of kvm_run";
    kr->run = mmap(NULL, kr->run_size, PROT_READ | PROT_WRITE, MAP_SHARED, kr->vcpu_fd, 0);
    if (kr->run == MAP_FAILED) {
        kr->run = NULL;
        goto fail;
    }
    dt_sys_build(kr->ram);
    if (!kr_setup_vcpu(kr)) {
        snprintf(err, errlen, "%s", kr->base.err);
        kr_destroy(&kr->base);
        return NULL;
    }
    struct sigaction sa;
    memset(&sa, 0, sizeof(sa));
    sa.sa_handler = kr_alarm;        /* no SA_RESTART: KVM_RUN returns EINTR */
    sigemptyset(&sa.sa_mask);
    sigaction(SIGALRM, &sa, NULL);
    return &kr->base;

fail:
    snprintf(err, errlen, "%s: %s", step, errno ? strerror(errno) : "unexpected result");
    kr_destroy(&kr->base);
    return NULL;
}

#endif
