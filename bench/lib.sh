# SPDX-License-Identifier: GPL-2.0-or-later
# bench/lib.sh: what bench/run.sh and bench/msrp.sh share, sourced by both once they have
# set ROOT, BENCH and NAME (the prefix of their messages): the load tools (built by Meson
# into build/), process control and clean-up on exit, output, pinning, readiness.
# Not run on its own. The scripts set START_TIMEOUT, SERVERS, REPEAT and RESULTS.
# shellcheck shell=sh disable=SC2034 # variables used by the scripts that source this

BIN="$ROOT/build"          # sipload, msrpload, bytepump: meson.build, next to korero
OUT="$BENCH/.build"        # results of the last run
WORK=""                    # temporary configs and logs of this run
SRV_PID=""                 # the server under test
STOP_RC=0                  # its exit status, from stop_tree
START_RC=0                 # its exit status when it died starting, from wait_ready
CLIENT_PID=""              # the load generator
RESP_PIDS=""               # responders (bench/run.sh's forward case)
FAILED=0

# Settings both scripts take (bench/README.md lists them); each script sets the others.
WARMUP=${BENCH_WARMUP:-1}
CHILDREN=${BENCH_CHILDREN:-2}
CLIENT_THREADS=${BENCH_CLIENT_THREADS:-1}
START_TIMEOUT=${BENCH_START_TIMEOUT:-10}
KORERO=${KORERO:-"$BIN/korero"}
KAMAILIO=${KAMAILIO:-kamailio}
KAM_MEM=${BENCH_KAMAILIO_MEM:-fm}
KAM_PKG=${BENCH_KAMAILIO_PKG:-8}

die() {
    echo "$NAME: $*" >&2
    exit 1
}

# Every argument is a whole number (digits only), or die.
check_numbers() {
    for v in "$@"; do
        case "$v" in
        '' | *[!0-9]*) die "settings must be non-negative integers (got '$v')" ;;
        esac
    done
}

# Brings the load tools up to date in build/ (make build has built them already: then
# this does nothing).
build_tools() { # target...
    [ -f "$BIN/build.ninja" ] || die "$BIN is not set up: run 'make build' first"
    if ! log=$(ninja -C "$BIN" "$@" 2>&1); then
        printf '%s\n' "$log" | tail -n 20 >&2
        die "cannot build $* in $BIN (configured with -Dtests=disabled?)"
    fi
}

# ---------------------------------------------------------------- processes

alive() {
    [ -n "$1" ] && [ -r "/proc/$1/stat" ] && ! grep -q ') Z ' "/proc/$1/stat" 2>/dev/null
}

# PID and all its descendants, parents first.
tree() {
    echo "$1"
    for c in $(ps -o pid= --ppid "$1" 2>/dev/null); do
        tree "$c"
    done
}

# SIGTERM, wait up to 5 s, then SIGKILL whatever is left of the tree; the exit status of
# PID in STOP_RC.
stop_tree() {
    pids=$(tree "$1")
    kill -TERM "$1" 2>/dev/null || true
    i=0
    while alive "$1" && [ $i -lt 50 ]; do
        sleep 0.1
        i=$((i + 1))
    done
    for p in $pids; do
        if alive "$p"; then
            echo "$NAME: pid $p did not stop on SIGTERM, killing it" >&2
            kill -KILL "$p" 2>/dev/null || true
        fi
    done
    STOP_RC=0
    wait "$1" 2>/dev/null || STOP_RC=$?
}

# shellcheck disable=SC2317 # called from the traps
cleanup() {
    trap - EXIT INT TERM
    if [ -n "$CLIENT_PID" ] && alive "$CLIENT_PID"; then
        kill -TERM "$CLIENT_PID" 2>/dev/null || true
        wait "$CLIENT_PID" 2>/dev/null || true
    fi
    if [ -n "$SRV_PID" ]; then
        stop_tree "$SRV_PID"
        SRV_PID=""
    fi
    for p in $RESP_PIDS; do
        kill -TERM "$p" 2>/dev/null || true
        wait "$p" 2>/dev/null || true
    done
    RESP_PIDS=""
    if [ -n "$WORK" ] && [ -d "$WORK" ]; then
        if [ "$FAILED" = 0 ] || [ -z "${BENCH_KEEP:-}" ]; then
            rm -rf "$WORK"
        else
            echo "$NAME: logs kept in $WORK" >&2
        fi
    fi
}
trap cleanup EXIT
trap 'cleanup; exit 130' INT TERM

# Waits until the command "$@" (a readiness probe, its output discarded) succeeds while
# the server SRV_PID just started runs, for START_TIMEOUT seconds. 0: ready; 1: the
# server exited (SRV_PID emptied, its status in START_RC); 2: not ready in time.
wait_ready() {
    deadline=$(($(date +%s) + START_TIMEOUT))
    while :; do
        if ! alive "$SRV_PID"; then
            wait "$SRV_PID" 2>/dev/null && START_RC=0 || START_RC=$?
            SRV_PID=""
            return 1
        fi
        if "$@" >/dev/null 2>&1; then
            return 0
        fi
        if [ "$(date +%s)" -ge "$deadline" ]; then
            return 2
        fi
        sleep 0.2
    done
}

# Pinning (BENCH_PIN, auto: on with 2 or more cores): the server under test on the last
# core, the load on the others, so that they never compete for CPU and the rate measures
# the server. SRV_RUN and LOAD_RUN prefix their commands (empty: no pinning).
NCPU=$(nproc 2>/dev/null || echo 1)
SRV_RUN=""
LOAD_RUN=""
if [ "${BENCH_PIN:-auto}" != 0 ] && [ "$NCPU" -ge 2 ] && command -v taskset >/dev/null 2>&1; then
    SRV_RUN="taskset -c $((NCPU - 1))"
    LOAD_RUN="taskset -c 0-$((NCPU - 2))"
fi

# ---------------------------------------------------------------- runs, output

say() {
    printf '%s\n' "$*" | tee -a "$RESULTS"
}

# The first lines of the output: title and time, the machine, each server's version.
say_header() { # title
    say "$1  $(date -u '+%Y-%m-%d %H:%M:%S UTC')"
    say "machine: $NCPU cores ($(grep -m1 'model name' /proc/cpuinfo 2>/dev/null |
        sed 's/.*: //')), kernel $(uname -r), load average $(cut -d' ' -f1-3 /proc/loadavg)"
    for s in $SERVERS; do
        case "$s" in
        korero) say "korero:   $KORERO ($(timeout 5 "$KORERO" -V 2>&1 | head -n1 || true))" ;;
        kamailio)
            say "kamailio: $(timeout 5 "$KAMAILIO" -v 2>&1 | head -n1 | sed 's/^version: //')," \
                "memory managers -x $KAM_MEM -X $KAM_MEM, -m $KAM_SHM -M $KAM_PKG"
            ;;
        pump) say "pump:     bench/bytepump.c (splice, $CHILDREN threads)" ;;
        esac
    done
}

# The value of key=value in a line of the load tools' output.
field() { # key line
    printf '%s\n' "$2" | tr ' ' '\n' | sed -n "s/^$1=//p"
}

# run_one X Y SERVER REP for REP 1..REPEAT and each of SERVERS: in the order given on odd
# repetitions, reversed on even ones, so that drifts in the machine's load spread evenly.
repeat_runs() { # x y
    rep=1
    while [ "$rep" -le "$REPEAT" ]; do
        order=$SERVERS
        if [ $((rep % 2)) = 0 ]; then
            order=$(echo "$SERVERS" | awk '{ for (i = NF; i > 0; i--) printf "%s ", $i }')
        fi
        for srv in $order; do
            run_one "$1" "$2" "$srv" "$rep"
        done
        rep=$((rep + 1))
    done
}

# The end of a run: where its output is saved; exit 1 when a run failed or, with
# BENCH_STRICT, when the targets do not hold (the summary wrote hold or nohold into
# $WORK/verdict).
finish() {
    say "(saved to $RESULTS)"
    if [ "$FAILED" != 0 ]; then
        die "some runs failed (see above)"
    fi
    if [ -n "${BENCH_STRICT:-}" ] && [ "$(cat "$WORK/verdict")" != hold ]; then
        die "targets do not hold (BENCH_STRICT is set)"
    fi
    exit 0
}
