#!/usr/bin/env bash
# Socket activation: systemd-socket-activate binds the socket and passes it
# as fd 3 with LISTEN_FDS/LISTEN_PID; rollcalld adopts it and serves.
. "$(dirname "$0")/lib.sh"

if ! command -v systemd-socket-activate >/dev/null; then
    echo "SKIP: systemd-socket-activate is not installed"
    exit 77
fi
# rollcalld under the activator: it binds the socket, says so on stderr, and
# runs the daemon (through the launcher, which hands the socket on) when the
# first client connects. No --socket: the daemon must use the passed one.
mkfifo "$T/ready" "$T/activator"
exec 4<>"$T/activator" # held open: the activator must never write to a closed pipe
# shellcheck disable=SC2016,SC2086
systemd-socket-activate -l "$ROLLCALL_SOCKET" -- sh -c 'log=$1; shift; exec "$@" 2>>"$log"' sh \
    "$DAEMON_LOG" "$ROLLCALL_LAUNCH" "$T/ready" "$NOTIFY_LOG" -- \
    ${ROLLCALLD_WRAPPER:-} "$ROLLCALLD" --data-dir "$DATA" --log-level debug \
    2>"$T/activator" &
activator=$!
read -r listening <&4
assert_contains "$listening" "Listening on $ROLLCALL_SOCKET" "the activator listens"
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
