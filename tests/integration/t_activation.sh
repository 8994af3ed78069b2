#!/usr/bin/env bash
# Socket activation: systemd-socket-activate binds the socket and passes it
# as fd 3 with LISTEN_FDS/LISTEN_PID; rollcalld adopts it and serves.
. "$(dirname "$0")/lib.sh"

if ! command -v systemd-socket-activate >/dev/null; then
    echo "SKIP: systemd-socket-activate is not installed"
    exit 77
fi
# rollcalld under the activator: it listens first, then runs the daemon on
# the first connection. No --socket: the daemon must use the passed one.
mkfifo "$T/ready"
# shellcheck disable=SC2086
systemd-socket-activate -l "$ROLLCALL_SOCKET" -- "$ROLLCALL_LAUNCH" "$T/ready" "$NOTIFY_LOG" -- \
    ${ROLLCALLD_WRAPPER:-} "$ROLLCALLD" --data-dir "$DATA" --log-level debug \
    >>"$DAEMON_LOG" 2>&1 &
activator=$!
# The activator execs the launcher, which reports the daemon once it is ready;
# the first client connection is what starts it.
rollcall --json status >"$T/status" 2>"$T/status.err" &
client=$!
read -r DAEMON_PID <"$T/ready"
LAUNCHER_PID=$activator
wait "$client" || fail "the first client through the activated socket: $(cat "$T/status.err")"
assert_eq 0 "$(jq '.head' "$T/status")" "served through the passed socket"
expect_exit 0 rollcall record established act 2025 --name "Activated"
assert_contains "$(cat "$DAEMON_LOG")" "passed by systemd" "the daemon says it adopted the socket"
stop_daemon
[ -S "$ROLLCALL_SOCKET" ] && pass "the activated socket file is left to its owner" ||
    fail "rollcalld removed a socket it did not create"
finish
