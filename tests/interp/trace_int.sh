#!/bin/sh
# -d int under -accel interp: roms/tests/faults.S takes a #PF from ring 3 on a
# not-present page; the log must show vector 0e with error code 0004 at CPL 3, and the
# #GP for the bad selector with error code 1000.
. tests/interp/lib.sh
prog=faults
rom_expectations "$prog"
if interp_prerequisites interp-trace-int "$prog"; then
    log=$(mktemp)
    out=$(mktemp)
    err=$(mktemp)
    interp_run "$prog" "$out" "$err" -d int -D "$log"
    if grep -Eq '^int: v=0e exception e=0004 cpl=3 001b:' "$log" &&
       grep -Eq '^int: v=0e exception e=0007 cpl=3 001b:' "$log" &&
       grep -Eq '^int: v=0d exception e=1000 cpl=3 001b:' "$log"; then
        echo "PASS interp-trace-int"
    else
        echo "FAIL interp-trace-int: expected #PF/#GP lines missing; log head: $(head -n 5 "$log" | tr '\n' '|')"
        fails=$((fails + 1))
    fi
    rm -f "$log" "$out" "$err"
fi
finish
