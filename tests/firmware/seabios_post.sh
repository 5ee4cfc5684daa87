#!/bin/sh
# SeaBIOS (Debian's bios.bin, not ours) runs its whole POST on the pc machine: its
# debug log on port 0x402 must show the banner, the PCI enumeration, the RAM size and
# the boot attempts ending in "No bootable device". Under the interpreter always; under
# KVM where /dev/kvm opens, and then the important lines must match the interpreter's.
EMBER=${EMBER:-./ember}
BIOS=/usr/share/seabios/bios.bin
fails=0
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

# run_post ENGINE LOG: boot SeaBIOS with no disks until it gives up (or 300 s pass).
run_post() {
    engine=$1; log=$2
    : > "$log"
    "$EMBER" -accel "$engine" -m 128 -bios "$BIOS" -display none -serial null \
        -chardev "file,id=log,path=$log" -device isa-debugcon,iobase=0x402,chardev=log \
        </dev/null >"$tmp/$engine.out" 2>&1 &
    pid=$!
    n=0
    while [ $n -lt 600 ] && ! grep -q "No bootable device" "$log" 2>/dev/null; do
        if ! kill -0 "$pid" 2>/dev/null; then
            break
        fi
        sleep 0.5
        n=$((n + 1))
    done
    kill "$pid" 2>/dev/null
    wait "$pid" 2>/dev/null
}

# The lines that must be there, as fixed strings.
important() {
    log=$1
    grep -F -e "SeaBIOS (version" -e "Found QEMU fw_cfg" -e "Found 2 PCI devices" \
        -e "PCI: init bdf=00:00.0 id=8086:1237" -e "PCI: init bdf=00:01.0 id=8086:7000" \
        -e "qemu/e820: addr 0x0000000000100000 len 0x0000000007f00000 [RAM]" \
        -e "Found 1 serial ports" -e "Booting from Hard Disk..." \
        -e "No bootable device." "$log" | sort -u
}

check_post() {
    name=$1; log=$2
    want=9
    got=$(important "$log" | wc -l)
    if [ "$got" -ne "$want" ]; then
        echo "FAIL $name: $got of $want important SeaBIOS lines; log tail: $(tail -n 3 "$log" | tr '\n' '|')"
        fails=$((fails + 1))
        return 1
    fi
    echo "PASS $name"
    return 0
}

if [ ! -r "$BIOS" ]; then
    echo "FAIL seabios-post: $BIOS is missing (configure installs the seabios package)"
    exit 1
fi

run_post interp "$tmp/interp.log"
check_post seabios-post-interp "$tmp/interp.log"

# /dev/kvm must open (a device node alone is not enough: the module may not bind)
if [ -c /dev/kvm ] && ( exec 3<>/dev/kvm ) 2>/dev/null; then
    run_post kvm "$tmp/kvm.log"
    if check_post seabios-post-kvm "$tmp/kvm.log"; then
        if [ "$(important "$tmp/interp.log")" = "$(important "$tmp/kvm.log")" ]; then
            echo "PASS seabios-post-same-on-both-engines"
        else
            echo "FAIL seabios-post-same-on-both-engines: the important lines differ"
            fails=$((fails + 1))
        fi
    fi
else
    echo "SKIP seabios-post-kvm: /dev/kvm cannot be opened here"
fi
[ "$fails" -eq 0 ]
