/*
 * difftest: differential testing of the interpreter against a real CPU.
 *   difftest --count N --seed S [--class CLASS] [--oracle native|kvm] [--minimize]
 *            [--reports K]
 * Runs N random snippets (all classes in turn, or one of alu shift bit muldiv string
 * move sse2 x87 bcd) on the oracle (the host CPU in a child process, or a KVM virtual
 * machine; a software-backed KVM emulates the 32-bit code of the bcd class rather than
 * running it) and in the interpreter and compares registers, flags
 * (undefined ones masked), XMM registers, MXCSR, the x87 control/status/tag words
 * (C1 masked after FCOMI-family instructions), exceptions and memory. Exit status 0
 * when everything matched, 1 on mismatches, 2 on a usage or runner error.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "tests/difftest/campaign.h"
#include "tests/difftest/interp_runner.h"
#include "tests/difftest/kvm_runner.h"
#include "tests/difftest/native.h"

static void usage(void)
{
    fprintf(stderr, "usage: difftest --count N --seed S [--class CLASS] "
                    "[--oracle native|kvm] [--minimize] [--reports K]\nclasses:");
    for (int k = 0; k < DT_CLASS_COUNT; k++) {
        fprintf(stderr, " %s", dt_class_name(k));
    }
    fputc('\n', stderr);
    exit(2);
}

static uint64_t parse_num(const char *s)
{
    char *end;
    unsigned long long v = strtoull(s, &end, 0);
    if (!*s || *end) {
        usage();
    }
    return v;
}

int main(int argc, char **argv)
{
    DtOptions o = { .seed = 1, .count = 10000, .cls = -1, .max_reports = 10, .out = stdout };
    char err[256];
    const char *oracle_name = "native";

    for (int i = 1; i < argc; i++) {
        const char *a = argv[i];
        if (!strcmp(a, "--minimize")) {
            o.minimize = true;
        } else if (i + 1 < argc && !strcmp(a, "--count")) {
            o.count = parse_num(argv[++i]);
        } else if (i + 1 < argc && !strcmp(a, "--seed")) {
            o.seed = parse_num(argv[++i]);
        } else if (i + 1 < argc && !strcmp(a, "--reports")) {
            o.max_reports = (unsigned)parse_num(argv[++i]);
        } else if (i + 1 < argc && !strcmp(a, "--oracle")) {
            oracle_name = argv[++i];
            if (strcmp(oracle_name, "native") && strcmp(oracle_name, "kvm")) {
                usage();
            }
        } else if (i + 1 < argc && !strcmp(a, "--class")) {
            const char *name = argv[++i];
            o.cls = strcmp(name, "all") ? dt_class_parse(name) : -1;
            if (o.cls < 0 && strcmp(name, "all")) {
                usage();
            }
        } else {
            usage();
        }
    }
    DtRunner *oracle = strcmp(oracle_name, "kvm") ? native_runner_new(err, sizeof(err))
                                                  : kvm_runner_new(err, sizeof(err));
    if (!oracle) {
        fprintf(stderr, "difftest: %s\n", err);
        return 2;
    }
    DtRunner *interp = interp_runner_new(err, sizeof(err));
    if (!interp) {
        fprintf(stderr, "difftest: %s\n", err);
        return 2;
    }
    struct timespec t0, t1;
    clock_gettime(CLOCK_MONOTONIC, &t0);
    DtStats st;
    bool ok = dt_campaign(oracle, interp, &o, &st);
    clock_gettime(CLOCK_MONOTONIC, &t1);
    double secs = (double)(t1.tv_sec - t0.tv_sec) + (t1.tv_nsec - t0.tv_nsec) / 1e9;
    printf("%llu cases against %s, seed %llu, %llu mismatches, %.2f s\n",
           (unsigned long long)o.count, oracle->name, (unsigned long long)o.seed,
           (unsigned long long)st.total_mismatches, secs);
    oracle->destroy(oracle);
    interp->destroy(interp);
    if (!ok) {
        return 2;
    }
    return st.total_mismatches ? 1 : 0;
}
