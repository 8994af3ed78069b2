#!/usr/bin/env bash
# SIGTERM while clients append: every caller gets an answer (its seq, or
# `unavailable` once shutdown began), never a dropped connection; the daemon
# exits 0; what was acknowledged is there after a restart.
. "$(dirname "$0")/lib.sh"

start_daemon || finish
expect_exit 0 rollcall record established term 2025 --name "Shutdown test"
mkfifo "$T/going"
exec 3<>"$T/going"
for w in 1 2 3 4 5 6; do
    (
        for i in $(seq 1 400); do
            out=$(rollcall record adhered term "W$w-$i" 2025-01-01 2>&1)
            echo "$? $out"
            [ "$i" -eq 20 ] && echo "$w" >"$T/going"
            case "$out" in *unavailable* | *"no daemon"*) break ;; esac
        done
    ) >"$T/answers.$w" &
done
# Every writer is under way: stop the daemon in the middle of their appends.
for w in 1 2 3 4 5 6; do read -r _ <&3; done
stop_daemon TERM
wait
assert_eq 0 "$DAEMON_EXIT" "rollcalld exits 0 on SIGTERM"
# Every append in flight was answered: a seq (exit 0) or unavailable (exit 1).
# A client that connected after the socket closed gets "no daemon" (exit 3).
bad=$(cat "$T"/answers.* | grep -v -E '^0 [0-9]+$|^1 .*unavailable|^3 ' || true)
assert_eq "" "$bad" "no caller lost its answer"
grep -h '^0 ' "$T"/answers.* | cut -d' ' -f2 | sort -n >"$T/acked"
start_daemon || finish
head=$(rollcall --json status | jq '.head')
last=$(tail -n 1 "$T/acked")
[ "$head" -ge "$last" ] || fail "acknowledged seq $last lost: head is $head"
pass "head $head covers every acknowledged seq"
assert_contains "$(cat "$NOTIFY_LOG")" "STOPPING=1" "systemd was told we were stopping"
stop_daemon
finish
