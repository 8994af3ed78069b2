#!/usr/bin/env bash
# sd_notify: READY=1 with a STATUS once recovery is done, STOPPING=1 on
# SIGTERM, read from the datagram socket the launcher binds.
. "$(dirname "$0")/lib.sh"

start_daemon || finish
expect_exit 0 rollcall import "$ROLLCALL_EXAMPLES/mmas.jsonl"
stop_daemon
: >"$NOTIFY_LOG"
start_daemon || finish
notes=$(cat "$NOTIFY_LOG")
assert_contains "$notes" "READY=1" "READY=1 once recovered"
assert_contains "$notes" "STATUS=serving 8 events" "the status says what was recovered"
stop_daemon
assert_contains "$(cat "$NOTIFY_LOG")" "STOPPING=1" "STOPPING=1 on SIGTERM"
assert_contains "$(cat "$DAEMON_LOG")" "recovered 8 events" "recovery is logged with its figures"
finish
