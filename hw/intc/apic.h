/*
 * The local APIC (xAPIC, Pentium 4 style) for the software interpreter, and the
 * APIC system that routes interrupt messages (IPIs, MSI) between the local APICs.
 * Under KVM the in-kernel local APIC is used and this device is not created.
 *
 * Each APIC talks to its CPU only through ApicCpuOps, so it knows nothing about
 * how the CPU is implemented.
 *
 * Time: the APIC timer counts a 1 GHz input clock (one tick per virtual
 * nanosecond before the divider), so a count of N with divide D lasts N*D ns of
 * CLOCK_VIRTUAL. The CPU's time-stamp counter is defined as
 *     TSC = CLOCK_VIRTUAL ns * tsc_khz / 1000000 + tsc offset
 * (tsc_khz property, default 1000000 = 1 GHz, so by default TSC = virtual ns);
 * apic_get_tsc() returns that value so the CPU's RDTSC and the TSC-deadline timer
 * agree.
 */
#ifndef HW_INTC_APIC_H
#define HW_INTC_APIC_H

#include <stdbool.h>
#include <stdint.h>
#include "hw/core/device.h"
#include "hw/core/irq.h"
#include "hw/core/memory.h"

#define TYPE_APIC "apic"

#define APIC_MMIO_SIZE 0x1000
#define APIC_DEFAULT_BASE 0xfee00000ull
#define APIC_TIMER_HZ 1000000000ull      /* timer input clock (before the divider) */

/* IA32_APIC_BASE MSR bits. */
#define APIC_BASE_BSP (1ull << 8)
#define APIC_BASE_ENABLE (1ull << 11)
#define APIC_BASE_ADDR_MASK 0xfffffffffffff000ull

/* Register offsets in the 4 KiB window (each register is 32 bits, 16-byte aligned). */
enum {
    APIC_REG_ID = 0x020,
    APIC_REG_VERSION = 0x030,
    APIC_REG_TPR = 0x080,
    APIC_REG_APR = 0x090,
    APIC_REG_PPR = 0x0a0,
    APIC_REG_EOI = 0x0b0,
    APIC_REG_RRD = 0x0c0,
    APIC_REG_LDR = 0x0d0,
    APIC_REG_DFR = 0x0e0,
    APIC_REG_SVR = 0x0f0,
    APIC_REG_ISR = 0x100,          /* 8 registers, 0x100..0x170 */
    APIC_REG_TMR = 0x180,          /* 8 registers, 0x180..0x1f0 */
    APIC_REG_IRR = 0x200,          /* 8 registers, 0x200..0x270 */
    APIC_REG_ESR = 0x280,
    APIC_REG_ICR_LO = 0x300,
    APIC_REG_ICR_HI = 0x310,
    APIC_REG_LVT_TIMER = 0x320,
    APIC_REG_LVT_THERMAL = 0x330,
    APIC_REG_LVT_PERFMON = 0x340,
    APIC_REG_LVT_LINT0 = 0x350,
    APIC_REG_LVT_LINT1 = 0x360,
    APIC_REG_LVT_ERROR = 0x370,
    APIC_REG_TIMER_INITIAL = 0x380,
    APIC_REG_TIMER_CURRENT = 0x390,
    APIC_REG_TIMER_DIVIDE = 0x3e0,
};

/* Spurious-interrupt vector register. */
#define APIC_SVR_ENABLE (1u << 8)
#define APIC_SVR_FOCUS_DISABLE (1u << 9)
#define APIC_SVR_SUPPRESS_EOI (1u << 12)

/* Error status register bits. */
#define APIC_ESR_SEND_ILLEGAL_VECTOR (1u << 5)
#define APIC_ESR_RECV_ILLEGAL_VECTOR (1u << 6)
#define APIC_ESR_ILLEGAL_REGISTER (1u << 7)

/* Delivery modes (ICR, LVT, MSI data bits 8-10). */
enum {
    APIC_DM_FIXED = 0,
    APIC_DM_LOWEST = 1,
    APIC_DM_SMI = 2,
    APIC_DM_NMI = 4,
    APIC_DM_INIT = 5,
    APIC_DM_SIPI = 6,
    APIC_DM_EXTINT = 7,
};

/* ICR low and LVT bits. */
#define APIC_VECTOR_MASK 0xffu
#define APIC_DM_SHIFT 8
#define APIC_DEST_LOGICAL (1u << 11)
#define APIC_DELIVERY_STATUS (1u << 12)
#define APIC_LVT_ACTIVE_LOW (1u << 13)
#define APIC_LVT_REMOTE_IRR (1u << 14)
#define APIC_ICR_ASSERT (1u << 14)
#define APIC_TRIGGER_LEVEL (1u << 15)
#define APIC_LVT_MASKED (1u << 16)
#define APIC_LVT_TIMER_PERIODIC (1u << 17)
#define APIC_LVT_TIMER_TSC_DEADLINE (2u << 17)
#define APIC_ICR_SHORTHAND_SHIFT 18
enum {
    APIC_SHORTHAND_NONE = 0,
    APIC_SHORTHAND_SELF = 1,
    APIC_SHORTHAND_ALL = 2,
    APIC_SHORTHAND_OTHERS = 3,
};
#define APIC_ICR_DEST_SHIFT 24          /* in ICR high */

/* How the APIC reaches its CPU. Every callback may be NULL. */
typedef struct ApicCpuOps {
    /* "An interrupt is deliverable to the CPU" (APIC vector or ExtINT) changed. */
    void (*interrupt_request)(void *cpu, bool pending);
    void (*nmi)(void *cpu);
    /* INIT: the APIC has already put itself in its INIT state; the CPU resets
     * (the BSP restarts, an AP waits for a start-up IPI). */
    void (*init)(void *cpu);
    /* Start-up IPI: an AP in wait-for-SIPI starts at vector * 0x1000 (else ignore). */
    void (*sipi)(void *cpu, uint8_t vector);
    /* INTA cycle for an ExtINT: the vector from the i8259 (pc_machine_pic_ack). */
    int (*extint_ack)(void *cpu);
    void (*smi)(void *cpu);
} ApicCpuOps;

typedef struct ApicSystem ApicSystem;

void apic_register_types(void);

/* ---- the APIC system: message routing between local APICs ---- */

ApicSystem *apic_system_new(void);
/* Detach every APIC and free the system. */
void apic_system_free(ApicSystem *sys);
/* Put an APIC (realized) on this system; it leaves any previous system. */
void apic_system_add(ApicSystem *sys, DeviceState *apic);
/* An MSI-format message (IOAPIC or PCI): address 0xfeeXXXXX with the destination in
 * bits 12-19 and logical mode in bit 2; data with the vector, delivery mode in bits
 * 8-10, assert in bit 14 and level trigger in bit 15 (see hw/intc/ioapic.h). */
void apic_system_deliver_msi(ApicSystem *sys, uint64_t addr, uint32_t data);
/* Called with the vector when a local APIC EOIs a level-triggered interrupt (the
 * board passes it to ioapic_eoi_broadcast). */
void apic_system_set_eoi_handler(ApicSystem *sys, void (*fn)(void *opaque, int vector),
                                 void *opaque);

/* ---- one local APIC ---- */

/* The register window; the interpreter maps the current CPU's APIC at its base. */
MemoryRegion *apic_get_mmio(DeviceState *apic);
/* LINT0 (n = 0) and LINT1 (n = 1) input pins; NULL otherwise. */
IRQ *apic_get_lint(DeviceState *apic, int n);
void apic_set_cpu_ops(DeviceState *apic, const ApicCpuOps *ops, void *cpu);

/* Is an interrupt deliverable to the CPU (before the CPU's own IF check)? */
bool apic_interrupt_pending(DeviceState *apic);
/* The CPU takes an interrupt: the vector (IRR -> ISR), the i8259's vector for an
 * ExtINT, or the spurious vector when nothing is deliverable any more. */
int apic_acknowledge(DeviceState *apic);

/* IA32_APIC_BASE. apic_set_base returns false when reserved bits are set (the CPU
 * raises #GP); clearing the enable bit resets the APIC and takes it off the bus. */
uint64_t apic_get_base(DeviceState *apic);
bool apic_set_base(DeviceState *apic, uint64_t value);
/* Is the APIC hardware-enabled (IA32_APIC_BASE bit 11), i.e. should it be mapped? */
bool apic_hw_enabled(DeviceState *apic);

/* CR8 in 64-bit mode: TPR bits 7:4 <-> CR8 bits 3:0. These take the full TPR byte. */
void apic_set_tpr(DeviceState *apic, uint8_t tpr);
uint8_t apic_get_tpr(DeviceState *apic);

/* IA32_TSC_DEADLINE: writes are ignored and reads give 0 unless the LVT timer is in
 * TSC-deadline mode; 0 disarms; the register reads 0 again once the timer fired. */
void apic_set_tsc_deadline(DeviceState *apic, uint64_t tsc);
uint64_t apic_get_tsc_deadline(DeviceState *apic);
/* The TSC at the current virtual time (see the definition at the top), and the
 * offset the CPU uses when the guest writes IA32_TSC. */
uint64_t apic_get_tsc(DeviceState *apic);
void apic_set_tsc_offset(DeviceState *apic, int64_t offset);

#endif
