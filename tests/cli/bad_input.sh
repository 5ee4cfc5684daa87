#!/bin/sh
# Bad user input: each case gives one clear line on stderr and exit status 1.
. tests/cli/lib.sh
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
head -c 70000 /dev/urandom > "$tmp/random.bin"
: > "$tmp/empty.bin"
head -c 100000 /dev/zero > "$tmp/odd-size.bin"
printf 'MZ not a kernel\n' > "$tmp/tiny.bin"

expect_error unknown-option 'unknown option .-frobnicate' -frobnicate
expect_error missing-argument "needs an argument" -m
expect_error stray-argument "unexpected argument" disk.img
expect_error unknown-device "unknown device 'nosuchdevice'" -device nosuchdevice
expect_error bad-property-value "bad value 'zzz' for property 'iobase'" -device isa-debug-exit,iobase=zzz
expect_error unknown-property "no property 'colour'" -device isa-debug-exit,colour=red
expect_error property-out-of-range "bad value '0x10000'" -device isa-debug-exit,iobase=0x10000
expect_error malformed-property "not of the form property=value" -device isa-debug-exit,iobase
expect_error missing-kernel "/nonexistent/vmlinuz: No such file" -kernel /nonexistent/vmlinuz
expect_error random-kernel "random.bin" -kernel "$tmp/random.bin"
expect_error tiny-kernel "tiny.bin" -kernel "$tmp/tiny.bin"
expect_error empty-kernel "empty.bin" -kernel "$tmp/empty.bin"
expect_error directory-kernel "$tmp" -kernel "$tmp"
expect_error missing-initrd "/nonexistent/initrd" -kernel build/roms/hello.elf -initrd /nonexistent/initrd
expect_error initrd-without-kernel "-initrd needs -kernel" -initrd "$tmp/random.bin"
expect_error garbage-memory "-m lots: not a memory size" -m lots
expect_error garbage-memory-suffix "not a memory size" -m 12Q
expect_error negative-memory "not a memory size" -m -5
expect_error zero-memory "too little memory" -m 0
expect_error oversized-memory "too much memory" -m 2T
expect_error huge-memory "not a memory size|too much memory" -m 99999999999999999999999G
expect_error bad-smp "CPU count" -smp 0
expect_error bad-smp-text "CPU count" -smp many
expect_error unknown-accel "unknown engine 'warp'" -accel warp
expect_error unknown-cpu "unknown CPU model" -cpu pentium9 -kernel build/roms/hello.elf
expect_error unknown-log-item "unknown log item 'nosuch'" -d nosuch
expect_error bad-dfilter "-dfilter: bad range 'main'" -d in_asm -dfilter main
expect_error reversed-dfilter "-dfilter: bad range '0x2000..0x1000'" -dfilter 0x2000..0x1000
expect_error unknown-machine "unknown machine 'q35'" -machine q35
expect_error bad-machine-option "linux-unpack wants on or off" -machine pc,linux-unpack=maybe
expect_error missing-bios "/nonexistent/bios.bin" -bios /nonexistent/bios.bin
expect_error empty-bios "multiple of 64 KiB" -bios "$tmp/empty.bin"
expect_error truncated-bios "multiple of 64 KiB" -bios "$tmp/odd-size.bin"
expect_error bad-serial "unknown chardev backend|serial" -serial bogus:thing
expect_error unsupported-option "not supported yet" -hda disk.img
expect_error bad-display "display" -display gtk
finish
