/*
 * A board with no CPU for device unit tests: port and memory address spaces, an ISA
 * bus whose 24 IRQ lines are recorded, and a virtual clock the test moves by hand.
 */
#ifndef TESTS_UNIT_HARNESS_H
#define TESTS_UNIT_HARNESS_H

#include <stdint.h>
#include "hw/core/device.h"
#include "hw/core/irq.h"
#include "hw/core/isa.h"
#include "hw/core/memory.h"

typedef struct TestBoard {
    Object *root;
    MemoryRegion io_root, mem_root, ram;
    AddressSpace io, mem;
    IsaBus *isa;
    DeviceState *bridge;          /* owner of the ISA bus */
    IRQ *irqs;
    int irq_level[ISA_NUM_IRQS];
    int irq_raises[ISA_NUM_IRQS]; /* 0->1 transitions seen */
} TestBoard;

/* 1 MiB of RAM at 0; the device and ISA-bus types registered (a test registers the
 * types it uses itself, e.g. i8259_register_types()); virtual clock manual. */
TestBoard *tb_new(void);
void tb_free(TestBoard *tb);
/* Create, configure ("prop=value,..." or NULL) and realize a device on the ISA bus;
 * fails the test on any error. */
DeviceState *tb_add_isa(TestBoard *tb, const char *type, const char *props);

uint8_t tb_inb(TestBoard *tb, uint16_t port);
uint16_t tb_inw(TestBoard *tb, uint16_t port);
uint32_t tb_inl(TestBoard *tb, uint16_t port);
void tb_outb(TestBoard *tb, uint16_t port, uint8_t v);
void tb_outw(TestBoard *tb, uint16_t port, uint16_t v);
void tb_outl(TestBoard *tb, uint16_t port, uint32_t v);

/* Move the virtual clock forward and run the timers that came due. */
void tb_clock_step(int64_t ns);

#endif
