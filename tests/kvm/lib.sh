# Shared helpers for the KVM tests: run one of our multiboot programs (build/roms/*.elf,
# from roms/tests/*.S) under ember with -accel kvm, or under QEMU's TCG to validate the
# program itself, and check the exit status and the serial output. Source from the
# repository root. Each check prints "PASS name", "FAIL name: why" or "SKIP name: why".
EMBER=${EMBER:-./ember}
ROMS=${ROMS:-build/roms}
QEMU=${QEMU:-qemu-system-x86_64}
RUN_TIMEOUT=${RUN_TIMEOUT:-120}
# shellcheck disable=SC2034  # used by the scripts that source this file
ROM_NAMES="hello pit_irq serial_irq smp ioapic_irq faults pagefaults pagefaults64 v86 tasks ring0_iret"
fails=0

# rom_expectations NAME: what a good run of program NAME looks like. Sets rom_status
# (the process exit status: isa-debug-exit gives (v << 1) | 1), rom_args (extra
# options) and rom_patterns (grep -E patterns the serial output must match, one per
# line), and rom_needs_hw (why the program cannot run on a software-backed KVM, or
# empty). Returns 1 for an unknown program.
rom_expectations() {
    rom_args=""
    rom_needs_hw=""
    case $1 in
    hello)
        rom_status=33               # 0x10
        rom_patterns='hello from ring 3'
        ;;
    pit_irq)
        rom_status=35               # 0x11
        rom_patterns='PIT: [0-9]+ ticks in [0-9]+ ms while ring 3 waited'
        ;;
    serial_irq)
        rom_status=37               # 0x12
        rom_patterns='interrupt-driven: the quick brown fox jumps over the lazy dog
serial: 63 THRE interrupts for 62 characters
serial: THRE interrupt count OK'
        ;;
    smp)
        rom_status=69               # 0x22: two CPUs, counter right
        rom_args="-smp 2"
        rom_patterns='BSP: APIC ID 0
AP 1 up
smp: 2 CPUs running
smp: counter 2000000 \(expected 2000000\)'
        ;;
    ioapic_irq)
        rom_status=39               # 0x13
        rom_patterns='IOAPIC PIT: [0-9]+ ticks
level-triggered: pack my box with five dozen liquor jugs
IOAPIC serial: 58 THRE interrupts for 57 characters
level-triggered EOIs reached the IOAPIC'
        ;;
    faults)
        rom_status=41               # 0x14
        rom_patterns='GP: vector 0x0000000d error 0x00001000
IO: vector 0x0000000d error 0x00000000 for port 0x80 at IOPL 0
IO: the bitmap allows COM1 at IOPL 0
faults: done'
        ;;
    pagefaults)
        rom_status=49               # 0x18
        rom_needs_hw="kvm_pvm allows paging only in IA-32e mode (pagefaults64 covers it)"
        rom_patterns='PF: error 0x00000004 cr2 0x00300000
PF: error 0x00000007 cr2 0x00301000
PF: error 0x00000005 cr2 0x00302000
pagefaults: done'
        ;;
    pagefaults64)
        rom_status=47               # 0x17
        rom_patterns='PF: error 0x00000004 cr2 0x00300000
PF: error 0x00000007 cr2 0x00301000
PF: error 0x00000005 cr2 0x00302000
PF: error 0x00000015 cr2 0x00303000
pagefaults64: done'
        ;;
    v86)
        rom_status=43               # 0x15
        rom_needs_hw="kvm_pvm runs 32-bit ring 3 in its instruction emulator, which turns the program's INT n into #UD"
        rom_patterns=' vm 0x00020000 cs 0x00000700 ds 0x00002000 es 0x00002034
V86: byte 0x000000a5 0x00020345
GP from V86: error 0x00000000 vm 0x00020000 ip 0x0000102e
v86: done'
        ;;
    ring0_iret)
        rom_status=53               # 0x1a
        rom_patterns='ring0: same-ring IRETs 0x00000001
ring0: INT3 handled 0x00000002 ebx 0x0000b0b0
ring0: INT3 pushed the address after it
ring0_iret: done'
        ;;
    tasks)
        rom_status=51               # 0x19
        rom_needs_hw="kvm_pvm runs 32-bit ring 3 in its instruction emulator, which has no far CALL through a task gate and turns INT n into #UD"
        rom_patterns='call through task gate: runs 0x00000001 link 0x00000028 nt 0x00004000 task 1 ebx 0x00001234
int through task gate: runs 0x00000002
GP task: error 0x00001000
tasks: done'
        ;;
    *)
        return 1
        ;;
    esac
    return 0
}

# kvm_unavailable_reason: prints nothing when /dev/kvm opens read-write, else why not.
kvm_unavailable_reason() {
    if [ ! -e /dev/kvm ]; then
        echo "no /dev/kvm device node"
    elif [ ! -r /dev/kvm ] || [ ! -w /dev/kvm ]; then
        echo "no read/write permission on /dev/kvm"
    elif ! (exec 3<>/dev/kvm) 2>/dev/null; then
        echo "opening /dev/kvm failed"
    fi
}

# kvm_software_backed: true when /dev/kvm is served by kvm_pvm, which runs guest ring 3
# natively but emulates ring 0 with a limited instruction emulator (Ember's own test).
kvm_software_backed() {
    [ -d /sys/module/kvm_pvm ]
}

# first_fail_line FILE: the program's own "FAIL: ..." diagnosis, if it printed one.
first_fail_line() {
    grep -a -m 1 'FAIL:' "$1" | tr -d '\r' | cut -c 1-200
}

# check_run TEST PROGRAM RC OUTFILE ERRFILE: compare one finished run with the
# expectations of PROGRAM; prints PASS or FAIL for TEST.
check_run() {
    test=$1; prog=$2; rc=$3; out=$4; err=$5
    rom_expectations "$prog"
    if [ "$rc" -eq 124 ]; then
        echo "FAIL $test: no exit within ${RUN_TIMEOUT}s; $(first_fail_line "$out")$(tail -n 3 "$out" | tr -d '\r' | tr '\n' ' ' | cut -c 1-200)"
        fails=$((fails + 1))
        return
    fi
    if [ "$rc" -ne "$rom_status" ]; then
        why=$(first_fail_line "$out")
        [ -n "$why" ] || why="stderr: $(head -c 300 "$err" | tr '\n' ' ')"
        echo "FAIL $test: exit status $rc, expected $rom_status; $why"
        fails=$((fails + 1))
        return
    fi
    missing=$(printf '%s\n' "$rom_patterns" | while IFS= read -r pattern; do
        [ -n "$pattern" ] || continue
        grep -a -Eq "$pattern" "$out" || { printf '%s' "$pattern"; break; }
    done)
    if [ -n "$missing" ]; then
        echo "FAIL $test: serial output lacks /$missing/: $(tail -n 3 "$out" | tr -d '\r' | tr '\n' ' ' | cut -c 1-200)"
        fails=$((fails + 1))
        return
    fi
    echo "PASS $test"
}

# kvm_run PROGRAM OUTFILE ERRFILE: run build/roms/PROGRAM.elf under ember -accel kvm
# with the program's options (rom_expectations first); sets rc.
kvm_run() {
    # shellcheck disable=SC2086  # rom_args is a list of options
    timeout "$RUN_TIMEOUT" "$EMBER" -accel kvm -m 64 $rom_args -nographic -serial stdio \
        -no-reboot -device isa-debug-exit,iobase=0xf4,iosize=0x04 \
        -kernel "$ROMS/$1.elf" </dev/null >"$2" 2>"$3"
    rc=$?
}

# kvm_run_rom PROGRAM: run build/roms/PROGRAM.elf under ember -accel kvm.
kvm_run_rom() {
    prog=$1
    test=kvm-$prog
    reason=$(kvm_unavailable_reason)
    if [ -n "$reason" ]; then
        echo "SKIP $test: /dev/kvm not available ($reason)"
        return
    fi
    if ! rom_expectations "$prog"; then
        echo "FAIL $test: no expectations for program '$prog' in tests/kvm/lib.sh"
        fails=$((fails + 1))
        return
    fi
    if [ -n "$rom_needs_hw" ] && kvm_software_backed; then
        echo "SKIP $test: this KVM is software-backed: $rom_needs_hw"
        return
    fi
    if [ ! -x "$EMBER" ]; then
        echo "FAIL $test: $EMBER is not built (make ember)"
        fails=$((fails + 1))
        return
    fi
    if [ ! -f "$ROMS/$prog.elf" ]; then
        echo "FAIL $test: $ROMS/$prog.elf is not built (make roms)"
        fails=$((fails + 1))
        return
    fi
    out=$(mktemp)
    err=$(mktemp)
    kvm_run "$prog" "$out" "$err"
    check_run "$test" "$prog" "$rc" "$out" "$err"
    rm -f "$out" "$err"
}

# qemu_run_rom PROGRAM: run build/roms/PROGRAM.elf under QEMU's TCG (validates the
# program itself against an independent PC model).
qemu_run_rom() {
    prog=$1
    test=qemu-$prog
    if ! rom_expectations "$prog"; then
        echo "FAIL $test: no expectations for program '$prog' in tests/kvm/lib.sh"
        fails=$((fails + 1))
        return
    fi
    if [ ! -f "$ROMS/$prog.elf" ]; then
        echo "FAIL $test: $ROMS/$prog.elf is not built (make roms)"
        fails=$((fails + 1))
        return
    fi
    out=$(mktemp)
    err=$(mktemp)
    # shellcheck disable=SC2086
    # An Intel model: the programs use SYSENTER/SYSEXIT, which AMD CPUs (and QEMU's
    # default model says AuthenticAMD) reject in IA-32e mode.
    timeout "$RUN_TIMEOUT" "$QEMU" -accel tcg -cpu Nehalem -m 64 $rom_args -display none -serial stdio \
        -monitor none -no-reboot -device isa-debug-exit,iobase=0xf4,iosize=0x04 \
        -kernel "$ROMS/$prog.elf" </dev/null >"$out" 2>"$err"
    rc=$?
    check_run "$test" "$prog" "$rc" "$out" "$err"
    rm -f "$out" "$err"
}

finish() {
    [ "$fails" -eq 0 ]
    exit $?
}
