#!/usr/bin/env bash
# verify reads every record back from disk: exit 0 on a sound log, exit 5
# naming the seq when a byte on disk changed under the running daemon; and a
# damaged log is refused at start-up, naming file, offset and seq.
. "$(dirname "$0")/lib.sh"

start_daemon || finish
expect_exit 0 rollcall import "$ROLLCALL_EXAMPLES/mmas.jsonl"
expect_exit 0 rollcall --json verify
assert_eq "true 8" "$(jq -r '"\(.ok) \(.checked)"' <<<"$OUT")" "a sound log verifies"

# Damage record 4 on disk: change one byte of "Bahamas" (as "Bahamaz").
segment=$(ls "$DATA"/*.rlog 2>/dev/null | head -n 1)
[ -n "$segment" ] || segment=$(find "$DATA" -type f ! -name LOCK | head -n 1)
offset=$(grep -obUa "Bahamas" "$segment" | head -n 1 | cut -d: -f1)
printf 'z' | dd of="$segment" bs=1 seek=$((offset + 6)) conv=notrunc status=none
expect_exit 5 rollcall --json verify
assert_eq "false 4" "$(jq -r '"\(.ok) \(.errors[0].seq)"' <<<"$OUT")" "verify names the damaged seq"
expect_exit 5 rollcall --format table verify
assert_contains "$OUT$ERR" "4" "the table names it too"
stop_daemon

# Restarting on the damaged log: refused, with the place named.
mkfifo "$T/ready2"
"$ROLLCALL_LAUNCH" "$T/ready2" -- "$ROLLCALLD" --data-dir "$DATA" --socket "$ROLLCALL_SOCKET" \
    >"$T/refused.log" 2>&1 &
launcher=$!
read -r pid <"$T/ready2"
wait "$launcher"
code=$?
assert_eq "" "$pid" "rollcalld does not become ready on a damaged log"
[ "$code" -ne 0 ] && pass "it exits non-zero ($code)" || fail "it exited 0"
assert_contains "$(cat "$T/refused.log")" "$(basename "$segment")" "the error names the segment"
assert_contains "$(cat "$T/refused.log")" "seq 4" "and the seq"
finish
