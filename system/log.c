/* Debug log items (-d) and the log file (-D). */
#include "system/log.h"

#include <errno.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

uint32_t log_mask;
int64_t startup_ns;
static FILE *log_out;

static const struct {
    const char *name;
    uint32_t mask;
    const char *help;
} log_items[] = {
    { "in_asm", LOG_IN_ASM, "show each executed guest instruction (interpreter)" },
    { "cpu", LOG_CPU, "show the CPU registers before each instruction or block" },
    { "int", LOG_INT, "show interrupts and exceptions" },
    { "exec", LOG_EXEC, "show each executed block (interpreter)" },
    { "mmu", LOG_MMU, "show page walks and page faults (interpreter)" },
    { "unimp", LOG_UNIMP, "log unimplemented functionality" },
    { "guest_errors", LOG_GUEST_ERRORS, "log when the guest misuses a device" },
    { "cpu_reset", LOG_CPU_RESET, "show the CPU state at reset" },
    { "startup", LOG_STARTUP, "show start-up timing (exec to first guest instruction)" },
    { "exits", LOG_EXITS, "log each KVM exit" },
};

#define NR_LOG_ITEMS (sizeof(log_items) / sizeof(log_items[0]))

#define LOG_MAX_RANGES 64

static struct {
    uint64_t first, last;
} log_ranges[LOG_MAX_RANGES];
static int log_nr_ranges;

/* One number, the whole of [s, end): false if it is not. */
static bool parse_u64(const char *s, const char *end, uint64_t *v)
{
    char buf[32];
    size_t n = (size_t)(end - s);
    if (n == 0 || n >= sizeof(buf) || s[0] == '-' || s[0] == '+') {
        return false;
    }
    memcpy(buf, s, n);
    buf[n] = '\0';
    char *stop;
    errno = 0;
    unsigned long long x = strtoull(buf, &stop, 0);
    if (errno || *stop) {
        return false;
    }
    *v = x;
    return true;
}

static bool parse_range(const char *r, uint64_t *first, uint64_t *last)
{
    const char *end = r + strlen(r);
    const char *dots = strstr(r, "..");
    uint64_t a, b;
    if (dots) {
        if (!parse_u64(r, dots, &a) || !parse_u64(dots + 2, end, &b) || b < a) {
            return false;
        }
        *first = a;
        *last = b;
        return true;
    }
    const char *op = strpbrk(r + 1, "+-");
    if (!op || !parse_u64(r, op, &a) || !parse_u64(op + 1, end, &b) || b == 0) {
        return false;
    }
    if (*op == '+') {
        if (a + (b - 1) < a) {
            return false;
        }
        *first = a;
        *last = a + (b - 1);
    } else {
        if (b - 1 > a) {
            return false;
        }
        *first = a - (b - 1);
        *last = a;
    }
    return true;
}

bool log_parse_dfilter(const char *spec, Error **errp)
{
    char *copy = xstrdup(spec);
    char *save = NULL;
    bool ok = true;
    int n = 0;
    for (char *r = strtok_r(copy, ",", &save); r; r = strtok_r(NULL, ",", &save)) {
        uint64_t first, last;
        if (!parse_range(r, &first, &last)) {
            error_setg(errp, "-dfilter: bad range '%s' (START..END, START+LEN or START-LEN)",
                       r);
            ok = false;
            break;
        }
        if (n == LOG_MAX_RANGES) {
            error_setg(errp, "-dfilter: more than %d ranges", LOG_MAX_RANGES);
            ok = false;
            break;
        }
        log_ranges[n].first = first;
        log_ranges[n].last = last;
        n++;
    }
    if (ok && n == 0) {
        error_setg(errp, "-dfilter: no range given");
        ok = false;
    }
    if (ok) {
        log_nr_ranges = n;
    }
    free(copy);
    return ok;
}

bool log_addr_wanted(uint64_t addr)
{
    if (log_nr_ranges == 0) {
        return true;
    }
    for (int i = 0; i < log_nr_ranges; i++) {
        if (addr >= log_ranges[i].first && addr <= log_ranges[i].last) {
            return true;
        }
    }
    return false;
}

void log_print_help(FILE *out)
{
    fprintf(out, "Log items (comma separated):\n");
    for (size_t i = 0; i < NR_LOG_ITEMS; i++) {
        fprintf(out, "%-13s %s\n", log_items[i].name, log_items[i].help);
    }
}

bool log_parse_items(const char *items, bool *help_shown, Error **errp)
{
    char *copy = xstrdup(items);
    char *save = NULL;
    bool ok = true;
    *help_shown = false;
    for (char *it = strtok_r(copy, ",", &save); it; it = strtok_r(NULL, ",", &save)) {
        if (strcmp(it, "help") == 0) {
            log_print_help(stdout);
            *help_shown = true;
            continue;
        }
        size_t i;
        for (i = 0; i < NR_LOG_ITEMS; i++) {
            if (strcmp(it, log_items[i].name) == 0) {
                log_mask |= log_items[i].mask;
                break;
            }
        }
        if (i == NR_LOG_ITEMS) {
            error_setg(errp, "-d: unknown log item '%s' (try -d help)", it);
            ok = false;
            break;
        }
    }
    free(copy);
    return ok;
}

bool log_set_file(const char *path, Error **errp)
{
    FILE *f = fopen(path, "w");
    if (!f) {
        error_setg(errp, "-D %s: %s", path, strerror(errno));
        return false;
    }
    setvbuf(f, NULL, _IOFBF, 1 << 16);
    log_out = f;
    return true;
}

FILE *log_file(void)
{
    return log_out ? log_out : stderr;
}

void qemu_log(const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vfprintf(log_file(), fmt, ap);
    va_end(ap);
}
