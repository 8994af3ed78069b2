#!/usr/bin/env bash
# The embedded defaults: with no flags and no ROLLCALL_* variables, the
# client finds a daemon started with none (for an ordinary user: under
# XDG_RUNTIME_DIR and XDG_STATE_HOME).
. "$(dirname "$0")/lib.sh"

if [ "$(id -u)" -eq 0 ]; then
    # As root the defaults are /run/rollcall and /var/lib/rollcall: run the
    # pair as nobody instead, with a home of its own.
    command -v setpriv >/dev/null || { echo "SKIP: needs setpriv"; exit 77; }
    chmod 0755 "$T"
    mkdir -p "$T/home" && chown 65534:65534 "$T/home"
    as_user() { setpriv --reuid 65534 --regid 65534 --clear-groups "$@"; }
else
    mkdir -p "$T/home"
    as_user() { "$@"; }
fi
unset ROLLCALL_SOCKET ROLLCALL_DATA
export HOME="$T/home" XDG_RUNTIME_DIR="$T/home/run" XDG_STATE_HOME="$T/home/state"
as_user mkdir -p "$XDG_RUNTIME_DIR"

mkfifo "$T/ready"
chmod 0666 "$T/ready"
# shellcheck disable=SC2086
as_user "$ROLLCALL_LAUNCH" "$T/ready" -- ${ROLLCALLD_WRAPPER:-} "$ROLLCALLD" >>"$DAEMON_LOG" 2>&1 &
LAUNCHER_PID=$!
read -r DAEMON_PID <"$T/ready"
[ -n "$DAEMON_PID" ] || { fail "rollcalld did not start: $(cat "$DAEMON_LOG")"; finish; }
[ -S "$XDG_RUNTIME_DIR/rollcall.sock" ] && pass "socket at \$XDG_RUNTIME_DIR/rollcall.sock" ||
    fail "no socket at $XDG_RUNTIME_DIR/rollcall.sock"
[ -d "$XDG_STATE_HOME/rollcall" ] && pass "data dir at \$XDG_STATE_HOME/rollcall" ||
    fail "no data dir at $XDG_STATE_HOME/rollcall"
expect_exit 0 as_user "$ROLLCALL" record established defaults 2025 --name "Defaults"
assert_eq 1 "$OUT" "the client found the daemon with no flags"
stop_daemon
finish
