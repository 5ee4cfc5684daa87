# Shared helpers for the long tests (tests/long/*.sh), `make run` (tests/guest/run.sh)
# and `make bench` (tests/bench/bench.sh). Sourced, not run. POSIX sh.
#
#   kvm_detect            sets KVM_KIND (hardware|software|missing) and KVM_WHY
#   ember_has_accel NAME  does this ember build list engine NAME in `-accel help`?
#   ember_cmd_encode CMD  percent-encodes CMD for the guest's ember.cmd= parameter
#   guest_ensure          builds the guest kit if needed; sets GUEST_KERNEL, GUEST_INITRD
#   guest_run LOG CMD...  runs CMD (an emulator) under the long-test timeout, console in
#                         LOG, stderr in LOG.err; sets RUN_STATUS, RUN_TIMED_OUT, RUN_MS
#   guest_check ...       checks a guest run of ember.cmd (marker, output, exit 0)
#   test_pass/test_fail/test_skip  print the result line and exit

LIB_REPO=${LIB_REPO:-$(cd "$(dirname "$0")/../.." && pwd)}
EMBER=${EMBER:-$LIB_REPO/ember}
EMBER_LONG_TIMEOUT=${EMBER_LONG_TIMEOUT:-1800}
GUEST_MARKER="EMBER-GUEST-READY"
TEST_NAME=${TEST_NAME:-$(basename "$0" .sh)}

test_pass() { printf 'PASS %s\n' "$TEST_NAME"; exit 0; }
test_fail() { printf 'FAIL %s: %s\n' "$TEST_NAME" "$*"; exit 1; }
test_skip() { printf 'SKIP %s: %s\n' "$TEST_NAME" "$*"; exit 0; }

now_ns() { date +%s%N; }

# What backs /dev/kvm here. "software" is PVM (kvm_pvm): guest ring 0 is emulated, so a
# Linux boot may take very long; "hardware" is VT-x/AMD-V.
kvm_detect() {
    if [ ! -e /dev/kvm ]; then
        KVM_KIND=missing
        KVM_WHY="/dev/kvm does not exist"
        if [ -d /sys/module/kvm_pvm ]; then
            KVM_WHY="$KVM_WHY (kvm_pvm is loaded but did not bind)"
        fi
    elif ! (: <>/dev/kvm) 2>/dev/null; then
        KVM_KIND=missing
        KVM_WHY="/dev/kvm cannot be opened read-write by $(id -un)"
    elif [ -d /sys/module/kvm_pvm ]; then
        KVM_KIND=software
        KVM_WHY="kvm_pvm is loaded: KVM is software-backed (PVM), guest ring 0 is emulated"
    elif [ -d /sys/module/kvm_intel ] || [ -d /sys/module/kvm_amd ]; then
        KVM_KIND=hardware
        KVM_WHY="kvm_intel/kvm_amd: hardware virtualization"
    elif grep -Eqw 'vmx|svm' /proc/cpuinfo 2>/dev/null; then
        KVM_KIND=hardware
        KVM_WHY="the CPU has vmx/svm"
    else
        KVM_KIND=software
        KVM_WHY="no kvm_intel/kvm_amd module and no vmx/svm CPU flag"
    fi
}

# Ember prints its compiled-in engines with `-accel help`, one name first on a line.
ember_has_accel() {
    "$EMBER" -accel help 2>/dev/null | grep -Eq "^[[:space:]]*$1([[:space:]:,]|\$)"
}

# Percent-encodes $1 for ember.cmd=: every byte outside [A-Za-z0-9._/=:,;+-] becomes %XX.
ember_cmd_encode() {
    printf '%s' "$1" | od -An -v -tu1 | awk '
        BEGIN {
            keep = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789._/=:,;+-"
            for (i = 1; i <= length(keep); i++) {
                for (c = 32; c < 127; c++) {
                    if (sprintf("%c", c) == substr(keep, i, 1)) { safe[c] = 1; break }
                }
            }
        }
        { for (i = 1; i <= NF; i++) {
              if ($i in safe) printf "%c", $i + 0
              else printf "%%%02X", $i
          } }
        END { printf "\n" }'
}

# Builds the guest kit if needed (quietly unless it fails).
guest_ensure() {
    cache=${EMBER_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/ember}
    GUEST_KERNEL=$cache/guest/vmlinuz
    GUEST_INITRD=$cache/guest/initrd.gz
    guest_log=${TMPDIR:-/tmp}/ember-mkguest.$$.log
    if ! sh "$LIB_REPO/tests/guest/mkguest.sh" > "$guest_log" 2>&1; then
        cat "$guest_log"
        why=$(tail -n 1 "$guest_log")
        rm -f "$guest_log"
        test_fail "could not build the guest kit: $why"
    fi
    rm -f "$guest_log"
}

# The kernel release of the guest kit (what `uname -r` prints in the guest).
guest_kernel_release() {
    sed -e 's/^linux-image-//' -e 's/_.*//' -e 's/-unsigned$//' \
        "$(dirname "$GUEST_KERNEL")/kernel-version"
}

# Folder for console logs of the long tests.
long_log_dir() {
    dir=${EMBER_LONG_LOGS:-$LIB_REPO/build/long}
    mkdir -p "$dir"
    printf '%s\n' "$dir"
}

# guest_run LOG CMD...: runs CMD with stdin from /dev/null under the timeout.
guest_run() {
    log=$1; shift
    start=$(now_ns)
    timeout -k 10 "$EMBER_LONG_TIMEOUT" "$@" < /dev/null > "$log" 2> "$log.err"
    RUN_STATUS=$?
    RUN_MS=$(( ($(now_ns) - start) / 1000000 ))
    RUN_TIMED_OUT=no
    [ "$RUN_STATUS" -eq 124 ] && RUN_TIMED_OUT=yes
    tr -d '\r' < "$log" > "$log.txt"
    return 0
}

# The last non-empty console line (terminal escapes removed, printable characters only).
last_console_line() {
    esc=$(printf '\033')
    sed "s/$esc\[[0-9;?]*[A-Za-z]//g" "$1" | tr -cd '[:print:]\n' |
        grep -v '^[[:space:]]*$' | tail -n 1
}

# Prints the end of the console and stderr logs (into the test's own log).
show_logs() {
    echo "--- last console lines ($1.txt) ---"
    tail -n 25 "$1.txt"
    if [ -s "$1.err" ]; then
        echo "--- stderr ---"
        tail -n 15 "$1.err"
    fi
}

# guest_check LOG WHAT PATTERN...: checks a finished guest_run of an ember.cmd guest:
# marker, every PATTERN (grep -E, each must match a whole console line),
# "EMBER-CMD-DONE rc=0", exit status 0. Fails the test with how far the boot got.
guest_check() {
    log=$1; what=$2; shift 2
    secs=$((RUN_MS / 1000))
    if ! grep -q "$GUEST_MARKER" "$log.txt"; then
        show_logs "$log"
        if [ "$RUN_TIMED_OUT" = yes ]; then
            test_fail "$what: timed out after ${EMBER_LONG_TIMEOUT}s before $GUEST_MARKER; last console line: $(last_console_line "$log")"
        fi
        err=$(grep -v 'note:\|warning:' "$log.err" | head -n 1)
        test_fail "$what: exited with status $RUN_STATUS after ${secs}s before $GUEST_MARKER; last console line: $(last_console_line "$log")${err:+; stderr: $err}"
    fi
    for pattern in "$@"; do
        if ! grep -Eq "^($pattern)\$" "$log.txt"; then
            show_logs "$log"
            if [ "$RUN_TIMED_OUT" = yes ]; then
                test_fail "$what: timed out after ${EMBER_LONG_TIMEOUT}s waiting for '$pattern'; last console line: $(last_console_line "$log")"
            fi
            test_fail "$what: no console line matches '$pattern' (status $RUN_STATUS); last console line: $(last_console_line "$log")"
        fi
    done
    if ! grep -q '^EMBER-CMD-DONE rc=0$' "$log.txt"; then
        show_logs "$log"
        done_line=$(grep '^EMBER-CMD-DONE' "$log.txt" | head -n 1)
        test_fail "$what: ${done_line:-no EMBER-CMD-DONE line}; last console line: $(last_console_line "$log")"
    fi
    if [ "$RUN_TIMED_OUT" = yes ]; then
        show_logs "$log"
        test_fail "$what: the guest did not power off within ${EMBER_LONG_TIMEOUT}s; last console line: $(last_console_line "$log")"
    fi
    if [ "$RUN_STATUS" -ne 0 ]; then
        show_logs "$log"
        test_fail "$what: exit status $RUN_STATUS after power-off (want 0)"
    fi
    echo "$what: guest ran to power-off in ${RUN_MS} ms"
}

# The kernel command line for an ember.cmd run of CMD; the nonce (new for each test
# run) proves the command line got through.
GUEST_NONCE=$$.$(date +%s%N)
guest_append() {
    printf 'console=ttyS0 panic=-1 ember.nonce=%s ember.cmd=%s%s\n' \
        "$GUEST_NONCE" "$(ember_cmd_encode "$1")" "${2:+ $2}"
}

# Kernel parameters a guest needs on this host's KVM: kvm_pvm's ring-0 emulator cannot
# execute XRSTOR yet keeps XSAVE in the guest's CPUID, so Linux must not use XSAVE.
kvm_guest_params() {
    kvm_detect
    if [ "$KVM_KIND" = software ]; then
        printf 'noxsave'
    fi
}

# Escapes $1 for use inside an extended regular expression.
re_escape() {
    printf '%s\n' "$1" | sed 's/[].[^$*+?(){}|\\]/\\&/g'
}

# ember_guest_run LOG CMD [EXTRA-ARGS...]: boots the guest kit under ember -accel kvm
# with ember.cmd=CMD; EXTRA-ARGS go last (e.g. -smp 2, -machine ...).
ember_guest_run() {
    log=$1; cmd=$2; shift 2
    accel=${EMBER_LONG_ACCEL:-kvm}
    extra=
    [ "$accel" = kvm ] && extra=$(kvm_guest_params)
    guest_run "$log" "$EMBER" -accel "$accel" -m 512 -kernel "$GUEST_KERNEL" \
        -initrd "$GUEST_INITRD" -append "$(guest_append "$cmd" "$extra")" -nographic \
        -serial stdio -no-reboot -device isa-debug-exit,iobase=0xf4,iosize=0x04 "$@"
}

# Common start of the ember long tests: SKIP without a usable /dev/kvm, FAIL without
# an ember binary, build the guest kit.
long_ember_prologue() {
    if [ "${EMBER_LONG_ACCEL:-kvm}" = interp ]; then
        [ -x "$EMBER" ] || test_fail "no ember binary at $EMBER (run make first)"
        guest_ensure
        return
    fi
    kvm_detect
    if [ "$KVM_KIND" = missing ]; then
        test_skip "needs KVM: $KVM_WHY"
    fi
    [ -x "$EMBER" ] || test_fail "no ember binary at $EMBER (run make first)"
    if [ "$KVM_KIND" = software ]; then
        echo "note: $KVM_WHY; a Linux boot can take very long (timeout ${EMBER_LONG_TIMEOUT}s)"
    fi
    guest_ensure
}
