#!/usr/bin/env bash
# export | import reproduces the log: same events, same seqs, targets intact.
. "$(dirname "$0")/lib.sh"

start_daemon || finish
expect_exit 0 rollcall import "$ROLLCALL_EXAMPLES/mmas.jsonl"
expect_exit 0 rollcall correct 4 --date 2024-09-16 --reason "instrument deposited earlier"
expect_exit 0 rollcall retract 6 --note "ratification not confirmed"
# A second import is a no-op: every line carries an id already stored.
expect_exit 0 rollcall import "$ROLLCALL_EXAMPLES/mmas.jsonl"
assert_eq 10 "$(rollcall --json status | jq '.head')" "re-importing the dataset stores nothing"
rollcall export >"$T/export.jsonl" || fail "export"
assert_eq 10 "$(wc -l <"$T/export.jsonl")" "export writes every event"
state_before=$(rollcall --json state mmas --at 2025-01-01)
stop_daemon

DATA="$T/data2"
start_daemon || finish
expect_exit 0 rollcall import "$T/export.jsonl"
rollcall export >"$T/export2.jsonl" || fail "second export"
strip() { jq -c 'del(.recorded)' "$1"; }
assert_eq "$(strip "$T/export.jsonl")" "$(strip "$T/export2.jsonl")" \
    "the re-imported log is the same, seq for seq"
assert_eq "$(jq -c 'del(.as_of_seq)' <<<"$state_before")" \
    "$(rollcall --json state mmas --at 2025-01-01 | jq -c 'del(.as_of_seq)')" \
    "and derives the same state"

# An export can't be imported into a log at another point: its targets would move.
expect_exit 4 rollcall import "$T/export.jsonl"
assert_contains "$ERR" "conflict" "importing an export twice is refused"
stop_daemon
finish
