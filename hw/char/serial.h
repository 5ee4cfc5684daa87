/*
 * The 16550A UART ("isa-serial") and the debug console port ("isa-debugcon"):
 * what a board needs to attach character back-ends to them.
 */
#ifndef HW_CHAR_SERIAL_H
#define HW_CHAR_SERIAL_H

#include "hw/core/device.h"
#include "system/chardev.h"

#define TYPE_ISA_SERIAL "isa-serial"
#define TYPE_ISA_DEBUGCON "isa-debugcon"

/* Standard PC COM port resources, indexed by the "index" property (COM1..COM4). */
#define SERIAL_MAX_INDEX 4
extern const uint16_t serial_default_iobase[SERIAL_MAX_INDEX];
extern const uint8_t serial_default_irq[SERIAL_MAX_INDEX];

void serial_register_types(void);
/* Connect a back-end (NULL: nothing connected). Before or after realize. The device
 * does not own the chardev: free the device first, then the chardev. */
void serial_set_chardev(DeviceState *dev, Chardev *chr);

void debugcon_register_types(void);
void debugcon_set_chardev(DeviceState *dev, Chardev *chr);

#endif
