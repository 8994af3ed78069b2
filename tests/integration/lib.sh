# lib.sh — shared by the integration tests: each test sources it, then
# drives the real rollcalld and rollcall on a temporary dir and socket.
#
# The build passes the programs in the environment:
#   ROLLCALLD, ROLLCALL, ROLLCALL_LAUNCH, ROLLCALL_EXAMPLES
#   ROLLCALLD_WRAPPER  (optional: e.g. valgrind with its options)
#
# A daemon is started through rollcall-launch, which binds the sd_notify
# socket: start_daemon returns once the daemon has said READY=1, with no
# polling. stop_daemon sends SIGTERM and checks that it exited 0 (ASan's
# LeakSanitizer and valgrind both turn a leak into a non-zero exit).

set -u

T=$(mktemp -d "${TMPDIR:-/tmp}/rollcall-test.XXXXXX")
export ROLLCALL_SOCKET="$T/rollcall.sock"
DATA="$T/data"
DAEMON_LOG="$T/daemon.log"
NOTIFY_LOG="$T/notify.log"
DAEMON_PID=""
LAUNCHER_PID=""
FAILURES=0
TEST_NAME=$(basename "$0" .sh)

# Keep the artefacts of a failed run for inspection.
cleanup() {
    if [ -n "$DAEMON_PID" ] && kill -0 "$DAEMON_PID" 2>/dev/null; then
        kill -KILL "$DAEMON_PID" 2>/dev/null
        wait "$LAUNCHER_PID" 2>/dev/null
    fi
    if [ "$FAILURES" -eq 0 ]; then
        rm -rf "$T"
    else
        echo "artefacts kept in $T" >&2
    fi
}
trap cleanup EXIT

fail() {
    echo "FAIL [$TEST_NAME]: $*" >&2
    FAILURES=$((FAILURES + 1))
}

pass() {
    echo "ok: $*"
}

# assert_eq EXPECTED ACTUAL DESCRIPTION
assert_eq() {
    if [ "$1" = "$2" ]; then
        pass "$3"
    else
        fail "$3: expected [$1], got [$2]"
    fi
}

# assert_contains HAYSTACK NEEDLE DESCRIPTION
assert_contains() {
    case "$1" in
    *"$2"*) pass "$3" ;;
    *) fail "$3: [$2] not found in [$1]" ;;
    esac
}

# expect_exit CODE COMMAND...: runs COMMAND, checks its exit code; its stdout
# is left in $OUT and its stderr in $ERR.
expect_exit() {
    want=$1
    shift
    OUT=$("$@" 2>"$T/stderr")
    got=$?
    ERR=$(cat "$T/stderr")
    if [ "$got" -eq "$want" ]; then
        pass "exit $want: $*"
    else
        fail "exit code of [$*]: expected $want, got $got; stderr: $ERR"
    fi
}

rollcall() {
    "$ROLLCALL" "$@"
}

# start_daemon [ARGS...]: starts rollcalld on $DATA and $ROLLCALL_SOCKET.
start_daemon() {
    rm -f "$T/ready"
    mkfifo "$T/ready"
    # shellcheck disable=SC2086
    "$ROLLCALL_LAUNCH" "$T/ready" "$NOTIFY_LOG" -- ${ROLLCALLD_WRAPPER:-} "$ROLLCALLD" \
        --data-dir "$DATA" --socket "$ROLLCALL_SOCKET" --log-level debug "$@" \
        >>"$DAEMON_LOG" 2>&1 &
    LAUNCHER_PID=$!
    read -r DAEMON_PID <"$T/ready"
    if [ -z "$DAEMON_PID" ]; then
        wait "$LAUNCHER_PID"
        fail "rollcalld did not become ready (exit $?); log:"
        cat "$DAEMON_LOG" >&2
        DAEMON_PID=""
        return 1
    fi
    return 0
}

# stop_daemon [SIGNAL]: signals the daemon and returns its exit status in
# $DAEMON_EXIT; with SIGTERM (the default) a non-zero exit is a failure.
stop_daemon() {
    sig=${1:-TERM}
    kill "-$sig" "$DAEMON_PID"
    wait "$LAUNCHER_PID"
    DAEMON_EXIT=$?
    DAEMON_PID=""
    if [ "$sig" = TERM ] && [ "$DAEMON_EXIT" -ne 0 ]; then
        fail "rollcalld exited $DAEMON_EXIT after SIGTERM; log:"
        tail -n 50 "$DAEMON_LOG" >&2
    fi
}

# finish: the test's last line.
finish() {
    if [ "$FAILURES" -ne 0 ]; then
        echo "$TEST_NAME: $FAILURES failure(s)" >&2
        exit 1
    fi
    echo "$TEST_NAME: all passed"
    exit 0
}
