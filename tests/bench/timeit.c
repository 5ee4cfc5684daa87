/*
 * timeit: times one run of a command for tests/bench/bench.sh, without the few
 * milliseconds of fork/exec noise that timing with date(1) around it adds.
 *
 *   timeit [-t SECONDS] [-m MARKER] CMD [ARG...]
 *
 * Runs CMD, waits for it (sending SIGTERM after SECONDS, default 60, and SIGKILL 5 s
 * later) and prints to stderr one line "timeit: TOTAL_NS STATUS MARKER_NS": the time from
 * just before fork to the reaped exit, the exit status (128+N for signal N, 124 on
 * timeout), and with -m the time until MARKER first appeared on CMD's stdout (-1 if
 * never). With -m, CMD's stdout goes through a pipe and is copied to ours.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

static long long timeit_now_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return ts.tv_sec * 1000000000LL + ts.tv_nsec;
}

static void timeit_on_child(int sig)
{
    (void)sig;
}

/* Milliseconds left until the deadline (0 when past it). */
static int timeit_ms_left(long long deadline)
{
    long long left = deadline - timeit_now_ns();
    return left > 0 ? (int)((left + 999999) / 1000000) : 0;
}

/* Waits for the child until the deadline; returns true when it was reaped. */
static int timeit_wait(pid_t pid, long long deadline, int *status)
{
    sigset_t chld;
    sigemptyset(&chld);
    sigaddset(&chld, SIGCHLD);
    for (;;) {
        pid_t r = waitpid(pid, status, WNOHANG);
        if (r == pid) {
            return 1;
        }
        if (r < 0 && errno != EINTR) {
            return 1;
        }
        int ms = timeit_ms_left(deadline);
        if (ms == 0) {
            return 0;
        }
        struct timespec ts = { ms / 1000, (ms % 1000) * 1000000L };
        sigtimedwait(&chld, NULL, &ts);
    }
}

/* Copies the child's stdout to ours, noting when the marker first shows up. */
static void timeit_watch(int fd, const char *marker, long long deadline,
                         long long start, long long *marker_ns)
{
    size_t mlen = strlen(marker);
    char buf[65536];
    size_t keep = 0;                    /* bytes of the previous chunk kept in buf */
    for (;;) {
        struct pollfd p = { .fd = fd, .events = POLLIN };
        int ms = timeit_ms_left(deadline);
        if (ms == 0 || poll(&p, 1, ms) == 0) {
            return;
        }
        ssize_t n = read(fd, buf + keep, sizeof(buf) - keep);
        if (n < 0 && errno == EINTR) {
            continue;
        }
        if (n <= 0) {
            return;
        }
        long long t = timeit_now_ns();
        if (fwrite(buf + keep, 1, (size_t)n, stdout) != (size_t)n) {
            /* stdout gone: keep draining so the child does not block */
        }
        size_t have = keep + (size_t)n;
        if (*marker_ns < 0 && memmem(buf, have, marker, mlen)) {
            *marker_ns = t - start;
        }
        keep = mlen - 1 < have ? mlen - 1 : have;
        memmove(buf, buf + have - keep, keep);
    }
}

int main(int argc, char **argv)
{
    double limit = 60;
    const char *marker = NULL;
    int opt;
    while ((opt = getopt(argc, argv, "+t:m:")) != -1) {
        if (opt == 't') {
            limit = atof(optarg);
        } else if (opt == 'm' && optarg[0]) {
            marker = optarg;
        } else {
            fprintf(stderr, "usage: timeit [-t SECONDS] [-m MARKER] CMD [ARG...]\n");
            return 2;
        }
    }
    if (optind >= argc) {
        fprintf(stderr, "usage: timeit [-t SECONDS] [-m MARKER] CMD [ARG...]\n");
        return 2;
    }

    struct sigaction sa;
    memset(&sa, 0, sizeof(sa));
    sa.sa_handler = timeit_on_child;
    sigaction(SIGCHLD, &sa, NULL);
    sigset_t chld, old;
    sigemptyset(&chld);
    sigaddset(&chld, SIGCHLD);
    sigprocmask(SIG_BLOCK, &chld, &old);

    int pipefd[2] = { -1, -1 };
    if (marker && pipe(pipefd) < 0) {
        perror("timeit: pipe");
        return 2;
    }
    fflush(stdout);
    long long start = timeit_now_ns();
    long long deadline = start + (long long)(limit * 1e9);
    pid_t pid = fork();
    if (pid < 0) {
        perror("timeit: fork");
        return 2;
    }
    if (pid == 0) {
        sigprocmask(SIG_SETMASK, &old, NULL);
        if (marker) {
            dup2(pipefd[1], STDOUT_FILENO);
            close(pipefd[0]);
            close(pipefd[1]);
        }
        execvp(argv[optind], argv + optind);
        fprintf(stderr, "timeit: %s: %s\n", argv[optind], strerror(errno));
        _exit(127);
    }

    long long marker_ns = -1;
    if (marker) {
        close(pipefd[1]);
        timeit_watch(pipefd[0], marker, deadline, start, &marker_ns);
    }
    int status = 0, timed_out = 0;
    if (!timeit_wait(pid, deadline, &status)) {
        timed_out = 1;
        kill(pid, SIGTERM);
        if (!timeit_wait(pid, timeit_now_ns() + 5000000000LL, &status)) {
            kill(pid, SIGKILL);
            waitpid(pid, &status, 0);
        }
    }
    long long total = timeit_now_ns() - start;
    if (marker) {
        close(pipefd[0]);
    }
    fflush(stdout);
    int code = timed_out ? 124
             : WIFEXITED(status) ? WEXITSTATUS(status)
             : WIFSIGNALED(status) ? 128 + WTERMSIG(status) : 1;
    fprintf(stderr, "timeit: %lld %d %lld\n", total, code, marker_ns);
    return code;
}
