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
