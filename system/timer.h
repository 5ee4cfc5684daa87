/*
 * Clocks and timers. CLOCK_VIRTUAL is guest time: it stops while the VM is paused.
 * CLOCK_HOST is host monotonic time and never stops. Timers fire in the main loop
 * thread with the device lock held. All times are in nanoseconds.
 */
#ifndef SYSTEM_TIMER_H
#define SYSTEM_TIMER_H

#include <stdbool.h>
#include <stdint.h>

typedef enum ClockType {
    CLOCK_VIRTUAL,
    CLOCK_HOST,
    CLOCK_COUNT,
} ClockType;

#define NS_PER_SEC INT64_C(1000000000)

typedef struct Timer Timer;
struct Timer {
    ClockType clock;
    int64_t expire;              /* absolute time on its clock, valid when pending */
    void (*cb)(void *opaque);
    void *opaque;
    bool pending;
    Timer *next;
};

int64_t clock_get_ns(ClockType clock);
/* Pause/resume guest time (CLOCK_VIRTUAL). */
void clock_virtual_stop(void);
void clock_virtual_start(void);
bool clock_virtual_running(void);
/* Tests may drive the virtual clock by hand: once set, it only moves with advance. */
void clock_virtual_set_manual(bool manual);
void clock_virtual_advance(int64_t ns);

void timer_init(Timer *t, ClockType clock, void (*cb)(void *opaque), void *opaque);
/* Arm (or re-arm) the timer to fire at absolute time `expire`. */
void timer_mod(Timer *t, int64_t expire);
void timer_del(Timer *t);
bool timer_pending(const Timer *t);

/* For the main loop: ns until the earliest timer on any running clock (-1: none). */
int64_t timers_next_deadline_ns(void);
/* Run expired timers; returns true if any ran. */
bool timers_run_expired(void);
/* Called when a timer's deadline moved earlier, to wake the poller (set by the loop). */
extern void (*timers_notify_hook)(void);

#endif
