/* Clocks and timer lists, one list per clock sorted by expiry. */
#include "system/timer.h"

#include <stddef.h>
#include <time.h>

static Timer *timer_lists[CLOCK_COUNT];
void (*timers_notify_hook)(void);

static bool virtual_running = true;
static bool virtual_manual;
static int64_t virtual_offset;      /* virtual = monotonic - offset while running */
static int64_t virtual_stopped_at;  /* value while stopped */
static int64_t virtual_manual_now;

static int64_t monotonic_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * NS_PER_SEC + ts.tv_nsec;
}

int64_t clock_get_ns(ClockType clock)
{
    if (clock == CLOCK_HOST) {
        return monotonic_ns();
    }
    if (virtual_manual) {
        return virtual_manual_now;
    }
    return virtual_running ? monotonic_ns() - virtual_offset : virtual_stopped_at;
}

void clock_virtual_stop(void)
{
    if (virtual_running) {
        virtual_stopped_at = clock_get_ns(CLOCK_VIRTUAL);
        virtual_running = false;
    }
}

void clock_virtual_start(void)
{
    if (!virtual_running) {
        virtual_offset = monotonic_ns() - virtual_stopped_at;
        virtual_running = true;
        if (timers_notify_hook) {
            timers_notify_hook();
        }
    }
}

bool clock_virtual_running(void)
{
    return virtual_running;
}

void clock_virtual_set_manual(bool manual)
{
    if (manual && !virtual_manual) {
        virtual_manual_now = clock_get_ns(CLOCK_VIRTUAL);
    }
    virtual_manual = manual;
}

void clock_virtual_advance(int64_t ns)
{
    virtual_manual_now += ns;
}

void timer_init(Timer *t, ClockType clock, void (*cb)(void *opaque), void *opaque)
{
    t->clock = clock;
    t->cb = cb;
    t->opaque = opaque;
    t->pending = false;
    t->expire = 0;
    t->next = NULL;
}

void timer_del(Timer *t)
{
    if (!t->pending) {
        return;
    }
    for (Timer **p = &timer_lists[t->clock]; *p; p = &(*p)->next) {
        if (*p == t) {
            *p = t->next;
            break;
        }
    }
    t->pending = false;
    t->next = NULL;
}

void timer_mod(Timer *t, int64_t expire)
{
    timer_del(t);
    t->expire = expire;
    t->pending = true;
    Timer **p = &timer_lists[t->clock];
    while (*p && (*p)->expire <= expire) {
        p = &(*p)->next;
    }
    t->next = *p;
    *p = t;
    if (p == &timer_lists[t->clock] && timers_notify_hook) {
        timers_notify_hook();
    }
}

bool timer_pending(const Timer *t)
{
    return t->pending;
}

int64_t timers_next_deadline_ns(void)
{
    int64_t best = -1;
    for (int c = 0; c < CLOCK_COUNT; c++) {
        if (!timer_lists[c] || (c == CLOCK_VIRTUAL && !virtual_running && !virtual_manual)) {
            continue;
        }
        int64_t d = timer_lists[c]->expire - clock_get_ns((ClockType)c);
        if (d < 0) {
            d = 0;
        }
        if (best < 0 || d < best) {
            best = d;
        }
    }
    return best;
}

bool timers_run_expired(void)
{
    bool ran = false;
    for (int c = 0; c < CLOCK_COUNT; c++) {
        if (c == CLOCK_VIRTUAL && !virtual_running && !virtual_manual) {
            continue;
        }
        int64_t now = clock_get_ns((ClockType)c);
        while (timer_lists[c] && timer_lists[c]->expire <= now) {
            Timer *t = timer_lists[c];
            timer_lists[c] = t->next;
            t->next = NULL;
            t->pending = false;
            t->cb(t->opaque);
            ran = true;
        }
    }
    return ran;
}
