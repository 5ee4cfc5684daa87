/*
 * The main loop: one thread polls file descriptors, runs due timers and deferred
 * callbacks. Device state is protected by one device lock: the main loop holds it
 * while it runs handlers, vCPU threads take it for each exit they hand to a device.
 * System events (shutdown, reset) are requested from anywhere and acted on here.
 */
#ifndef SYSTEM_MAINLOOP_H
#define SYSTEM_MAINLOOP_H

#include <stdbool.h>
#include <stdint.h>

void mainloop_init(void);

/* The device lock. Recursive use is a bug. */
void devlock_lock(void);
void devlock_unlock(void);
bool devlock_held(void);

/* fd handlers: called with the device lock held. events are POLLIN/POLLOUT bits. */
typedef void (*FdHandler)(void *opaque, int revents);
void mainloop_set_fd_handler(int fd, int events, FdHandler handler, void *opaque);
void mainloop_remove_fd(int fd);

/* Run fn(opaque) once, soon, in the main loop (callable from any thread). */
void mainloop_defer(void (*fn)(void *opaque), void *opaque);

/* Wake the poller (callable from any thread). */
void mainloop_notify(void);

/* Run one iteration: wait up to timeout_ns (-1: until an event), dispatch. */
void mainloop_wait(int64_t timeout_ns);

/* Run until a shutdown is requested; returns the exit status. */
int mainloop_run(void);

/* An engine that executes guest code in the main-loop thread (the interpreter)
 * installs a runner: each loop iteration calls it (device lock held) with the time
 * until the next timer deadline (-1: none); it runs guest code for at most about
 * that long and returns true if a vCPU is still runnable (the loop then polls
 * without blocking), false if all are halted (the loop sleeps until an event). */
typedef bool (*MainloopRunner)(void *opaque, int64_t budget_ns);
void mainloop_set_runner(MainloopRunner runner, void *opaque);

/* System events. The handlers are installed by the machine. */
typedef enum ShutdownCause {
    SHUTDOWN_NONE,
    SHUTDOWN_HOST_QUIT,        /* user asked (Ctrl-A x, monitor, signal) */
    SHUTDOWN_GUEST_POWEROFF,   /* ACPI S5 and friends */
    SHUTDOWN_GUEST_EXIT,       /* isa-debug-exit with a chosen status */
    SHUTDOWN_GUEST_RESET,      /* reset with -no-reboot */
    SHUTDOWN_ERROR,            /* emulator-side failure (status 1) */
} ShutdownCause;

void system_request_shutdown(ShutdownCause cause, int status);
void system_request_reset(void);
bool system_shutdown_requested(void);
ShutdownCause system_shutdown_cause(void);
/* Installed by the machine: performs the reset (stops vCPUs, resets devices and CPUs). */
extern void (*system_reset_handler)(void);
extern bool system_no_reboot;
/* Installed by the machine: make every vCPU leave guest execution now (without
 * waiting), so no guest instruction runs after a shutdown or reset request. */
extern void (*system_vcpus_stop_hook)(void);

#endif
