#!/usr/bin/env bash
# Appending through the client: record, idempotent repeats, expect_head
# conflicts, refusals that name what was wrong (and change nothing), and the
# exit codes of cli.md.
. "$(dirname "$0")/lib.sh"

start_daemon || finish
head() { rollcall --json status | jq '.head'; }

expect_exit 0 rollcall record established nato 1949-04-04 --name "North Atlantic Treaty Organization" \
    --id nato-1
assert_eq 1 "$OUT" "record prints the seq"
expect_exit 0 rollcall record signed nato "Iceland" 1949-04-04 --id nato-2
assert_eq 2 "$OUT" "second seq"

# The same id with the same content is a repeat: the original seq, nothing stored.
expect_exit 0 rollcall record signed nato "Iceland" 1949-04-04 --id nato-2
assert_eq 2 "$OUT" "an idempotent repeat answers the original seq"
assert_eq 2 "$(head)" "a repeat stores nothing"

# The same id with other content is a conflict (exit 4) naming the original.
expect_exit 4 rollcall record signed nato "Norway" 1949-04-04 --id nato-2
assert_contains "$ERR" "conflict" "id reuse is a conflict"
assert_eq 2 "$(head)" "a conflict stores nothing"

# expect_head.
expect_exit 4 rollcall record adhered nato "Greece" 1952-02-18 --expect-head 1
assert_contains "$ERR" "conflict" "a stale expect_head is a conflict"
expect_exit 0 rollcall record adhered nato "Greece" 1952-02-18 --expect-head 2
assert_eq 3 "$OUT" "a matching expect_head appends"

# Refusals name the field, exit 1, store nothing.
expect_exit 1 rollcall record adhered nato "Turkey" 1952-02-30
assert_contains "$ERR" "date" "an impossible date names the field"
expect_exit 1 rollcall record adhered natoo "Turkey" 1952-02-18
assert_contains "$ERR" "unknown_coalition" "an unknown coalition is named"
assert_contains "$ERR" "natoo" "the unknown slug is in the message"
expect_exit 1 rollcall record adhered NATO "Turkey" 1952-02-18
assert_contains "$ERR" "coalition" "a bad slug names the field"
expect_exit 1 rollcall retract 99 --note "no such event"
assert_contains "$ERR" "99" "retracting a missing seq names it"
assert_eq 3 "$(head)" "refusals store nothing"

# A batch from a file is atomic: one bad line and nothing of its batch is stored.
printf '%s\n' \
    '{"type":"adhered","coalition":"nato","country":"Turkey","date":"1952-02-18"}' \
    '{"type":"adhered","coalition":"nato","country":"Germany","date":"1955-05-06","colour":"red"}' \
    >"$T/bad.jsonl"
expect_exit 1 rollcall import "$T/bad.jsonl"
assert_contains "$ERR" "line 2" "import names the line"
assert_contains "$ERR" "colour" "import names the field"
assert_eq 3 "$(head)" "a bad import stores nothing of its batch"

# Usage errors exit 2; --help exits 0 for every command.
expect_exit 2 rollcall record
expect_exit 2 rollcall no-such-command
expect_exit 2 rollcall state
for cmd in record correct retract import export state timeline history coalitions follow status verify; do
    expect_exit 0 rollcall "$cmd" --help
    [ -n "$OUT" ] || fail "$cmd --help printed nothing"
done
expect_exit 0 rollcall --version
assert_contains "$OUT" "rollcall" "--version names the program"

# History: filters and paging.
expect_exit 0 rollcall --json history nato --type signed
assert_eq 1 "$(grep -c '"seq"' <<<"$OUT")" "history filtered by type"
expect_exit 0 rollcall --json history --from-seq 2 --limit 1
assert_eq 2 "$(jq -s '.[0].seq' <<<"$OUT")" "history paging starts at from-seq"
assert_eq 1 "$(jq -s 'length' <<<"$OUT")" "history honours --limit"
expect_exit 0 rollcall --json coalitions
assert_eq "nato 2" "$(jq -r '.coalitions[] | "\(.coalition) \(.count)"' <<<"$OUT")" "coalitions lists counts"

stop_daemon

# No daemon: exit 3, naming the socket and how to start one.
expect_exit 3 rollcall status
assert_contains "$ERR" "$ROLLCALL_SOCKET" "the message names the socket tried"
assert_contains "$ERR" "rollcalld" "the message says how to start a daemon"
finish
