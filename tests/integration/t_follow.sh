#!/usr/bin/env bash
# follow: catch-up from the log, then live events as another client appends,
# in seq order, none skipped or twice; a closed pipe ends it cleanly.
. "$(dirname "$0")/lib.sh"

start_daemon || finish
expect_exit 0 rollcall import "$ROLLCALL_EXAMPLES/mmas.jsonl"

# head -n 28 exits after 28 lines: 8 stored events, then 20 live ones.
mkfifo "$T/follow"
rollcall --json follow --from-seq 1 >"$T/follow" 2>"$T/follow.err" &
follower=$!
head -n 28 <"$T/follow" >"$T/seen" &
reader=$!

for i in $(seq 1 20); do
    rollcall record announced mmas "Country $i" 2025-01-01 --venue "Venue $i" >/dev/null ||
        fail "append $i"
done
wait "$reader"
assert_eq "$(seq 1 28 | paste -sd' ')" "$(jq -r '.seq' "$T/seen" | paste -sd' ')" \
    "every event once, in seq order"
assert_eq "Venue 20" "$(jq -r 'select(.seq == 28) | .venue' "$T/seen")" "live events carry their fields"
wait "$follower"
assert_eq 0 "$?" "follow exits 0 when its reader goes away"
assert_eq "" "$(cat "$T/follow.err")" "and says nothing about it"

# A coalition filter.
expect_exit 0 rollcall record established other 2025 --name "Other"
rollcall --json follow other --from-seq 1 | head -n 1 >"$T/other" || true
assert_eq "other" "$(jq -r '.coalition' "$T/other")" "follow COALITION skips other coalitions"

# SIGINT ends follow with exit 0. It is under way once it printed an event.
mkfifo "$T/live"
exec 3<>"$T/live"
# (A shell starts background jobs with SIGINT ignored; give it back, as a
# terminal's foreground job would have it.)
env --default-signal=INT "$ROLLCALL" --json follow --from-seq 1 >"$T/live" 2>"$T/live.err" &
follower=$!
read -r first <&3
assert_eq 1 "$(jq '.seq' <<<"$first")" "follow started from seq 1"
kill -INT "$follower"
wait "$follower"
assert_eq 0 "$?" "follow exits 0 on SIGINT"
stop_daemon
finish
