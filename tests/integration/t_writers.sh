#!/usr/bin/env bash
# Who may write: the daemon's own user, root, and --writers-group. Anyone who
# can connect may read. Needs root to run the client as another user.
. "$(dirname "$0")/lib.sh"

if [ "$(id -u)" -ne 0 ] || ! command -v setpriv >/dev/null; then
    echo "SKIP: needs root and setpriv to run the client as another user"
    exit 77
fi
# A scratch group for writers; nobody (65534) gets it only when asked.
group=rollcall-test-$$
groupadd "$group" || { echo "SKIP: cannot create a group"; exit 77; }
trap 'groupdel "$group" 2>/dev/null; cleanup' EXIT
gid=$(getent group "$group" | cut -d: -f3)
chmod 0755 "$T"

start_daemon --socket-mode 0666 --writers-group "$group" || finish
expect_exit 0 rollcall record established w 2025 --name "Writers test"

as_nobody() { setpriv --reuid 65534 --regid 65534 --clear-groups "$ROLLCALL" "$@"; }
as_writer() { setpriv --reuid 65534 --regid 65534 --groups "$gid" "$ROLLCALL" "$@"; }

expect_exit 0 as_nobody --json state w
pass "a non-writer may read"
expect_exit 1 as_nobody record adhered w "Norway" 2025-01-01
assert_contains "$ERR" "forbidden" "a non-writer may not append"
assert_eq 1 "$(rollcall --json status | jq '.head')" "and nothing was stored"
expect_exit 0 as_writer record adhered w "Norway" 2025-01-01
assert_eq 2 "$OUT" "a member of the writers' group may append"
stop_daemon
finish
