#!/usr/bin/env bash
# The worked example of events.md §5, through the real client, in all three
# output formats: import the MMAS dataset, ask who was in on each date of the
# table, at a cut, after a correction and after a retraction.
. "$(dirname "$0")/lib.sh"

start_daemon || finish
expect_exit 0 rollcall import "$ROLLCALL_EXAMPLES/mmas.jsonl"

members() { rollcall --json state mmas "$@" | jq -r '[.members[] | .country] | join(",")'; }
pledged() { rollcall --json state mmas "$@" | jq -r '[.pledged[] | .country] | join(",")'; }

assert_eq "" "$(members --at 2024-08-02)" "nobody before the first signature"
assert_eq "El Salvador,Jamaica" "$(members --at 2024-09-21)" "members at 2024-09-21"
assert_eq "El Salvador,Jamaica,Bahamas" "$(members --at 2024-09-29)" "members at 2024-09-29"
assert_eq "" "$(pledged --at 2024-09-29)" "the September pledge does not count on 09-29"
assert_eq "Guatemala" "$(pledged --at 2024-09-30)" "the September pledge counts from 09-30"
assert_eq "El Salvador,Jamaica,Bahamas,Belize" "$(members --at 2024-12-05)" "members at 2024-12-05"
assert_eq "Guatemala" "$(pledged --at 2024-12-05)" "Guatemala pledged at 2024-12-05"
assert_eq "El Salvador,Jamaica,Bahamas,Belize,Guatemala" "$(members --at 2024-12-06)" \
    "five members from 2024-12-06"
assert_eq "" "$(pledged --at 2024-12-06)" "no pledges left once Guatemala adhered"
assert_eq "El Salvador,Jamaica,Bahamas,Belize" "$(members --at 2025-01-01 --as-of-seq 6)" \
    "the cut at seq 6"
assert_eq "Guatemala" "$(pledged --at 2025-01-01 --as-of-seq 6)" "the cut at seq 6: pledged"

state=$(rollcall --json state mmas --at 2024-12-12)
assert_eq 5 "$(jq '.count' <<<"$state")" "count at 2024-12-12"
assert_eq 5 "$(jq '.members[] | select(.country == "Guatemala") | .ordinal' <<<"$state")" \
    "Guatemala is the fifth"
assert_eq '["Military Police contingent"]' \
    "$(jq -c '.members[] | select(.country == "Guatemala") | .commitments' <<<"$state")" \
    "the commitment counts from 12-12"
assert_eq '[]' \
    "$(rollcall --json state mmas --at 2024-12-11 |
        jq -c '.members[] | select(.country == "Guatemala") | .commitments')" \
    "no commitment before 12-12"
assert_eq "ratified" "$(jq -r '.members[] | select(.country == "Belize") | .status' <<<"$state")" \
    "Belize's status"
assert_eq "2024-08-03" \
    "$(jq -r '.members[] | select(.country == "El Salvador") | .since' <<<"$state")" \
    "El Salvador member since its signature"
assert_eq "Multinational Security Support Mission (MMAS)" "$(jq -r '.coalition.name' <<<"$state")" \
    "the coalition's name"
assert_eq 8 "$(jq '.as_of_seq' <<<"$state")" "as_of_seq is the head"

# TSV: a header, then one row per country, for cut and awk.
tsv=$(rollcall --format tsv state mmas --at 2024-12-12)
header=$(head -n 1 <<<"$tsv")
col=$(tr '\t' '\n' <<<"$header" | grep -n -x country | cut -d: -f1)
assert_eq "El Salvador,Jamaica,Bahamas,Belize,Guatemala" \
    "$(tail -n +2 <<<"$tsv" | cut -f "$col" | paste -sd, -)" "tsv country column"
assert_eq "tsv" "$(rollcall state mmas --at 2024-12-12 | head -n 1 | grep -q "$(printf '\t')" &&
    echo tsv)" "tsv is the default when stdout is not a terminal"

# Table: aligned columns for a person.
table=$(rollcall --format table state mmas --at 2024-12-12)
assert_contains "$table" "Guatemala" "the table lists Guatemala"
assert_contains "$table" "Military Police contingent" "the table shows commitments"
widths=$(grep -E 'El Salvador|Jamaica|Bahamas|Belize|Guatemala' <<<"$table" |
    awk '{ print index($0, "2024-") }' | sort -u | wc -l)
assert_eq 1 "$widths" "the table's dates line up"

# Timeline: every membership act in date order with the running count.
timeline=$(rollcall --json timeline mmas)
assert_eq "1 2 3 4 5" "$(jq -r '[.points[].count] | map(tostring) | join(" ")' <<<"$timeline")" \
    "running count"
assert_eq "El Salvador,Jamaica,Bahamas,Belize,Guatemala" \
    "$(jq -r '[.points[].country] | join(",")' <<<"$timeline")" "timeline order"
assert_eq 5 "$(rollcall --format tsv timeline mmas | tail -n +2 | wc -l)" "timeline tsv rows"

# The correction of events.md §5: seq 4 moves to 2024-09-16.
expect_exit 0 rollcall correct 4 --date 2024-09-16
assert_eq 9 "$OUT" "the correction is seq 9"
assert_eq "El Salvador,Bahamas" "$(members --at 2024-09-18)" "corrected: Bahamas from 09-16"
assert_eq 2 "$(rollcall --json state mmas --at 2024-09-18 |
    jq '.members[] | select(.country == "Bahamas") | .ordinal')" "Bahamas second"
assert_eq 3 "$(rollcall --json state mmas --at 2024-09-20 |
    jq '.members[] | select(.country == "Jamaica") | .ordinal')" "Jamaica third from 09-20"
assert_eq "El Salvador" "$(members --at 2024-09-18 --as-of-seq 8)" "the cut at seq 8 keeps the old answer"
stop_daemon

# The retraction of seq 2, on a fresh log.
DATA="$T/data2"
start_daemon || finish
expect_exit 0 rollcall import "$ROLLCALL_EXAMPLES/mmas.jsonl"
expect_exit 0 rollcall retract 2 --note "no signature found in the source"
assert_eq "Jamaica,Bahamas,Belize,Guatemala" "$(members --at 2025-01-01)" "four members after retracting seq 2"
assert_eq 1 "$(rollcall --json state mmas --at 2025-01-01 |
    jq '.members[] | select(.country == "Jamaica") | .ordinal')" "Jamaica first"
assert_eq "" "$(rollcall --json state mmas --at 2025-01-01 |
    jq -r '[.former[].country] | join(",")')" "a retracted only fact leaves no former member"
stop_daemon
finish
