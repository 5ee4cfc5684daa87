/* The main loop: poll(), timers, deferred calls, the device lock, system events. */
#include "system/mainloop.h"
#include "system/error.h"
#include "system/timer.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

typedef struct FdEntry {
    int fd;
    int events;
    FdHandler handler;
    void *opaque;
} FdEntry;

typedef struct Deferred {
    void (*fn)(void *opaque);
    void *opaque;
    struct Deferred *next;
} Deferred;

static pthread_mutex_t devlock = PTHREAD_MUTEX_INITIALIZER;
static _Atomic(pthread_t) devlock_owner;
static atomic_bool devlock_is_held;

static FdEntry *fds;
static unsigned nr_fds;
static int wake_pipe[2] = { -1, -1 };

static pthread_mutex_t deferred_lock = PTHREAD_MUTEX_INITIALIZER;
static Deferred *deferred_head, *deferred_tail;

static MainloopRunner cpu_runner;
static void *cpu_runner_opaque;

static atomic_int shutdown_cause = SHUTDOWN_NONE;
static atomic_int shutdown_status;
static atomic_bool reset_requested;
void (*system_reset_handler)(void);
void (*system_vcpus_stop_hook)(void);
bool system_no_reboot;

void devlock_lock(void)
{
    pthread_mutex_lock(&devlock);
    atomic_store(&devlock_owner, pthread_self());
    atomic_store(&devlock_is_held, true);
}

void devlock_unlock(void)
{
    atomic_store(&devlock_is_held, false);
    pthread_mutex_unlock(&devlock);
}

bool devlock_held(void)
{
    return atomic_load(&devlock_is_held) &&
           pthread_equal(atomic_load(&devlock_owner), pthread_self());
}

static void drain_wake_pipe(void *opaque, int revents)
{
    (void)opaque;
    (void)revents;
    char buf[64];
    while (read(wake_pipe[0], buf, sizeof(buf)) > 0) {
    }
}

void mainloop_notify(void)
{
    if (wake_pipe[1] >= 0) {
        char c = 0;
        ssize_t r = write(wake_pipe[1], &c, 1);
        (void)r; /* a full pipe already means "wake up" */
    }
}

void mainloop_init(void)
{
    if (wake_pipe[0] >= 0) {
        return;
    }
    if (pipe(wake_pipe) < 0) {
        fatal("cannot create the main loop's wake-up pipe: %s", strerror(errno));
    }
    for (int i = 0; i < 2; i++) {
        fcntl(wake_pipe[i], F_SETFL, fcntl(wake_pipe[i], F_GETFL) | O_NONBLOCK);
        fcntl(wake_pipe[i], F_SETFD, FD_CLOEXEC);
    }
    mainloop_set_fd_handler(wake_pipe[0], POLLIN, drain_wake_pipe, NULL);
    timers_notify_hook = mainloop_notify;
}

void mainloop_set_fd_handler(int fd, int events, FdHandler handler, void *opaque)
{
    for (unsigned i = 0; i < nr_fds; i++) {
        if (fds[i].fd == fd) {
            fds[i].events = events;
            fds[i].handler = handler;
            fds[i].opaque = opaque;
            return;
        }
    }
    fds = xrealloc(fds, sizeof(*fds) * (nr_fds + 1));
    fds[nr_fds++] = (FdEntry){ fd, events, handler, opaque };
}

void mainloop_remove_fd(int fd)
{
    for (unsigned i = 0; i < nr_fds; i++) {
        if (fds[i].fd == fd) {
            fds[i] = fds[--nr_fds];
            return;
        }
    }
}

void mainloop_defer(void (*fn)(void *opaque), void *opaque)
{
    Deferred *d = xmalloc(sizeof(*d));
    d->fn = fn;
    d->opaque = opaque;
    d->next = NULL;
    pthread_mutex_lock(&deferred_lock);
    if (deferred_tail) {
        deferred_tail->next = d;
    } else {
        deferred_head = d;
    }
    deferred_tail = d;
    pthread_mutex_unlock(&deferred_lock);
    mainloop_notify();
}

static bool run_deferred(void)
{
    pthread_mutex_lock(&deferred_lock);
    Deferred *list = deferred_head;
    deferred_head = deferred_tail = NULL;
    pthread_mutex_unlock(&deferred_lock);
    bool any = list != NULL;
    while (list) {
        Deferred *d = list;
        list = d->next;
        d->fn(d->opaque);
        free(d);
    }
    return any;
}

/* Called with the device lock held; drops it while blocked in poll(). */
void mainloop_wait(int64_t timeout_ns)
{
    int64_t deadline = timers_next_deadline_ns();
    if (deadline >= 0 && (timeout_ns < 0 || deadline < timeout_ns)) {
        timeout_ns = deadline;
    }
    pthread_mutex_lock(&deferred_lock);
    if (deferred_head) {
        timeout_ns = 0;
    }
    pthread_mutex_unlock(&deferred_lock);
    if (atomic_load(&reset_requested) || atomic_load(&shutdown_cause) != SHUTDOWN_NONE) {
        timeout_ns = 0;
    }
    int timeout_ms = timeout_ns < 0 ? -1 : (int)((timeout_ns + 999999) / 1000000);

    /* one array reused across iterations: the interpreter calls this every slice */
    static struct pollfd *pfd;
    static unsigned pfd_cap;
    unsigned n = nr_fds;
    if (n > pfd_cap) {
        pfd_cap = n + 8;
        pfd = xrealloc(pfd, sizeof(*pfd) * pfd_cap);
    }
    for (unsigned i = 0; i < n; i++) {
        pfd[i] = (struct pollfd){ .fd = fds[i].fd, .events = (short)fds[i].events };
    }
    devlock_unlock();
    int r = poll(pfd, n, timeout_ms);
    devlock_lock();
    if (r > 0) {
        for (unsigned i = 0; i < n; i++) {
            if (!pfd[i].revents) {
                continue;
            }
            /* the table may have changed while a handler ran: look the fd up again */
            for (unsigned j = 0; j < nr_fds; j++) {
                if (fds[j].fd == pfd[i].fd) {
                    fds[j].handler(fds[j].opaque, pfd[i].revents);
                    break;
                }
            }
        }
    }
    timers_run_expired();
    run_deferred();
    if (atomic_exchange(&reset_requested, false)) {
        if (system_no_reboot) {
            system_request_shutdown(SHUTDOWN_GUEST_RESET, 0);
        } else if (system_reset_handler) {
            system_reset_handler();
        }
    }
}

void mainloop_set_runner(MainloopRunner runner, void *opaque)
{
    cpu_runner = runner;
    cpu_runner_opaque = opaque;
}

int mainloop_run(void)
{
    while (atomic_load(&shutdown_cause) == SHUTDOWN_NONE) {
        bool busy = false;
        if (cpu_runner) {
            busy = cpu_runner(cpu_runner_opaque, timers_next_deadline_ns());
        }
        mainloop_wait(busy ? 0 : -1);
    }
    return atomic_load(&shutdown_status);
}

void system_request_shutdown(ShutdownCause cause, int status)
{
    int expected = SHUTDOWN_NONE;
    if (atomic_compare_exchange_strong(&shutdown_cause, &expected, (int)cause)) {
        atomic_store(&shutdown_status, status);
    }
    if (system_vcpus_stop_hook) {
        system_vcpus_stop_hook();
    }
    mainloop_notify();
}

void system_request_reset(void)
{
    atomic_store(&reset_requested, true);
    if (system_vcpus_stop_hook) {
        system_vcpus_stop_hook();
    }
    mainloop_notify();
}

bool system_shutdown_requested(void)
{
    return atomic_load(&shutdown_cause) != SHUTDOWN_NONE;
}

ShutdownCause system_shutdown_cause(void)
{
    return (ShutdownCause)atomic_load(&shutdown_cause);
}
