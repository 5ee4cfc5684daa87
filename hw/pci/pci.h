/*
 * The PCI core: a bus of 256 device/function slots, the abstract "pci-device" type
 * with its configuration space (values, write masks, write-1-to-clear masks), base
 * address registers mapped into the bus's memory and I/O containers as the guest
 * programs them, and INTx lines swizzled onto the four PIRQ lines of the bus, whose
 * router (the PIIX3) turns them into ISA IRQs.
 *
 * Writing a PCI device: derive from TYPE_PCI_DEVICE, fill the PciDeviceClass ids,
 * and put the device's own setup in PciDeviceClass.realize / .reset (never in
 * DeviceClass.realize / .reset, which belong to the core). In realize, register BARs
 * with pci_register_bar and open device-specific registers with the wmask array.
 */
#ifndef HW_PCI_PCI_H
#define HW_PCI_PCI_H

#include <stdbool.h>
#include <stdint.h>
#include "hw/core/device.h"
#include "hw/core/irq.h"
#include "hw/core/memory.h"

#define TYPE_PCI_DEVICE "pci-device"

#define PCI_CONFIG_SPACE_SIZE 256      /* conventional; 4 KiB for PCIe later */
#define PCI_DEVFN_MAX 256
#define PCI_SLOT_MAX 32
#define PCI_FUNC_MAX 8
#define PCI_NUM_PINS 4                 /* INTA..INTD, and the bus's PIRQA..PIRQD */
#define PCI_NUM_REGIONS 7              /* BAR0..BAR5 and the expansion ROM */
#define PCI_ROM_SLOT 6

#define PCI_DEVFN(slot, fn) ((((slot) & 0x1f) << 3) | ((fn) & 0x07))
#define PCI_SLOT(devfn) (((devfn) >> 3) & 0x1f)
#define PCI_FUNC(devfn) ((devfn) & 0x07)

/* Type 0 header registers. */
#define PCI_VENDOR_ID 0x00
#define PCI_DEVICE_ID 0x02
#define PCI_COMMAND 0x04
#define PCI_STATUS 0x06
#define PCI_REVISION_ID 0x08
#define PCI_CLASS_PROG 0x09            /* class code: 0x09 prog-if, 0x0a sub, 0x0b base */
#define PCI_CACHE_LINE_SIZE 0x0c
#define PCI_LATENCY_TIMER 0x0d
#define PCI_HEADER_TYPE 0x0e
#define PCI_BIST 0x0f
#define PCI_BASE_ADDRESS_0 0x10
#define PCI_SUBSYSTEM_VENDOR_ID 0x2c
#define PCI_SUBSYSTEM_ID 0x2e
#define PCI_ROM_ADDRESS 0x30
#define PCI_CAPABILITY_LIST 0x34
#define PCI_INTERRUPT_LINE 0x3c
#define PCI_INTERRUPT_PIN 0x3d
#define PCI_MIN_GNT 0x3e
#define PCI_MAX_LAT 0x3f

#define PCI_COMMAND_IO 0x0001
#define PCI_COMMAND_MEMORY 0x0002
#define PCI_COMMAND_MASTER 0x0004
#define PCI_COMMAND_PARITY 0x0040
#define PCI_COMMAND_SERR 0x0100
#define PCI_COMMAND_INTX_DISABLE 0x0400

#define PCI_STATUS_INTERRUPT 0x0008
#define PCI_STATUS_CAP_LIST 0x0010
#define PCI_STATUS_FAST_BACK 0x0080
#define PCI_STATUS_DEVSEL_MEDIUM 0x0200
#define PCI_STATUS_ERROR_BITS 0xf900   /* the write-1-to-clear error bits */

#define PCI_HEADER_TYPE_MULTI_FUNCTION 0x80

/* BAR types (the low bits of a BAR), as passed to pci_register_bar. */
#define PCI_BAR_SPACE_IO 0x01
#define PCI_BAR_SPACE_MEMORY 0x00
#define PCI_BAR_MEM_TYPE_32 0x00
#define PCI_BAR_MEM_TYPE_64 0x04
#define PCI_BAR_MEM_PREFETCH 0x08
#define PCI_ROM_ADDRESS_ENABLE 0x01

#define PCI_BAR_UNMAPPED UINT64_MAX

/* Priority of mapped BARs inside the bus containers. */
#define PCI_BAR_PRIORITY 0

typedef struct PciBus PciBus;
typedef struct PciDevice PciDevice;

typedef struct PciIORegion {
    MemoryRegion *mr;            /* NULL: BAR not implemented */
    uint64_t size;
    uint8_t type;                /* PCI_BAR_SPACE_IO, or memory type | prefetch */
    uint64_t addr;               /* where it is mapped, or PCI_BAR_UNMAPPED */
} PciIORegion;

struct PciDevice {
    DeviceState parent_obj;
    char *addr;                  /* property "addr": "slot[.fn]" in hex, NULL: auto */
    int devfn;                   /* -1 until realized */
    PciBus *bus;
    uint8_t config[PCI_CONFIG_SPACE_SIZE];
    uint8_t wmask[PCI_CONFIG_SPACE_SIZE];    /* bits the guest may write */
    uint8_t w1cmask[PCI_CONFIG_SPACE_SIZE];  /* bits a written 1 clears */
    PciIORegion regions[PCI_NUM_REGIONS];
    bool irq_state;              /* INTx as the device drives it */
    bool irq_asserted;           /* what the bus currently counts (after INTx disable) */
};

typedef struct PciDeviceClass {
    DeviceClass parent_class;
    uint16_t vendor_id;
    uint16_t device_id;
    uint8_t revision;
    uint32_t class_code;         /* base << 16 | sub << 8 | prog-if */
    uint16_t subsystem_vendor_id;
    uint16_t subsystem_id;
    bool multifunction;          /* header type bit 7 */
    uint8_t interrupt_pin;       /* 0: none, 1..4: INTA..INTD */
    /* Device setup once the core has claimed the slot and filled the header. */
    bool (*realize)(PciDevice *dev, Error **errp);
    /* Device registers to power-on values; runs after the core reset of the header. */
    void (*reset)(PciDevice *dev);
    /* Config space accessors (addr + len within the config space, len 1, 2 or 4).
     * Default: pci_default_config_read / pci_default_config_write. An override
     * normally calls the default and then reacts to the registers it owns. */
    uint32_t (*config_read)(PciDevice *dev, uint32_t addr, unsigned len);
    void (*config_write)(PciDevice *dev, uint32_t addr, uint32_t val, unsigned len);
} PciDeviceClass;

/* The router: level of PIRQ line `pirq` (0..3) changed. */
typedef void (*PciSetIrqFunc)(void *opaque, int pirq, int level);
/* Which PIRQ line INTx pin `pin` (0 = INTA) of dev drives. */
typedef int (*PciMapIrqFunc)(PciDevice *dev, int pin);

struct PciBus {
    BusState parent_obj;
    MemoryRegion *mem;           /* memory BARs are mapped here */
    MemoryRegion *io;            /* I/O BARs are mapped here */
    PciDevice *devices[PCI_DEVFN_MAX];
    PciSetIrqFunc set_irq;
    PciMapIrqFunc map_irq;       /* NULL: pci_swizzle_irq */
    void *irq_opaque;
    int irq_count[PCI_NUM_PINS]; /* devices asserting each PIRQ line */
};

#define PCI_BUS(o) OBJECT_CHECK(PciBus, (o), TYPE_PCI_BUS)
#define PCI_DEVICE(o) OBJECT_CHECK(PciDevice, (o), TYPE_PCI_DEVICE)
#define PCI_DEVICE_GET_CLASS(o) OBJECT_GET_CLASS(PciDeviceClass, (o), TYPE_PCI_DEVICE)
#define PCI_DEVICE_CLASS(k) OBJECT_CLASS_CHECK(PciDeviceClass, (k), TYPE_PCI_DEVICE)

void pci_register_types(void);

/* ---- the bus (for host bridges and boards) ---- */

/* A bus named `name`, child of the bridge `parent`, mapping BARs into mem and io. */
PciBus *pci_bus_new(DeviceState *parent, const char *name, MemoryRegion *mem,
                    MemoryRegion *io);
/* Install the INTx router (set_irq receives PIRQ line levels; map_irq may be NULL). */
void pci_bus_set_irq_router(PciBus *bus, PciSetIrqFunc set_irq, PciMapIrqFunc map_irq,
                            void *opaque);
/* Current level of PIRQ line pirq (0..3): 1 while any device asserts it. */
int pci_bus_irq_level(PciBus *bus, int pirq);
/* Configuration cycles. Bus number != 0, an empty slot, a bad size (1, 2, 4) or an
 * access crossing the end of the config space: reads give all-ones, writes vanish. */
uint32_t pci_bus_config_read(PciBus *bus, uint8_t busnr, uint8_t devfn, uint8_t reg,
                             unsigned size);
void pci_bus_config_write(PciBus *bus, uint8_t busnr, uint8_t devfn, uint8_t reg,
                          uint32_t val, unsigned size);
/* Call fn for every device on the bus in devfn order. */
void pci_bus_foreach(PciBus *bus, void (*fn)(PciBus *bus, PciDevice *dev, void *opaque),
                     void *opaque);
PciDevice *pci_bus_find(PciBus *bus, int devfn);
/* Power-on reset of every device on the bus (BARs, command, status, device state). */
void pci_bus_reset(PciBus *bus);

/* The default swizzle: PIRQ = (slot + pin) % 4, pin 0 = INTA. */
int pci_swizzle_irq(PciDevice *dev, int pin);

/* ---- for device models ---- */

/* Register BAR `bar` (0..5, or PCI_ROM_SLOT) backed by mr, whose size must be a power
 * of two (I/O >= 4 bytes, memory >= 16, ROM >= 2 KiB). A 64-bit memory BAR also uses
 * bar + 1. Call from PciDeviceClass.realize. */
void pci_register_bar(PciDevice *dev, int bar, uint8_t type, MemoryRegion *mr);
/* Where region `bar` is mapped now, or PCI_BAR_UNMAPPED. */
uint64_t pci_get_bar_addr(const PciDevice *dev, int bar);
/* Drive the device's INTx pin (the one in its Interrupt Pin register). Honours the
 * command register's INTx disable bit and mirrors the level in status bit 3. */
void pci_set_irq(PciDevice *dev, int level);
/* Re-evaluate BAR mappings against the current config values. */
void pci_update_mappings(PciDevice *dev);

uint32_t pci_default_config_read(PciDevice *dev, uint32_t addr, unsigned len);
void pci_default_config_write(PciDevice *dev, uint32_t addr, uint32_t val, unsigned len);
/* Call the device's (possibly overridden) config accessors. */
uint32_t pci_config_read(PciDevice *dev, uint32_t addr, unsigned len);
void pci_config_write(PciDevice *dev, uint32_t addr, uint32_t val, unsigned len);

/* True if [addr, addr + len) overlaps [start, start + size). */
static inline bool pci_range_overlaps(uint32_t addr, unsigned len, uint32_t start,
                                      unsigned size)
{
    return addr < start + size && start < addr + len;
}

/* Little-endian helpers on a config (or mask) array. */
static inline void pci_set_byte(uint8_t *cfg, uint32_t off, uint8_t v) { cfg[off] = v; }
static inline uint8_t pci_get_byte(const uint8_t *cfg, uint32_t off) { return cfg[off]; }
static inline void pci_set_word(uint8_t *cfg, uint32_t off, uint16_t v)
{
    cfg[off] = (uint8_t)v;
    cfg[off + 1] = (uint8_t)(v >> 8);
}
static inline uint16_t pci_get_word(const uint8_t *cfg, uint32_t off)
{
    return (uint16_t)(cfg[off] | (cfg[off + 1] << 8));
}
static inline void pci_set_long(uint8_t *cfg, uint32_t off, uint32_t v)
{
    pci_set_word(cfg, off, (uint16_t)v);
    pci_set_word(cfg, off + 2, (uint16_t)(v >> 16));
}
static inline uint32_t pci_get_long(const uint8_t *cfg, uint32_t off)
{
    return pci_get_word(cfg, off) | ((uint32_t)pci_get_word(cfg, off + 2) << 16);
}

#endif
