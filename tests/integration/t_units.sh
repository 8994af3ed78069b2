#!/usr/bin/env bash
# The systemd units: `systemd-analyze verify` says nothing at all about them,
# and `systemd-analyze security` rates the service OK or better.
. "$(dirname "$0")/lib.sh"

command -v systemd-analyze >/dev/null || { echo "SKIP: systemd-analyze is not installed"; exit 77; }
units="$ROLLCALL_UNITS"
out=$(systemd-analyze verify "$units/rollcalld.socket" "$units/rollcalld.service" 2>&1)
assert_eq "" "$out" "systemd-analyze verify has nothing to say"
security=$(systemd-analyze security --offline=yes "$units/rollcalld.service" 2>&1 | tail -n 1)
echo "$security"
score=$(sed -n 's/.*exposure level for .*: \([0-9.]*\) .*/\1/p' <<<"$security")
[ -n "$score" ] || { fail "no exposure score in: $security"; finish; }
awk -v s="$score" 'BEGIN { exit !(s < 5.0) }' && pass "exposure $score is OK or better" ||
    fail "exposure $score: worse than OK"
finish
