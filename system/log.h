/*
 * QEMU-style debug logging: -d ITEM[,ITEM...] selects what is logged, -D FILE where.
 * A disabled item costs one mask test.
 */
#ifndef SYSTEM_LOG_H
#define SYSTEM_LOG_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include "system/error.h"

enum {
    LOG_IN_ASM = 1u << 0,       /* each executed instruction (interpreter) */
    LOG_CPU = 1u << 1,          /* registers before each instruction or block */
    LOG_INT = 1u << 2,          /* interrupts and exceptions */
    LOG_EXEC = 1u << 3,         /* each executed block */
    LOG_MMU = 1u << 4,          /* page walks and faults */
    LOG_UNIMP = 1u << 5,        /* unimplemented instructions, MSRs, device features */
    LOG_GUEST_ERRORS = 1u << 6, /* guest misuse of devices */
    LOG_CPU_RESET = 1u << 7,    /* CPU state at reset */
    LOG_STARTUP = 1u << 8,      /* start-up timing: exec to first guest instruction */
    LOG_EXITS = 1u << 9,        /* KVM exits */
};

extern uint32_t log_mask;

static inline bool log_enabled(uint32_t item)
{
    return (log_mask & item) != 0;
}

/* Parse "-d" items ("help" prints the list and returns true with *help_shown). */
bool log_parse_items(const char *items, bool *help_shown, Error **errp);
bool log_set_file(const char *path, Error **errp);
/* -dfilter RANGE[,RANGE...]: per-instruction items (in_asm, cpu, exec) only for guest
 * addresses in these ranges; a range is START..END (END included), START+LEN or
 * START-LEN (the LEN bytes ending at START), numbers in C syntax. */
bool log_parse_dfilter(const char *spec, Error **errp);
/* Is `addr` wanted: no -dfilter given, or inside one of its ranges? */
bool log_addr_wanted(uint64_t addr);
void log_print_help(FILE *out);
void qemu_log(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
#define log_item(item, ...) do { if (log_enabled(item)) qemu_log(__VA_ARGS__); } while (0)
FILE *log_file(void);

/* Monotonic ns at process start (set first thing in main). */
extern int64_t startup_ns;

#endif
