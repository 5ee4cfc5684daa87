#!/bin/sh
# Differential test of the interpreter against the CPU behind /dev/kvm: random ring-3
# snippets (tests/difftest, seed 1) run at CPL 3 in a KVM virtual machine, natively
# even on a software-backed KVM, and in the interpreter; registers, flags (undefined
# ones masked), XMM and MXCSR, the x87 control/status/tag words, exceptions and
# touched memory must all match. 15,000 cases in each of the 8 64-bit classes: 120,000
# in all. The BCD class (32-bit code) runs against the host CPU only (unit test
# test_difftest): a software-backed KVM emulates 32-bit ring-3 code instead of running
# it, with an emulator that lacks AAA and AAS.
. tests/kvm/lib.sh
DIFFTEST=${DIFFTEST:-build/main/tests/difftest/difftest}
PER_CLASS=15000

reason=$(kvm_unavailable_reason)
if [ -n "$reason" ]; then
    echo "SKIP kvm-difftest: /dev/kvm not available ($reason)"
    finish
fi
if [ ! -x "$DIFFTEST" ]; then
    echo "FAIL kvm-difftest: $DIFFTEST is not built"
    fails=$((fails + 1))
    finish
fi
for class in alu shift bit muldiv string move sse2 x87; do
    out=$(mktemp)
    "$DIFFTEST" --oracle kvm --count "$PER_CLASS" --seed 1 --class "$class" \
        --minimize --reports 3 >"$out" 2>&1
    rc=$?
    summary=$(tail -n 1 "$out")
    if [ "$rc" -eq 0 ] && printf '%s' "$summary" |
            grep -Eq "^$PER_CLASS cases against kvm, seed 1, 0 mismatches"; then
        echo "PASS kvm-difftest-$class ($summary)"
    else
        echo "FAIL kvm-difftest-$class: status $rc: $(grep -m 1 MISMATCH "$out" || printf '%s' "$summary")"
        fails=$((fails + 1))
    fi
    rm -f "$out"
done
finish
