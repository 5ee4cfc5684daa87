#!/bin/sh
# `make bench`: compares ember with QEMU and prints tables of medians (in ms, with the
# [min-max] spread) and ratios, never a lone time.
#  (a) each multiboot test program (build/roms/*.elf), process start to exit, under
#      ember -accel kvm, qemu -accel kvm and qemu -accel tcg (QEMU boots through
#      SeaBIOS: that start-up cost is part of what is compared);
#  (b) boot of the guest kit to its EMBER-GUEST-READY marker, ember -accel kvm (with and
#      without linux-unpack) vs qemu -accel kvm, only on hardware-backed KVM;
#  (c) ember's start-up time, exec to first guest instruction (-d startup);
#  (d) interpreter speed: MIPS of ember -accel interp and qemu -accel tcg on
#      alu_loop.elf (BENCH_ALU_ITERATIONS, default 125000000 iterations);
#  (e) boot of the guest kit to its marker without KVM: ember -accel interp (with and
#      without linux-unpack) vs qemu -accel tcg (through SeaBIOS and the kernel's own
#      decompressor).
# Each cell first makes one warm-up run (not counted) that must succeed. Runs are timed
# by tests/bench/timeit.c (built here with cc; fork to reaped exit, no shell overhead),
# else by date +%s%N around timeout(1), whose overhead is then printed.
# Environment: BENCH_RUNS (runs per cell, at least 5), BENCH_TIMEOUT (s per program
# run, default 60), BENCH_BOOT_TIMEOUT (s per guest boot, default 600), EMBER, QEMU,
# EMBER_ROMS (folder of the .elf programs, default build/roms).
set -u
# shellcheck source-path=SCRIPTDIR source=../long/lib.sh
. "$(dirname "$0")/../long/lib.sh"

RUNS=${BENCH_RUNS:-5}
if [ "$RUNS" -lt 5 ] 2>/dev/null; then RUNS=5; fi
TIMEOUT=${BENCH_TIMEOUT:-60}
BOOT_TIMEOUT=${BENCH_BOOT_TIMEOUT:-600}
QEMU=${QEMU:-qemu-system-x86_64}
ROMS=${EMBER_ROMS:-$LIB_REPO/build/roms}
DEBUG_EXIT=isa-debug-exit,iobase=0xf4,iosize=0x04
ALU_BIG=${BENCH_ALU_ITERATIONS:-125000000}    # (d): 500M loop instructions
ALU_SMALL=1000
BOCHS_MIPS=110                                 # Bochs 2.7 on this loop, measured on our machines

work=$(mktemp -d "${TMPDIR:-/tmp}/ember-bench.XXXXXX")
trap 'rm -rf "$work"' EXIT
trap 'exit 130' INT TERM

# --- statistics --------------------------------------------------------------------
# "median min max" (ms, one decimal) of the numbers (ms) in file $1.
stats() {
    sort -n "$1" | awk '
        { v[NR] = $1 }
        END {
            if (NR == 0) { print "- - -"; exit }
            m = (NR % 2) ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2
            printf "%.1f %.1f %.1f\n", m, v[1], v[NR]
        }'
}

# A table cell "median [min-max]" for file $1, or "n/a".
cell() {
    if [ -s "$1" ]; then
        stats "$1" | awk '{ printf "%s [%s-%s]", $1, $2, $3 }'
    else
        printf 'n/a'
    fi
}

median() { stats "$1" | awk '{ print $1 }'; }

# Ratio of the medians of files $1 / $2 ("x.xx"), or "-".
ratio() {
    if [ -s "$1" ] && [ -s "$2" ]; then
        awk -v a="$(median "$1")" -v b="$(median "$2")" \
            'BEGIN { if (b > 0) printf "%.2f", a / b; else printf "-" }'
    else
        printf -- '-'
    fi
}

# Prints '|'-separated lines from stdin as aligned columns, indented.
table() {
    awk -F'|' '
        { for (i = 1; i <= NF; i++) { cell[NR, i] = $i; if (length($i) > w[i]) w[i] = length($i) }
          nf[NR] = NF }
        END { for (r = 1; r <= NR; r++) {
                  line = " "
                  for (i = 1; i <= nf[r]; i++) line = line sprintf(" %-" w[i] "s", cell[r, i])
                  sub(/ +$/, "", line); print line
              } }'
}

elapsed_ms() { awk -v s="$1" -v e="$2" 'BEGIN { printf "%.3f\n", (e - s) / 1e6 }'; }

# The first error line of an emulator's stderr (file $1), skipping notes and warnings.
first_error() {
    grep -v -i -e 'note:' -e 'warning:' -e '^timeit: ' "$1" 2>/dev/null |
        grep -v '^[[:space:]]*$' | head -n 1
}

# --- engines -----------------------------------------------------------------------
kvm_detect
engine_why() {
    case "$1" in
    ember-interp|ember-interp-*)
        [ -x "$EMBER" ] || { echo "no ember binary at $EMBER"; return; } ;;
    ember-*)
        [ -x "$EMBER" ] || { echo "no ember binary at $EMBER"; return; }
        [ "$KVM_KIND" = missing ] && { echo "$KVM_WHY"; return; } ;;
    qemu-kvm)
        command -v "$QEMU" > /dev/null 2>&1 || { echo "$QEMU is not installed"; return; }
        [ "$KVM_KIND" = missing ] && { echo "$KVM_WHY"; return; } ;;
    qemu-tcg)
        command -v "$QEMU" > /dev/null 2>&1 || { echo "$QEMU is not installed"; return; } ;;
    esac
}

# timed LIMIT MARKER CMD...: one run with stdin from /dev/null, stdout discarded, stderr
# in $work/stderr. Sets T_MS (start to exit), T_STATUS (124 on timeout) and T_MARK_MS
# (start to MARKER on stdout, "-" when MARKER is empty or never seen).
timed() {
    limit=$1; marker=$2; shift 2
    T_MARK_MS=-
    if [ -n "$TIMEIT" ]; then
        if [ -n "$marker" ]; then
            "$TIMEIT" -t "$limit" -m "$marker" "$@" < /dev/null > /dev/null 2> "$work/stderr"
        else
            "$TIMEIT" -t "$limit" "$@" < /dev/null > /dev/null 2> "$work/stderr"
        fi
        # shellcheck disable=SC2046 # three numbers, split on purpose
        set -- $(sed -n 's/^timeit: \([0-9]* [0-9]* -*[0-9]*\)$/\1/p' "$work/stderr" | tail -n 1)
        if [ $# -ne 3 ]; then
            T_MS=0; T_STATUS=125
            return
        fi
        T_MS=$(awk -v n="$1" 'BEGIN { printf "%.3f", n / 1e6 }')
        T_STATUS=$2
        [ "$3" -ge 0 ] && T_MARK_MS=$(awk -v n="$3" 'BEGIN { printf "%.3f", n / 1e6 }')
        return
    fi
    rm -f "$work/marked" "$work/status"
    start=$(now_ns)
    if [ -n "$marker" ]; then
        { timeout -k 5 "$limit" "$@" < /dev/null 2> "$work/stderr"; echo $? > "$work/status"; } |
            { if grep -m 1 -a -q -- "$marker"; then now_ns > "$work/marked"; fi; cat > /dev/null; }
        T_STATUS=$(cat "$work/status")
    else
        timeout -k 5 "$limit" "$@" < /dev/null > /dev/null 2> "$work/stderr"
        T_STATUS=$?
    fi
    end=$(now_ns)
    T_MS=$(elapsed_ms "$start" "$end")
    [ -s "$work/marked" ] && T_MARK_MS=$(elapsed_ms "$start" "$(cat "$work/marked")")
    return 0
}

# run_program ENGINE ELF SMP: one timed run of a multiboot program.
# rom_needs_hardware_kvm NAME: why program NAME cannot run on a software-backed KVM
# (from the test expectations in tests/kvm/lib.sh), or nothing.
rom_needs_hardware_kvm() {
    (
        # shellcheck source=../kvm/lib.sh
        . "$LIB_REPO/tests/kvm/lib.sh"
        rom_expectations "$1" >/dev/null 2>&1
        printf '%s' "$rom_needs_hw"
    )
}

run_program() {
    case "$1" in
    ember-kvm) set -- "$EMBER" -accel kvm -m 128 -smp "$3" -kernel "$2" -nographic \
                   -serial stdio -no-reboot -device "$DEBUG_EXIT" ;;
    qemu-kvm) set -- "$QEMU" -accel kvm -m 128 -smp "$3" -kernel "$2" -display none \
                  -serial stdio -monitor none -nic none -no-reboot -device "$DEBUG_EXIT" ;;
    ember-interp) set -- "$EMBER" -accel interp -m 128 -smp "$3" -kernel "$2" -nographic \
                  -serial stdio -no-reboot -device "$DEBUG_EXIT" ;;
    # Intel model: the programs use SYSEXIT, which QEMU's default AMD model refuses in
    # IA-32e mode
    qemu-tcg) set -- "$QEMU" -accel tcg -cpu Nehalem -m 128 -smp "$3" -kernel "$2" -display none \
                  -serial stdio -monitor none -nic none -no-reboot -device "$DEBUG_EXIT" ;;
    esac
    timed "$TIMEOUT" "" "$@"
}

# boot_guest ENGINE: one timed boot of the guest kit with ember.cmd=true (it powers off
# right after the marker). On success appends to $work/ENGINE.mark and .exit; else
# returns 1 with the reason in $work/why.
boot_guest() {
    eng=$1
    append="console=ttyS0 panic=-1 ember.cmd=true"
    # ENGINE is ember-ACCEL[-nounpack] or qemu-ACCEL
    accel=${eng#*-}
    accel=${accel%-nounpack}
    case "$eng" in
    ember-*) set -- "$EMBER" -nographic ;;
    qemu-*) set -- "$QEMU" -display none -monitor none -nic none ;;
    esac
    set -- "$@" -accel "$accel" -m 512 -kernel "$GUEST_KERNEL" -initrd "$GUEST_INITRD" \
        -append "$append" -serial stdio -no-reboot
    case "$eng" in
    *-nounpack) set -- "$@" -machine pc,linux-unpack=off ;;
    esac
    timed "$BOOT_TIMEOUT" "$GUEST_MARKER" "$@"
    if [ "$T_MARK_MS" = - ]; then
        if [ "$T_STATUS" -eq 124 ]; then
            echo "timed out after ${BOOT_TIMEOUT}s before the marker" > "$work/why"
        else
            err=$(first_error "$work/stderr")
            echo "no marker (exit status $T_STATUS)${err:+: $err}" > "$work/why"
        fi
        return 1
    fi
    echo "$T_MARK_MS" >> "$work/$eng.mark"
    echo "$T_MS" >> "$work/$eng.exit"
    return 0
}

# boot_table TAG "ENGINES" REFERENCE: build the guest kit, boot it under each engine
# (a warm-up, then RUNS timed boots) and print the table of medians to the marker and
# to power-off, with the ratio REFERENCE/engine on the marker time.
boot_table() {
    tag=$1; engines=$2; ref=$3
    if ! guest_ensure > "$work/$tag.log" 2>&1 || [ ! -s "$GUEST_KERNEL" ]; then
        echo "  not available: the guest kit could not be built: $(tail -n 1 "$work/$tag.log")"
        return
    fi
    for eng in $engines; do
        : > "$work/$eng.mark"; : > "$work/$eng.exit"
        why=$(engine_why "$eng")
        if [ -n "$why" ]; then
            echo "  $eng: not available: $why"
            continue
        fi
        if ! boot_guest "$eng"; then
            echo "  $eng: not available: $(cat "$work/why")"
            continue
        fi
        : > "$work/$eng.mark"; : > "$work/$eng.exit"
        i=0
        while [ "$i" -lt "$RUNS" ]; do
            if ! boot_guest "$eng"; then
                echo "  $eng: run $((i + 1)) failed: $(cat "$work/why")"
            fi
            i=$((i + 1))
        done
    done
    {
        echo "engine|to marker|to power-off|marker: $ref/this"
        for eng in $engines; do
            echo "$eng|$(cell "$work/$eng.mark")|$(cell "$work/$eng.exit")|$(ratio "$work/$ref.mark" "$work/$eng.mark")"
        done
    } | table
}

# The timing helper; without a C compiler, date(1) around timeout(1) does it.
TIMEIT=$work/timeit
if ! ${CC:-cc} -O2 -o "$TIMEIT" "$LIB_REPO/tests/bench/timeit.c" > "$work/cc.log" 2>&1; then
    TIMEIT=
fi

# --- header ------------------------------------------------------------------------
cpu=$(awk -F': ' '/^model name/ { print $2; exit }' /proc/cpuinfo 2>/dev/null)
echo "Ember benchmark, $(date -u '+%Y-%m-%d %H:%M UTC')"
echo "host: ${cpu:-unknown CPU}, $(nproc) CPUs, Linux $(uname -r)"
echo "host KVM: $KVM_KIND ($KVM_WHY)"
if [ -x "$EMBER" ]; then
    echo "ember: $EMBER ($("$EMBER" -version 2>/dev/null | head -n 1))"
else
    echo "ember: not built ($EMBER)"
fi
if command -v "$QEMU" > /dev/null 2>&1; then
    echo "qemu: $("$QEMU" -version | head -n 1)"
fi
echo "each cell: median of $RUNS runs in ms [min-max], after one warm-up run;" \
     "ratios are QEMU's median / ember's"
i=0; : > "$work/baseline"
while [ "$i" -lt "$RUNS" ]; do
    timed 5 "" true; echo "$T_MS" >> "$work/baseline"; i=$((i + 1))
done
if [ -n "$TIMEIT" ]; then
    echo "timing: tests/bench/timeit.c, fork to reaped exit (/bin/true: $(cell "$work/baseline") ms)"
else
    echo "timing: date +%s%N around timeout(1) (no C compiler: $(head -n 1 "$work/cc.log"));" \
         "that overhead, included in every time, is $(cell "$work/baseline") ms"
fi

# --- (a) multiboot programs ----------------------------------------------------------
echo
echo "(a) multiboot test programs, process start to exit (-kernel PROGRAM, $DEBUG_EXIT)"
engines="ember-kvm qemu-kvm ember-interp qemu-tcg"
for eng in $engines; do
    why=$(engine_why "$eng")
    [ -n "$why" ] && echo "  $eng: not available: $why"
done
set -- "$ROMS"/*.elf
if [ ! -f "$1" ]; then
    echo "  not available: no multiboot programs in $ROMS (make roms)"
else
    for rom in "$@"; do
        name=$(basename "$rom" .elf)
        if [ "$name" = alu_loop ]; then
            continue                    # the CPU-bound loop of (d)
        fi
        smp=1
        case "$name" in *smp*) smp=2 ;; esac
        needs_hw=$(rom_needs_hardware_kvm "$name")
        statuses=
        for eng in $engines; do
            out=$work/$eng.$name
            : > "$out"
            if [ -n "$(engine_why "$eng")" ]; then
                statuses="$statuses -"
                continue
            fi
            case "$eng" in
            *-kvm)
                if [ -n "$needs_hw" ] && [ "$KVM_KIND" = software ]; then
                    echo "  $eng $name: not available: KVM is software-backed: $needs_hw"
                    statuses="$statuses -"
                    continue
                fi ;;
            esac
            run_program "$eng" "$rom" "$smp"
            status=$T_STATUS
            err=$(first_error "$work/stderr")
            if [ "$status" -eq 124 ]; then
                echo "  $eng $name: not available: timed out after ${TIMEOUT}s"
                statuses="$statuses timeout"
                continue
            fi
            # A non-zero status may be the program's debug-exit code: only a status
            # with an error message from the emulator means it could not run.
            if [ "$status" -ne 0 ]; then
                case "$err" in
                ember:*|"$QEMU":*|qemu-system-*)
                    echo "  $eng $name: not available: $err"
                    statuses="$statuses err"
                    continue ;;
                esac
            fi
            statuses="$statuses $status"
            i=0
            while [ "$i" -lt "$RUNS" ]; do
                run_program "$eng" "$rom" "$smp"
                echo "$T_MS" >> "$out"
                i=$((i + 1))
            done
        done
        printf '%s\n' "$name -smp $smp|$(cell "$work/ember-kvm.$name")|$(cell "$work/qemu-kvm.$name")|$(ratio "$work/qemu-kvm.$name" "$work/ember-kvm.$name")|$(cell "$work/ember-interp.$name")|$(cell "$work/qemu-tcg.$name")|$(ratio "$work/qemu-tcg.$name" "$work/ember-interp.$name")|$(echo "$statuses" | sed 's/^ //; s/ /\//g')" >> "$work/table-a"
    done
    {
        echo "program|ember kvm|qemu kvm|qemu-kvm/ember-kvm|ember interp|qemu tcg|qemu-tcg/ember-interp|exit status (ek/qk/ei/qt)"
        cat "$work/table-a"
    } | table
fi

# --- (b) guest kit boot --------------------------------------------------------------
echo
echo "(b) guest kit boot to $GUEST_MARKER (and to power-off), -m 512"
if [ "$KVM_KIND" != hardware ]; then
    echo "  skipped: KVM is $KVM_KIND ($KVM_WHY); boot times are only compared on hardware-backed KVM"
else
    boot_table guest-b "ember-kvm ember-kvm-nounpack qemu-kvm" qemu-kvm
fi

# --- (c) ember start-up ----------------------------------------------------------------
echo
echo "(c) ember start-up, exec to first guest instruction"
hello=$ROMS/hello.elf
[ -f "$hello" ] || hello=$(find "$ROMS" -name '*.elf' 2>/dev/null | LC_ALL=C sort | head -n 1)
why=$(engine_why ember-kvm)
if [ -n "$why" ]; then
    echo "  not available: $why"
elif [ -z "$hello" ] || [ ! -f "$hello" ]; then
    echo "  not available: no multiboot program in $ROMS (make roms)"
else
    : > "$work/startup"
    i=0
    while [ "$i" -le "$RUNS" ]; do
        timeout -k 5 "$TIMEOUT" "$EMBER" -accel kvm -m 128 -kernel "$hello" -nographic \
            -serial stdio -no-reboot -device "$DEBUG_EXIT" -d startup \
            < /dev/null > /dev/null 2> "$work/stderr"
        ms=$(sed -n 's/^startup: \([0-9.]*\) ms.*/\1/p' "$work/stderr" | head -n 1)
        [ -z "$ms" ] && break
        [ "$i" -gt 0 ] && echo "$ms" >> "$work/startup"   # run 0 is the warm-up
        i=$((i + 1))
    done
    name=$(basename "$hello" .elf)
    if [ -s "$work/startup" ]; then
        echo "  -d startup ($name): $(cell "$work/startup") ms;" \
             "whole run of $name: $(cell "$work/ember-kvm.$name") ms," \
             "start-up share $(ratio "$work/startup" "$work/ember-kvm.$name")"
    elif [ -s "$work/ember-kvm.$name" ]; then
        err=$(first_error "$work/stderr")
        echo "  -d startup gave no timing${err:+ ($err)};" \
             "upper bound = whole run of $name (process start to exit): $(cell "$work/ember-kvm.$name") ms"
    else
        echo "  not available: -d startup gave no timing: $(first_error "$work/stderr")"
    fi
fi

# --- (d) interpreter speed --------------------------------------------------------------
# alu_loop.elf runs a 4-instruction loop (add, xor, dec, jnz) N times (-append N).
# Loop MIPS = 4 * (N_BIG - N_SMALL) / (median wall time at N_BIG - median at N_SMALL):
# the difference cancels start-up and firmware time, so every engine is measured on
# the same instructions. ember also reports its own count and host time inside
# cpu_exec (EMBER_STATS=1), printed as "in-engine".
echo
echo "(d) interpreter speed: alu_loop.elf, 4-instruction loop, MIPS from wall-time" \
     "medians at N=$ALU_BIG and N=$ALU_SMALL iterations"
alu=$ROMS/alu_loop.elf
# alu_run ENGINE N: one timed run; sets T_MS and T_STATUS, stderr in $work/stderr.
alu_run() {
    case "$1" in
    ember-interp) set -- env EMBER_STATS=1 "$EMBER" -accel interp -m 64 -kernel "$alu" \
                      -append "$2" -nographic -serial stdio -no-reboot -device "$DEBUG_EXIT" ;;
    qemu-tcg) set -- "$QEMU" -accel tcg -m 64 -kernel "$alu" -append "$2" -display none \
                  -serial stdio -monitor none -nic none -no-reboot -device "$DEBUG_EXIT" ;;
    esac
    timed "$TIMEOUT" "" "$@"
}
# alu_engine ENGINE: the runs of one engine, into $work/alu.ENGINE.*
alu_engine() {
    eng=$1
    : > "$work/alu.$eng.big"; : > "$work/alu.$eng.small"; : > "$work/alu.$eng.engine"
    alu_run "$eng" "$ALU_SMALL"                           # warm-up, must succeed
    if [ "$T_STATUS" -ne 33 ]; then
        echo "  $eng: not available: exit status $T_STATUS (expected 33)" \
             "$(first_error "$work/stderr")"
        return 1
    fi
    i=0
    while [ "$i" -lt "$RUNS" ]; do
        alu_run "$eng" "$ALU_SMALL"; echo "$T_MS" >> "$work/alu.$eng.small"
        alu_run "$eng" "$ALU_BIG"; echo "$T_MS" >> "$work/alu.$eng.big"
        sed -n 's/^interp: [0-9]* instructions in .* = \([0-9.]*\) MIPS$/\1/p' \
            "$work/stderr" >> "$work/alu.$eng.engine"
        i=$((i + 1))
    done
}
# loop MIPS of ENGINE from the medians (or "-")
alu_mips() {
    if [ -s "$work/alu.$1.big" ] && [ -s "$work/alu.$1.small" ]; then
        awk -v b="$(median "$work/alu.$1.big")" -v s="$(median "$work/alu.$1.small")" \
            -v n=$((ALU_BIG - ALU_SMALL)) \
            'BEGIN { if (b > s) printf "%.0f", 4 * n / ((b - s) / 1000) / 1e6; else printf "-" }'
    else
        printf -- '-'
    fi
}
if [ ! -f "$alu" ]; then
    echo "  not available: no $alu (make roms)"
else
    for eng in ember-interp qemu-tcg; do
        case "$eng" in
        ember-interp) [ -x "$EMBER" ] || { echo "  $eng: not available: no ember binary at $EMBER"; continue; } ;;
        qemu-tcg) why=$(engine_why qemu-tcg)
                  [ -n "$why" ] && { echo "  $eng: not available: $why"; continue; } ;;
        esac
        alu_engine "$eng"
    done
    e=$(alu_mips ember-interp); q=$(alu_mips qemu-tcg)
    {
        echo "engine|N=$ALU_SMALL ms|N=$ALU_BIG ms|loop MIPS|in-engine MIPS"
        for eng in ember-interp qemu-tcg; do
            inengine=-
            [ -s "$work/alu.$eng.engine" ] && inengine=$(median "$work/alu.$eng.engine")
            echo "$eng|$(cell "$work/alu.$eng.small")|$(cell "$work/alu.$eng.big")|$(alu_mips "$eng")|$inengine"
        done
        echo "bochs|not available: bochs cannot load multiboot ELFs directly|-|-|-"
    } | table
    awk -v e="$e" -v q="$q" -v b="$BOCHS_MIPS" 'BEGIN {
        if (e + 0 > 0 && q + 0 > 0) printf "  qemu-tcg / ember-interp: %.2f\n", q / e
        if (e + 0 > 0) printf "  ember-interp / Bochs (%d MIPS, measured for Bochs 2.7 on this loop, not in this run): %.2f\n", b, e / b
    }'
fi

# --- Bochs -------------------------------------------------------------------------
echo
if command -v bochs > /dev/null 2>&1; then
    echo "bochs: installed, but it cannot load a multiboot program or a Linux kernel directly:" \
         "(d) uses the 110 MIPS measured for Bochs 2.7 on the same loop"
else
    echo "bochs: not installed (Debian package bochs); it cannot load a multiboot program or a" \
         "Linux kernel directly: (d) uses the 110 MIPS measured for Bochs 2.7 on the same loop"
fi

# --- (e) guest kit boot under the interpreter ------------------------------------------
echo
echo "(e) guest kit boot to $GUEST_MARKER (and to power-off) without KVM, -m 512"
boot_table guest-e "ember-interp ember-interp-nounpack qemu-tcg" qemu-tcg
