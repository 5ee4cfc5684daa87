/*
 * The KVM engine's register transfer: X86State <-> KVM_GET/SET_REGS, SREGS, FPU,
 * DEBUGREGS and MSRS, plus the power-on values of what X86State does not carry
 * (local APIC registers, pending events, extended FPU state, XCR0, paravirtual MSRs,
 * the multiprocessor state).
 */
#include "config-host.h"

#ifdef CONFIG_KVM

#include "accel/kvm/kvm_internal.h"
#include "system/error.h"
#include "system/log.h"

#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>

/* ---- MSRs ---- */

#define MSR_IA32_TSC 0x10
#define MSR_IA32_SPEC_CTRL 0x48
#define MSR_IA32_TSC_ADJUST 0x3b
#define MSR_IA32_SYSENTER_CS 0x174
#define MSR_IA32_SYSENTER_ESP 0x175
#define MSR_IA32_SYSENTER_EIP 0x176
#define MSR_IA32_MISC_ENABLE 0x1a0
#define MSR_MTRR_PHYS_BASE0 0x200
#define MSR_MTRR_FIX64K 0x250
#define MSR_MTRR_FIX16K_80000 0x258
#define MSR_MTRR_FIX16K_A0000 0x259
#define MSR_MTRR_FIX4K_C0000 0x268
#define MSR_IA32_PAT 0x277
#define MSR_MTRR_DEF_TYPE 0x2ff
#define MSR_IA32_TSC_DEADLINE 0x6e0
#define MSR_STAR 0xc0000081
#define MSR_LSTAR 0xc0000082
#define MSR_CSTAR 0xc0000083
#define MSR_FMASK 0xc0000084
#define MSR_KERNEL_GS_BASE 0xc0000102
#define MSR_TSC_AUX 0xc0000103
#define MSR_KVM_SYSTEM_TIME 0x12
#define MSR_KVM_SYSTEM_TIME_NEW 0x4b564d01
#define MSR_KVM_ASYNC_PF_EN 0x4b564d02
#define MSR_KVM_STEAL_TIME 0x4b564d03
#define MSR_KVM_PV_EOI_EN 0x4b564d04
#define MSR_KVM_POLL_CONTROL 0x4b564d05
#define MSR_KVM_ASYNC_PF_INT 0x4b564d06

#define PAT_POWER_ON 0x0007040600070406ull
#define MISC_ENABLE_FAST_STRING 1ull

/* The MSRs X86State.msrs carries under KVM, with their power-on values. `always`
 * marks MSRs KVM handles without listing them in KVM_GET_MSR_INDEX_LIST. The
 * kvmclock wall-clock MSRs are left out on purpose: writing one makes KVM store the
 * time at that guest address, so they are not state to restore. */
static const struct {
    uint32_t index;
    uint64_t power_on;
    bool always;
} kvm_carried_msrs[] = {
    { MSR_IA32_TSC, 0, true },
    { MSR_IA32_SYSENTER_CS, 0, true },
    { MSR_IA32_SYSENTER_ESP, 0, true },
    { MSR_IA32_SYSENTER_EIP, 0, true },
    { MSR_IA32_PAT, PAT_POWER_ON, true },
    { MSR_MTRR_DEF_TYPE, 0, true },
    { MSR_MTRR_FIX64K, 0, true },
    { MSR_MTRR_FIX16K_80000, 0, true },
    { MSR_MTRR_FIX16K_A0000, 0, true },
    { MSR_MTRR_FIX4K_C0000 + 0, 0, true },
    { MSR_MTRR_FIX4K_C0000 + 1, 0, true },
    { MSR_MTRR_FIX4K_C0000 + 2, 0, true },
    { MSR_MTRR_FIX4K_C0000 + 3, 0, true },
    { MSR_MTRR_FIX4K_C0000 + 4, 0, true },
    { MSR_MTRR_FIX4K_C0000 + 5, 0, true },
    { MSR_MTRR_FIX4K_C0000 + 6, 0, true },
    { MSR_MTRR_FIX4K_C0000 + 7, 0, true },
    { MSR_MTRR_PHYS_BASE0 + 0, 0, true },
    { MSR_MTRR_PHYS_BASE0 + 1, 0, true },
    { MSR_MTRR_PHYS_BASE0 + 2, 0, true },
    { MSR_MTRR_PHYS_BASE0 + 3, 0, true },
    { MSR_MTRR_PHYS_BASE0 + 4, 0, true },
    { MSR_MTRR_PHYS_BASE0 + 5, 0, true },
    { MSR_MTRR_PHYS_BASE0 + 6, 0, true },
    { MSR_MTRR_PHYS_BASE0 + 7, 0, true },
    { MSR_MTRR_PHYS_BASE0 + 8, 0, true },
    { MSR_MTRR_PHYS_BASE0 + 9, 0, true },
    { MSR_MTRR_PHYS_BASE0 + 10, 0, true },
    { MSR_MTRR_PHYS_BASE0 + 11, 0, true },
    { MSR_MTRR_PHYS_BASE0 + 12, 0, true },
    { MSR_MTRR_PHYS_BASE0 + 13, 0, true },
    { MSR_MTRR_PHYS_BASE0 + 14, 0, true },
    { MSR_MTRR_PHYS_BASE0 + 15, 0, true },
    { MSR_IA32_MISC_ENABLE, MISC_ENABLE_FAST_STRING, false },
    { MSR_IA32_TSC_ADJUST, 0, false },
    { MSR_IA32_TSC_DEADLINE, 0, false },
    { MSR_IA32_SPEC_CTRL, 0, false },
    { MSR_STAR, 0, false },
    { MSR_LSTAR, 0, false },
    { MSR_CSTAR, 0, false },
    { MSR_FMASK, 0, false },
    { MSR_KERNEL_GS_BASE, 0, false },
    { MSR_TSC_AUX, 0, false },
    { MSR_KVM_SYSTEM_TIME, 0, false },
    { MSR_KVM_SYSTEM_TIME_NEW, 0, false },
    { MSR_KVM_ASYNC_PF_EN, 0, false },
    { MSR_KVM_STEAL_TIME, 0, false },
    { MSR_KVM_PV_EOI_EN, 0, false },
    { MSR_KVM_POLL_CONTROL, 1, false },
    { MSR_KVM_ASYNC_PF_INT, 0, false },
};

#define NR_CARRIED_MSRS (sizeof(kvm_carried_msrs) / sizeof(kvm_carried_msrs[0]))
_Static_assert(NR_CARRIED_MSRS <= X86_MAX_MSRS, "X86State.msrs is too small");

bool kvm_regs_init_msr_list(KvmState *s, Error **errp)
{
    struct kvm_msr_list probe = { .nmsrs = 0 };
    uint32_t *listed = NULL;
    uint32_t nr_listed = 0;
    if (ioctl(kvm_dev_fd(), KVM_GET_MSR_INDEX_LIST, &probe) < 0 && errno != E2BIG) {
        error_setg(errp, "KVM: cannot list the saved MSRs: %s", strerror(errno));
        return false;
    }
    if (probe.nmsrs) {
        struct kvm_msr_list *list = xzalloc(sizeof(*list) + probe.nmsrs * sizeof(uint32_t));
        list->nmsrs = probe.nmsrs;
        if (ioctl(kvm_dev_fd(), KVM_GET_MSR_INDEX_LIST, list) < 0) {
            error_setg(errp, "KVM: cannot list the saved MSRs: %s", strerror(errno));
            free(list);
            return false;
        }
        nr_listed = list->nmsrs;
        listed = xmalloc(nr_listed * sizeof(uint32_t) + 1);
        memcpy(listed, list->indices, nr_listed * sizeof(uint32_t));
        free(list);
    }
    s->msr_indices = xmalloc(NR_CARRIED_MSRS * sizeof(uint32_t));
    s->nr_msr_indices = 0;
    for (size_t i = 0; i < NR_CARRIED_MSRS; i++) {
        bool ok = kvm_carried_msrs[i].always;
        for (uint32_t j = 0; !ok && j < nr_listed; j++) {
            ok = listed[j] == kvm_carried_msrs[i].index;
        }
        if (ok) {
            s->msr_indices[s->nr_msr_indices++] = kvm_carried_msrs[i].index;
        }
    }
    free(listed);
    return true;
}

static bool kvm_msr_is_carried(const KvmState *s, uint32_t index)
{
    for (int i = 0; i < s->nr_msr_indices; i++) {
        if (s->msr_indices[i] == index) {
            return true;
        }
    }
    return false;
}

/* A kvm_msrs with room for every carried MSR (free with free()). */
static struct kvm_msrs *kvm_msrs_new(void)
{
    return xzalloc(sizeof(struct kvm_msrs) + X86_MAX_MSRS * sizeof(struct kvm_msr_entry));
}

/* Write buf->entries[0..n). KVM_SET_MSRS stops at the first MSR it refuses: report
 * that one and go on with the rest. */
static bool kvm_put_msr_buf(KvmCpu *kc, const struct kvm_msrs *buf, uint32_t n)
{
    bool ok = true;
    uint32_t done = 0;
    struct kvm_msrs *part = kvm_msrs_new();
    while (done < n) {
        part->nmsrs = n - done;
        memcpy(part->entries, &buf->entries[done], (n - done) * sizeof(part->entries[0]));
        int r = ioctl(kc->fd, KVM_SET_MSRS, part);
        if (r < 0) {
            error_report("KVM: KVM_SET_MSRS failed: %s", strerror(errno));
            ok = false;
            break;
        }
        done += (uint32_t)r;
        if (done < n) {
            log_item(LOG_UNIMP, "kvm: MSR 0x%x=0x%" PRIx64 " refused\n",
                     buf->entries[done].index, (uint64_t)buf->entries[done].data);
            ok = false;
            done++;
        }
    }
    free(part);
    return ok;
}

/* ---- segments ---- */

static void seg_from_kvm(X86Segment *d, const struct kvm_segment *k)
{
    d->selector = k->selector;
    d->base = k->base;
    d->limit = k->limit;
    d->type = k->type & 0xf;
    d->s = k->s;
    d->present = k->present;
    d->db = k->db;
    d->l = k->l;
    d->g = k->g;
    d->avl = k->avl;
    d->unusable = k->unusable;
    d->dpl = k->dpl & 3;
}

static void seg_to_kvm(struct kvm_segment *k, const X86Segment *d)
{
    memset(k, 0, sizeof(*k));
    k->selector = d->selector;
    k->base = d->base;
    k->limit = d->limit;
    k->type = d->type & 0xf;
    k->s = d->s;
    k->present = d->present;
    k->db = d->db;
    k->l = d->l;
    k->g = d->g;
    k->avl = d->avl;
    k->dpl = d->dpl & 3;
    /* VMX needs "unusable" for not-present segments; SVM ignores it */
    k->unusable = d->unusable || !d->present;
}

/* TR must always be a present busy TSS for VM entry; fix states built by hand. */
static void tr_to_kvm(struct kvm_segment *k, const X86Segment *d)
{
    seg_to_kvm(k, d);
    if (k->type != 3 && k->type != 11) {
        k->type = 11;
    }
    k->s = 0;
    k->present = 1;
    k->unusable = 0;
}

/* ---- whole state ---- */

/* MXCSR through the XSAVE image (legacy area, FXSAVE layout: MXCSR at byte 24):
 * KVM_GET/SET_FPU leave it out on some KVMs (kvm_pvm reads 0 and ignores what is
 * set). get: *mxcsr updated when the image could be read; put: write it back with the
 * SSE bit of XSTATE_BV set (the image comes from KVM, so everything else is kept). */
static struct kvm_xsave *xsave_read(KvmCpu *kc)
{
    if (!kc->s->caps.xsave) {
        return NULL;
    }
    size_t size = (size_t)kc->s->caps.xsave_size;
    struct kvm_xsave *xs = xzalloc(size);
    unsigned long req = size > sizeof(struct kvm_xsave) ? KVM_GET_XSAVE2 : KVM_GET_XSAVE;
    if (ioctl(kc->fd, req, xs) < 0) {
        free(xs);
        return NULL;
    }
    return xs;
}

static void mxcsr_get(KvmCpu *kc, uint32_t *mxcsr)
{
    struct kvm_xsave *xs = xsave_read(kc);
    if (xs) {
        *mxcsr = xs->region[6];
        free(xs);
    }
}

static void mxcsr_put(KvmCpu *kc, uint32_t mxcsr)
{
    struct kvm_xsave *xs = xsave_read(kc);
    if (!xs) {
        return;
    }
    if (xs->region[6] != mxcsr) {
        xs->region[6] = mxcsr;
        xs->region[128] |= 2;           /* XSTATE_BV: SSE state given */
        if (ioctl(kc->fd, KVM_SET_XSAVE, xs) < 0) {
            log_item(LOG_UNIMP, "kvm: MXCSR through XSAVE refused: %s\n", strerror(errno));
        }
    }
    free(xs);
}

bool kvm_regs_get(KvmCpu *kc, X86State *st)
{
    struct kvm_regs regs;
    struct kvm_sregs sregs;
    struct kvm_fpu fpu;
    if (ioctl(kc->fd, KVM_GET_REGS, &regs) < 0 || ioctl(kc->fd, KVM_GET_SREGS, &sregs) < 0 ||
        ioctl(kc->fd, KVM_GET_FPU, &fpu) < 0) {
        error_report("KVM: cannot read vCPU %d registers: %s", kc->cpu->index,
                     strerror(errno));
        return false;
    }
    st->regs[R_EAX] = regs.rax;
    st->regs[R_ECX] = regs.rcx;
    st->regs[R_EDX] = regs.rdx;
    st->regs[R_EBX] = regs.rbx;
    st->regs[R_ESP] = regs.rsp;
    st->regs[R_EBP] = regs.rbp;
    st->regs[R_ESI] = regs.rsi;
    st->regs[R_EDI] = regs.rdi;
    st->regs[R_R8] = regs.r8;
    st->regs[R_R9] = regs.r9;
    st->regs[R_R10] = regs.r10;
    st->regs[R_R11] = regs.r11;
    st->regs[R_R12] = regs.r12;
    st->regs[R_R13] = regs.r13;
    st->regs[R_R14] = regs.r14;
    st->regs[R_R15] = regs.r15;
    st->rip = regs.rip;
    st->rflags = regs.rflags;

    seg_from_kvm(&st->seg[R_ES], &sregs.es);
    seg_from_kvm(&st->seg[R_CS], &sregs.cs);
    seg_from_kvm(&st->seg[R_SS], &sregs.ss);
    seg_from_kvm(&st->seg[R_DS], &sregs.ds);
    seg_from_kvm(&st->seg[R_FS], &sregs.fs);
    seg_from_kvm(&st->seg[R_GS], &sregs.gs);
    seg_from_kvm(&st->ldt, &sregs.ldt);
    seg_from_kvm(&st->tr, &sregs.tr);
    st->gdt.base = sregs.gdt.base;
    st->gdt.limit = sregs.gdt.limit;
    st->idt.base = sregs.idt.base;
    st->idt.limit = sregs.idt.limit;
    st->cr0 = sregs.cr0;
    st->cr2 = sregs.cr2;
    st->cr3 = sregs.cr3;
    st->cr4 = sregs.cr4;
    st->cr8 = sregs.cr8;
    st->efer = sregs.efer;
    st->apic_base = sregs.apic_base;

    st->fpu.fcw = fpu.fcw;
    st->fpu.fsw = fpu.fsw;
    st->fpu.ftw = fpu.ftwx;
    st->fpu.fop = fpu.last_opcode;
    st->fpu.fip = fpu.last_ip;
    st->fpu.fdp = fpu.last_dp;
    memcpy(st->fpu.st, fpu.fpr, sizeof(st->fpu.st));
    memcpy(st->fpu.xmm, fpu.xmm, sizeof(st->fpu.xmm));
    st->fpu.mxcsr = fpu.mxcsr;
    mxcsr_get(kc, &st->fpu.mxcsr);

    if (kc->s->caps.debugregs) {
        struct kvm_debugregs dbg;
        if (ioctl(kc->fd, KVM_GET_DEBUGREGS, &dbg) == 0) {
            for (int i = 0; i < 4; i++) {
                st->dr[i] = dbg.db[i];
            }
            st->dr[6] = dbg.dr6;
            st->dr[7] = dbg.dr7;
        }
    }

    /* KVM_GET_MSRS stops at the first MSR it cannot read: skip that one, go on */
    KvmState *s = kc->s;
    struct kvm_msrs *buf = kvm_msrs_new();
    st->nr_msrs = 0;
    int next = 0;
    while (next < s->nr_msr_indices) {
        int want = s->nr_msr_indices - next;
        for (int i = 0; i < want; i++) {
            buf->entries[i].index = s->msr_indices[next + i];
        }
        buf->nmsrs = (uint32_t)want;
        int got = ioctl(kc->fd, KVM_GET_MSRS, buf);
        if (got < 0) {
            break;
        }
        for (int i = 0; i < got && st->nr_msrs < X86_MAX_MSRS; i++) {
            st->msrs[st->nr_msrs].index = buf->entries[i].index;
            st->msrs[st->nr_msrs].value = buf->entries[i].data;
            st->nr_msrs++;
            if (buf->entries[i].index == MSR_IA32_TSC) {
                kc->tsc_seen = buf->entries[i].data;
                kc->tsc_seen_valid = true;
            }
        }
        next += got + 1;
    }
    free(buf);
    return true;
}

/* power_on: drop any interrupt KVM had queued in the sregs interrupt bitmap. */
static bool kvm_regs_put_all(KvmCpu *kc, const X86State *st, bool power_on)
{
    struct kvm_regs regs;
    struct kvm_sregs sregs;
    struct kvm_fpu fpu;

    memset(&regs, 0, sizeof(regs));
    regs.rax = st->regs[R_EAX];
    regs.rcx = st->regs[R_ECX];
    regs.rdx = st->regs[R_EDX];
    regs.rbx = st->regs[R_EBX];
    regs.rsp = st->regs[R_ESP];
    regs.rbp = st->regs[R_EBP];
    regs.rsi = st->regs[R_ESI];
    regs.rdi = st->regs[R_EDI];
    regs.r8 = st->regs[R_R8];
    regs.r9 = st->regs[R_R9];
    regs.r10 = st->regs[R_R10];
    regs.r11 = st->regs[R_R11];
    regs.r12 = st->regs[R_R12];
    regs.r13 = st->regs[R_R13];
    regs.r14 = st->regs[R_R14];
    regs.r15 = st->regs[R_R15];
    regs.rip = st->rip;
    regs.rflags = st->rflags | 0x2;     /* bit 1 always reads as one */

    /* read first: the interrupt bitmap is KVM's pending interrupt, kept unless reset */
    if (ioctl(kc->fd, KVM_GET_SREGS, &sregs) < 0) {
        memset(&sregs, 0, sizeof(sregs));
    }
    if (power_on) {
        memset(sregs.interrupt_bitmap, 0, sizeof(sregs.interrupt_bitmap));
    }
    seg_to_kvm(&sregs.es, &st->seg[R_ES]);
    seg_to_kvm(&sregs.cs, &st->seg[R_CS]);
    seg_to_kvm(&sregs.ss, &st->seg[R_SS]);
    seg_to_kvm(&sregs.ds, &st->seg[R_DS]);
    seg_to_kvm(&sregs.fs, &st->seg[R_FS]);
    seg_to_kvm(&sregs.gs, &st->seg[R_GS]);
    seg_to_kvm(&sregs.ldt, &st->ldt);
    tr_to_kvm(&sregs.tr, &st->tr);
    sregs.gdt.base = st->gdt.base;
    sregs.gdt.limit = st->gdt.limit;
    sregs.idt.base = st->idt.base;
    sregs.idt.limit = st->idt.limit;
    sregs.cr0 = st->cr0;
    sregs.cr2 = st->cr2;
    sregs.cr3 = st->cr3;
    sregs.cr4 = st->cr4;
    sregs.cr8 = st->cr8;
    sregs.efer = st->efer;
    sregs.apic_base = st->apic_base;

    memset(&fpu, 0, sizeof(fpu));
    fpu.fcw = st->fpu.fcw;
    fpu.fsw = st->fpu.fsw;
    fpu.ftwx = st->fpu.ftw;
    fpu.last_opcode = st->fpu.fop;
    fpu.last_ip = st->fpu.fip;
    fpu.last_dp = st->fpu.fdp;
    memcpy(fpu.fpr, st->fpu.st, sizeof(fpu.fpr));
    memcpy(fpu.xmm, st->fpu.xmm, sizeof(fpu.xmm));
    fpu.mxcsr = st->fpu.mxcsr;

    const char *what = NULL;
    if (ioctl(kc->fd, KVM_SET_SREGS, &sregs) < 0) {
        what = "segment and control registers";
    } else if (ioctl(kc->fd, KVM_SET_REGS, &regs) < 0) {
        what = "general registers";
    } else if (ioctl(kc->fd, KVM_SET_FPU, &fpu) < 0) {
        what = "FPU state";
    }
    if (what) {
        error_report("KVM: cannot load vCPU %d %s: %s", kc->cpu->index, what,
                     strerror(errno));
        return false;
    }
    mxcsr_put(kc, st->fpu.mxcsr);
    if (kc->s->caps.debugregs) {
        struct kvm_debugregs dbg;
        memset(&dbg, 0, sizeof(dbg));
        for (int i = 0; i < 4; i++) {
            dbg.db[i] = st->dr[i];
        }
        dbg.dr6 = st->dr[6];
        dbg.dr7 = st->dr[7];
        if (ioctl(kc->fd, KVM_SET_DEBUGREGS, &dbg) < 0) {
            log_item(LOG_UNIMP, "kvm: debug registers refused: %s\n", strerror(errno));
        }
    }

    struct kvm_msrs *buf = kvm_msrs_new();
    uint32_t n = 0;
    for (uint32_t i = 0; i < st->nr_msrs && i < X86_MAX_MSRS; i++) {
        /* writing back the TSC value last read would turn the clock back by the time
         * the vCPU was stopped: only a changed TSC is written */
        if (!power_on && st->msrs[i].index == MSR_IA32_TSC && kc->tsc_seen_valid &&
            st->msrs[i].value == kc->tsc_seen) {
            continue;
        }
        if (kvm_msr_is_carried(kc->s, st->msrs[i].index)) {
            buf->entries[n].index = st->msrs[i].index;
            buf->entries[n].data = st->msrs[i].value;
            n++;
        }
    }
    if (n) {
        kvm_put_msr_buf(kc, buf, n);
    }
    free(buf);
    return true;
}

bool kvm_regs_put(KvmCpu *kc, const X86State *st)
{
    return kvm_regs_put_all(kc, st, false);
}

/* ---- power-on extras ---- */

#define APIC_REG_ID 0x20
#define APIC_REG_VERSION 0x30
#define APIC_REG_DFR 0xe0
#define APIC_REG_SVR 0xf0
#define APIC_REG_LVT_CMCI 0x2f0
#define APIC_REG_LVT_FIRST 0x320        /* timer, thermal, perf, LINT0, LINT1, error */
#define APIC_REG_LVT_LAST 0x370
#define APIC_REG_LINT0 0x350
#define APIC_LVT_MASKED 0x10000u
#define APIC_LVT_EXTINT 0x700u

static void apic_reg_set(struct kvm_lapic_state *l, unsigned off, uint32_t v)
{
    memcpy(&l->regs[off], &v, sizeof(v));
}

static uint32_t apic_reg_get(const struct kvm_lapic_state *l, unsigned off)
{
    uint32_t v;
    memcpy(&v, &l->regs[off], sizeof(v));
    return v;
}

/* The LAPIC after RESET: software-disabled, every LVT masked, except that the BSP's
 * LINT0 takes ExtINT so the i8259 reaches it (virtual-wire mode, as PC firmware and
 * KVM's own vCPU creation leave it). */
static bool kvm_reset_lapic(KvmCpu *kc, bool is_bsp)
{
    struct kvm_lapic_state lapic;
    if (ioctl(kc->fd, KVM_GET_LAPIC, &lapic) < 0) {
        error_report("KVM: cannot read vCPU %d local APIC: %s", kc->cpu->index,
                     strerror(errno));
        return false;
    }
    uint32_t version = apic_reg_get(&lapic, APIC_REG_VERSION);
    memset(&lapic, 0, sizeof(lapic));
    apic_reg_set(&lapic, APIC_REG_ID, kc->cpu->apic_id << 24);
    apic_reg_set(&lapic, APIC_REG_VERSION, version);
    apic_reg_set(&lapic, APIC_REG_DFR, 0xffffffffu);
    apic_reg_set(&lapic, APIC_REG_SVR, 0xff);
    apic_reg_set(&lapic, APIC_REG_LVT_CMCI, APIC_LVT_MASKED);
    for (unsigned off = APIC_REG_LVT_FIRST; off <= APIC_REG_LVT_LAST; off += 0x10) {
        apic_reg_set(&lapic, off, APIC_LVT_MASKED);
    }
    if (is_bsp) {
        apic_reg_set(&lapic, APIC_REG_LINT0, APIC_LVT_EXTINT);
    }
    if (ioctl(kc->fd, KVM_SET_LAPIC, &lapic) < 0) {
        error_report("KVM: cannot reset vCPU %d local APIC: %s", kc->cpu->index,
                     strerror(errno));
        return false;
    }
    return true;
}

/* x87/SSE registers in their initial values and every other XSAVE component in its
 * init state (YMM, AVX-512, PKRU...), XCR0 back to x87 only. */
static void kvm_reset_xstate(KvmCpu *kc)
{
    if (kc->s->caps.xcrs) {
        struct kvm_xcrs xcrs;
        memset(&xcrs, 0, sizeof(xcrs));
        xcrs.nr_xcrs = 1;
        xcrs.xcrs[0].xcr = 0;
        xcrs.xcrs[0].value = 1;
        if (ioctl(kc->fd, KVM_SET_XCRS, &xcrs) < 0) {
            log_item(LOG_UNIMP, "kvm: XCR0 reset refused: %s\n", strerror(errno));
        }
    }
    if (kc->s->caps.xsave) {
        /* KVM_SET_XSAVE reads as many bytes as KVM_CAP_XSAVE2 reports (>= 4 KiB) */
        struct kvm_xsave *xs = xzalloc((size_t)kc->s->caps.xsave_size);
        xs->region[0] = 0x37f;          /* FCW */
        xs->region[6] = 0x1f80;         /* MXCSR */
        xs->region[128] = 3;            /* XSTATE_BV: x87 and SSE given, rest init */
        if (ioctl(kc->fd, KVM_SET_XSAVE, xs) < 0) {
            log_item(LOG_UNIMP, "kvm: XSAVE reset refused: %s\n", strerror(errno));
        }
        free(xs);
    }
}

bool kvm_regs_power_on(KvmCpu *kc, const X86State *st, bool is_bsp)
{
    KvmState *s = kc->s;
    kvm_reset_xstate(kc);

    /* every carried MSR to its power-on value: this also turns kvmclock, steal time,
     * async page faults and PV EOI off, so KVM stops writing into guest memory */
    struct kvm_msrs *buf = kvm_msrs_new();
    uint32_t n = 0;
    for (size_t i = 0; i < NR_CARRIED_MSRS; i++) {
        if (kvm_msr_is_carried(s, kvm_carried_msrs[i].index)) {
            buf->entries[n].index = kvm_carried_msrs[i].index;
            buf->entries[n].data = kvm_carried_msrs[i].power_on;
            n++;
        }
    }
    kvm_put_msr_buf(kc, buf, n);
    free(buf);

    if (!kvm_regs_put_all(kc, st, true)) {
        return false;
    }
    /* after the sregs: KVM_SET_LAPIC interprets the registers in the APIC_BASE mode */
    if (!kvm_reset_lapic(kc, is_bsp)) {
        return false;
    }
    if (s->caps.vcpu_events) {
        struct kvm_vcpu_events ev;
        memset(&ev, 0, sizeof(ev));
        ev.flags = KVM_VCPUEVENT_VALID_NMI_PENDING | KVM_VCPUEVENT_VALID_SIPI_VECTOR;
        if (kvm_check_extension(s->vm_fd, KVM_CAP_INTR_SHADOW) > 0) {
            ev.flags |= KVM_VCPUEVENT_VALID_SHADOW;
        }
        if (ioctl(kc->fd, KVM_SET_VCPU_EVENTS, &ev) < 0) {
            log_item(LOG_UNIMP, "kvm: clearing pending events refused: %s\n",
                     strerror(errno));
        }
    }
    struct kvm_mp_state mp = {
        .mp_state = is_bsp ? KVM_MP_STATE_RUNNABLE : KVM_MP_STATE_UNINITIALIZED,
    };
    if (ioctl(kc->fd, KVM_SET_MP_STATE, &mp) < 0) {
        error_report("KVM: cannot set vCPU %d to its %s state: %s", kc->cpu->index,
                     is_bsp ? "running" : "wait-for-SIPI", strerror(errno));
        return false;
    }
    return true;
}

void kvm_regs_describe(KvmCpu *kc, char *buf, size_t len)
{
    struct kvm_regs regs;
    struct kvm_sregs sregs;
    if (ioctl(kc->fd, KVM_GET_REGS, &regs) < 0 || ioctl(kc->fd, KVM_GET_SREGS, &sregs) < 0) {
        snprintf(buf, len, "registers unreadable: %s", strerror(errno));
        return;
    }
    snprintf(buf, len,
             "RIP=0x%" PRIx64 " CS=0x%04x (base 0x%" PRIx64 ") RFLAGS=0x%" PRIx64
             " CR0=0x%" PRIx64 " EFER=0x%" PRIx64,
             (uint64_t)regs.rip, sregs.cs.selector, (uint64_t)sregs.cs.base,
             (uint64_t)regs.rflags, (uint64_t)sregs.cr0, (uint64_t)sregs.efer);
}

#endif /* CONFIG_KVM */
