#!/bin/sh
# The listing options: -device help, -device NAME,help, -cpu help, -d help, -help.
. tests/cli/lib.sh
expect_output device-help 'name "isa-debug-exit"' -device help
expect_output device-help-serial 'name "isa-serial"' -device help
expect_output device-props 'iobase' -device isa-debug-exit,help
expect_output cpu-help 'host' -cpu help
expect_output log-help 'in_asm' -d help
expect_output accel-help 'kvm' -accel help
expect_output usage '-kernel' -help
expect_output version 'ember version' -version
expect_output machine-help 'linux-unpack' -machine help
finish
