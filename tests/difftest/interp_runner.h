/*
 * The interpreter runner of the differential tester: executes snippets in an X86CPU
 * in 64-bit long mode at CPL 3 (see interp_runner.c).
 */
#ifndef TESTS_DIFFTEST_INTERP_RUNNER_H
#define TESTS_DIFFTEST_INTERP_RUNNER_H

#include "tests/difftest/gen.h"

DtRunner *interp_runner_new(char *err, size_t errlen);

#endif
