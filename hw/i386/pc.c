/*
 * The `pc` machine: builds the memory map, the i440FX/PIIX3 device tree, wires the
 * interrupt lines (ISA GSIs fan out to the i8259 pair and the IOAPIC), loads firmware
 * or a kernel, and creates the vCPUs on the chosen engine.
 */
#include "hw/i386/pc.h"
#include "hw/char/serial.h"
#include "hw/i386/acpi_build.h"
#include "hw/i386/e820.h"
#include "hw/i386/loader.h"
#include "hw/input/i8042.h"
#include "hw/intc/i8259.h"
#include "hw/intc/ioapic.h"
#include "hw/misc/port92.h"
#include "hw/nvram/fw_cfg.h"
#include "hw/pci/i440fx.h"
#include "hw/pci/piix3.h"
#include "hw/timer/mc146818.h"
#include "system/chardev.h"
#include "system/log.h"
#include "system/mainloop.h"

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define DEFAULT_BIOS_PATH "/usr/share/seabios/bios.bin"
#define BIOS_MAX_SIZE (16u << 20)

static const TypeInfo machine_type_info = {
    .name = TYPE_MACHINE,
    .parent = TYPE_OBJECT,
    .instance_size = sizeof(Machine),
};

void machine_register_types(void)
{
    type_register(&machine_type_info);
}

/* ---- interrupt wiring ---- */

/* ISA GSI n goes to PIC input n (0-15) and to IOAPIC pin n, except that the PIT's IRQ 0
 * reaches IOAPIC pin 2 (the MADT says so with an interrupt source override). */
static void pc_gsi_set(void *opaque, int n, int level)
{
    Machine *m = opaque;
    if (n < 16 && m->pic) {
        irq_set(i8259_get_input(m->pic, n), level);
    }
    if (m->ioapic) {
        int pin = n == 0 ? 2 : n;
        if (n != 2) {
            irq_set(ioapic_get_input(m->ioapic, pin), level);
        }
    }
}

static void pc_pic_intr(void *opaque, int n, int level)
{
    Machine *m = opaque;
    (void)n;
    if (m->accel && m->accel->set_extint) {
        m->accel->set_extint(m, level);
    }
}

static void pc_ioapic_msi(void *opaque, uint64_t addr, uint32_t data)
{
    Machine *m = opaque;
    if (m->accel && m->accel->deliver_msi) {
        m->accel->deliver_msi(m, addr, data);
    }
}

static void pc_reset_line(void *opaque, int n, int level)
{
    (void)opaque;
    (void)n;
    if (level) {
        system_request_reset();
    }
}

int pc_machine_pic_ack(Machine *m)
{
    return i8259_acknowledge(m->pic);
}

/* A20 is open when either the i8042's output port or port 0x92 opens it. KVM cannot
 * mask A20 (set_a20 is NULL there); the interpreter masks address bit 20. */
static void pc_a20_update(Machine *m)
{
    if (m->accel && m->accel->set_a20) {
        m->accel->set_a20(m, m->a20_kbd || m->a20_port92);
    }
}

static void pc_a20_from_kbd(void *opaque, bool enabled)
{
    Machine *m = opaque;
    m->a20_kbd = enabled;
    pc_a20_update(m);
}

static void pc_a20_from_port92(void *opaque, bool enabled)
{
    Machine *m = opaque;
    m->a20_port92 = enabled;
    pc_a20_update(m);
}

/* ---- helpers ---- */

static DeviceState *pc_add_device(Machine *m, const char *type, const char *name,
                                  const char *props, BusState *bus, Error **errp)
{
    DeviceState *dev = device_new(type);
    if (!dev) {
        error_setg(errp, "internal: no device type %s", type);
        return NULL;
    }
    object_add_child(OBJECT(m), name, OBJECT(dev));
    object_unref(OBJECT(dev));
    if (props) {
        char *copy = xstrdup(props);
        char *save = NULL;
        for (char *kv = strtok_r(copy, ",", &save); kv; kv = strtok_r(NULL, ",", &save)) {
            char *eq = strchr(kv, '=');
            *eq = '\0';
            if (!device_set_prop(dev, kv, eq + 1, errp)) {
                free(copy);
                return NULL;
            }
        }
        free(copy);
    }
    if (!device_realize(dev, bus, errp)) {
        return NULL;
    }
    return dev;
}

static DeviceState *pc_add_isa(Machine *m, const char *type, const char *name,
                               const char *props, Error **errp)
{
    return pc_add_device(m, type, name, props, BUS(m->isa_bus), errp);
}

static uint8_t *read_whole_file(const char *path, size_t max, size_t *len, Error **errp)
{
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0) {
        error_setg(errp, "%s: %s", path, strerror(errno));
        return NULL;
    }
    struct stat st;
    if (fstat(fd, &st) < 0 || !S_ISREG(st.st_mode)) {
        error_setg(errp, "%s: not a regular file", path);
        close(fd);
        return NULL;
    }
    if ((uint64_t)st.st_size > max) {
        error_setg(errp, "%s: too large (%lld bytes, at most %zu)", path,
                   (long long)st.st_size, max);
        close(fd);
        return NULL;
    }
    uint8_t *buf = xmalloc((size_t)st.st_size + 1);
    size_t got = 0;
    while (got < (size_t)st.st_size) {
        ssize_t r = read(fd, buf + got, (size_t)st.st_size - got);
        if (r <= 0) {
            error_setg(errp, "%s: read error", path);
            free(buf);
            close(fd);
            return NULL;
        }
        got += (size_t)r;
    }
    close(fd);
    *len = got;
    return buf;
}

/* Firmware: mapped just below 4 GiB, its last 128 KiB also at 0xe0000 (as on a PC). */
static bool pc_load_bios(Machine *m, const char *path, Error **errp)
{
    size_t len;
    uint8_t *image = read_whole_file(path, BIOS_MAX_SIZE, &len, errp);
    if (!image) {
        error_prepend(errp, "-bios: ");
        return false;
    }
    if (len == 0 || len % 65536 != 0) {
        error_setg(errp, "-bios %s: a firmware image must be a non-empty multiple of 64 KiB "
                   "(this one is %zu bytes)", path, len);
        free(image);
        return false;
    }
    memory_region_init_rom(&m->bios_rom, "pc.bios", len);
    memcpy(m->bios_rom.host, image, len);
    free(image);
    memory_region_add_subregion(&m->sysmem, 0x100000000ull - len, &m->bios_rom);
    uint64_t isa_len = len < 0x20000 ? len : 0x20000;
    memory_region_init_alias(&m->bios_isa_alias, "isa-bios", &m->bios_rom, len - isa_len,
                             isa_len);
    memory_region_add_subregion_overlap(&m->sysmem, 0x100000 - isa_len, &m->bios_isa_alias, 1);
    return true;
}

/* The CMOS bytes firmware and old kernels read to size memory and find devices. */
static void pc_cmos_init(Machine *m)
{
    uint64_t below = m->below_4g;
    unsigned ext_kb = below > (1u << 20) ? (unsigned)((below - (1u << 20)) >> 10) : 0;
    if (ext_kb > 0xffff) {
        ext_kb = 0xffff;
    }
    mc146818_set_cmos(m->rtc, 0x15, 640 & 0xff);         /* base memory in KiB */
    mc146818_set_cmos(m->rtc, 0x16, 640 >> 8);
    mc146818_set_cmos(m->rtc, 0x17, ext_kb & 0xff);      /* extended memory in KiB */
    mc146818_set_cmos(m->rtc, 0x18, ext_kb >> 8);
    mc146818_set_cmos(m->rtc, 0x30, ext_kb & 0xff);
    mc146818_set_cmos(m->rtc, 0x31, ext_kb >> 8);
    uint64_t above_16m = below > (16u << 20) ? (below - (16u << 20)) >> 16 : 0;
    if (above_16m > 0xffff) {
        above_16m = 0xffff;
    }
    mc146818_set_cmos(m->rtc, 0x34, above_16m & 0xff);   /* 64 KiB units above 16 MiB */
    mc146818_set_cmos(m->rtc, 0x35, above_16m >> 8);
    uint64_t high = m->above_4g >> 16;
    mc146818_set_cmos(m->rtc, 0x5b, high & 0xff);        /* 64 KiB units above 4 GiB */
    mc146818_set_cmos(m->rtc, 0x5c, (high >> 8) & 0xff);
    mc146818_set_cmos(m->rtc, 0x5d, (high >> 16) & 0xff);
    mc146818_set_cmos(m->rtc, 0x5f, (uint8_t)(m->cfg.smp - 1));
    mc146818_set_cmos(m->rtc, 0x14, 0x06);               /* equipment: FPU, VGA/EGA */
    mc146818_set_cmos(m->rtc, 0x3d, 0x02);               /* boot order: hard disk */
}

static void pc_build_e820(Machine *m, E820Table *t)
{
    e820_build_pc(t, m->below_4g, m->above_4g);
}

static void pc_fw_cfg_init(Machine *m, const E820Table *e820)
{
    fw_cfg_add_i64(m->fw_cfg, FW_CFG_RAM_SIZE, m->cfg.ram_size);
    fw_cfg_add_i16(m->fw_cfg, FW_CFG_NB_CPUS, (uint16_t)m->cfg.smp);
    fw_cfg_add_i16(m->fw_cfg, FW_CFG_MAX_CPUS, (uint16_t)m->cfg.smp);
    fw_cfg_add_i16(m->fw_cfg, FW_CFG_BOOT_MENU, 0);
    size_t len;
    uint8_t *blob = e820_to_fw_cfg(e820, &len);
    fw_cfg_add_file(m->fw_cfg, "etc/e820", blob, len);
    free(blob);
}

static bool pc_load_kernel(Machine *m, const E820Table *e820, Error **errp)
{
    LoadContext ctx;
    loader_context_init(&ctx, &m->as_mem, m->below_4g, m->above_4g, e820, m->cfg.smp);
    X86State *entry = &m->boot.bsp;
    x86_state_reset(entry);
    bool ok;
    if (kernel_is_multiboot(m->cfg.kernel)) {
        ok = multiboot_load(&ctx, m->cfg.kernel, m->cfg.initrd, m->cfg.append, entry, errp);
    } else {
        ok = linux_load(&ctx, m->cfg.kernel, m->cfg.initrd, m->cfg.append,
                        m->cfg.linux_unpack, entry, errp);
    }
    if (!ok) {
        return false;
    }
    m->boot.valid = true;
    return true;
}

/* ---- machine life ---- */

static bool pc_build_memory(Machine *m, Error **errp)
{
    memory_region_init_container(&m->sysmem, "system", UINT64_MAX);
    memory_region_init_container(&m->io, "io", 0x10000);
    m->below_4g = m->cfg.ram_size < PC_BELOW_4G_MAX ? m->cfg.ram_size : PC_BELOW_4G_MAX;
    m->above_4g = m->cfg.ram_size - m->below_4g;
    memory_region_init_ram(&m->ram, "pc.ram", m->cfg.ram_size);
    memory_region_init_alias(&m->ram_below_4g, "ram-below-4g", &m->ram, 0, m->below_4g);
    memory_region_add_subregion(&m->sysmem, 0, &m->ram_below_4g);
    if (m->above_4g) {
        memory_region_init_alias(&m->ram_above_4g, "ram-above-4g", &m->ram, m->below_4g,
                                 m->above_4g);
        memory_region_add_subregion(&m->sysmem, 0x100000000ull, &m->ram_above_4g);
    }
    address_space_init(&m->as_mem, &m->sysmem, "memory");
    address_space_init(&m->as_io, &m->io, "io");
    (void)errp;
    return true;
}

static bool pc_build_devices(Machine *m, Error **errp)
{
    m->sysbus = bus_new(TYPE_SYSTEM_BUS, NULL, "sysbus");
    object_add_child(OBJECT(m), "sysbus", OBJECT(m->sysbus));
    object_unref(OBJECT(m->sysbus));

    /* PCI memory BARs live in a window below everything else, so a BAR can never
     * shadow RAM, the firmware or the APICs */
    memory_region_init_container(&m->pci_mem, "pci-memory", UINT64_MAX);
    memory_region_add_subregion_overlap(&m->sysmem, 0, &m->pci_mem, -1);
    PciBus *pci = i440fx_create(OBJECT(m), m->sysbus, &m->sysmem, &m->io, &m->ram,
                                &m->pci_mem, errp);
    if (!pci) {
        return false;
    }
    m->pci_bus = BUS(pci);
    m->gsi = irq_allocate(pc_gsi_set, m, ISA_NUM_IRQS);
    DeviceState *piix3 = piix3_create(pci, OBJECT(m), m->gsi, errp);
    if (!piix3) {
        return false;
    }
    piix3_set_reset_irq(piix3, irq_allocate(pc_reset_line, m, 1));
    m->isa_bus = isa_bus_new(piix3, &m->io, &m->sysmem, m->gsi);

    m->pic = pc_add_isa(m, "i8259", "pic", NULL, errp);
    if (!m->pic) {
        return false;
    }
    IRQ *intr = irq_allocate(pc_pic_intr, m, 1);
    i8259_set_intr_output(m->pic, intr);

    m->ioapic = pc_add_device(m, "ioapic", "ioapic", NULL, m->sysbus, errp);
    if (!m->ioapic) {
        return false;
    }
    memory_region_add_subregion(&m->sysmem, PC_IOAPIC_BASE, ioapic_get_mmio(m->ioapic));
    ioapic_set_msi_handler(m->ioapic, pc_ioapic_msi, m);

    if (!(m->pit = pc_add_isa(m, "i8254", "pit", NULL, errp)) ||
        !(m->rtc = pc_add_isa(m, "mc146818-rtc", "rtc", NULL, errp)) ||
        !(m->i8042 = pc_add_isa(m, "i8042", "i8042", NULL, errp)) ||
        !pc_add_isa(m, "port92", "port92", NULL, errp) ||
        !pc_add_isa(m, "ioport80", "ioport80", NULL, errp) ||
        !(m->pm = pc_add_isa(m, "acpi-pm", "acpi-pm", NULL, errp)) ||
        !(m->fw_cfg = pc_add_isa(m, "fw_cfg-io", "fw_cfg", NULL, errp))) {
        return false;
    }
    fw_cfg_set_dma_address_space(m->fw_cfg, &m->as_mem);
    i8042_set_a20_handler(m->i8042, pc_a20_from_kbd, m);
    port92_set_a20_handler(DEVICE(object_resolve_path(OBJECT(m), "port92")),
                           pc_a20_from_port92, m);
    m->a20_kbd = true;               /* the i8042's output port powers up with A20 on */

    static const uint16_t com_base[PC_MAX_SERIAL] = { 0x3f8, 0x2f8, 0x3e8, 0x2e8 };
    static const uint8_t com_irq[PC_MAX_SERIAL] = { 4, 3, 4, 3 };
    for (int i = 0; i < m->cfg.nr_serial; i++) {
        Chardev *chr = NULL;
        const char *spec = m->cfg.serial[i];
        if (strncmp(spec, "chardev:", 8) == 0) {
            chr = chardev_find(spec + 8);
            if (!chr) {
                error_setg(errp, "-serial %s: no -chardev with id '%s'", spec, spec + 8);
                return false;
            }
        } else {
            char id[16];
            snprintf(id, sizeof(id), "serial%d", i);
            chr = chardev_new(spec, id, errp);
            if (!chr && *errp) {
                error_prepend(errp, "-serial %s: ", spec);
                return false;
            }
        }
        if (!chr) {
            continue;       /* "none": no port */
        }
        char name[16], props[48];
        snprintf(name, sizeof(name), "serial%d", i);
        snprintf(props, sizeof(props), "iobase=0x%x,irq=%u", com_base[i], com_irq[i]);
        m->serial[i] = pc_add_isa(m, "isa-serial", name, props, errp);
        if (!m->serial[i]) {
            return false;
        }
        serial_set_chardev(m->serial[i], chr);
    }
    return true;
}

static bool pc_create_cpus(Machine *m, Error **errp)
{
    for (int i = 0; i < m->cfg.smp; i++) {
        CPUState *cpu = xzalloc(sizeof(*cpu));
        cpu->index = i;
        cpu->apic_id = (uint32_t)i;
        cpu->machine = m;
        x86_state_reset(&cpu->env);
        if (i == 0 && m->boot.valid) {
            cpu->env = m->boot.bsp;
        }
        m->cpus[i] = cpu;
        m->nr_cpus = i + 1;
        if (!m->accel->cpu_init(cpu, errp)) {
            return false;
        }
    }
    return true;
}

static Machine *current_machine;

/* A shutdown or reset was requested: no vCPU may run another guest instruction. The
 * stop flag parks KVM vCPU threads; the kick makes both engines leave the guest. */
static void pc_stop_vcpus_now(void)
{
    Machine *m = current_machine;
    if (!m || !m->accel) {
        return;
    }
    for (int i = 0; i < m->nr_cpus; i++) {
        atomic_store(&m->cpus[i]->stop, true);
        if (m->accel->kick) {
            m->accel->kick(m->cpus[i]);
        }
    }
}

static void pc_reset_handler(void)
{
    if (current_machine) {
        pc_machine_reset(current_machine);
    }
}

Machine *pc_machine_create(const MachineConfig *cfg, Error **errp)
{
    if (cfg->smp < 1 || cfg->smp > PC_MAX_CPUS) {
        error_setg(errp, "-smp %d: between 1 and %d CPUs", cfg->smp, PC_MAX_CPUS);
        return NULL;
    }
    Machine *m = MACHINE(object_new(TYPE_MACHINE));
    m->cfg = *cfg;
    memory_transaction_begin();
    bool ok = pc_build_memory(m, errp) && pc_build_devices(m, errp);
    memory_transaction_commit();
    if (!ok) {
        return NULL;
    }
    E820Table e820;
    pc_build_e820(m, &e820);
    pc_cmos_init(m);
    pc_fw_cfg_init(m, &e820);

    if (cfg->kernel) {
        if (cfg->bios) {
            error_setg(errp, "-kernel and -bios together are not supported yet "
                       "(the kernel is loaded directly, without firmware)");
            return NULL;
        }
        if (!pc_load_kernel(m, &e820, errp)) {
            return NULL;
        }
    } else {
        const char *bios = cfg->bios ? cfg->bios : DEFAULT_BIOS_PATH;
        if (!cfg->bios && access(bios, R_OK) != 0) {
            error_setg(errp, "no firmware found at %s: install the seabios package, "
                       "or boot a kernel directly with -kernel", bios);
            return NULL;
        }
        if (!pc_load_bios(m, bios, errp)) {
            return NULL;
        }
    }
    current_machine = m;
    system_reset_handler = pc_reset_handler;
    system_vcpus_stop_hook = pc_stop_vcpus_now;
    system_no_reboot = cfg->no_reboot;
    return m;
}

bool pc_machine_attach_engine(Machine *m, const AccelOps *accel, Error **errp)
{
    m->accel = accel;
    if (!accel->init(m, errp) || !pc_create_cpus(m, errp)) {
        return false;
    }
    pc_a20_update(m);
    return true;
}

bool pc_machine_add_device(Machine *m, DeviceState *dev, Error **errp)
{
    DeviceClass *dc = DEVICE_GET_CLASS(dev);
    BusState *bus = NULL;
    if (dc->bus_type && strcmp(dc->bus_type, TYPE_ISA_BUS) == 0) {
        bus = BUS(m->isa_bus);
    } else if (dc->bus_type && strcmp(dc->bus_type, TYPE_PCI_BUS) == 0) {
        bus = m->pci_bus;
    } else {
        bus = m->sysbus;
    }
    const char *name = dev->id ? dev->id : object_get_typename(OBJECT(dev));
    object_add_child(OBJECT(m), name, OBJECT(dev));
    object_unref(OBJECT(dev));
    if (!device_realize(dev, bus, errp)) {
        object_unparent(OBJECT(dev));
        return false;
    }
    return true;
}

void pc_machine_reset(Machine *m)
{
    m->accel->stop(m);
    device_reset_tree(OBJECT(m));
    m->a20_kbd = true;
    m->a20_port92 = false;
    pc_a20_update(m);
    pc_cmos_init(m);
    if (m->cfg.kernel) {
        /* the guest may have overwritten the images: load them again */
        E820Table e820;
        pc_build_e820(m, &e820);
        Error *err = NULL;
        if (!pc_load_kernel(m, &e820, &err)) {
            error_report_err(err);
            system_request_shutdown(SHUTDOWN_ERROR, 1);
            return;
        }
    }
    for (int i = 0; i < m->nr_cpus; i++) {
        x86_state_reset(&m->cpus[i]->env);
        if (i == 0 && m->boot.valid) {
            m->cpus[0]->env = m->boot.bsp;
        }
    }
    m->accel->reset(m);
    m->accel->start(m);
}

void pc_machine_destroy(Machine *m)
{
    if (m->accel && m->accel->destroy) {
        m->accel->destroy(m);
    }
    object_unref(OBJECT(m));
}
