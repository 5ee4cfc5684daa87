# Shared helpers for command-line tests. Source from the repository root.
EMBER=${EMBER:-./ember}
fails=0

# expect_error NAME PATTERN ARGS...: ember must exit with status 1 and print exactly one
# line on stderr, matching PATTERN (a grep -E expression), and nothing that looks like a crash.
expect_error() {
    name=$1; pattern=$2; shift 2
    err=$(mktemp)
    timeout 30 "$EMBER" "$@" </dev/null >/dev/null 2>"$err"
    rc=$?
    lines=$(wc -l < "$err")
    if [ "$rc" -ne 1 ]; then
        echo "FAIL $name: exit status $rc, expected 1 (stderr: $(head -c 300 "$err"))"
        fails=$((fails + 1))
    elif [ "$lines" -ne 1 ]; then
        echo "FAIL $name: $lines lines on stderr, expected 1: $(head -c 300 "$err")"
        fails=$((fails + 1))
    elif ! grep -Eq -e "$pattern" "$err"; then
        echo "FAIL $name: stderr '$(cat "$err")' does not match /$pattern/"
        fails=$((fails + 1))
    else
        echo "PASS $name"
    fi
    rm -f "$err"
}

# expect_output NAME PATTERN ARGS...: exit 0 and stdout matching PATTERN.
expect_output() {
    name=$1; pattern=$2; shift 2
    out=$(timeout 30 "$EMBER" "$@" </dev/null 2>&1)
    rc=$?
    if [ "$rc" -ne 0 ]; then
        echo "FAIL $name: exit status $rc: $(printf '%s' "$out" | head -c 300)"
        fails=$((fails + 1))
    elif ! printf '%s\n' "$out" | grep -Eq -e "$pattern"; then
        echo "FAIL $name: output does not match /$pattern/: $(printf '%s' "$out" | head -c 300)"
        fails=$((fails + 1))
    else
        echo "PASS $name"
    fi
}

finish() {
    [ "$fails" -eq 0 ]
    exit $?
}
