#!/usr/bin/env bash
# The socket and the data dir lock: a stale socket file is replaced, a live
# daemon's socket is not, a second daemon on the same data dir refuses to
# start naming the dir, the socket's parent is created, its mode is 0660.
. "$(dirname "$0")/lib.sh"

# The socket's directory is created when missing.
export ROLLCALL_SOCKET="$T/run/sub/rollcall.sock"
start_daemon || finish
assert_eq "660" "$(stat -c %a "$ROLLCALL_SOCKET")" "the socket is created 0660"

# A second daemon on the same socket refuses: another daemon answers there.
expect_exit 1 "$ROLLCALLD" --data-dir "$T/other" --socket "$ROLLCALL_SOCKET"
assert_contains "$ERR" "another daemon is listening" "a live socket is not stolen"
# A second daemon on the same data dir refuses, naming it.
expect_exit 1 "$ROLLCALLD" --data-dir "$DATA" --socket "$T/second.sock"
assert_contains "$ERR" "$DATA" "the lock error names the data dir"
stop_daemon
[ ! -e "$ROLLCALL_SOCKET" ] && pass "the socket file is removed on exit" || fail "socket left behind"

# A stale socket (a dead daemon's) is replaced.
start_daemon || finish
stop_daemon KILL
[ -S "$ROLLCALL_SOCKET" ] || fail "a killed daemon should leave its socket file"
start_daemon || finish
expect_exit 0 rollcall status
pass "a stale socket is replaced"
stop_daemon

# --socket-mode.
start_daemon --socket-mode 0600 || finish
assert_eq "600" "$(stat -c %a "$ROLLCALL_SOCKET")" "--socket-mode sets the mode"
stop_daemon
finish
