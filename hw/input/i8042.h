/*
 * The i8042 PS/2 controller with its keyboard and mouse (ports 0x60/0x64, IRQ 1 and 12).
 * The board connects the A20 gate; the UI feeds key presses as set-2 scancode bytes.
 * All functions must be called with the device lock held.
 */
#ifndef HW_INPUT_I8042_H
#define HW_INPUT_I8042_H

#include <stdbool.h>
#include <stdint.h>
#include "hw/core/device.h"

#define TYPE_I8042 "i8042"

/* Status register (port 0x64 read) */
#define I8042_STR_OBF       0x01    /* output buffer full */
#define I8042_STR_IBF       0x02    /* input buffer full (never: we act at once) */
#define I8042_STR_SYS       0x04    /* system flag (command byte bit 2) */
#define I8042_STR_A2        0x08    /* last write was to the command port */
#define I8042_STR_INH       0x10    /* keyboard not inhibited */
#define I8042_STR_AUX_OBF   0x20    /* output buffer holds mouse data */
#define I8042_STR_TIMEOUT   0x40
#define I8042_STR_PARITY    0x80

/* Command byte (controller RAM byte 0) */
#define I8042_CMD_KBD_INT   0x01
#define I8042_CMD_AUX_INT   0x02
#define I8042_CMD_SYS       0x04
#define I8042_CMD_KBD_DIS   0x10
#define I8042_CMD_AUX_DIS   0x20
#define I8042_CMD_XLATE     0x40

/* Output port (commands 0xd0/0xd1) */
#define I8042_OUT_RESET     0x01    /* low: the CPU is held in reset */
#define I8042_OUT_A20       0x02

/* Bytes buffered per device (keyboard, mouse) before input is dropped. Small on purpose:
 * the output buffer plus a full keyboard queue plus a mouse reply must stay within the
 * 16 bytes Linux's i8042 driver drains when it probes the controller. */
#define I8042_QUEUE_SIZE    12

/* Queue one byte of a key press or release in scancode set 2 (e.g. 0x1c for "A", then
 * 0xf0 0x1c when released). Dropped while the keyboard is not scanning or its queue is
 * full. Translated to the set the guest asked for. */
void i8042_put_keycode(DeviceState *dev, uint8_t scancode_set2_byte);
/* Queue a mouse movement (dx right, dy up, each clamped to -255..255) and the button
 * state (bit 0 left, bit 1 right, bit 2 middle), if the guest enabled reporting. */
void i8042_put_mouse_event(DeviceState *dev, int dx, int dy, unsigned buttons);
/* Called when the guest changes the A20 line through the output port (0xd1, 0xdd, 0xdf).
 * Device reset does not call it: after reset the controller's A20 output is high. */
void i8042_set_a20_handler(DeviceState *dev, void (*fn)(void *opaque, bool enabled),
                           void *opaque);

void i8042_register_types(void);

#endif
