/* Error values: one human-readable message carried back to the caller. */
#ifndef SYSTEM_ERROR_H
#define SYSTEM_ERROR_H

#include <stdbool.h>

typedef struct Error {
    char *msg;
} Error;

/* Store a formatted message in *errp (if errp is not NULL and *errp is empty). */
void error_setg(Error **errp, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
/* Prefix an existing error with more context: "prefix: old message". */
void error_prepend(Error **errp, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
/* Print "ember: MESSAGE" on stderr and free the error. */
void error_report_err(Error *err);
void error_free(Error *err);
/* Print "ember: MESSAGE" on stderr. */
void error_report(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void warn_report(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
/* Report a user error in one line and exit with status 1. */
_Noreturn void fatal(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/* Allocation helpers that abort on exhaustion (host out of memory is not recoverable). */
#include <stddef.h>
void *xmalloc(size_t n);
void *xzalloc(size_t n);
void *xrealloc(void *p, size_t n);
char *xstrdup(const char *s);
char *xasprintf(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

#endif
