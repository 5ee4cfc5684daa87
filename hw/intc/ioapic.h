/*
 * The I/O APIC (82093AA style, version 0x20, 24 pins): redirection of interrupt
 * pins to MSI-format messages for the local APICs.
 */
#ifndef HW_INTC_IOAPIC_H
#define HW_INTC_IOAPIC_H

#include <stdint.h>
#include "hw/core/device.h"
#include "hw/core/irq.h"
#include "hw/core/memory.h"

#define TYPE_IOAPIC "ioapic"
#define IOAPIC_NUM_PINS 24
#define IOAPIC_VERSION 0x20
#define IOAPIC_MMIO_SIZE 0x1000

/* Register offsets in the MMIO window. */
#define IOAPIC_IOREGSEL 0x00
#define IOAPIC_IOWIN 0x10
#define IOAPIC_EOI 0x40        /* write a vector: like an EOI broadcast (version 0x20) */

/* Register indexes behind IOREGSEL. */
#define IOAPIC_REG_ID 0x00
#define IOAPIC_REG_VER 0x01
#define IOAPIC_REG_ARB 0x02
#define IOAPIC_REG_REDTBL 0x10 /* pin n: low dword 0x10 + 2n, high dword 0x11 + 2n */

/* Redirection entry bits. */
#define IOAPIC_RTE_VECTOR 0xffull
#define IOAPIC_RTE_DELIVERY_MODE_SHIFT 8
#define IOAPIC_RTE_DEST_LOGICAL (1ull << 11)
#define IOAPIC_RTE_DELIVERY_STATUS (1ull << 12)
#define IOAPIC_RTE_ACTIVE_LOW (1ull << 13)
#define IOAPIC_RTE_REMOTE_IRR (1ull << 14)
#define IOAPIC_RTE_LEVEL (1ull << 15)
#define IOAPIC_RTE_MASKED (1ull << 16)
#define IOAPIC_RTE_DEST_SHIFT 56

/* MSI message format produced for each delivery. */
#define IOAPIC_MSI_ADDR_BASE 0xfee00000ull
#define IOAPIC_MSI_ADDR_DEST_SHIFT 12
#define IOAPIC_MSI_ADDR_LOGICAL (1u << 2)
#define IOAPIC_MSI_DATA_DELIVERY_SHIFT 8
#define IOAPIC_MSI_DATA_ASSERT (1u << 14)
#define IOAPIC_MSI_DATA_LEVEL (1u << 15)

typedef void (*IOAPICDeliverFn)(void *opaque, uint64_t addr, uint32_t data);

void ioapic_register_types(void);

/* The 4 KiB register window; the board maps it (at 0xfec00000 on the PC). */
MemoryRegion *ioapic_get_mmio(DeviceState *dev);
/* Where messages go (NULL: dropped). */
void ioapic_set_msi_handler(DeviceState *dev,
                            void (*deliver)(void *opaque, uint64_t addr, uint32_t data),
                            void *opaque);
/* Input pin 0..23 (NULL otherwise); level 1 = electrically high. */
IRQ *ioapic_get_input(DeviceState *dev, int pin);
/* A local APIC EOI for `vector`: clears Remote IRR of level-triggered entries with
 * that vector and delivers again those whose pin is still asserted. */
void ioapic_eoi_broadcast(DeviceState *dev, int vector);

#endif
