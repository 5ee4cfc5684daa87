#!/bin/sh
# Tracing under -accel interp: -d in_asm,exec,cpu -D FILE on roms/tests/hello.S. The log
# must show the program's first instructions at its entry (_start in testlib.inc: cli;
# cld; mov $(kstacks + KSTACK_SIZE), %esp; movl %eax, boot_magic; ...; lgdt) with their
# bytes and capstone's disassembly, the per-instruction address lines, register dumps
# in the multiboot entry state, and ring-3 instructions (CS 001b) later on.
. tests/interp/lib.sh

prog=hello
rom_expectations "$prog"            # sets rom_args
if interp_prerequisites interp-trace "$prog"; then
    if ! command -v nm >/dev/null 2>&1; then
        echo "SKIP interp-trace: nm (binutils) is not installed"
        finish
    fi
    entry=$(nm "$ROMS/$prog.elf" | awk '$3 == "_start" { print $1 }')
    if [ -z "$entry" ]; then
        echo "FAIL interp-trace: no _start symbol in $ROMS/$prog.elf"
        fails=$((fails + 1))
        finish
    fi
    e0=$(printf '%08x' $((0x$entry)))
    e1=$(printf '%08x' $((0x$entry + 1)))
    e2=$(printf '%08x' $((0x$entry + 2)))
    e7=$(printf '%08x' $((0x$entry + 7)))
    log=$(mktemp)
    out=$(mktemp)
    err=$(mktemp)
    interp_run "$prog" "$out" "$err" -d in_asm,exec,cpu -D "$log"
    # hello.sh checks the program's result; here only the log matters, so any end of
    # the run will do (a reset or a wrong status still leaves a log to check)
    if [ "$rc" -eq 124 ]; then
        echo "FAIL interp-trace: no exit within ${RUN_TIMEOUT}s"
        fails=$((fails + 1))
    elif [ ! -s "$log" ]; then
        echo "FAIL interp-trace: empty log (status $rc); $(head -c 300 "$err" | tr '\n' ' ')"
        fails=$((fails + 1))
    else
        # in_asm: "0x<linear> <CS>:<eip>: <bytes>  <disassembly>", in program order
        missing=""
        for pattern in \
            "^0x$e0 0008:$e0: fa +cli\$" \
            "^0x$e1 0008:$e1: fc +cld\$" \
            "^0x$e2 0008:$e2: bc( [0-9a-f]{2}){4} +mov esp, 0x[0-9a-f]+\$" \
            "^0x$e7 0008:$e7: a3( [0-9a-f]{2}){4} +mov dword ptr \[0x[0-9a-f]+\], eax\$" \
            "^0x[0-9a-f]{8} 0008:[0-9a-f]{8}: 0f 01 15( [0-9a-f]{2}){4} +lgdt " \
            "^0x[0-9a-f]{8} 001b:[0-9a-f]{8}: .* +(out|in) "; do
            grep -Eq "$pattern" "$log" || { missing="$pattern"; break; }
        done
        order=$(grep -E "^0x($e0|$e1|$e2|$e7) " "$log" | head -n 4 | cut -d ' ' -f 1 | tr '\n' ' ')
        if [ -n "$missing" ]; then
            echo "FAIL interp-trace-in_asm: the log lacks /$missing/: $(grep -m 3 '^0x' "$log" | tr '\n' ' ' | cut -c 1-300)"
            fails=$((fails + 1))
        elif [ "$order" != "0x$e0 0x$e1 0x$e2 0x$e7 " ]; then
            echo "FAIL interp-trace-in_asm: first entry instructions out of order: $order"
            fails=$((fails + 1))
        else
            echo "PASS interp-trace-in_asm"
        fi
        # exec: one address line per instruction; the first is the entry
        first_exec=$(grep -m 1 '^exec ' "$log")
        if [ "$first_exec" = "exec 0x$e0 0008:$e0" ]; then
            echo "PASS interp-trace-exec"
        else
            echo "FAIL interp-trace-exec: first exec line is '$first_exec', expected 'exec 0x$e0 0008:$e0'"
            fails=$((fails + 1))
        fi
        # cpu: the multiboot entry state (EAX = 0x2badb002, protected mode, flat CS)
        if grep -q '^EAX=2badb002 ' "$log" && grep -q "^EIP=$e0 " "$log" &&
            grep -Eq '^CS =0008 00000000 ffffffff 00c09b00' "$log"; then
            echo "PASS interp-trace-cpu"
        else
            echo "FAIL interp-trace-cpu: no register dump of the multiboot entry state: $(grep -m 4 -E '^(EAX|EIP|CS )' "$log" | tr '\n' ' ')"
            fails=$((fails + 1))
        fi
    fi
    rm -f "$log" "$out" "$err"
fi
finish
