#!/usr/bin/env bash
# A full disk: the append that doesn't fit is refused with `unavailable`,
# leaves nothing partial behind, the daemon keeps serving reads, and appends
# work again once there is room. Needs root to mount a small tmpfs.
. "$(dirname "$0")/lib.sh"

if [ "$(id -u)" -ne 0 ]; then
    echo "SKIP: needs root to mount a small tmpfs"
    exit 77
fi
mkdir -p "$T/small"
mount -t tmpfs -o size=512k tmpfs "$T/small" 2>/dev/null || {
    echo "SKIP: cannot mount a tmpfs here"
    exit 77
}
trap 'stop_daemon KILL 2>/dev/null; umount "$T/small"; cleanup' EXIT
DATA="$T/small/data"

start_daemon || finish
expect_exit 0 rollcall record established full 2025 --name "Disk full"
note=$(head -c 8000 /dev/zero | tr '\0' 'n')
acked=1
refused=""
for i in $(seq 1 200); do
    if out=$(rollcall record adhered full "C$i" 2025-01-01 --note "$note" 2>&1); then
        acked=$out
    else
        refused=$out
        break
    fi
done
assert_contains "$refused" "unavailable" "the append that does not fit is refused as unavailable"
assert_eq "$acked" "$(rollcall --json status | jq '.head')" "nothing of it is stored"
expect_exit 0 rollcall --json state full
pass "reads still work"
assert_eq "false" "$(rollcall --json status | jq '.read_only')" "a write error that left no trace does not freeze the log"

mount -o remount,size=4m "$T/small"
expect_exit 0 rollcall record adhered full "After" 2025-01-01
assert_eq $((acked + 1)) "$OUT" "appends resume once there is room, at the next seq"
stop_daemon
start_daemon || finish
expect_exit 0 rollcall verify
assert_eq $((acked + 1)) "$(rollcall --json status | jq '.head')" "every acknowledged event is there after a restart"
stop_daemon
finish
