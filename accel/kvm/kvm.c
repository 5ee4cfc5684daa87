/*
 * The KVM engine, VM side: opening /dev/kvm, creating the VM with a split irqchip
 * (local APICs in the kernel; PIC, IOAPIC and PIT are our own devices), memslots that
 * follow the guest-physical memory map, the i8259's INTR line and MSI delivery.
 *
 * Interrupt design (split irqchip):
 *  - The i8259's INTR output is an ExtINT for the BSP. set_extint() records the level
 *    and kicks the BSP's thread; before each KVM_RUN the BSP acknowledges the PIC
 *    (pc_machine_pic_ack) and hands the vector to KVM_INTERRUPT when KVM says the vCPU
 *    can take it, else it asks for an interrupt window (kvm_cpu.c).
 *  - IOAPIC and PCI messages go to the in-kernel LAPICs with KVM_SIGNAL_MSI.
 *  - Level-triggered IOAPIC interrupts need their EOI back in the IOAPIC (to clear
 *    Remote IRR). With a split irqchip KVM only turns an EOI into KVM_EXIT_IOAPIC_EOI
 *    for vectors in the vCPU's EOI-exit bitmap, and it computes that bitmap from the
 *    MSI-type GSI routes numbered below the count given to KVM_CAP_SPLIT_IRQCHIP (24):
 *    a route whose data has the level-trigger bit (bit 15) set marks its vector for
 *    the vCPUs its address selects. So every level-triggered message we deliver is
 *    first entered as such a route (GSI 0..23) with KVM_SET_GSI_ROUTING; the routes are
 *    never used to inject anything (delivery stays KVM_SIGNAL_MSI). The 24 route slots
 *    form a cache keyed by the message, replaced least-recently-delivered first; a
 *    stale route only costs an extra EOI exit, which the IOAPIC ignores when no pin
 *    waits on that vector. The route is installed before the message is signalled,
 *    and KVM makes every vCPU rescan its bitmap before it next enters the guest, so
 *    the EOI of that very interrupt already exits.
 */
#include "config-host.h"
#include "accel/accel.h"

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stddef.h>
#include <stdbool.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

/* Decided from module presence: kvm_pvm runs guests without hardware virtualization. */
bool accel_kvm_software_backed(void)
{
    struct stat st;
    if (stat("/sys/module/kvm_pvm", &st) != 0) {
        return false;
    }
    /* a hardware module that initialized would own /dev/kvm instead */
    return stat("/sys/module/kvm_intel", &st) != 0 && stat("/sys/module/kvm_amd", &st) != 0;
}

#ifdef CONFIG_KVM

#include "accel/kvm/kvm_internal.h"
#include "hw/intc/ioapic.h"
#include "system/error.h"
#include "system/log.h"
#include "system/mainloop.h"

#include <stdlib.h>
#include <sys/ioctl.h>

static int kvm_fd = -1;

int kvm_dev_fd(void)
{
    return kvm_fd;
}

int kvm_check_extension(int fd, long cap)
{
    int r = ioctl(fd, KVM_CHECK_EXTENSION, cap);
    return r < 0 ? 0 : r;
}

/* Capabilities without which the engine cannot work. */
static const struct {
    long cap;
    const char *what;
} kvm_required_caps[] = {
    { KVM_CAP_USER_MEMORY, "user memory slots (KVM_CAP_USER_MEMORY)" },
    { KVM_CAP_SPLIT_IRQCHIP, "a split irqchip (KVM_CAP_SPLIT_IRQCHIP)" },
    { KVM_CAP_EXT_CPUID, "KVM_GET_SUPPORTED_CPUID (KVM_CAP_EXT_CPUID)" },
    { KVM_CAP_SIGNAL_MSI, "MSI injection (KVM_CAP_SIGNAL_MSI)" },
    { KVM_CAP_IRQ_ROUTING, "GSI routing (KVM_CAP_IRQ_ROUTING)" },
    { KVM_CAP_MP_STATE, "multiprocessor state (KVM_CAP_MP_STATE)" },
};

static bool kvm_available(char **why)
{
    if (kvm_fd >= 0) {
        return true;
    }
    int fd = open("/dev/kvm", O_RDWR | O_CLOEXEC);
    if (fd < 0) {
        if (why) {
            *why = xasprintf("cannot open /dev/kvm: %s", strerror(errno));
        }
        return false;
    }
    int version = ioctl(fd, KVM_GET_API_VERSION, 0);
    if (version != KVM_API_VERSION) {
        if (why) {
            *why = xasprintf("/dev/kvm speaks KVM API version %d, Ember needs %d", version,
                             KVM_API_VERSION);
        }
        close(fd);
        return false;
    }
    for (size_t i = 0; i < sizeof(kvm_required_caps) / sizeof(kvm_required_caps[0]); i++) {
        if (!kvm_check_extension(fd, kvm_required_caps[i].cap)) {
            if (why) {
                *why = xasprintf("this kernel's KVM lacks %s", kvm_required_caps[i].what);
            }
            close(fd);
            return false;
        }
    }
    kvm_fd = fd;
    return true;
}

/* ---- memslots ---- */

static uint64_t kvm_page_size(void)
{
    long p = sysconf(_SC_PAGESIZE);
    return p > 0 ? (uint64_t)p : 4096;
}

/* The page-aligned part of a RAM/ROM range that can become a memslot. Parts of pages
 * shared with I/O stay unmapped: accesses to them exit and go through the memory map,
 * which handles RAM as well. */
static bool kvm_slot_window(const FlatRange *fr, uint64_t *gpa, uint64_t *size, void **host)
{
    MemoryRegion *mr = fr->mr;
    if ((mr->kind != MR_RAM && mr->kind != MR_ROM) || !mr->host) {
        return false;
    }
    uint64_t page = kvm_page_size();
    uint64_t start = (fr->start + page - 1) & ~(page - 1);
    uint64_t end = (fr->start + fr->size) & ~(page - 1);
    if (fr->start + fr->size < fr->start || end <= start) {
        return false;
    }
    uint8_t *h = mr->host + fr->offset + (start - fr->start);
    if ((uintptr_t)h & (page - 1)) {
        return false;
    }
    *gpa = start;
    *size = end - start;
    *host = h;
    return true;
}

static int kvm_set_slot(KvmState *s, KvmSlot *slot, uint64_t size)
{
    struct kvm_userspace_memory_region r = {
        .slot = slot->id,
        .flags = slot->flags,
        .guest_phys_addr = slot->gpa,
        .memory_size = size,
        .userspace_addr = (uintptr_t)slot->host,
    };
    return ioctl(s->vm_fd, KVM_SET_USER_MEMORY_REGION, &r);
}

static void kvm_region_add(MemoryListener *l, const FlatRange *fr)
{
    KvmState *s = (KvmState *)((char *)l - offsetof(KvmState, listener));
    uint64_t gpa, size;
    void *host;
    if (!kvm_slot_window(fr, &gpa, &size, &host)) {
        return;
    }
    int limit = s->caps.nr_memslots < KVM_MAX_SLOTS ? s->caps.nr_memslots : KVM_MAX_SLOTS;
    KvmSlot *slot = NULL;
    for (int i = 0; i < limit; i++) {
        if (!s->slots[i].used) {
            slot = &s->slots[i];
            slot->id = (uint32_t)i;
            break;
        }
    }
    if (!slot) {
        error_report("KVM: out of memory slots mapping %s at 0x%" PRIx64, fr->mr->name, gpa);
        s->slot_failed = true;
        system_request_shutdown(SHUTDOWN_ERROR, 1);
        return;
    }
    slot->gpa = gpa;
    slot->size = size;
    slot->host = host;
    /* Without read-only slots a ROM becomes writable RAM: mapping it is still needed,
     * since KVM cannot execute from an unmapped (MMIO) range. */
    slot->flags = (fr->mr->kind == MR_ROM && s->caps.readonly_mem) ? KVM_MEM_READONLY : 0;
    if (kvm_set_slot(s, slot, size) < 0) {
        error_report("KVM: cannot map %s at 0x%" PRIx64 " (0x%" PRIx64 " bytes): %s",
                     fr->mr->name, gpa, size, strerror(errno));
        s->slot_failed = true;
        system_request_shutdown(SHUTDOWN_ERROR, 1);
        return;
    }
    slot->used = true;
    log_item(LOG_EXITS, "kvm: slot %u: 0x%" PRIx64 "+0x%" PRIx64 " %s%s\n", slot->id, gpa,
             size, fr->mr->name, slot->flags ? " (read-only)" : "");
}

static void kvm_region_del(MemoryListener *l, const FlatRange *fr)
{
    KvmState *s = (KvmState *)((char *)l - offsetof(KvmState, listener));
    uint64_t gpa, size;
    void *host;
    if (!kvm_slot_window(fr, &gpa, &size, &host)) {
        return;
    }
    for (int i = 0; i < KVM_MAX_SLOTS; i++) {
        KvmSlot *slot = &s->slots[i];
        if (slot->used && slot->gpa == gpa && slot->size == size && slot->host == host) {
            if (kvm_set_slot(s, slot, 0) < 0) {
                error_report("KVM: cannot unmap slot at 0x%" PRIx64 ": %s", gpa,
                             strerror(errno));
            }
            slot->used = false;
            return;
        }
    }
}

/* ---- interrupts ---- */

static void kvm_set_extint(Machine *m, int level)
{
    KvmState *s = kvm_state(m);
    if (!s) {
        return;                         /* before the VM exists nothing can listen */
    }
    atomic_store(&s->extint_level, level ? 1 : 0);
    if (level && m->nr_cpus > 0 && m->cpus[0]) {
        kvm_cpu_kick(m->cpus[0]);
    }
}

/* Enter a level-triggered message among the reserved GSI routes (see the top of the
 * file). Returns false if KVM refused the table. */
static bool kvm_note_level_msi(KvmState *s, uint32_t addr_lo, uint32_t addr_hi,
                               uint32_t data)
{
    KvmLevelRoute *hit = NULL, *victim = NULL;
    s->route_clock++;
    for (int i = 0; i < KVM_IOAPIC_ROUTES; i++) {
        KvmLevelRoute *r = &s->routes[i];
        if (r->used && r->addr_lo == addr_lo && r->addr_hi == addr_hi && r->data == data) {
            hit = r;
            break;
        }
        if (!r->used) {
            if (!victim || victim->used) {
                victim = r;                     /* the first free slot wins */
            }
        } else if (!victim || (victim->used && r->last_use < victim->last_use)) {
            victim = r;                         /* else the least recently delivered */
        }
    }
    if (hit) {
        hit->last_use = s->route_clock;
        return true;
    }
    *victim = (KvmLevelRoute){ true, addr_lo, addr_hi, data, s->route_clock };

    struct kvm_irq_routing *table =
        xzalloc(sizeof(*table) + KVM_IOAPIC_ROUTES * sizeof(table->entries[0]));
    uint32_t n = 0;
    for (int i = 0; i < KVM_IOAPIC_ROUTES; i++) {
        KvmLevelRoute *r = &s->routes[i];
        if (!r->used) {
            continue;
        }
        struct kvm_irq_routing_entry *e = &table->entries[n++];
        e->gsi = (uint32_t)i;
        e->type = KVM_IRQ_ROUTING_MSI;
        e->u.msi.address_lo = r->addr_lo;
        e->u.msi.address_hi = r->addr_hi;
        e->u.msi.data = r->data;
    }
    table->nr = n;
    int r = ioctl(s->vm_fd, KVM_SET_GSI_ROUTING, table);
    int err = errno;
    free(table);
    if (r < 0) {
        error_report("KVM: cannot install the EOI route for vector %u: %s", data & 0xff,
                     strerror(err));
        victim->used = false;
        return false;
    }
    log_item(LOG_EXITS, "kvm: EOI-exit route for vector %u (dest 0x%x)\n", data & 0xff,
             (addr_lo >> 12) & 0xff);
    return true;
}

void kvm_routes_reset(KvmState *s)
{
    pthread_mutex_lock(&s->route_lock);
    memset(s->routes, 0, sizeof(s->routes));
    struct kvm_irq_routing empty = { .nr = 0 };
    if (ioctl(s->vm_fd, KVM_SET_GSI_ROUTING, &empty) < 0) {
        log_item(LOG_UNIMP, "kvm: clearing the EOI routes failed: %s\n", strerror(errno));
    }
    pthread_mutex_unlock(&s->route_lock);
}

static void kvm_deliver_msi(Machine *m, uint64_t addr, uint32_t data)
{
    KvmState *s = kvm_state(m);
    if (!s) {
        return;
    }
    uint32_t addr_lo = (uint32_t)addr, addr_hi = (uint32_t)(addr >> 32);
    if (data & IOAPIC_MSI_DATA_LEVEL) {
        pthread_mutex_lock(&s->route_lock);
        kvm_note_level_msi(s, addr_lo, addr_hi, data & 0xffff);
        pthread_mutex_unlock(&s->route_lock);
    }
    struct kvm_msi msi = { .address_lo = addr_lo, .address_hi = addr_hi, .data = data };
    int r = ioctl(s->vm_fd, KVM_SIGNAL_MSI, &msi);
    if (r < 0) {
        log_item(LOG_GUEST_ERRORS, "kvm: MSI addr 0x%" PRIx64 " data 0x%x refused: %s\n",
                 addr, data, strerror(errno));
    } else if (r == 0) {
        log_item(LOG_GUEST_ERRORS, "kvm: MSI addr 0x%" PRIx64 " data 0x%x reached no CPU\n",
                 addr, data);
    }
}

/* ---- VM lifetime ---- */

static void kvm_read_caps(KvmState *s)
{
    int fd = s->vm_fd;
    KvmCaps *c = &s->caps;
    c->readonly_mem = kvm_check_extension(fd, KVM_CAP_READONLY_MEM) > 0;
    c->immediate_exit = kvm_check_extension(fd, KVM_CAP_IMMEDIATE_EXIT) > 0;
    c->xsave = kvm_check_extension(fd, KVM_CAP_XSAVE) > 0;
    c->xcrs = kvm_check_extension(fd, KVM_CAP_XCRS) > 0;
    c->debugregs = kvm_check_extension(fd, KVM_CAP_DEBUGREGS) > 0;
    c->vcpu_events = kvm_check_extension(fd, KVM_CAP_VCPU_EVENTS) > 0;
    c->tsc_deadline = kvm_check_extension(fd, KVM_CAP_TSC_DEADLINE_TIMER) > 0;
    c->set_tss_addr = kvm_check_extension(fd, KVM_CAP_SET_TSS_ADDR) > 0;
    c->set_identity_map_addr = kvm_check_extension(fd, KVM_CAP_SET_IDENTITY_MAP_ADDR) > 0;
    c->nr_memslots = kvm_check_extension(fd, KVM_CAP_NR_MEMSLOTS);
    if (c->nr_memslots <= 0) {
        c->nr_memslots = 32;            /* the historical minimum */
    }
    c->xsave_size = kvm_check_extension(fd, KVM_CAP_XSAVE2);
    if (c->xsave_size < (int)sizeof(struct kvm_xsave)) {
        c->xsave_size = (int)sizeof(struct kvm_xsave);
    }
    c->max_vcpus = kvm_check_extension(fd, KVM_CAP_MAX_VCPUS);
    if (c->max_vcpus <= 0) {
        c->max_vcpus = kvm_check_extension(fd, KVM_CAP_NR_VCPUS);
    }
    if (c->max_vcpus <= 0) {
        c->max_vcpus = 4;               /* documented default when the cap is absent */
    }
}

static bool kvm_init(Machine *m, Error **errp)
{
    char *why = NULL;
    if (!kvm_available(&why)) {
        error_setg(errp, "%s", why);
        free(why);
        return false;
    }
    KvmState *s = xzalloc(sizeof(*s));
    s->machine = m;
    s->vm_fd = -1;
    pthread_mutex_init(&s->park_lock, NULL);
    pthread_cond_init(&s->park_cond, NULL);
    pthread_mutex_init(&s->route_lock, NULL);

    int vm_fd;
    do {
        vm_fd = ioctl(kvm_fd, KVM_CREATE_VM, 0);
    } while (vm_fd < 0 && errno == EINTR);
    if (vm_fd < 0) {
        error_setg(errp, "KVM: cannot create a VM: %s", strerror(errno));
        goto fail;
    }
    s->vm_fd = vm_fd;
    kvm_read_caps(s);
    if (m->cfg.smp > s->caps.max_vcpus) {
        error_setg(errp, "-smp %d: this host's KVM runs at most %d vCPUs", m->cfg.smp,
                   s->caps.max_vcpus);
        goto fail;
    }
    s->vcpu_mmap_size = ioctl(kvm_fd, KVM_GET_VCPU_MMAP_SIZE, 0);
    if (s->vcpu_mmap_size < (int)sizeof(struct kvm_run)) {
        error_setg(errp, "KVM: bad vCPU mmap size %d", s->vcpu_mmap_size);
        goto fail;
    }
    /* Both must precede vCPU creation; the board's e820 reserves these pages. */
    if (s->caps.set_identity_map_addr) {
        uint64_t addr = KVM_IDENTITY_MAP_ADDR;
        if (ioctl(vm_fd, KVM_SET_IDENTITY_MAP_ADDR, &addr) < 0) {
            error_setg(errp, "KVM: cannot place the identity map page: %s", strerror(errno));
            goto fail;
        }
    }
    if (s->caps.set_tss_addr) {
        if (ioctl(vm_fd, KVM_SET_TSS_ADDR, (unsigned long)KVM_TSS_ADDR) < 0) {
            error_setg(errp, "KVM: cannot place the real-mode TSS: %s", strerror(errno));
            goto fail;
        }
    }
    struct kvm_enable_cap split = { .cap = KVM_CAP_SPLIT_IRQCHIP };
    split.args[0] = KVM_IOAPIC_ROUTES;
    if (ioctl(vm_fd, KVM_ENABLE_CAP, &split) < 0) {
        error_setg(errp, "KVM: cannot enable the split irqchip: %s", strerror(errno));
        goto fail;
    }
    if (!kvm_regs_init_msr_list(s, errp)) {
        goto fail;
    }
    kvm_cpu_install_kick_handler();
    m->accel_state = s;

    s->listener.region_add = kvm_region_add;
    s->listener.region_del = kvm_region_del;
    address_space_add_listener(&m->as_mem, &s->listener);
    if (s->slot_failed) {
        error_setg(errp, "KVM: the guest memory map could not be mapped");
        address_space_remove_listener(&m->as_mem, &s->listener);
        m->accel_state = NULL;
        goto fail;
    }
    return true;

fail:
    if (s->vm_fd >= 0) {
        close(s->vm_fd);
    }
    free(s->msr_indices);
    free(s);
    return false;
}

static void kvm_destroy(Machine *m)
{
    KvmState *s = kvm_state(m);
    if (!s) {
        return;
    }
    kvm_cpu_destroy_all(m);
    address_space_remove_listener(&m->as_mem, &s->listener);
    close(s->vm_fd);
    free(s->msr_indices);
    pthread_mutex_destroy(&s->route_lock);
    pthread_cond_destroy(&s->park_cond);
    pthread_mutex_destroy(&s->park_lock);
    free(s);
    m->accel_state = NULL;
}

const AccelOps accel_kvm_ops = {
    .name = "kvm",
    .desc = "hardware-assisted virtualization through /dev/kvm",
    .available = kvm_available,
    .init = kvm_init,
    .cpu_init = kvm_cpu_init,
    .start = kvm_cpu_start_all,
    .stop = kvm_cpu_stop_all,
    .kick = kvm_cpu_kick,
    .get_state = kvm_cpu_get_state,
    .set_state = kvm_cpu_set_state,
    .set_extint = kvm_set_extint,
    .deliver_msi = kvm_deliver_msi,
    .reset = kvm_cpu_reset_all,
    .destroy = kvm_destroy,
};

#endif /* CONFIG_KVM */
