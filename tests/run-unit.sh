#!/bin/sh
# Runs Check unit-test binaries and records one result line per binary in
# build/results/unit-VARIANT.txt: "PASS|FAIL name checks=N failures=F".
builddir=$1; shift
variant=$(basename "$builddir")
mkdir -p build/results
out=build/results/unit-$variant.txt
: > "$out"
status=0
for t in "$@"; do
    name=$(basename "$t")
    log=build/results/unit-$variant-$name.log
    # Leak checking is off: tests build short-lived fixtures; ASan and UBSan errors stay fatal.
    EMBER_CACHE=${EMBER_TEST_CACHE:-$PWD/build/test-cache} ASAN_OPTIONS=${ASAN_OPTIONS:-detect_leaks=0} UBSAN_OPTIONS=${UBSAN_OPTIONS:-print_stacktrace=1} \
        CK_DEFAULT_TIMEOUT=${CK_DEFAULT_TIMEOUT:-60} "$t" > "$log" 2>&1
    rc=$?
    line=$(grep -E '^[0-9]+%: Checks: ' "$log" | tail -n 1)
    checks=$(printf '%s' "$line" | sed -n 's/.*Checks: \([0-9]*\).*/\1/p')
    fails=$(printf '%s' "$line" | sed -n 's/.*Failures: \([0-9]*\).*/\1/p')
    errs=$(printf '%s' "$line" | sed -n 's/.*Errors: \([0-9]*\).*/\1/p')
    checks=${checks:-0}; fails=${fails:-0}; errs=${errs:-0}
    bad=$((fails + errs))
    if [ "$rc" -ne 0 ] || [ "$checks" -eq 0 ] || [ "$bad" -ne 0 ]; then
        [ "$bad" -eq 0 ] && bad=1
        echo "FAIL unit[$variant] $name passed=$((checks - fails - errs)) failed=$bad" >> "$out"
        echo "FAIL unit[$variant] $name (see $log)"
        grep -E ':[EF]:' "$log" | head -n 20
        status=1
    else
        echo "PASS unit[$variant] $name passed=$checks failed=0" >> "$out"
        echo "PASS unit[$variant] $name ($checks checks)"
    fi
done
exit $status
