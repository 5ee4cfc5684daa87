/*
 * The POST-code port 0x80 and the delay port 0xed: firmware writes progress codes to
 * 0x80 and kernels write to either to wait an I/O cycle.
 */
#ifndef HW_MISC_IOPORT80_H
#define HW_MISC_IOPORT80_H

#include <stdint.h>
#include "hw/core/device.h"

#define TYPE_IOPORT80 "ioport80"

/* The last byte written to port 0x80 (0 after reset). */
uint8_t ioport80_last_code(DeviceState *dev);

void ioport80_register_types(void);

#endif
