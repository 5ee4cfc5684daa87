#!/bin/sh
# -dfilter under -accel interp: -d in_asm,exec with -dfilter covering only hello.S's
# user_main (from its symbol to the next symbol) must log instructions from that range
# and none from anywhere else (not the start-up code, not testlib's routines).
. tests/interp/lib.sh

prog=hello
rom_expectations "$prog"
if interp_prerequisites interp-trace-dfilter "$prog"; then
    if ! command -v nm >/dev/null 2>&1; then
        echo "SKIP interp-trace-dfilter: nm (binutils) is not installed"
        finish
    fi
    first=$(nm -n "$ROMS/$prog.elf" | awk '$3 == "user_main" { print $1 }')
    next=$(nm -n "$ROMS/$prog.elf" | awk -v f="$first" '($1 "") > (f "") { print $1; exit }')
    if [ -z "$first" ] || [ -z "$next" ]; then
        echo "FAIL interp-trace-dfilter: cannot find user_main and the symbol after it in $ROMS/$prog.elf"
        fails=$((fails + 1))
        finish
    fi
    lo=$((0x$first)); hi=$((0x$next - 1))
    log=$(mktemp); out=$(mktemp); err=$(mktemp)
    interp_run "$prog" "$out" "$err" -d in_asm,exec -D "$log" \
        -dfilter "$(printf '0x%x..0x%x' "$lo" "$hi")"
    # every traced line starts with the linear address: "0x<hex> ..." or "exec 0x<hex> ..."
    addrs=$(sed -n 's/^\(exec \)\{0,1\}0x\([0-9a-f]*\) .*/\2/p' "$log")
    total=$(printf '%s\n' "$addrs" | grep -c .)
    outside=$(printf '%s\n' "$addrs" | while read -r a; do
        [ -n "$a" ] || continue
        v=$((0x$a))
        if [ "$v" -lt "$lo" ] || [ "$v" -gt "$hi" ]; then echo "$a"; fi
    done | head -n 1)
    if [ "$total" -eq 0 ]; then
        echo "FAIL interp-trace-dfilter: nothing logged for 0x$first..0x$next (status $rc)"
        fails=$((fails + 1))
    elif [ -n "$outside" ]; then
        echo "FAIL interp-trace-dfilter: logged 0x$outside, outside 0x$first..0x$next"
        fails=$((fails + 1))
    elif ! grep -q "0x$first" "$log"; then
        echo "FAIL interp-trace-dfilter: user_main's first instruction (0x$first) not logged"
        fails=$((fails + 1))
    else
        echo "PASS interp-trace-dfilter ($total lines, all in user_main)"
    fi
    rm -f "$log" "$out" "$err"
fi
finish
