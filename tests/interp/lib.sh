# Shared helpers for the interpreter tests: run one of our multiboot programs
# (build/roms/*.elf, from roms/tests/*.S) under ember -accel interp and check the exit
# status and the serial output. The programs and what a good run of each looks like
# (rom_expectations, check_run) are shared with the KVM tests: tests/kvm/lib.sh.
# Source from the repository root. Each check prints "PASS name", "FAIL name: why" or
# "SKIP name: why".
. tests/kvm/lib.sh

# interp_prerequisites TEST PROGRAM: true when ember and the program are built, else
# prints FAIL for TEST and counts it.
interp_prerequisites() {
    if [ ! -x "$EMBER" ]; then
        echo "FAIL $1: $EMBER is not built (make ember)"
        fails=$((fails + 1))
        return 1
    fi
    if [ ! -f "$ROMS/$2.elf" ]; then
        echo "FAIL $1: $ROMS/$2.elf is not built (make roms)"
        fails=$((fails + 1))
        return 1
    fi
    return 0
}

# interp_run PROGRAM OUTFILE ERRFILE [EXTRA OPTIONS...]: run build/roms/PROGRAM.elf
# under ember -accel interp with the program's options; sets rc.
interp_run() {
    prog=$1; out=$2; err=$3
    shift 3
    # shellcheck disable=SC2086  # rom_args is a list of options
    timeout "$RUN_TIMEOUT" "$EMBER" -accel interp -m 64 $rom_args -nographic \
        -serial stdio -no-reboot -device isa-debug-exit,iobase=0xf4,iosize=0x04 \
        -kernel "$ROMS/$prog.elf" "$@" </dev/null >"$out" 2>"$err"
    rc=$?
}

# interp_run_rom PROGRAM: run build/roms/PROGRAM.elf and compare with its expectations.
interp_run_rom() {
    prog=$1
    test=interp-$prog
    if ! rom_expectations "$prog"; then
        echo "FAIL $test: no expectations for program '$prog' in tests/kvm/lib.sh"
        fails=$((fails + 1))
        return
    fi
    interp_prerequisites "$test" "$prog" || return
    out=$(mktemp)
    err=$(mktemp)
    interp_run "$prog" "$out" "$err"
    check_run "$test" "$prog" "$rc" "$out" "$err"
    rm -f "$out" "$err"
}
