#!/usr/bin/env bash
# kill -9 while clients append: a restart keeps every acknowledged event,
# with its content, and a torn tail (if any) is cut off, never trusted.
. "$(dirname "$0")/lib.sh"

start_daemon || finish
expect_exit 0 rollcall record established crash 2025 --name "Crash test"

# Four writers append until the daemon dies; each logs the seqs it was given
# and, after its 50th, says so on a fifo the test is reading.
mkfifo "$T/going"
exec 3<>"$T/going"
for w in 1 2 3 4; do
    (
        i=0
        while :; do
            i=$((i + 1))
            seq=$(rollcall record adhered crash "W$w-$i" 2025-01-01 --id "w$w-$i" 2>/dev/null) || break
            echo "$seq W$w-$i"
            [ "$i" -eq 50 ] && echo "$w" >"$T/going"
        done
    ) >"$T/acked.$w" &
done
for w in 1 2 3 4; do read -r _ <&3; done
stop_daemon KILL
wait
assert_eq 137 "$DAEMON_EXIT" "the daemon was killed"

start_daemon || finish
cat "$T"/acked.* | sort -n >"$T/acked"
acked=$(wc -l <"$T/acked")
missing=0
while read -r seq country; do
    got=$(rollcall --json history --from-seq "$seq" --limit 1 | jq -r '.country')
    [ "$got" = "$country" ] || { missing=$((missing + 1)); echo "seq $seq: want $country, got $got" >&2; }
done <"$T/acked"
assert_eq 0 "$missing" "all $acked acknowledged events survived, each at its seq"
expect_exit 0 rollcall verify
stop_daemon
finish
