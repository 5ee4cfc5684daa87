/*
 * The MC146818 real-time clock and its 128 bytes of battery-backed CMOS RAM
 * (ports 0x70/0x71, IRQ 8). The board fills the configuration bytes (memory sizes,
 * equipment, boot order) through the accessors below.
 */
#ifndef HW_TIMER_MC146818_H
#define HW_TIMER_MC146818_H

#include <stdint.h>
#include "hw/core/device.h"

#define TYPE_MC146818_RTC "mc146818-rtc"

#define MC146818_CMOS_SIZE 128

/* Register indexes (the clock registers, the four control registers, the century). */
#define MC146818_SECONDS        0x00
#define MC146818_SECONDS_ALARM  0x01
#define MC146818_MINUTES        0x02
#define MC146818_MINUTES_ALARM  0x03
#define MC146818_HOURS          0x04
#define MC146818_HOURS_ALARM    0x05
#define MC146818_DAY_OF_WEEK    0x06
#define MC146818_DAY_OF_MONTH   0x07
#define MC146818_MONTH          0x08
#define MC146818_YEAR           0x09
#define MC146818_REG_A          0x0a
#define MC146818_REG_B          0x0b
#define MC146818_REG_C          0x0c
#define MC146818_REG_D          0x0d
#define MC146818_CENTURY        0x32

/* Register A */
#define MC146818_A_UIP          0x80
#define MC146818_A_DV_MASK      0x70
#define MC146818_A_RS_MASK      0x0f
/* Register B */
#define MC146818_B_SET          0x80
#define MC146818_B_PIE          0x40
#define MC146818_B_AIE          0x20
#define MC146818_B_UIE          0x10
#define MC146818_B_SQWE         0x08
#define MC146818_B_DM_BINARY    0x04
#define MC146818_B_24H          0x02
#define MC146818_B_DSE          0x01
/* Register C */
#define MC146818_C_IRQF         0x80
#define MC146818_C_PF           0x40
#define MC146818_C_AF           0x20
#define MC146818_C_UF           0x10
/* Register D */
#define MC146818_D_VRT          0x80

/* Write a CMOS byte as the guest would through port 0x71 (index masked to 0..127):
 * clock registers re-base the clock, control registers take effect. */
void mc146818_set_cmos(DeviceState *rtc, int index, uint8_t value);
/* Read a CMOS byte as the guest would see it, except that register C is not cleared. */
uint8_t mc146818_get_cmos(DeviceState *rtc, int index);

void mc146818_register_types(void);

#endif
