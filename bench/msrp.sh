#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-or-later
# bench/msrp.sh: MSRP relayed by korero, by Kamailio 5.6's msrp module and by a plain TCP
# byte-pump (the ceiling), one after the other on loopback under the same load
# (bench/msrpload.c). Prints frames/s, MB/s, relay CPU per frame, latency, memory with
# idle sessions, and the ratios of the targets. Settings: BENCH_* variables (README.md).
# shellcheck disable=SC3045 # ulimit -n and -H: dash and bash both have them
set -eu

ROOT=$(cd "$(dirname "$0")/.." && pwd)
BENCH="$ROOT/bench"
NAME="msrp bench"
# shellcheck source=bench/lib.sh
. "$BENCH/lib.sh"

SECS=${BENCH_SECONDS:-3}
REPEAT=${BENCH_REPEAT:-1}
WINDOW=${BENCH_WINDOW:-32}
SIZES=${BENCH_SIZES:-"100 4096 65536"}
PAIRS=${BENCH_PAIRS:-"1 100"}
IDLE=${BENCH_IDLE:-10000}
SERVERS=${BENCH_SERVERS:-"korero kamailio pump"}
FRAME_TIMEOUT=${BENCH_FRAME_TIMEOUT:-5000}
# BENCH_PIN: see lib.sh (the relay is the server).
# Kamailio keeps each connection's read buffer (tcp_rd_buf_size) in shared memory:
# 10 000 idle sessions need room.
KAM_SHM=${BENCH_KAMAILIO_SHM:-512}
# Kamailio 5.6 relays bodies up to about this size (14 000 B pass, 15 500 B do not, even
# with a larger tcp_rd_buf_size): its failures at larger sizes are expected.
KAM_MAX_FRAME=14000
TARGET_RATE=2
TARGET_CPU=0.5
TARGET_PUMP=0.7

SIPLOAD="$BIN/sipload"
MSRPLOAD="$BIN/msrpload"
BYTEPUMP="$BIN/bytepump"
RESULTS="$OUT/msrp-last-run.txt"

# shellcheck disable=SC2086 # SIZES and PAIRS: lists
check_numbers "$SECS" "$REPEAT" "$CHILDREN" "$WINDOW" "$IDLE" "$CLIENT_THREADS" "$START_TIMEOUT" \
    "$FRAME_TIMEOUT" "$KAM_SHM" "$KAM_PKG" $SIZES $PAIRS
if [ "$SECS" -lt 1 ] || [ "$REPEAT" -lt 1 ] || [ "$CHILDREN" -lt 1 ] || [ "$WINDOW" -lt 1 ]; then
    die "BENCH_SECONDS, BENCH_REPEAT, BENCH_CHILDREN and BENCH_WINDOW must be >= 1"
fi
case "$WARMUP" in '' | *[!0-9.]*) die "BENCH_WARMUP must be a number of seconds" ;; esac

# "crashed (signal N)" when an exit status says the process died of a signal other than
# the SIGTERM/SIGKILL it was stopped with; nothing otherwise.
crash_of() {
    if [ "$1" -gt 128 ] && [ "$1" != 143 ] && [ "$1" != 137 ]; then
        echo "crashed (signal $(($1 - 128)))"
    fi
}

# ---------------------------------------------------------------- prerequisites

mkdir -p "$OUT"
build_tools sipload msrpload bytepump

for s in $SERVERS; do
    case "$s" in
    korero)
        [ -x "$KORERO" ] || die "$KORERO not found: run 'make build' first (or set KORERO=)"
        ;;
    kamailio)
        command -v "$KAMAILIO" >/dev/null 2>&1 ||
            die "Kamailio is not installed; as root run: apt-get install -y kamailio" \
                "(or run with BENCH_SERVERS='korero pump')"
        ;;
    pump) ;;
    *) die "unknown server '$s' in BENCH_SERVERS (korero, kamailio, pump)" ;;
    esac
done

# 10 000 idle sessions: that many descriptors in the relay and in the client.
NEED_FD=$((IDLE + 4096))
if [ "$(ulimit -n)" != unlimited ] && [ "$(ulimit -n)" -lt "$NEED_FD" ]; then
    ulimit -n "$NEED_FD" 2>/dev/null || ulimit -n "$(ulimit -Hn)" 2>/dev/null || true
    if [ "$(ulimit -n)" != unlimited ] && [ "$(ulimit -n)" -lt "$NEED_FD" ]; then
        echo "msrp bench: warning: open files limited to $(ulimit -n), the idle test" \
            "($IDLE sessions) may fail; lower BENCH_IDLE or raise the hard limit" >&2
    fi
fi

WORK=$(mktemp -d /tmp/korero-msrp-bench.XXXXXX)
mkdir -p "$WORK/kamailio-run"
: >"$RESULTS"
: >"$WORK/runs"
: >"$WORK/idle"

# ---------------------------------------------------------------- header

nsizes=$(echo "$SIZES" | wc -w)
npairs=$(echo "$PAIRS" | wc -w)
nsrv=$(echo "$SERVERS" | wc -w)
nruns=$((nsizes * npairs * nsrv * REPEAT))
say_header "korero MSRP bench"
say "workers: $CHILDREN (korero children; Kamailio children and tcp_children; pump threads)"
say "load: pairs $PAIRS, bodies $SIZES bytes, $WINDOW frames in flight per pair," \
    "$CLIENT_THREADS client thread(s); idle test: $IDLE sessions"
say "each run: ${WARMUP} s warm-up + ${SECS} s measured; $nruns runs; best of $REPEAT"
if [ -n "$SRV_RUN" ]; then
    say "pinning: relays on core $((NCPU - 1)), load generator on 0-$((NCPU - 2))" \
        "(BENCH_PIN=0 to share all cores)"
fi
say ""

# ---------------------------------------------------------------- runs

BROKEN=""

# shellcheck disable=SC2317 # called through wait_ready
probe() { # server port
    if [ "$1" = pump ]; then
        "$MSRPLOAD" -p "$2" --probe --raw -x 500
    else
        "$MSRPLOAD" -p "$2" --probe -x 500
    fi
}

start_server() { # server port tag -> SRV_PID; 1 when it does not start
    srv=$1 port=$2 tag=$3
    log="$WORK/$srv-$tag.log"
    case "$srv" in
    korero | kamailio)
        cfg="$WORK/$srv-$tag.cfg"
        sed -e "s/@PORT@/$port/g" -e "s/@CHILDREN@/$CHILDREN/g" \
            -e "s/@MAXCONN@/$((IDLE + 1024))/g" "$BENCH/$srv-msrp.cfg" >"$cfg"
        ;;
    esac
    case "$srv" in
    korero)
        $SRV_RUN "$KORERO" -f "$cfg" >"$log" 2>&1 &
        ;;
    kamailio)
        $SRV_RUN "$KAMAILIO" -DD -E -f "$cfg" -m "$KAM_SHM" -M "$KAM_PKG" -x "$KAM_MEM" \
            -X "$KAM_MEM" -Y "$WORK/kamailio-run" >"$log" 2>&1 &
        ;;
    pump)
        $SRV_RUN "$BYTEPUMP" -p "$port" -T "$CHILDREN" >"$log" 2>&1 &
        ;;
    esac
    SRV_PID=$!
    rc=0
    wait_ready probe "$srv" "$port" || rc=$?
    case $rc in
    0) return 0 ;;
    1) say "  $srv exited during start-up (status $START_RC); the end of its log:" ;;
    *) say "  $srv (pid $SRV_PID) did not relay an AUTH within $START_TIMEOUT s;" \
        "the end of its log:" ;;
    esac
    tail -n 12 "$log" | sed 's/^/    /' | tee -a "$RESULTS"
    if [ -n "$SRV_PID" ]; then
        stop_tree "$SRV_PID"
        SRV_PID=""
    fi
    return 1
}

is_broken() {
    case " $BROKEN " in *" $1 "*) return 0 ;; esac
    return 1
}

human_size() {
    if [ "$1" -ge 1024 ] && [ $(($1 % 1024)) = 0 ]; then
        echo "$(($1 / 1024)) KB"
    else
        echo "$1 B"
    fi
}

run_one() { # size pairs server repetition
    size=$1 np=$2 srv=$3 rep=$4
    label=$(printf '%-6s %3s pair(s) %-8s run %s' "$(human_size "$size")" "$np" "$srv" "$rep")
    expected=0
    if [ "$srv" = kamailio ] && [ "$size" -gt "$KAM_MAX_FRAME" ]; then
        expected=1
    fi
    if is_broken "$srv"; then
        say "  $label: not run ($srv did not start)"
        printf '%s %s %s %s 0 0 - - - - fail\n' "$size" "$np" "$srv" "$rep" >>"$WORK/runs"
        return 0
    fi
    port=$("$SIPLOAD" freeport 1) || die "no free port"
    if ! start_server "$srv" "$port" "$size-$np-$rep"; then
        BROKEN="$BROKEN $srv"
        FAILED=1
        say "  $label: FAILED ($srv did not start)"
        printf '%s %s %s %s 0 0 - - - - fail\n' "$size" "$np" "$srv" "$rep" >>"$WORK/runs"
        return 0
    fi
    out="$WORK/client-$size-$np-$srv-$rep.out"
    raw=""
    [ "$srv" = pump ] && raw="--raw"
    # shellcheck disable=SC2086 # $LOAD_RUN and $raw: empty or words on purpose
    timeout -k 5 $((SECS + ${WARMUP%.*} + 60)) $LOAD_RUN "$MSRPLOAD" -p "$port" -n "$np" \
        -s "$size" -w "$WINDOW" -T "$CLIENT_THREADS" -d "$SECS" -u "$WARMUP" \
        -x "$FRAME_TIMEOUT" -P "$SRV_PID" $raw >"$out" 2>"$out.err" &
    CLIENT_PID=$!
    wait "$CLIENT_PID" && crc=0 || crc=$?
    CLIENT_PID=""
    sleep 0.2 # a relay that falls over when the load's connections close does it now
    when="when stopped with SIGTERM"
    alive "$SRV_PID" || when="during the load or when its connections closed"
    stop_tree "$SRV_PID"
    SRV_PID=""
    died=""
    if [ -n "$(crash_of "$STOP_RC")" ]; then
        died="$srv $(crash_of "$STOP_RC") $when"
    elif [ "$when" != "when stopped with SIGTERM" ]; then
        died="$srv exited (status $STOP_RC) $when"
    fi
    if [ -n "$died" ]; then
        FAILED=1
        echo "$died" >>"$out.err"
        say "  $label: WARNING: $died"
    fi
    line=$(cat "$out")
    frames=$(field frames "$line")
    if [ "$crc" != 0 ] || [ -z "$frames" ] || [ "$frames" = 0 ]; then
        why=$(grep -v '^$' "$out.err" | head -n 1)
        [ "$crc" = 124 ] && why="the load generator timed out"
        [ -n "$why" ] || why="no frame delivered (client status $crc)"
        if [ "$expected" = 1 ]; then
            say "  $label: fails as expected (Kamailio 5.6 relays bodies up to" \
                "~14 KB): $why"
        else
            FAILED=1
            say "  $label: FAILED: $why"
        fi
        errs=$(field errors "$line")
        printf '%s %s %s %s 0 0 - - - %s fail\n' "$size" "$np" "$srv" "$rep" "${errs:--}" \
            >>"$WORK/runs"
        return 0
    fi
    rate=$(field rate "$line")
    mbps=$(field mbps "$line")
    cpu=$(field server_cpu_us_per_frame "$line")
    p50=$(field lat_p50_us "$line")
    p99=$(field lat_p99_us "$line")
    errs=$(field errors "$line")
    printf '%s %s %s %s %s %s %s %s %s %s ok\n' "$size" "$np" "$srv" "$rep" "$rate" "$mbps" \
        "$cpu" "$p50" "$p99" "$errs" >>"$WORK/runs"
    say "$(printf '  %s: %9.0f frames/s %8.1f MB/s %8.2f us CPU/frame  p50 %s us, p99 %s us,' \
        "$label" "$rate" "$mbps" "$cpu" "$p50" "$p99")" \
        "errors $errs (client $(echo "$line" | awk '{ for (i = 1; i <= NF; i++) {
            split($i, kv, "="); v[kv[1]] = kv[2] } printf "%.0f", 100 * v["client_cpu"] / v["seconds"] }')% CPU)"
    chunks=$(field chunks "$line")
    if [ -n "$chunks" ] && [ "$chunks" != 0 ]; then
        say "      (the relay re-chunked messages: $chunks SENDs carried part of one)"
    fi
    if [ "$errs" != 0 ]; then
        grep -v '^$' "$out.err" | head -n 3 | sed 's/^/      /' | tee -a "$RESULTS"
    fi
}

run_idle() { # server
    srv=$1
    if is_broken "$srv"; then
        say "  idle $srv: not run ($srv did not start)"
        return 0
    fi
    port=$("$SIPLOAD" freeport 1) || die "no free port"
    if ! start_server "$srv" "$port" idle; then
        BROKEN="$BROKEN $srv"
        FAILED=1
        say "  idle $srv: FAILED ($srv did not start)"
        return 0
    fi
    sleep 1 # let the start-up settle before the first reading
    out="$WORK/idle-$srv.out"
    # shellcheck disable=SC2086 # $LOAD_RUN: empty or words on purpose
    timeout -k 5 $((IDLE / 20 + 120)) $LOAD_RUN "$MSRPLOAD" -p "$port" --idle "$IDLE" \
        -x 10000 --settle 1 -P "$SRV_PID" >"$out" 2>"$out.err" &
    CLIENT_PID=$!
    wait "$CLIENT_PID" && crc=0 || crc=$?
    CLIENT_PID=""
    sleep 0.2
    alive "$SRV_PID" || say "  idle $srv: WARNING: $srv exited during the idle test"
    stop_tree "$SRV_PID"
    SRV_PID=""
    if [ -n "$(crash_of "$STOP_RC")" ]; then
        FAILED=1
        say "  idle $srv: WARNING: $srv $(crash_of "$STOP_RC") (status $STOP_RC)"
    fi
    line=$(cat "$out")
    ok=$(field ok "$line")
    if [ -z "$ok" ]; then
        FAILED=1
        say "  idle $srv: FAILED (client status $crc): $(head -n 1 "$out.err")"
        return 0
    fi
    pss0=$(field pss_before_kb "$line")
    pss1=$(field pss_after_kb "$line")
    rss1=$(field rss_after_kb "$line")
    printf '%s %s %s %s %s %s %s\n' "$srv" "$ok" "$(field failed "$line")" \
        "$(field closed "$line")" "$pss0" "$pss1" "$rss1" >>"$WORK/idle"
    say "$(printf '  idle %-8s: %s of %s sessions up (%s closed) in %s s; PSS %.1f MB ->' \
        "$srv" "$ok" "$IDLE" "$(field closed "$line")" "$(field setup_s "$line")" \
        "$(echo "$pss0" | awk '{ print $1 / 1024 }')")" \
        "$(printf '%.1f MB (%s B per session), VmRSS summed %.1f MB' \
            "$(echo "$pss1" | awk '{ print $1 / 1024 }')" \
            "$(field pss_per_session_b "$line")" "$(echo "$rss1" | awk '{ print $1 / 1024 }')")"
    if [ "$crc" != 0 ] && [ "$ok" != "$IDLE" ]; then
        FAILED=1
        head -n 3 "$out.err" | sed 's/^/      /' | tee -a "$RESULTS"
    fi
}

for size in $SIZES; do
    for np in $PAIRS; do
        repeat_runs "$size" "$np"
    done
done

if [ "$IDLE" -gt 0 ]; then
    for srv in $SERVERS; do
        [ "$srv" = pump ] || run_idle "$srv"
    done
fi

# ---------------------------------------------------------------- summary

say ""
say "summary (best of $REPEAT: highest rate and MB/s, lowest CPU per frame; MB = 10^6 bytes" \
    "of bodies; CPU summed over the relay's process tree and threads)"
awk -v sizes="$SIZES" -v pairs="$PAIRS" -v servers="$SERVERS" -v idle="$IDLE" \
    -v trate="$TARGET_RATE" -v tcpu="$TARGET_CPU" -v tpump="$TARGET_PUMP" '
    function hs(s) { return (s >= 1024 && s % 1024 == 0) ? (s / 1024) " KB" : s " B" }
    function fmt(v, f) { return (v == "" || v == "-") ? "-" : sprintf(f, v) }
    # A target line "  TITLE:LINE  -> met" (counted in total and met) when any case was
    # measured for it.
    function target(any, title, line, verdict) {
        if (!any) return
        total++; met += verdict
        tl = tl sprintf("  %s:%s  -> %s\n", title, line, verdict ? "met" : "NOT met")
    }
    # The target "korero / OTHER >= min" on v[] (rate or mbps) at body size sz, per pairs.
    function ratio_target(sz, other, v, min, title,    j, ko, ot, line, verdict, any, r) {
        line = ""; verdict = 1; any = 0
        for (j = 1; j <= np; j++) {
            ko = sz " " P[j] " korero"; ot = sz " " P[j] " " other
            if (!(ko in seen) || !(ot in seen)) continue
            any = 1
            if ((ko in okrun) && (ot in okrun) && v[ot] > 0) {
                r = v[ko] / v[ot]; line = line sprintf("  %s pair(s) %.2f", P[j], r)
                if (r < min) verdict = 0
            } else { line = line sprintf("  %s pair(s) -", P[j]); verdict = 0 }
        }
        target(any, sprintf("%s (>= %s)", title, min), line, verdict)
    }
    FILENAME ~ /idle$/ { mem[$1] = $6; mem0[$1] = $5; memok[$1] = $2; rss[$1] = $7; next }
    {
        k = $1 " " $2 " " $3; seen[k] = 1
        if (!(k in rate) || $5 + 0 > rate[k] + 0) {
            rate[k] = $5; p50[k] = $8; p99[k] = $9; errs[k] = $10
        }
        if (!(k in mbps) || $6 + 0 > mbps[k] + 0) mbps[k] = $6
        if ($7 != "-" && (!(k in cpu) || $7 + 0 < cpu[k] + 0)) cpu[k] = $7
        if ($11 == "fail") failed[k] = 1; else okrun[k] = 1
    }
    END {
        ns = split(sizes, S, " "); np = split(pairs, P, " "); nv = split(servers, V, " ")
        printf "%-7s %5s  %-9s %10s %9s %13s %9s %9s %7s\n", "body", "pairs", "relay",
               "frames/s", "MB/s", "CPU us/frame", "p50 us", "p99 us", "errors"
        for (i = 1; i <= ns; i++) for (j = 1; j <= np; j++) for (v = 1; v <= nv; v++) {
            k = S[i] " " P[j] " " V[v]
            if (!(k in seen)) continue
            if (!(k in okrun)) {
                printf "%-7s %5s  %-9s %10s %9s %13s %9s %9s %7s\n", hs(S[i]), P[j], V[v],
                       "0", "0", "-", "-", "-", "failed"
                continue
            }
            printf "%-7s %5s  %-9s %10.0f %9.1f %13s %9s %9s %7s\n", hs(S[i]), P[j], V[v],
                   rate[k], mbps[k], fmt(cpu[k], "%.2f"), p50[k], p99[k], errs[k]
        }
        total = 0; met = 0; tl = ""
        # 1. frames/s at 4 KB: korero >= 2x Kamailio
        ratio_target(4096, "kamailio", rate, trate, "frames/s at 4 KB, korero / Kamailio")
        # 2. CPU per frame: korero <= 0.5x Kamailio, wherever Kamailio relays
        line = ""; verdict = 1; any = 0
        for (i = 1; i <= ns; i++) for (j = 1; j <= np; j++) {
            ko = S[i] " " P[j] " korero"; ka = S[i] " " P[j] " kamailio"
            if (!(ka in cpu) || !(ko in seen)) continue
            any = 1
            if (ko in cpu) {
                r = cpu[ko] / cpu[ka]; line = line sprintf("  %s/%s %.2f", hs(S[i]), P[j], r)
                if (r > tcpu) verdict = 0
            } else { line = line sprintf("  %s/%s -", hs(S[i]), P[j]); verdict = 0 }
        }
        target(any, sprintf("CPU per frame, korero / Kamailio (<= %s; body/pairs)", tcpu), line,
               verdict)
        # 3. MB/s at 64 KB: korero >= 0.7x the byte-pump
        ratio_target(65536, "pump", mbps, tpump, "MB/s at 64 KB, korero / byte-pump")
        if (tl != "") printf "\ntargets:\n%s", tl
        if (idle > 0) {
            printf "\nmemory with %d idle sessions (PSS summed over the process tree; VmRSS" \
                   " summed counts shared pages once per process):\n", idle
            for (v = 1; v <= nv; v++) {
                s = V[v]
                if (s == "pump") continue
                if (!(s in mem)) { printf "  %-9s -\n", s; continue }
                printf "  %-9s %7.1f MB (%.1f MB before the sessions, %.0f B per session;" \
                       " %d up; VmRSS summed %.1f MB)\n", s, mem[s] / 1024, mem0[s] / 1024,
                       (memok[s] > 0 ? (mem[s] - mem0[s]) * 1024 / memok[s] : 0), memok[s],
                       rss[s] / 1024
            }
            if (("korero" in mem) && ("kamailio" in mem) && mem["kamailio"] > 0)
                printf "  korero / Kamailio: %.2f\n", mem["korero"] / mem["kamailio"]
        }
        printf "\n"
        if (total > 0)
            printf "targets met: %d of %d -> %s\n", met, total,
                   met == total ? "TARGETS HOLD" : "TARGETS DO NOT HOLD"
        else
            printf "no korero/Kamailio/byte-pump pair measured: no ratios\n"
        hold = (total > 0 && met == total) ? "hold" : "nohold"
        print hold > "/dev/stderr"
    }' "$WORK/runs" "$WORK/idle" 2>"$WORK/verdict" | tee -a "$RESULTS"
finish
