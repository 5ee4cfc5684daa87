/* Unit tests for the character back-ends: spec and -chardev parsing, files, the test
 * buffer, input flow control, stdio over pipes and a pseudo-terminal (raw mode, the
 * Ctrl-A escapes, EOF, full and broken output pipes) and pty back-ends. */
#include "system/chardev.h"
#include "system/mainloop.h"

#include <check.h>
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <termios.h>
#include <time.h>
#include <unistd.h>

/* ---- helpers ---- */

typedef struct Sink {
    uint8_t data[65536];
    size_t len;
    int room;                    /* what can_receive reports */
} Sink;

static int sink_can_receive(void *opaque)
{
    return ((Sink *)opaque)->room;
}

static void sink_receive(void *opaque, const uint8_t *buf, size_t len)
{
    Sink *s = opaque;
    ck_assert_int_ge(s->room, (int)len);     /* never more than was offered */
    ck_assert_uint_le(s->len + len, sizeof(s->data));
    memcpy(s->data + s->len, buf, len);
    s->len += len;
    s->room -= (int)len;
}

static Sink *sink_new(int room)
{
    Sink *s = calloc(1, sizeof(*s));
    s->room = room;
    return s;
}

/* One main-loop iteration, as the main thread runs it (with the device lock). */
static void pump(int64_t timeout_ns)
{
    devlock_lock();
    mainloop_wait(timeout_ns);
    devlock_unlock();
}

static int64_t now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* Several idle iterations take about their timeouts when nothing is polled busily. */
static int64_t idle_time_ms(int rounds, int64_t each_ms)
{
    int64_t t0 = now_ms();
    for (int i = 0; i < rounds; i++) {
        pump(each_ms * 1000000);
    }
    return now_ms() - t0;
}

static char tmpdir[64];

static void setup(void)
{
    mainloop_init();
    snprintf(tmpdir, sizeof(tmpdir), "/tmp/ember-chardev-XXXXXX");
    ck_assert_ptr_nonnull(mkdtemp(tmpdir));
}

static void teardown(void)
{
    char cmd[128];
    snprintf(cmd, sizeof(cmd), "rm -rf '%s'", tmpdir);
    ck_assert_int_eq(system(cmd), 0);
}

static char *read_file(const char *path, size_t *len)
{
    FILE *f = fopen(path, "rb");
    ck_assert_ptr_nonnull(f);
    char *buf = calloc(1, 65536);
    *len = fread(buf, 1, 65535, f);
    fclose(f);
    return buf;
}

/* Redirect stdin/stdout/stderr of this (forked) test process, restorable. */
typedef struct Redirect {
    int saved[3];
} Redirect;

static void redirect(Redirect *r, int in, int out, int err)
{
    int fds[3] = { in, out, err };
    for (int i = 0; i < 3; i++) {
        r->saved[i] = -1;
        if (fds[i] >= 0) {
            r->saved[i] = dup(i);
            ck_assert_int_ge(dup2(fds[i], i), 0);
        }
    }
}

static void restore(Redirect *r)
{
    for (int i = 0; i < 3; i++) {
        if (r->saved[i] >= 0) {
            dup2(r->saved[i], i);
            close(r->saved[i]);
        }
    }
}

static size_t read_available(int fd, char *buf, size_t cap, int timeout_ms)
{
    size_t got = 0;
    while (got < cap) {
        struct pollfd p = { .fd = fd, .events = POLLIN };
        if (poll(&p, 1, timeout_ms) <= 0) {
            break;
        }
        ssize_t r = read(fd, buf + got, cap - got);
        if (r <= 0) {
            break;
        }
        got += (size_t)r;
    }
    return got;
}

/* ---- spec parsing ---- */

START_TEST(test_spec_none_null_and_unknown)
{
    Error *err = NULL;
    ck_assert_ptr_null(chardev_new("none", "serial0", &err));
    ck_assert_ptr_null(err);                  /* "none" is not an error */

    Chardev *n = chardev_new("null", "serial0", &err);
    ck_assert_ptr_nonnull(n);
    ck_assert_ptr_null(err);
    ck_assert_uint_eq(chardev_write(n, (const uint8_t *)"abc", 3), 3);
    ck_assert_str_eq(chardev_get_id(n), "serial0");
    ck_assert_ptr_null(chardev_find("serial0"));   /* -serial back-ends are not named */
    chardev_free(n);

    static const char *const bad[] = { "tcp:localhost:4444", "vc", "bogus", "pty:x", "" };
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        err = NULL;
        ck_assert_ptr_null(chardev_new(bad[i], NULL, &err));
        ck_assert_msg(err != NULL, "no error for '%s'", bad[i]);
        ck_assert_ptr_null(strchr(err->msg, '\n'));
        error_free(err);
    }
    err = NULL;
    chardev_new("tcp:localhost:4444", NULL, &err);
    ck_assert_str_eq(err->msg, "unknown chardev backend 'tcp' (try stdio, file:PATH, pty, "
                     "null or none)");
    error_free(err);
}
END_TEST

START_TEST(test_file_backend_truncates)
{
    char path[128];
    snprintf(path, sizeof(path), "%s/serial.log", tmpdir);
    FILE *f = fopen(path, "w");
    fputs("old contents that must go away", f);
    fclose(f);

    char *spec = xasprintf("file:%s", path);
    Error *err = NULL;
    Chardev *chr = chardev_new(spec, "serial0", &err);
    ck_assert_ptr_nonnull(chr);
    ck_assert_uint_eq(chardev_write(chr, (const uint8_t *)"boot\n", 5), 5);
    ck_assert_uint_eq(chardev_write(chr, (const uint8_t *)"ok\n", 3), 3);
    /* a file gives no input: injected bytes have nowhere to come from, no crash */
    chardev_free(chr);
    size_t len;
    char *got = read_file(path, &len);
    ck_assert_uint_eq(len, 8);
    ck_assert_mem_eq(got, "boot\nok\n", 8);
    free(got);
    free(spec);

    /* an unopenable path is named in the error */
    char bad[160];
    snprintf(bad, sizeof(bad), "file:%s/no/such/dir/x.log", tmpdir);
    ck_assert_ptr_null(chardev_new(bad, NULL, &err));
    ck_assert_ptr_nonnull(err);
    ck_assert_ptr_nonnull(strstr(err->msg, bad + 5));
    error_free(err);
    err = NULL;
    ck_assert_ptr_null(chardev_new("file:", NULL, &err));
    ck_assert_ptr_nonnull(err);
    error_free(err);
}
END_TEST

/* ---- -chardev ---- */

START_TEST(test_chardev_options)
{
    char path[128];
    snprintf(path, sizeof(path), "%s/a,b.log", tmpdir);   /* a comma, written ",," */
    char opt[256];
    snprintf(opt, sizeof(opt), "file,id=log0,path=%s/a,,b.log", tmpdir);
    Error *err = NULL;
    Chardev *chr = chardev_new_from_options(opt, &err);
    ck_assert_msg(chr != NULL, "%s", err ? err->msg : "");
    ck_assert_ptr_eq(chardev_find("log0"), chr);
    ck_assert_str_eq(chardev_get_id(chr), "log0");
    chardev_write(chr, (const uint8_t *)"xyz", 3);

    /* a second chardev with the same id is refused */
    ck_assert_ptr_null(chardev_new_from_options("null,id=log0", &err));
    ck_assert_ptr_nonnull(strstr(err->msg, "log0"));
    error_free(err);
    err = NULL;

    Chardev *n = chardev_new_from_options("null,id=n1", &err);
    ck_assert_ptr_nonnull(n);
    ck_assert_ptr_eq(chardev_find("n1"), n);
    ck_assert_ptr_eq(chardev_find("log0"), chr);
    chardev_free(chr);
    ck_assert_ptr_null(chardev_find("log0"));
    ck_assert_ptr_eq(chardev_find("n1"), n);
    chardev_free(n);
    ck_assert_ptr_null(chardev_find("n1"));
    ck_assert_ptr_null(chardev_find(NULL));

    size_t len;
    char *got = read_file(path, &len);
    ck_assert_uint_eq(len, 3);
    ck_assert_mem_eq(got, "xyz", 3);
    free(got);

    /* append=on keeps what was there */
    snprintf(opt, sizeof(opt), "file,path=%s/a,,b.log,id=again,append=on", tmpdir);
    chr = chardev_new_from_options(opt, &err);
    ck_assert_ptr_nonnull(chr);
    chardev_write(chr, (const uint8_t *)"123", 3);
    chardev_free(chr);
    got = read_file(path, &len);
    ck_assert_uint_eq(len, 6);
    ck_assert_mem_eq(got, "xyz123", 6);
    free(got);
}
END_TEST

START_TEST(test_chardev_option_errors)
{
    static const struct { const char *opt, *expect; } cases[] = {
        { "null", "needs an id" },
        { "null,id=", "needs an id" },
        { "socket,id=s", "unknown chardev backend 'socket'" },
        { "", "needs a backend" },
        { "file,id=f", "needs a path" },
        { "null,id=x,path=/tmp/y", "unknown option 'path'" },
        { "null,id=x,speed=9600", "unknown option 'speed'" },
        { "null,id=x,oops", "key=value" },
        { "file,id=f,path=/tmp/z,append=maybe", "on or off" },
    };
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        Error *err = NULL;
        ck_assert_ptr_null(chardev_new_from_options(cases[i].opt, &err));
        ck_assert_msg(err && strstr(err->msg, cases[i].expect),
                      "'%s' gave '%s', wanted '%s'", cases[i].opt, err ? err->msg : "(none)",
                      cases[i].expect);
        ck_assert_ptr_null(strchr(err->msg, '\n'));
        error_free(err);
    }
    ck_assert_ptr_null(chardev_find("x"));
    ck_assert_ptr_null(chardev_find("f"));
}
END_TEST

/* ---- buffer chardev and input flow control ---- */

START_TEST(test_buffer_capture)
{
    Chardev *b = chardev_new_buffer("cap");
    ck_assert_ptr_eq(chardev_find("cap"), b);
    size_t len = 99;
    const char *s = chardev_buffer_contents(b, &len);
    ck_assert_uint_eq(len, 0);
    ck_assert_str_eq(s, "");
    chardev_write(b, (const uint8_t *)"hello ", 6);
    chardev_write(b, (const uint8_t *)"world", 5);
    s = chardev_buffer_contents(b, &len);
    ck_assert_uint_eq(len, 11);
    ck_assert_str_eq(s, "hello world");
    chardev_buffer_clear(b);
    chardev_buffer_contents(b, &len);
    ck_assert_uint_eq(len, 0);
    /* large writes grow the buffer */
    static uint8_t big[100000];
    for (size_t i = 0; i < sizeof(big); i++) {
        big[i] = (uint8_t)(i * 7);
    }
    ck_assert_uint_eq(chardev_write(b, big, sizeof(big)), sizeof(big));
    s = chardev_buffer_contents(b, &len);
    ck_assert_uint_eq(len, sizeof(big));
    ck_assert_mem_eq(s, big, sizeof(big));
    /* not a buffer: no contents */
    Error *err = NULL;
    Chardev *n = chardev_new("null", NULL, &err);
    ck_assert_ptr_null(chardev_buffer_contents(n, &len));
    ck_assert_uint_eq(len, 0);
    chardev_free(n);
    chardev_free(b);
    ck_assert_ptr_null(chardev_find("cap"));
}
END_TEST

START_TEST(test_input_flow_control)
{
    Chardev *b = chardev_new_buffer(NULL);
    Sink *s = sink_new(3);
    chardev_set_handlers(b, sink_can_receive, sink_receive, s);
    ck_assert(chardev_has_frontend(b));
    chardev_inject_input(b, (const uint8_t *)"0123456789", 10);
    ck_assert_uint_eq(s->len, 3);            /* only what can_receive allowed */
    ck_assert_mem_eq(s->data, "012", 3);
    chardev_accept_input(b);                 /* still no room: nothing moves */
    ck_assert_uint_eq(s->len, 3);
    s->room = 4;
    chardev_accept_input(b);
    ck_assert_uint_eq(s->len, 7);
    s->room = 100;
    chardev_accept_input(b);
    ck_assert_uint_eq(s->len, 10);
    ck_assert_mem_eq(s->data, "0123456789", 10);

    /* the waiting buffer is bounded */
    s->len = 0;
    s->room = 0;
    static uint8_t flood[CHARDEV_INPUT_BUFFER + 500];
    for (size_t i = 0; i < sizeof(flood); i++) {
        flood[i] = (uint8_t)i;
    }
    chardev_inject_input(b, flood, sizeof(flood));
    s->room = 100000;
    chardev_accept_input(b);
    ck_assert_uint_eq(s->len, CHARDEV_INPUT_BUFFER);
    ck_assert_mem_eq(s->data, flood, CHARDEV_INPUT_BUFFER);

    /* detached: input has nowhere to go and is dropped */
    chardev_set_handlers(b, NULL, NULL, NULL);
    ck_assert(!chardev_has_frontend(b));
    chardev_inject_input(b, (const uint8_t *)"lost", 4);
    s->len = 0;
    chardev_set_handlers(b, sink_can_receive, sink_receive, s);
    ck_assert_uint_eq(s->len, 0);
    chardev_inject_input(b, (const uint8_t *)"kept", 4);
    ck_assert_uint_eq(s->len, 4);
    ck_assert_mem_eq(s->data, "kept", 4);
    chardev_free(b);
    free(s);
}
END_TEST

/* A frontend that takes more from inside its own callback path. */
static Chardev *reentrant_chr;
static void reentrant_receive(void *opaque, const uint8_t *buf, size_t len)
{
    sink_receive(opaque, buf, len);
    ((Sink *)opaque)->room = 1;
    chardev_accept_input(reentrant_chr);
}

START_TEST(test_accept_input_from_receive_callback)
{
    reentrant_chr = chardev_new_buffer(NULL);
    Sink *s = sink_new(1);
    chardev_set_handlers(reentrant_chr, sink_can_receive, reentrant_receive, s);
    chardev_inject_input(reentrant_chr, (const uint8_t *)"abcdef", 6);
    ck_assert_uint_eq(s->len, 6);
    ck_assert_mem_eq(s->data, "abcdef", 6);
    chardev_free(reentrant_chr);
    free(s);
}
END_TEST

/* ---- stdio over pipes ---- */

START_TEST(test_stdio_pipes_io_and_eof)
{
    int in[2], out[2];
    ck_assert_int_eq(pipe(in), 0);
    ck_assert_int_eq(pipe(out), 0);
    Redirect r;
    redirect(&r, in[0], out[1], -1);

    Error *err = NULL;
    Chardev *chr = chardev_new("stdio", "serial0", &err);
    ck_assert_msg(chr != NULL, "%s", err ? err->msg : "");
    /* only one stdio */
    ck_assert_ptr_null(chardev_new("stdio", "serial1", &err));
    ck_assert_str_eq(err->msg, "stdio is already in use");
    error_free(err);
    err = NULL;
    ck_assert_ptr_null(chardev_new_from_options("stdio,id=again", &err));
    ck_assert_ptr_nonnull(strstr(err->msg, "stdio is already in use"));
    error_free(err);

    Sink *s = sink_new(1000);
    chardev_set_handlers(chr, sink_can_receive, sink_receive, s);
    ck_assert_int_eq(write(in[1], "ls\r", 3), 3);
    for (int i = 0; i < 20 && s->len < 3; i++) {
        pump(50000000);
    }
    ck_assert_uint_eq(s->len, 3);
    ck_assert_mem_eq(s->data, "ls\r", 3);

    ck_assert_uint_eq(chardev_write(chr, (const uint8_t *)"login: ", 7), 7);
    char got[32];
    ck_assert_uint_eq(read_available(out[0], got, 7, 1000), 7);
    ck_assert_mem_eq(got, "login: ", 7);

    /* EOF on stdin: stop watching it, so idle iterations really wait */
    close(in[1]);
    pump(50000000);
    ck_assert_int_ge(idle_time_ms(5, 20), 80);
    ck_assert_uint_eq(s->len, 3);

    chardev_free(chr);
    restore(&r);
    close(in[0]);
    close(out[0]);
    close(out[1]);
    free(s);

    /* freed: stdio may be used again */
    chr = chardev_new("stdio", NULL, &err);
    ck_assert_ptr_nonnull(chr);
    chardev_free(chr);
}
END_TEST

START_TEST(test_stdio_no_frontend_discards)
{
    int in[2];
    ck_assert_int_eq(pipe(in), 0);
    Redirect r;
    redirect(&r, in[0], -1, -1);
    Error *err = NULL;
    Chardev *chr = chardev_new("stdio", NULL, &err);
    ck_assert_ptr_nonnull(chr);
    /* nobody listens: stdin is drained anyway (escapes keep working) */
    static char junk[CHARDEV_INPUT_BUFFER * 2];
    memset(junk, 'j', sizeof(junk));
    ck_assert_int_eq(write(in[1], junk, sizeof(junk)), (int)sizeof(junk));
    for (int i = 0; i < 100; i++) {
        pump(0);
    }
    struct pollfd p = { .fd = in[0], .events = POLLIN };
    ck_assert_int_eq(poll(&p, 1, 0), 0);      /* all read */
    Sink *s = sink_new(100);
    chardev_set_handlers(chr, sink_can_receive, sink_receive, s);
    ck_assert_uint_eq(s->len, 0);             /* and none of it was kept */
    chardev_free(chr);
    restore(&r);
    close(in[0]);
    close(in[1]);
    free(s);
}
END_TEST

typedef struct SlowReader {
    int fd;
    size_t want;
    uint8_t *buf;
    size_t got;
} SlowReader;

static void *slow_reader(void *opaque)
{
    SlowReader *sr = opaque;
    while (sr->got < sr->want) {
        usleep(1000);
        ssize_t r = read(sr->fd, sr->buf + sr->got, 512);
        if (r <= 0) {
            break;
        }
        sr->got += (size_t)r;
    }
    return NULL;
}

START_TEST(test_stdio_full_pipe_loses_nothing)
{
    int out[2];
    ck_assert_int_eq(pipe(out), 0);
    fcntl(out[1], F_SETPIPE_SZ, 4096);
    fcntl(out[1], F_SETFL, fcntl(out[1], F_GETFL) | O_NONBLOCK);   /* EAGAIN when full */
    int devnull = open("/dev/null", O_RDONLY);
    Redirect r;
    redirect(&r, devnull, out[1], -1);
    Error *err = NULL;
    Chardev *chr = chardev_new("stdio", NULL, &err);
    ck_assert_ptr_nonnull(chr);

    static uint8_t data[65536];
    for (size_t i = 0; i < sizeof(data); i++) {
        data[i] = (uint8_t)(i * 13 + 1);
    }
    SlowReader sr = { .fd = out[0], .want = sizeof(data), .buf = calloc(1, sizeof(data)) };
    pthread_t t;
    pthread_create(&t, NULL, slow_reader, &sr);
    ck_assert_uint_eq(chardev_write(chr, data, sizeof(data)), sizeof(data));
    pthread_join(t, NULL);
    ck_assert_uint_eq(sr.got, sizeof(data));
    ck_assert_mem_eq(sr.buf, data, sizeof(data));

    chardev_free(chr);
    restore(&r);
    close(devnull);
    close(out[0]);
    close(out[1]);
    free(sr.buf);
}
END_TEST

START_TEST(test_stdio_broken_pipe_survives)
{
    int out[2], errp[2];
    ck_assert_int_eq(pipe(out), 0);
    ck_assert_int_eq(pipe(errp), 0);
    int devnull = open("/dev/null", O_RDONLY);
    Redirect r;
    redirect(&r, devnull, out[1], errp[1]);
    Error *err = NULL;
    Chardev *chr = chardev_new("stdio", NULL, &err);
    ck_assert_ptr_nonnull(chr);
    close(out[0]);                            /* the reader goes away */
    ck_assert_uint_eq(chardev_write(chr, (const uint8_t *)"lost", 4), 0);
    ck_assert_uint_eq(chardev_write(chr, (const uint8_t *)"more", 4), 0);
    chardev_free(chr);
    restore(&r);
    /* still alive (no SIGPIPE death), and said so once */
    char msg[256] = { 0 };
    read_available(errp[0], msg, sizeof(msg) - 1, 100);
    ck_assert_ptr_nonnull(strstr(msg, "output dropped"));
    ck_assert_ptr_null(strstr(strstr(msg, "output dropped") + 1, "output dropped"));
    close(devnull);
    close(out[1]);
    close(errp[0]);
    close(errp[1]);
}
END_TEST

START_TEST(test_stdio_escapes)
{
    int in[2], errp[2];
    ck_assert_int_eq(pipe(in), 0);
    ck_assert_int_eq(pipe(errp), 0);
    Redirect r;
    redirect(&r, in[0], -1, errp[1]);
    Error *err = NULL;
    Chardev *chr = chardev_new("stdio", NULL, &err);
    ck_assert_ptr_nonnull(chr);
    Sink *s = sink_new(1000);
    chardev_set_handlers(chr, sink_can_receive, sink_receive, s);

    /* Ctrl-A Ctrl-A sends one Ctrl-A; h prints help; c mentions the monitor;
     * unknown commands are swallowed; all without quitting */
    const char seq1[] = "a\x01\x01" "b\x01h\x01" "c\x01q" "d";
    ck_assert_int_eq(write(in[1], seq1, sizeof(seq1) - 1), (int)sizeof(seq1) - 1);
    for (int i = 0; i < 20 && s->len < 4; i++) {
        pump(50000000);
    }
    ck_assert_uint_eq(s->len, 4);
    ck_assert_mem_eq(s->data, "a\x01" "bd", 4);
    ck_assert(!system_shutdown_requested());
    char msg[1024] = { 0 };
    read_available(errp[0], msg, sizeof(msg) - 1, 100);
    ck_assert_ptr_nonnull(strstr(msg, "C-a x"));
    ck_assert_ptr_nonnull(strstr(msg, "monitor"));

    /* an escape split across reads still works; then Ctrl-A x quits */
    ck_assert_int_eq(write(in[1], "\x01", 1), 1);
    pump(50000000);
    ck_assert_int_eq(write(in[1], "x", 1), 1);
    for (int i = 0; i < 20 && !system_shutdown_requested(); i++) {
        pump(50000000);
    }
    ck_assert(system_shutdown_requested());
    ck_assert_int_eq(system_shutdown_cause(), SHUTDOWN_HOST_QUIT);
    ck_assert_uint_eq(s->len, 4);
    memset(msg, 0, sizeof(msg));
    read_available(errp[0], msg, sizeof(msg) - 1, 100);
    ck_assert_ptr_nonnull(strstr(msg, "ember: terminated by the user"));
    ck_assert_int_eq(msg[0], '\r');           /* starts on a fresh line */

    chardev_free(chr);
    restore(&r);
    close(in[0]);
    close(in[1]);
    close(errp[0]);
    close(errp[1]);
    free(s);
}
END_TEST

/* ---- stdio on a terminal ---- */

static int open_pty_pair(int *slave)
{
    int master = posix_openpt(O_RDWR | O_NOCTTY);
    ck_assert_int_ge(master, 0);
    ck_assert_int_eq(grantpt(master), 0);
    ck_assert_int_eq(unlockpt(master), 0);
    *slave = open(ptsname(master), O_RDWR | O_NOCTTY);
    ck_assert_int_ge(*slave, 0);
    return master;
}

START_TEST(test_stdio_terminal_raw_and_restored)
{
    int slave;
    int master = open_pty_pair(&slave);
    struct termios before;
    ck_assert_int_eq(tcgetattr(slave, &before), 0);
    ck_assert(before.c_lflag & ICANON);       /* a fresh terminal is cooked */
    Redirect r;
    redirect(&r, slave, -1, -1);

    Error *err = NULL;
    Chardev *chr = chardev_new("stdio", NULL, &err);
    ck_assert_ptr_nonnull(chr);
    struct termios raw;
    tcgetattr(slave, &raw);
    ck_assert(!(raw.c_lflag & (ICANON | ECHO | ISIG)));
    ck_assert(!(raw.c_iflag & (ICRNL | IXON)));
    ck_assert(raw.c_oflag & OPOST);

    /* keystrokes arrive one by one, not a line at a time */
    Sink *s = sink_new(100);
    chardev_set_handlers(chr, sink_can_receive, sink_receive, s);
    ck_assert_int_eq(write(master, "q", 1), 1);
    for (int i = 0; i < 20 && s->len < 1; i++) {
        pump(50000000);
    }
    ck_assert_uint_eq(s->len, 1);
    ck_assert_int_eq(s->data[0], 'q');

    chardev_restore_terminals();
    chardev_restore_terminals();              /* safe twice */
    struct termios after;
    tcgetattr(slave, &after);
    ck_assert(after.c_lflag & ICANON);
    ck_assert(after.c_lflag & ECHO);
    chardev_free(chr);
    restore(&r);

    /* -chardev stdio,signal=on keeps Ctrl-C a signal */
    redirect(&r, slave, -1, -1);
    chr = chardev_new_from_options("stdio,id=con,signal=on", &err);
    ck_assert_ptr_nonnull(chr);
    tcgetattr(slave, &raw);
    ck_assert(raw.c_lflag & ISIG);
    ck_assert(!(raw.c_lflag & ICANON));
    chardev_free(chr);
    tcgetattr(slave, &after);
    ck_assert(after.c_lflag & ICANON);       /* freeing restores too */
    restore(&r);
    close(master);
    close(slave);
    free(s);
}
END_TEST

/* ---- pty ---- */

START_TEST(test_pty_backend)
{
    int errp[2];
    ck_assert_int_eq(pipe(errp), 0);
    Redirect r;
    redirect(&r, -1, -1, errp[1]);
    Error *err = NULL;
    Chardev *chr = chardev_new("pty", "serial0", &err);
    restore(&r);
    ck_assert_msg(chr != NULL, "%s", err ? err->msg : "");
    const char *path = chardev_pty_path(chr);
    ck_assert_ptr_nonnull(path);
    ck_assert_int_eq(strncmp(path, "/dev/pts/", 9), 0);
    char msg[256] = { 0 };
    read_available(errp[0], msg, sizeof(msg) - 1, 100);
    char *expect = xasprintf("ember: char device redirected to %s (label serial0)\n", path);
    ck_assert_str_eq(msg, expect);
    free(expect);

    int slave = open(path, O_RDWR | O_NOCTTY);
    ck_assert_int_ge(slave, 0);
    struct termios t;
    tcgetattr(slave, &t);
    ck_assert(!(t.c_lflag & (ICANON | ECHO)));
    ck_assert(!(t.c_oflag & OPOST));

    Sink *s = sink_new(100);
    chardev_set_handlers(chr, sink_can_receive, sink_receive, s);
    ck_assert_int_eq(write(slave, "root\n", 5), 5);
    for (int i = 0; i < 20 && s->len < 5; i++) {
        pump(50000000);
    }
    ck_assert_uint_eq(s->len, 5);
    ck_assert_mem_eq(s->data, "root\n", 5);   /* raw: no \r added */

    ck_assert_uint_eq(chardev_write(chr, (const uint8_t *)"a\rb\n", 4), 4);
    char got[16];
    ck_assert_uint_eq(read_available(slave, got, 4, 1000), 4);
    ck_assert_mem_eq(got, "a\rb\n", 4);
    pump(20000000);
    ck_assert_uint_eq(s->len, 5);             /* no echo came back */

    /* nobody reading the slave: output is dropped, never blocks */
    close(slave);
    static uint8_t big[1 << 20];
    memset(big, 'z', sizeof(big));
    int64_t t0 = now_ms();
    size_t n = chardev_write(chr, big, sizeof(big));
    ck_assert_uint_lt(n, sizeof(big));
    ck_assert_int_lt(now_ms() - t0, 2000);
    chardev_free(chr);
    close(errp[0]);
    close(errp[1]);
    free(s);
}
END_TEST

START_TEST(test_pty_input_flow_control)
{
    int errp[2];
    ck_assert_int_eq(pipe(errp), 0);
    Redirect r;
    redirect(&r, -1, -1, errp[1]);
    Error *err = NULL;
    Chardev *chr = chardev_new("pty", NULL, &err);
    restore(&r);
    ck_assert_ptr_nonnull(chr);
    int slave = open(chardev_pty_path(chr), O_RDWR | O_NOCTTY | O_NONBLOCK);
    ck_assert_int_ge(slave, 0);

    Sink *s = sink_new(0);                    /* a frontend with no room */
    chardev_set_handlers(chr, sink_can_receive, sink_receive, s);
    enum { TOTAL = CHARDEV_INPUT_BUFFER + 3000 };
    static uint8_t data[TOTAL];
    for (size_t i = 0; i < TOTAL; i++) {
        data[i] = (uint8_t)(i % 251);
    }
    size_t sent = 0;
    for (int i = 0; i < 400 && sent < TOTAL; i++) {
        ssize_t w = write(slave, data + sent, TOTAL - sent);
        if (w > 0) {
            sent += (size_t)w;
        }
        pump(1000000);
    }
    ck_assert_uint_eq(sent, TOTAL);
    for (int i = 0; i < 20; i++) {
        pump(1000000);
    }
    ck_assert_uint_eq(s->len, 0);
    /* the waiting buffer is full and data is still pending on the fd, yet the loop
     * does not spin: the fd is out of the poll set */
    ck_assert_int_ge(idle_time_ms(5, 20), 80);

    s->room = TOTAL;
    chardev_accept_input(chr);
    ck_assert_uint_eq(s->len, CHARDEV_INPUT_BUFFER);
    for (int i = 0; i < 100 && s->len < TOTAL; i++) {
        pump(10000000);
    }
    ck_assert_uint_eq(s->len, TOTAL);
    ck_assert_mem_eq(s->data, data, TOTAL);
    close(slave);
    chardev_free(chr);
    close(errp[0]);
    close(errp[1]);
    free(s);
}
END_TEST

static Suite *chardev_suite(void)
{
    Suite *s = suite_create("chardev");
    TCase *tc = tcase_create("backends");
    tcase_add_checked_fixture(tc, setup, teardown);
    tcase_set_timeout(tc, 30);
    tcase_add_test(tc, test_spec_none_null_and_unknown);
    tcase_add_test(tc, test_file_backend_truncates);
    tcase_add_test(tc, test_chardev_options);
    tcase_add_test(tc, test_chardev_option_errors);
    tcase_add_test(tc, test_buffer_capture);
    tcase_add_test(tc, test_input_flow_control);
    tcase_add_test(tc, test_accept_input_from_receive_callback);
    tcase_add_test(tc, test_stdio_pipes_io_and_eof);
    tcase_add_test(tc, test_stdio_no_frontend_discards);
    tcase_add_test(tc, test_stdio_full_pipe_loses_nothing);
    tcase_add_test(tc, test_stdio_broken_pipe_survives);
    tcase_add_test(tc, test_stdio_terminal_raw_and_restored);
    tcase_add_test(tc, test_pty_backend);
    tcase_add_test(tc, test_pty_input_flow_control);
    tcase_add_test(tc, test_stdio_escapes);   /* last: it requests a shutdown */
    suite_add_tcase(s, tc);
    return s;
}

int main(void)
{
    SRunner *sr = srunner_create(chardev_suite());
    srunner_run_all(sr, CK_NORMAL);
    int failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed != 0;
}
