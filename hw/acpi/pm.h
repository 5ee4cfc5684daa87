/*
 * ACPI fixed-hardware power management of the `pc` machine: the PM1a event and control
 * blocks and the PM timer at PC_ACPI_PM_BASE, the SCI (IRQ 9) and, with rcr=on, the
 * reset control register at 0xcf9.
 */
#ifndef HW_ACPI_PM_H
#define HW_ACPI_PM_H

#include <stdint.h>
#include "hw/core/device.h"

#define TYPE_ACPI_PM "acpi-pm"

/* Offsets in the block */
#define ACPI_PM1_STS        0x00    /* 16 bits, write 1 to clear */
#define ACPI_PM1_EN         0x02    /* 16 bits */
#define ACPI_PM1_CNT        0x04    /* 16 bits */
#define ACPI_PM_TMR         0x08    /* 32 bits, read-only */
#define ACPI_PM_BLOCK_SIZE  0x0c

/* PM1_STS and PM1_EN */
#define ACPI_PM1_TMR        0x0001
#define ACPI_PM1_BM_STS     0x0010
#define ACPI_PM1_GBL        0x0020
#define ACPI_PM1_PWRBTN     0x0100
#define ACPI_PM1_SLPBTN     0x0200
#define ACPI_PM1_RTC        0x0400
#define ACPI_PM1_WAK_STS    0x8000

/* PM1_CNT */
#define ACPI_PM1_CNT_SCI_EN     0x0001
#define ACPI_PM1_CNT_BM_RLD     0x0002
#define ACPI_PM1_CNT_GBL_RLS    0x0004
#define ACPI_PM1_CNT_SLP_TYP_SHIFT 10
#define ACPI_PM1_CNT_SLP_TYP    0x1c00
#define ACPI_PM1_CNT_SLP_EN     0x2000

#define ACPI_PM_TIMER_HZ    3579545
#define ACPI_PM_TIMER_MASK  0x00ffffffu

/* Reset control register (port 0xcf9) */
#define ACPI_RCR_SYS_RST    0x02
#define ACPI_RCR_RST_CPU    0x04

/* The power button was pressed: sets PWRBTN_STS, raises the SCI if PWRBTN_EN is set. */
void acpi_pm_power_button(DeviceState *dev);

/* The reset control register (bits 1-2 read back; writing bit 2 requests a reset), for
 * a host bridge that claims 0xcf8-0xcfb as one port and hands byte accesses at 0xcf9
 * over, when the "rcr" property (default off) does not map it directly. */
uint8_t acpi_pm_reset_control_read(DeviceState *dev);
void acpi_pm_reset_control_write(DeviceState *dev, uint8_t value);

void acpi_pm_register_types(void);

#endif
