#!/bin/sh
# Runs test scripts of one group. Each script prints lines "PASS name", "FAIL name" or
# "SKIP name: reason" and exits non-zero on failure; results go to build/results/GROUP.txt.
group=$1; shift
mkdir -p build/results
out=build/results/$group.txt
: > "$out"
status=0
for t in "$@"; do
    [ -f "$t" ] || continue
    name=$(basename "$t" .sh)
    log=build/results/$group-$name.log
    sh "$t" > "$log" 2>&1
    rc=$?
    grep -E '^(PASS|FAIL|SKIP) ' "$log" | sed "s|^\([A-Z]*\) |\1 $group/$name: |" >> "$out"
    if [ "$rc" -ne 0 ] && ! grep -q '^FAIL ' "$log"; then
        echo "FAIL $group/$name: exited with status $rc" >> "$out"
    fi
    if [ "$rc" -ne 0 ]; then
        status=1
        echo "FAIL $group/$name (see $log)"
        grep -E '^FAIL ' "$log" | head -n 20
    else
        grep -E '^(PASS|SKIP) ' "$log" | sed "s|^|  $group/$name: |"
    fi
done
exit $status
