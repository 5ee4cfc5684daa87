#!/bin/sh
# `make run`: boots the guest kit (tests/guest/mkguest.sh) in ember with an interactive
# busybox shell on the serial console; leaving the shell powers the guest off.
# Engine: -accel kvm when /dev/kvm opens and is hardware-backed, else -accel interp.
# Environment: EMBER (binary, default ./ember), EMBER_ACCEL (force an engine),
# EMBER_APPEND (extra kernel parameters, e.g. ember.cmd=... or quiet).
# Extra arguments are passed on to ember (e.g. sh tests/guest/run.sh -smp 2).
set -u
# shellcheck source-path=SCRIPTDIR source=../long/lib.sh
. "$(dirname "$0")/../long/lib.sh"

sh "$LIB_REPO/tests/guest/mkguest.sh" || exit 1
cache=${EMBER_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/ember}
kernel=$cache/guest/vmlinuz
initrd=$cache/guest/initrd.gz

if [ ! -x "$EMBER" ]; then
    echo "run: no ember binary at $EMBER (run make first)" >&2
    exit 1
fi

accel=${EMBER_ACCEL:-}
if [ -z "$accel" ]; then
    kvm_detect
    if [ "$KVM_KIND" = hardware ]; then
        accel=kvm
    else
        accel=interp
        if ! ember_has_accel interp && ! ember_has_accel tcg; then
            echo "run: cannot run the guest: KVM is $KVM_KIND ($KVM_WHY) and this ember has no interpreter (-accel interp is not implemented yet); EMBER_ACCEL=kvm forces KVM" >&2
            exit 1
        fi
    fi
fi

echo "run: ember -accel $accel; leave the guest shell (exit) to power off" >&2
exec "$EMBER" -accel "$accel" -m 512 -kernel "$kernel" -initrd "$initrd" \
    -append "console=ttyS0${EMBER_APPEND:+ $EMBER_APPEND}" -nographic "$@"
