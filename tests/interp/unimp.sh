#!/bin/sh
# An instruction beyond the CPU model (POPCNT) raises #UD in the guest and is logged under
# -d unimp; Ember never aborts (roms/tests/unimp.S, interpreter only).
. tests/interp/lib.sh
prog=unimp
if interp_prerequisites interp-unimp "$prog"; then
    log=$(mktemp)
    out=$(mktemp)
    err=$(mktemp)
    rom_args=""
    interp_run "$prog" "$out" "$err" -d unimp -D "$log"
    if [ "$rc" -ne 45 ]; then
        echo "FAIL interp-unimp: exit status $rc, expected 45; $(head -c 200 "$out")"
        fails=$((fails + 1))
    elif ! grep -q "unimp: the guest took #UD for POPCNT and went on" "$out"; then
        echo "FAIL interp-unimp: the guest did not report the #UD"
        fails=$((fails + 1))
    elif ! grep -qi "popcnt" "$log"; then
        echo "FAIL interp-unimp: -d unimp logged nothing about POPCNT: $(head -c 200 "$log")"
        fails=$((fails + 1))
    else
        echo "PASS interp-unimp"
    fi
    rm -f "$log" "$out" "$err"
fi
finish
