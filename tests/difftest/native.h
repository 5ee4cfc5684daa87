/*
 * The native runner of the differential tester: executes snippets on the host CPU
 * in ring 3, in a child process forked once per batch (see native.c).
 */
#ifndef TESTS_DIFFTEST_NATIVE_H
#define TESTS_DIFFTEST_NATIVE_H

#include "tests/difftest/gen.h"

/* NULL (with a message in err) if the host cannot run x86-64 snippets. */
DtRunner *native_runner_new(char *err, size_t errlen);

#endif
