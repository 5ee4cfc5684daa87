#!/bin/sh
# The same multiboot programs under both engines: the serial output of -accel interp
# must equal that of -accel kvm line for line (only measured milliseconds may differ),
# and so must the exit status. KVM runs ring 3 on the real CPU, so this checks the
# interpreter's exceptions, error codes, CR2, privilege changes, interrupts and SMP
# against hardware.
. tests/interp/lib.sh

# normalized FILE: the output with carriage returns dropped and times in ms masked
normalized() {
    tr -d '\r' <"$1" | sed -E 's/[0-9]+ ms/N ms/g'
}

reason=$(kvm_unavailable_reason)
for prog in $ROM_NAMES; do
    test=engines-agree-$prog
    if [ -n "$reason" ]; then
        echo "SKIP $test: /dev/kvm not available ($reason)"
        continue
    fi
    rom_expectations "$prog"
    if [ -n "$rom_needs_hw" ] && kvm_software_backed; then
        echo "SKIP $test: this KVM is software-backed: $rom_needs_hw"
        continue
    fi
    interp_prerequisites "$test" "$prog" || continue
    kout=$(mktemp); kerr=$(mktemp); iout=$(mktemp); ierr=$(mktemp)
    kvm_run "$prog" "$kout" "$kerr"
    krc=$rc
    interp_run "$prog" "$iout" "$ierr"
    irc=$rc
    if [ "$krc" -ne "$rom_status" ]; then
        echo "FAIL $test: the KVM run ended with status $krc, expected $rom_status: $(head -c 200 "$kerr" | tr '\n' ' ')"
        fails=$((fails + 1))
    elif [ "$irc" -ne "$krc" ]; then
        echo "FAIL $test: exit status $irc under interp, $krc under KVM"
        fails=$((fails + 1))
    elif ! normalized "$kout" >"$kout.n" || ! normalized "$iout" >"$iout.n" ||
         ! diff_out=$(diff "$kout.n" "$iout.n"); then
        echo "FAIL $test: serial output differs (< kvm, > interp): $(printf '%s' "$diff_out" | head -n 6 | tr '\n' ' ' | cut -c 1-300)"
        fails=$((fails + 1))
    else
        echo "PASS $test ($(wc -l <"$kout.n") lines)"
    fi
    rm -f "$kout" "$kerr" "$iout" "$ierr" "$kout.n" "$iout.n"
done
finish
