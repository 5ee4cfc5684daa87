#!/bin/sh
# -d int under -accel interp: roms/tests/pagefaults.S takes #PF from ring 3 on a
# not-present page and on a read-only one; the log must show vector 0e with error codes
# 0004 and 0007 at CPL 3. roms/tests/faults.S's #GP for the bad selector must show
# vector 0d with error code 1000.
. tests/interp/lib.sh

# trace_has PROGRAM PATTERN...: run PROGRAM with -d int; true when every pattern
# matches a line of the log (else prints why).
trace_has() {
    prog=$1
    shift
    rom_expectations "$prog"
    interp_prerequisites interp-trace-int "$prog" || return 1
    log=$(mktemp); out=$(mktemp); err=$(mktemp)
    interp_run "$prog" "$out" "$err" -d int -D "$log"
    ok=0
    for pattern in "$@"; do
        if ! grep -Eq "$pattern" "$log"; then
            echo "FAIL interp-trace-int: $prog: no line /$pattern/; log head: $(head -n 5 "$log" | tr '\n' '|')"
            ok=1
            break
        fi
    done
    rm -f "$log" "$out" "$err"
    return $ok
}

if trace_has pagefaults '^int: v=0e exception e=0004 cpl=3 001b:' \
                       '^int: v=0e exception e=0007 cpl=3 001b:' &&
   trace_has faults '^int: v=0d exception e=1000 cpl=3 001b:'; then
    echo "PASS interp-trace-int"
else
    fails=$((fails + 1))
fi
finish
