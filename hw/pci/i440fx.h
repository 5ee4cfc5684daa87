/*
 * Intel 82441FX (i440FX) PCI and memory controller: the host bridge device
 * ("i440fx-pcihost", a system-bus device that owns PCI bus 0 and configuration
 * mechanism #1 at ports 0xcf8/0xcfc) and its PCI function 00.0 ("i440fx", PAM
 * shadow-RAM control and the SMRAM register).
 *
 * Board wiring:
 *   PciBus *pci = i440fx_create(OBJECT(m), m->sysbus, &m->sysmem, &m->io, &m->ram,
 *                               pci_mem, &err);
 *   - `ram` is the region holding all guest RAM (offset 0 = guest-physical 0, or an
 *     alias onto it); PAM and SMRAM shadow aliases are made over it and placed in
 *     `sysmem` at I440FX_SHADOW_PRIORITY. Map the BIOS/option-ROM side of
 *     0xc0000-0xfffff (and VGA at 0xa0000) in sysmem at a priority between RAM (0)
 *     and I440FX_SHADOW_PRIORITY so that it shows while a chunk's RAM is disabled.
 *   - memory BARs go into `pci_mem` (NULL: sysmem); I/O BARs into `io`.
 *   - do not map anything else at 0xcf8-0xcfb: byte/word accesses there are ordinary
 *     I/O passed to the handler installed with i440fx_host_set_byte_io (the PIIX3
 *     installs its reset control register 0xcf9 there itself).
 */
#ifndef HW_PCI_I440FX_H
#define HW_PCI_I440FX_H

#include "hw/pci/pci.h"

#define TYPE_I440FX_PCI_HOST "i440fx-pcihost"
#define TYPE_I440FX "i440fx"

#define I440FX_CONFIG_ADDRESS_PORT 0xcf8
#define I440FX_CONFIG_DATA_PORT 0xcfc
#define I440FX_CONFIG_ENABLE 0x80000000u

/* Function 00.0 registers */
#define I440FX_PAM0 0x59          /* 0x59..0x5f: PAM0..PAM6 */
#define I440FX_PAM_COUNT 7
#define I440FX_PAM_RE 0x1         /* per nibble: read enable (reads from RAM) */
#define I440FX_PAM_WE 0x2         /* per nibble: write enable (writes to RAM) */
#define I440FX_SMRAM 0x72
#define I440FX_SMRAM_G_SMRAME 0x08
#define I440FX_SMRAM_D_LCK 0x10
#define I440FX_SMRAM_D_CLS 0x20
#define I440FX_SMRAM_D_OPEN 0x40
#define I440FX_SMRAM_DEFAULT 0x02 /* C_BASE_SEG = 010: 0xa0000 */

#define I440FX_SHADOW_PRIORITY 10

void i440fx_register_types(void);

/* Create and realize the host bridge as a child "i440fx" of parent (on sysbus if not
 * NULL), with function 00.0 on its bus. Returns the PCI bus, or NULL with *errp set. */
PciBus *i440fx_create(Object *parent, BusState *sysbus, MemoryRegion *sysmem,
                      MemoryRegion *io, MemoryRegion *ram, MemoryRegion *pci_mem,
                      Error **errp);
/* The host bridge device owning bus (NULL if bus is not an i440FX bus). */
DeviceState *i440fx_host_of(PciBus *bus);
/* Byte and word accesses to 0xcf8-0xcfb (offset 0-3 from 0xcf8) are not
 * CONFIG_ADDRESS: they go to ops/opaque (NULL: reads all-ones, writes ignored). */
void i440fx_host_set_byte_io(DeviceState *host, const MemoryRegionOps *ops, void *opaque);

#endif
