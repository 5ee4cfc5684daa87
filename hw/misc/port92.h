/*
 * System Control Port A (port 0x92): the "fast A20" gate (bit 1) and a fast CPU reset
 * (bit 0), as found on PS/2 and on every PC chipset since.
 */
#ifndef HW_MISC_PORT92_H
#define HW_MISC_PORT92_H

#include <stdbool.h>
#include <stdint.h>
#include "hw/core/device.h"

#define TYPE_PORT92 "port92"

#define PORT92_FAST_RESET   0x01
#define PORT92_A20          0x02

/* Called on every guest write with the A20 bit written. Device reset does not call it:
 * after reset the bit is 0 (this gate does not hold A20 open). */
void port92_set_a20_handler(DeviceState *dev, void (*fn)(void *opaque, bool enabled),
                            void *opaque);

void port92_register_types(void);

#endif
