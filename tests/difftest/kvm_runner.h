/*
 * The KVM runner of the differential tester: executes snippets at CPL 3 in 64-bit mode
 * on the CPU behind /dev/kvm (see kvm_runner.c).
 */
#ifndef TESTS_DIFFTEST_KVM_RUNNER_H
#define TESTS_DIFFTEST_KVM_RUNNER_H

#include <stddef.h>

#include "tests/difftest/gen.h"

/* NULL (with a message in err) when /dev/kvm cannot run the cases. */
DtRunner *kvm_runner_new(char *err, size_t errlen);

#endif
