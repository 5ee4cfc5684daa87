/*
 * Character back-ends: stdio (raw terminal with the Ctrl-A escapes), output files,
 * pseudo-terminals, a null sink and an in-memory buffer for tests. Input reaches the
 * frontend only as fast as its can_receive allows; the rest waits in a bounded buffer,
 * and the file descriptor is not polled while that buffer is full.
 */
#include "system/chardev.h"
#include "system/mainloop.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <termios.h>
#include <unistd.h>

#define CHARDEV_ESCAPE_CHAR 0x01            /* Ctrl-A */
#define CHARDEV_BUFFER_MAX (16u << 20)      /* cap of a test capture buffer */

typedef enum ChardevKind {
    CHARDEV_STDIO,
    CHARDEV_FILE,
    CHARDEV_PTY,
    CHARDEV_NULL,
    CHARDEV_BUFFER,
} ChardevKind;

struct Chardev {
    ChardevKind kind;
    char *id;                    /* registered name, or the label given to chardev_new */
    char *path;                  /* file path or pty slave name */
    int in_fd, out_fd;           /* -1: no input / no output */
    int pty_slave_fd;            /* kept open so the master never reports a hang-up */
    bool watching;               /* in_fd is in the main loop's poll set */
    bool input_done;             /* EOF or error on in_fd: never poll it again */
    bool output_broken;          /* reader gone: later output is dropped */
    bool escapes;                /* interpret Ctrl-A sequences (stdio) */
    bool escape_seen;            /* the previous input byte was Ctrl-A */
    bool delivering;             /* inside the frontend's receive callback */
    bool registered;             /* in the named list (chardev_find) */

    ChardevCanReceive can_receive;
    ChardevReceive receive;
    void *opaque;

    /* input waiting for the frontend (a ring) */
    uint8_t input[CHARDEV_INPUT_BUFFER];
    size_t input_start, input_len;

    /* CHARDEV_BUFFER: everything written, NUL-terminated */
    uint8_t *captured;
    size_t captured_len, captured_cap;

    Chardev *next;
};

/* What a back-end may be configured with (from a spec or -chardev options). */
typedef struct ChardevConfig {
    const char *path;
    bool append;
    bool signals;                /* stdio: keep Ctrl-C/Ctrl-Z as signals */
} ChardevConfig;

typedef struct ChardevBackend {
    const char *name;
    ChardevKind kind;
    bool (*open)(Chardev *chr, const ChardevConfig *cfg, Error **errp);
} ChardevBackend;

static Chardev *chardev_named_list;
static Chardev *chardev_stdio_owner;

static struct termios chardev_stdin_saved;
static volatile sig_atomic_t chardev_stdin_saved_valid;
static bool chardev_exit_hooks_installed;

/* ---- terminal restore ---- */

void chardev_restore_terminals(void)
{
    if (chardev_stdin_saved_valid) {
        tcsetattr(STDIN_FILENO, TCSANOW, &chardev_stdin_saved);
    }
}

/* Async-signal-safe: put the terminal back, then die of the same signal. */
static void chardev_fatal_signal(int sig)
{
    if (chardev_stdin_saved_valid) {
        tcsetattr(STDIN_FILENO, TCSANOW, &chardev_stdin_saved);
    }
    /* SA_RESETHAND restored the default action; it is delivered once we return. */
    raise(sig);
}

static void chardev_install_exit_hooks(void)
{
    static const int fatal_signals[] = { SIGINT, SIGTERM, SIGSEGV, SIGABRT };
    if (chardev_exit_hooks_installed) {
        return;
    }
    chardev_exit_hooks_installed = true;
    atexit(chardev_restore_terminals);
    for (size_t i = 0; i < sizeof(fatal_signals) / sizeof(fatal_signals[0]); i++) {
        struct sigaction old;
        if (sigaction(fatal_signals[i], NULL, &old) < 0 || old.sa_handler != SIG_DFL ||
            (old.sa_flags & SA_SIGINFO)) {
            continue;   /* someone else handles it (the program, a sanitizer) */
        }
        struct sigaction sa;
        memset(&sa, 0, sizeof(sa));
        sa.sa_handler = chardev_fatal_signal;
        sa.sa_flags = SA_RESETHAND;
        sigemptyset(&sa.sa_mask);
        sigaction(fatal_signals[i], &sa, NULL);
    }
}

static void chardev_ignore_sigpipe(void)
{
    struct sigaction old;
    if (sigaction(SIGPIPE, NULL, &old) == 0 && old.sa_handler == SIG_DFL &&
        !(old.sa_flags & SA_SIGINFO)) {
        signal(SIGPIPE, SIG_IGN);
    }
}

static void chardev_stdin_make_raw(bool keep_signals)
{
    struct termios t;
    if (tcgetattr(STDIN_FILENO, &t) < 0) {
        return;
    }
    if (!chardev_stdin_saved_valid) {
        chardev_stdin_saved = t;
        chardev_stdin_saved_valid = 1;
    }
    chardev_install_exit_hooks();
    t.c_iflag &= ~(tcflag_t)(IGNBRK | BRKINT | PARMRK | ISTRIP | INLCR | IGNCR | ICRNL | IXON);
    t.c_oflag |= OPOST;          /* our own messages still get their carriage returns */
    t.c_lflag &= ~(tcflag_t)(ECHO | ECHONL | ICANON | IEXTEN);
    if (!keep_signals) {
        t.c_lflag &= ~(tcflag_t)ISIG;
    }
    t.c_cflag &= ~(tcflag_t)(CSIZE | PARENB);
    t.c_cflag |= CS8;
    t.c_cc[VMIN] = 1;
    t.c_cc[VTIME] = 0;
    tcsetattr(STDIN_FILENO, TCSANOW, &t);
}

/* ---- input path ---- */

static void chardev_fd_readable(void *opaque, int revents);

static bool chardev_input_full(const Chardev *chr)
{
    return chr->input_len >= CHARDEV_INPUT_BUFFER;
}

/* Poll in_fd exactly when it may produce input we can store. */
static void chardev_update_watch(Chardev *chr)
{
    bool want = chr->in_fd >= 0 && !chr->input_done &&
                (!chr->receive || !chardev_input_full(chr));
    if (want == chr->watching) {
        return;
    }
    chr->watching = want;
    if (want) {
        mainloop_set_fd_handler(chr->in_fd, POLLIN, chardev_fd_readable, chr);
    } else {
        mainloop_remove_fd(chr->in_fd);
    }
    mainloop_notify();
}

/* Hand queued input to the frontend as far as it can take it. */
static void chardev_deliver(Chardev *chr)
{
    if (chr->delivering) {
        return;
    }
    uint8_t chunk[256];
    chr->delivering = true;
    while (chr->input_len && chr->receive) {
        int room = chr->can_receive ? chr->can_receive(chr->opaque) : (int)chr->input_len;
        if (room <= 0) {
            break;
        }
        size_t n = CHARDEV_INPUT_BUFFER - chr->input_start;   /* contiguous run */
        if (n > chr->input_len) {
            n = chr->input_len;
        }
        if (n > (size_t)room) {
            n = (size_t)room;
        }
        if (n > sizeof(chunk)) {
            n = sizeof(chunk);
        }
        /* copy out first: the frontend may queue or take more input from its callback */
        memcpy(chunk, &chr->input[chr->input_start], n);
        chr->input_start = (chr->input_start + n) % CHARDEV_INPUT_BUFFER;
        chr->input_len -= n;
        chr->receive(chr->opaque, chunk, n);
    }
    chr->delivering = false;
    chardev_update_watch(chr);
}

static void chardev_queue_byte(Chardev *chr, uint8_t c)
{
    if (!chr->receive || chardev_input_full(chr)) {
        return;   /* nobody listening (a disconnected line), or injected past the cap */
    }
    size_t end = (chr->input_start + chr->input_len) % CHARDEV_INPUT_BUFFER;
    chr->input[end] = c;
    chr->input_len++;
}

static void chardev_print_escape_help(void)
{
    static const char *const lines[] = {
        "C-a h    print this help",
        "C-a x    exit emulator",
        "C-a c    switch to the monitor (not available yet)",
        "C-a C-a  sends C-a",
    };
    fputs("\r\n", stderr);
    for (size_t i = 0; i < sizeof(lines) / sizeof(lines[0]); i++) {
        fprintf(stderr, "%s\r\n", lines[i]);
    }
    fflush(stderr);
}

/* The byte after Ctrl-A. */
static void chardev_escape_command(Chardev *chr, uint8_t c)
{
    switch (c) {
    case 'x':
    case 'X':
        fputs("\r\nember: terminated by the user\r\n", stderr);
        fflush(stderr);
        system_request_shutdown(SHUTDOWN_HOST_QUIT, 0);
        break;
    case 'h':
    case 'H':
    case '?':
        chardev_print_escape_help();
        break;
    case 'c':
    case 'C':
        fputs("\r\nember: the monitor is not available yet\r\n", stderr);
        fflush(stderr);
        break;
    case CHARDEV_ESCAPE_CHAR:
        chardev_queue_byte(chr, c);
        break;
    default:
        break;    /* unknown commands are swallowed */
    }
}

/* Bytes arriving from the back-end (or injected): escapes, then the queue. */
static void chardev_input_bytes(Chardev *chr, const uint8_t *buf, size_t len)
{
    for (size_t i = 0; i < len; i++) {
        uint8_t c = buf[i];
        if (chr->escapes && chr->escape_seen) {
            chr->escape_seen = false;
            chardev_escape_command(chr, c);
        } else if (chr->escapes && c == CHARDEV_ESCAPE_CHAR) {
            chr->escape_seen = true;
        } else {
            chardev_queue_byte(chr, c);
        }
    }
    chardev_deliver(chr);
}

static void chardev_fd_readable(void *opaque, int revents)
{
    Chardev *chr = opaque;
    uint8_t tmp[512];
    size_t want = sizeof(tmp);
    if (chr->receive) {
        /* escapes never expand input, so this much always fits in the queue */
        size_t room = CHARDEV_INPUT_BUFFER - chr->input_len;
        if (room < want) {
            want = room;
        }
    }
    if (want == 0) {
        chardev_update_watch(chr);
        return;
    }
    ssize_t r = read(chr->in_fd, tmp, want);
    if (r > 0) {
        chardev_input_bytes(chr, tmp, (size_t)r);
        return;
    }
    if (r < 0 && (errno == EINTR || errno == EAGAIN || errno == EWOULDBLOCK)) {
        return;
    }
    /* EOF (a pipe or file ran out, a terminal hung up) or a hard error: stop polling */
    chr->input_done = true;
    chardev_update_watch(chr);
}

/* ---- back-ends ---- */

static bool chardev_open_stdio(Chardev *chr, const ChardevConfig *cfg, Error **errp)
{
    if (chardev_stdio_owner) {
        error_setg(errp, "stdio is already in use");
        return false;
    }
    chr->out_fd = STDOUT_FILENO;
    chr->escapes = true;
    if (fcntl(STDIN_FILENO, F_GETFL) >= 0) {
        chr->in_fd = STDIN_FILENO;
        if (isatty(STDIN_FILENO)) {
            chardev_stdin_make_raw(cfg->signals);
        }
    }
    chardev_ignore_sigpipe();
    chardev_stdio_owner = chr;
    return true;
}

static bool chardev_open_file(Chardev *chr, const ChardevConfig *cfg, Error **errp)
{
    if (!cfg->path || !*cfg->path) {
        error_setg(errp, "chardev file needs a path (file:PATH or path=PATH)");
        return false;
    }
    int flags = O_WRONLY | O_CREAT | O_CLOEXEC | (cfg->append ? O_APPEND : O_TRUNC);
    int fd = open(cfg->path, flags, 0666);
    if (fd < 0) {
        error_setg(errp, "cannot open chardev file '%s': %s", cfg->path, strerror(errno));
        return false;
    }
    chr->out_fd = fd;
    chr->path = xstrdup(cfg->path);
    return true;
}

static bool chardev_open_pty(Chardev *chr, const ChardevConfig *cfg, Error **errp)
{
    (void)cfg;
    char name[128];
    int master = posix_openpt(O_RDWR | O_NOCTTY);
    if (master < 0) {
        error_setg(errp, "cannot create a pseudo-terminal: %s", strerror(errno));
        return false;
    }
    if (grantpt(master) < 0 || unlockpt(master) < 0 ||
        ptsname_r(master, name, sizeof(name)) != 0) {
        error_setg(errp, "cannot set up the pseudo-terminal: %s", strerror(errno));
        close(master);
        return false;
    }
    int slave = open(name, O_RDWR | O_NOCTTY | O_CLOEXEC);
    if (slave < 0) {
        error_setg(errp, "cannot open pseudo-terminal '%s': %s", name, strerror(errno));
        close(master);
        return false;
    }
    struct termios t;
    if (tcgetattr(slave, &t) == 0) {
        cfmakeraw(&t);
        tcsetattr(slave, TCSANOW, &t);
    }
    fcntl(master, F_SETFL, fcntl(master, F_GETFL) | O_NONBLOCK);
    fcntl(master, F_SETFD, FD_CLOEXEC);
    chr->in_fd = chr->out_fd = master;
    chr->pty_slave_fd = slave;
    chr->path = xstrdup(name);
    fprintf(stderr, "ember: char device redirected to %s (label %s)\n", name,
            chr->id ? chr->id : "pty");
    return true;
}

static bool chardev_open_null(Chardev *chr, const ChardevConfig *cfg, Error **errp)
{
    (void)chr;
    (void)cfg;
    (void)errp;
    return true;
}

static const ChardevBackend chardev_backends[] = {
    { "stdio", CHARDEV_STDIO, chardev_open_stdio },
    { "file", CHARDEV_FILE, chardev_open_file },
    { "pty", CHARDEV_PTY, chardev_open_pty },
    { "null", CHARDEV_NULL, chardev_open_null },
};

static const ChardevBackend *chardev_backend_find(const char *name, size_t len)
{
    for (size_t i = 0; i < sizeof(chardev_backends) / sizeof(chardev_backends[0]); i++) {
        if (strlen(chardev_backends[i].name) == len &&
            strncmp(chardev_backends[i].name, name, len) == 0) {
            return &chardev_backends[i];
        }
    }
    return NULL;
}

static Chardev *chardev_alloc(ChardevKind kind, const char *id)
{
    Chardev *chr = xzalloc(sizeof(*chr));
    chr->kind = kind;
    chr->id = id ? xstrdup(id) : NULL;
    chr->in_fd = chr->out_fd = chr->pty_slave_fd = -1;
    return chr;
}

static Chardev *chardev_open(const ChardevBackend *be, const char *id,
                             const ChardevConfig *cfg, Error **errp)
{
    Chardev *chr = chardev_alloc(be->kind, id);
    if (!be->open(chr, cfg, errp)) {
        free(chr->id);
        free(chr->path);
        free(chr);
        return NULL;
    }
    chardev_update_watch(chr);
    return chr;
}

Chardev *chardev_new(const char *spec, const char *id, Error **errp)
{
    if (!spec || !*spec) {
        error_setg(errp, "empty chardev spec (try stdio, file:PATH, pty, null or none)");
        return NULL;
    }
    if (strcmp(spec, "none") == 0) {
        return NULL;
    }
    if (strcmp(spec, "mon:stdio") == 0) {
        spec = "stdio";           /* -nographic's spelling; the monitor is not there yet */
    }
    const char *colon = strchr(spec, ':');
    size_t name_len = colon ? (size_t)(colon - spec) : strlen(spec);
    const ChardevBackend *be = chardev_backend_find(spec, name_len);
    if (!be) {
        error_setg(errp, "unknown chardev backend '%.*s' (try stdio, file:PATH, pty, null "
                   "or none)", (int)name_len, spec);
        return NULL;
    }
    ChardevConfig cfg = { 0 };
    if (be->kind == CHARDEV_FILE) {
        cfg.path = colon ? colon + 1 : NULL;
    } else if (colon) {
        error_setg(errp, "chardev backend '%s' takes no argument ('%s')", be->name, spec);
        return NULL;
    }
    return chardev_open(be, id, &cfg, errp);
}

/* ---- named chardevs (-chardev) ---- */

Chardev *chardev_find(const char *id)
{
    if (!id) {
        return NULL;
    }
    for (Chardev *c = chardev_named_list; c; c = c->next) {
        if (strcmp(c->id, id) == 0) {
            return c;
        }
    }
    return NULL;
}

static void chardev_register(Chardev *chr)
{
    chr->next = chardev_named_list;
    chardev_named_list = chr;
    chr->registered = true;
}

static void chardev_unregister(Chardev *chr)
{
    for (Chardev **p = &chardev_named_list; *p; p = &(*p)->next) {
        if (*p == chr) {
            *p = chr->next;
            break;
        }
    }
    chr->registered = false;
    chr->next = NULL;
}

/* Split "a,b,,c" at single commas; ",," stands for a literal comma. */
static char *chardev_next_option(char **cursor)
{
    char *start = *cursor;
    if (!start) {
        return NULL;
    }
    char *out = start;
    for (char *p = start;; p++) {
        if (*p == ',' && p[1] == ',') {
            *out++ = ',';
            p++;
        } else if (*p == ',' || *p == '\0') {
            *cursor = *p ? p + 1 : NULL;
            *out = '\0';
            return start;
        } else {
            *out++ = *p;
        }
    }
}

static bool chardev_parse_bool(const char *s, bool *out)
{
    if (!strcasecmp(s, "on") || !strcasecmp(s, "yes") || !strcasecmp(s, "true")) {
        *out = true;
        return true;
    }
    if (!strcasecmp(s, "off") || !strcasecmp(s, "no") || !strcasecmp(s, "false")) {
        *out = false;
        return true;
    }
    return false;
}

Chardev *chardev_new_from_options(const char *optarg, Error **errp)
{
    char *copy = xstrdup(optarg ? optarg : "");
    char *cursor = copy;
    char *backend = chardev_next_option(&cursor);
    const ChardevBackend *be = NULL;
    const char *id = NULL;
    ChardevConfig cfg = { 0 };
    Chardev *chr = NULL;

    if (!backend || !*backend) {
        error_setg(errp, "-chardev needs a backend (stdio, file, pty or null)");
        goto out;
    }
    be = chardev_backend_find(backend, strlen(backend));
    if (!be) {
        error_setg(errp, "unknown chardev backend '%s' (try stdio, file, pty or null)",
                   backend);
        goto out;
    }
    for (char *kv = chardev_next_option(&cursor); kv; kv = chardev_next_option(&cursor)) {
        char *eq = strchr(kv, '=');
        if (!eq) {
            error_setg(errp, "-chardev %s: '%s' is not of the form key=value", be->name, kv);
            goto out;
        }
        *eq = '\0';
        const char *val = eq + 1;
        bool ok = true;
        if (strcmp(kv, "id") == 0) {
            id = val;
        } else if (strcmp(kv, "path") == 0 && be->kind == CHARDEV_FILE) {
            cfg.path = val;
        } else if (strcmp(kv, "append") == 0 && be->kind == CHARDEV_FILE) {
            ok = chardev_parse_bool(val, &cfg.append);
        } else if (strcmp(kv, "signal") == 0 && be->kind == CHARDEV_STDIO) {
            ok = chardev_parse_bool(val, &cfg.signals);
        } else {
            error_setg(errp, "-chardev %s: unknown option '%s'", be->name, kv);
            goto out;
        }
        if (!ok) {
            error_setg(errp, "-chardev %s: option '%s' wants on or off, not '%s'",
                       be->name, kv, val);
            goto out;
        }
    }
    if (!id || !*id) {
        error_setg(errp, "-chardev %s needs an id (id=NAME)", be->name);
        goto out;
    }
    if (chardev_find(id)) {
        error_setg(errp, "chardev id '%s' is already in use", id);
        goto out;
    }
    if (be->kind == CHARDEV_FILE && (!cfg.path || !*cfg.path)) {
        error_setg(errp, "-chardev file needs a path (path=FILE)");
        goto out;
    }
    chr = chardev_open(be, id, &cfg, errp);
    if (chr) {
        chardev_register(chr);
    }
out:
    free(copy);
    return chr;
}

/* ---- frontend side ---- */

void chardev_set_handlers(Chardev *chr, ChardevCanReceive can_receive,
                          ChardevReceive receive, void *opaque)
{
    if (!chr) {
        return;
    }
    chr->can_receive = can_receive;
    chr->receive = receive;
    chr->opaque = opaque;
    if (!receive) {
        chr->input_len = 0;       /* queued input had nowhere to go */
        chr->input_start = 0;
    }
    chardev_deliver(chr);
}

bool chardev_has_frontend(const Chardev *chr)
{
    return chr && chr->receive != NULL;
}

void chardev_accept_input(Chardev *chr)
{
    if (!chr) {
        return;
    }
    if (chr->input_len) {
        chardev_deliver(chr);
    } else {
        chardev_update_watch(chr);
    }
}

void chardev_inject_input(Chardev *chr, const uint8_t *buf, size_t len)
{
    if (chr && buf) {
        chardev_input_bytes(chr, buf, len);
    }
}

static size_t chardev_write_fd(Chardev *chr, const uint8_t *buf, size_t len)
{
    size_t done = 0;
    while (done < len && !chr->output_broken) {
        ssize_t r = write(chr->out_fd, buf + done, len - done);
        if (r > 0) {
            done += (size_t)r;
            continue;
        }
        int err = r < 0 ? errno : EIO;
        if (err == EINTR) {
            continue;
        }
        if (err == EAGAIN || err == EWOULDBLOCK) {
            if (chr->kind == CHARDEV_PTY) {
                break;    /* nobody reads the pty: drop, like a line with no listener */
            }
            /* a pipe or terminal that is briefly full: wait for room */
            struct pollfd p = { .fd = chr->out_fd, .events = POLLOUT };
            if (poll(&p, 1, 1000) < 0 && errno != EINTR) {
                err = errno;
            } else {
                continue;
            }
        }
        /* EPIPE, EIO, ENOSPC...: the reader is gone; drop this and later output */
        chr->output_broken = true;
        fprintf(stderr, "ember: chardev '%s': output dropped: %s\n",
                chr->id ? chr->id : (chr->path ? chr->path : "stdio"), strerror(err));
    }
    return done;
}

size_t chardev_write(Chardev *chr, const uint8_t *buf, size_t len)
{
    if (!chr || !buf || !len) {
        return 0;
    }
    switch (chr->kind) {
    case CHARDEV_NULL:
        return len;
    case CHARDEV_BUFFER: {
        if (chr->captured_len + len >= CHARDEV_BUFFER_MAX) {
            len = CHARDEV_BUFFER_MAX - 1 - chr->captured_len;
        }
        if (chr->captured_len + len + 1 > chr->captured_cap) {
            size_t cap = chr->captured_cap ? chr->captured_cap : 256;
            while (cap < chr->captured_len + len + 1) {
                cap *= 2;
            }
            chr->captured = xrealloc(chr->captured, cap);
            chr->captured_cap = cap;
        }
        memcpy(chr->captured + chr->captured_len, buf, len);
        chr->captured_len += len;
        chr->captured[chr->captured_len] = '\0';
        return len;
    }
    default:
        return chr->out_fd >= 0 ? chardev_write_fd(chr, buf, len) : 0;
    }
}

/* ---- test buffer ---- */

Chardev *chardev_new_buffer(const char *id)
{
    Chardev *chr = chardev_alloc(CHARDEV_BUFFER, id);
    chr->captured_cap = 256;
    chr->captured = xzalloc(chr->captured_cap);
    if (id && !chardev_find(id)) {
        chardev_register(chr);
    }
    return chr;
}

const char *chardev_buffer_contents(Chardev *chr, size_t *len)
{
    if (!chr || chr->kind != CHARDEV_BUFFER) {
        if (len) {
            *len = 0;
        }
        return NULL;
    }
    if (len) {
        *len = chr->captured_len;
    }
    return (const char *)chr->captured;
}

void chardev_buffer_clear(Chardev *chr)
{
    if (chr && chr->kind == CHARDEV_BUFFER) {
        chr->captured_len = 0;
        chr->captured[0] = '\0';
    }
}

/* ---- queries and teardown ---- */

const char *chardev_get_id(const Chardev *chr)
{
    return chr ? chr->id : NULL;
}

const char *chardev_pty_path(const Chardev *chr)
{
    return chr && chr->kind == CHARDEV_PTY ? chr->path : NULL;
}

void chardev_free(Chardev *chr)
{
    if (!chr) {
        return;
    }
    if (chr->registered) {
        chardev_unregister(chr);
    }
    if (chr->watching) {
        mainloop_remove_fd(chr->in_fd);
        chr->watching = false;
    }
    switch (chr->kind) {
    case CHARDEV_STDIO:
        chardev_restore_terminals();
        if (chardev_stdio_owner == chr) {
            chardev_stdio_owner = NULL;
        }
        break;
    case CHARDEV_FILE:
        close(chr->out_fd);
        break;
    case CHARDEV_PTY:
        close(chr->in_fd);
        close(chr->pty_slave_fd);
        break;
    default:
        break;
    }
    free(chr->captured);
    free(chr->path);
    free(chr->id);
    free(chr);
}
