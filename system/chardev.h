/*
 * Character back-ends: where a serial port or debug console sends its bytes and
 * gets its input. Specs follow QEMU: stdio, file:PATH, pty, null, none.
 * stdio puts the terminal in raw mode and understands Ctrl-A x (quit),
 * Ctrl-A h (help) and Ctrl-A Ctrl-A (send Ctrl-A), as QEMU's multiplexer does.
 */
#ifndef SYSTEM_CHARDEV_H
#define SYSTEM_CHARDEV_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include "system/error.h"

typedef struct Chardev Chardev;

/* Frontend callbacks, called in the main loop with the device lock held.
 * can_receive returns how many bytes the frontend can take now. */
typedef int (*ChardevCanReceive)(void *opaque);
typedef void (*ChardevReceive)(void *opaque, const uint8_t *buf, size_t len);

/* Create from a spec ("stdio", "file:PATH", "pty", "null", "none"). "none" returns NULL
 * without an error: the frontend has nothing connected. */
Chardev *chardev_new(const char *spec, const char *id, Error **errp);
/* Named chardevs created with -chardev, looked up by frontends with chardev=ID. */
Chardev *chardev_find(const char *id);
/* Parse a QEMU -chardev option: "stdio,id=X", "file,id=X,path=P", "null,id=X", "pty,id=X". */
Chardev *chardev_new_from_options(const char *optarg, Error **errp);

void chardev_set_handlers(Chardev *chr, ChardevCanReceive can_receive,
                          ChardevReceive receive, void *opaque);
/* Write all of buf (blocking briefly if the back-end is slow); returns bytes written. */
size_t chardev_write(Chardev *chr, const uint8_t *buf, size_t len);
/* Feed bytes as if they came from the back-end (for tests). */
void chardev_inject_input(Chardev *chr, const uint8_t *buf, size_t len);
/* Capture everything written to a memory buffer (for tests); returns the chardev. */
Chardev *chardev_new_buffer(const char *id);
const char *chardev_buffer_contents(Chardev *chr, size_t *len);
void chardev_free(Chardev *chr);

/* Input the frontend could not take yet waits in a buffer of this size; the back-end's
 * fd is not polled while it is full. */
#define CHARDEV_INPUT_BUFFER 4096
/* The frontend calls this when it has room again (e.g. the guest read a byte), so
 * waiting input is delivered and polling resumes. */
void chardev_accept_input(Chardev *chr);
/* True while a frontend has receive handlers installed (one input consumer at a time). */
bool chardev_has_frontend(const Chardev *chr);
/* Forget what a buffer chardev captured so far (for tests). */
void chardev_buffer_clear(Chardev *chr);
/* The id or label given at creation (NULL if none). */
const char *chardev_get_id(const Chardev *chr);
/* The slave device of a pty chardev ("/dev/pts/N"), else NULL. */
const char *chardev_pty_path(const Chardev *chr);
/* Restore the terminal (called at exit; safe to call more than once). */
void chardev_restore_terminals(void);

#endif
