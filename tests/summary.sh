#!/bin/sh
# Adds up the results of a test run and prints the closing line; exits 1 on any failure.
dir=$1
passed=0; failed=0; skipped=0
for f in "$dir"/*.txt; do
    [ -f "$f" ] || continue
    while IFS= read -r line; do
        case "$line" in
        "PASS unit"*) n=$(printf '%s' "$line" | sed -n 's/.*passed=\([0-9]*\).*/\1/p'); passed=$((passed + ${n:-1})) ;;
        "FAIL unit"*) n=$(printf '%s' "$line" | sed -n 's/.*passed=\([0-9-]*\).*/\1/p')
                      m=$(printf '%s' "$line" | sed -n 's/.*failed=\([0-9]*\).*/\1/p')
                      [ "${n:-0}" -gt 0 ] 2>/dev/null && passed=$((passed + n)); failed=$((failed + ${m:-1})) ;;
        PASS*) passed=$((passed + 1)) ;;
        FAIL*) failed=$((failed + 1)) ;;
        SKIP*) skipped=$((skipped + 1)); echo "$line" ;;
        esac
    done < "$f"
done
echo "$passed passed, $failed failed, $skipped skipped"
[ "$failed" -eq 0 ] && [ "$passed" -gt 0 ]
