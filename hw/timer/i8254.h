/*
 * Intel 8254 programmable interval timer (ports 0x40-0x43, OUT0 on IRQ 0) with the
 * PC's port 0x61 (channel 2 gate, speaker enable, refresh toggle, OUT2 status).
 */
#ifndef HW_TIMER_I8254_H
#define HW_TIMER_I8254_H

#include "hw/core/device.h"

#define TYPE_I8254 "i8254"
#define I8254_FREQ_HZ 1193182
#define I8254_SPEAKER_PORT 0x61

/* Port 0x61 bits. */
#define I8254_PORT61_GATE2 0x01
#define I8254_PORT61_SPEAKER 0x02
#define I8254_PORT61_REFRESH 0x10
#define I8254_PORT61_OUT2 0x20

void i8254_register_types(void);

#endif
