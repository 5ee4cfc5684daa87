/*
 * The differential-testing driver shared by the difftest program and its unit test:
 * generates cases in batches, runs them on an oracle runner (the host CPU, or KVM
 * later) and on the interpreter, compares the results with the per-case flag masks,
 * minimizes and prints mismatches.
 */
#ifndef TESTS_DIFFTEST_CAMPAIGN_H
#define TESTS_DIFFTEST_CAMPAIGN_H

#include <stdio.h>

#include "tests/difftest/gen.h"

typedef struct DtOptions {
    uint64_t seed;
    uint64_t count;
    int cls;                    /* a DtClass, or -1 for all classes in turn */
    bool minimize;              /* shrink each reported mismatch to its minimal form */
    unsigned max_reports;       /* detailed reports printed (others only counted) */
    FILE *out;                  /* reports and the summary (NULL: silent) */
} DtOptions;

typedef struct DtStats {
    uint64_t cases[DT_CLASS_COUNT];
    uint64_t faults[DT_CLASS_COUNT];        /* cases that ended in an exception */
    uint64_t mismatches[DT_CLASS_COUNT];
    uint64_t total_mismatches;
} DtStats;

/* Compare two results of case c; false with a one-line reason on a mismatch. */
bool dt_compare(const DtCase *c, const DtResult *a, const DtResult *b, char *why,
                size_t whylen);
/* Print the case (bytes, disassembly) and both results. */
void dt_print_case(FILE *out, const DtCase *c, const DtResult *a, const char *aname,
                   const DtResult *b, const char *bname);
/* Shrink a mismatching case by dropping instruction groups while it still mismatches. */
void dt_minimize(DtRunner *oracle, DtRunner *subject, DtCase *c);
/* Run a campaign; false if a runner failed (message printed to o->out). */
bool dt_campaign(DtRunner *oracle, DtRunner *subject, const DtOptions *o, DtStats *st);

#endif
