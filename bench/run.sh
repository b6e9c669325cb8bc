#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-or-later
# `make bench`: korero and Kamailio side by side on loopback, one after the other, same
# load (bench/sipload.c): stateless 200 to OPTIONS and stateless forward to a responder,
# over UDP and TCP. Prints rate and server CPU per 100k requests, ratios and the targets.
# Settings: BENCH_* environment variables, listed in bench/README.md.
set -eu

ROOT=$(cd "$(dirname "$0")/.." && pwd)
BENCH="$ROOT/bench"
NAME=bench
# shellcheck source=bench/lib.sh
. "$BENCH/lib.sh"

SECS=${BENCH_SECONDS:-10}
REPEAT=${BENCH_REPEAT:-2}
UDP_WINDOW=${BENCH_UDP_WINDOW:-200}
UDP_SOCKETS=${BENCH_UDP_SOCKETS:-16}
TCP_WINDOW=${BENCH_TCP_WINDOW:-200}
TCP_CONNS=${BENCH_TCP_CONNS:-4}
SERVERS=${BENCH_SERVERS:-"korero kamailio"}
CASES=${BENCH_CASES:-"options forward"}
# BENCH_PIN: see lib.sh (the responder runs with the load generator).
TRANSPORTS=${BENCH_TRANSPORTS:-"udp tcp"}
KAM_SHM=${BENCH_KAMAILIO_SHM:-64}
TARGET_RATE=1.5
TARGET_CPU=0.6667

SIPLOAD="$BIN/sipload"
RESULTS="$OUT/last-run.txt"

check_numbers "$SECS" "$REPEAT" "$CHILDREN" "$UDP_WINDOW" "$UDP_SOCKETS" "$TCP_WINDOW" \
    "$TCP_CONNS" "$CLIENT_THREADS" "$START_TIMEOUT" "$KAM_SHM" "$KAM_PKG"
if [ "$SECS" -lt 1 ] || [ "$REPEAT" -lt 1 ] || [ "$CHILDREN" -lt 1 ]; then
    die "BENCH_SECONDS, BENCH_REPEAT and BENCH_CHILDREN must be >= 1"
fi

# ---------------------------------------------------------------- prerequisites

mkdir -p "$OUT"
build_tools sipload

for s in $SERVERS; do
    case "$s" in
    korero)
        [ -x "$KORERO" ] || die "$KORERO not found: run 'make build' first (or set KORERO=)"
        ;;
    kamailio)
        if ! command -v "$KAMAILIO" >/dev/null 2>&1; then
            if [ "$(id -u)" = 0 ]; then
                echo "bench: Kamailio missing, installing Debian's package: apt-get install -y kamailio"
                DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends \
                    kamailio >/dev/null || die "apt-get install kamailio failed"
                # Debian's package enables a service; the benchmark runs its own instances.
            else
                die "Kamailio is not installed; as root run: apt-get install -y kamailio" \
                    "(or run with BENCH_SERVERS=korero)"
            fi
        fi
        ;;
    *) die "unknown server '$s' in BENCH_SERVERS (korero, kamailio)" ;;
    esac
done

WORK=$(mktemp -d /tmp/korero-bench.XXXXXX)
mkdir -p "$WORK/kamailio-run"
: >"$RESULTS"

# ---------------------------------------------------------------- header

nruns=0
for c in $CASES; do
    case "$c" in options | forward) ;; *) die "unknown case '$c' (options, forward)" ;; esac
    for t in $TRANSPORTS; do
        case "$t" in udp | tcp) ;; *) die "unknown transport '$t' (udp, tcp)" ;; esac
        for s in $SERVERS; do
            nruns=$((nruns + REPEAT))
        done
    done
done

say_header "korero bench"
say "workers: $CHILDREN (korero children; Kamailio children and tcp_children)"
say "load: UDP $UDP_WINDOW outstanding over $UDP_SOCKETS sockets; TCP $TCP_WINDOW outstanding" \
    "over $TCP_CONNS connections; $CLIENT_THREADS client thread(s)"
say "each run: ${WARMUP} s warm-up + ${SECS} s measured; $nruns runs" \
    "(about $((nruns * (SECS + WARMUP + 2))) s); best of $REPEAT per server"
say ""

# ---------------------------------------------------------------- runs

if [ -n "$SRV_RUN" ]; then
    say "pinning: servers on core $((NCPU - 1)), load generator and responder on 0-$((NCPU - 2))" \
        "(BENCH_PIN=0 to share all cores)"
fi

RESP_PORT=""
case " $CASES " in
*" forward "*)
    RESP_PORT=$("$SIPLOAD" freeport 1) || die "no free port for the responder"
    for t in $TRANSPORTS; do
        $LOAD_RUN "$SIPLOAD" respond -t "$t" -p "$RESP_PORT" >"$WORK/responder-$t.log" 2>&1 &
        RESP_PIDS="$RESP_PIDS $!"
    done
    sleep 0.2
    for t in $TRANSPORTS; do
        "$SIPLOAD" ping -t "$t" -p "$RESP_PORT" -x 2000 >/dev/null ||
            die "the $t responder on port $RESP_PORT does not answer"
    done
    ;;
esac

start_server() { # server case transport port -> SRV_PID
    srv=$1 cas=$2 tr=$3 port=$4
    cfg="$WORK/$srv-$cas-$tr.cfg"
    log="$WORK/$srv-$cas-$tr.log"
    sed -e "s/@PROTO@/$tr/g" -e "s/@PORT@/$port/g" -e "s/@RPORT@/${RESP_PORT:-0}/g" \
        -e "s/@CHILDREN@/$CHILDREN/g" "$BENCH/$srv-$cas.cfg" >"$cfg"
    case "$srv" in
    korero)
        $SRV_RUN "$KORERO" -f "$cfg" >"$log" 2>&1 &
        ;;
    kamailio)
        $SRV_RUN "$KAMAILIO" -DD -E -f "$cfg" -m "$KAM_SHM" -M "$KAM_PKG" -x "$KAM_MEM" -X "$KAM_MEM" \
            -Y "$WORK/kamailio-run" >"$log" 2>&1 &
        ;;
    esac
    SRV_PID=$!
    rc=0
    wait_ready "$SIPLOAD" ping -t "$tr" -p "$port" -x 300 || rc=$?
    case $rc in
    0) return 0 ;;
    1) echo "bench: $srv exited during start-up (status $START_RC) with $cfg; its log:" >&2 ;;
    *) echo "bench: $srv (pid $SRV_PID) gave no 200 to OPTIONS on $tr port $port" \
        "within $START_TIMEOUT s; its log:" >&2 ;;
    esac
    FAILED=1
    tail -n 20 "$log" >&2
    die "$srv did not start ($cas over $tr)"
}

run_one() { # case transport server repetition
    cas=$1 tr=$2 srv=$3 rep=$4
    port=$("$SIPLOAD" freeport 1) || die "no free port"
    start_server "$srv" "$cas" "$tr" "$port"
    if [ "$tr" = udp ]; then
        win=$UDP_WINDOW conns=$UDP_SOCKETS
    else
        win=$TCP_WINDOW conns=$TCP_CONNS
    fi
    out="$WORK/client-$cas-$tr-$srv-$rep.out"
    $LOAD_RUN "$SIPLOAD" client -t "$tr" -p "$port" -w "$win" -c "$conns" -T "$CLIENT_THREADS" \
        -d "$SECS" -u "$WARMUP" -P "$SRV_PID" >"$out" 2>"$out.err" &
    CLIENT_PID=$!
    wait "$CLIENT_PID" && crc=0 || crc=$?
    CLIENT_PID=""
    stop_tree "$SRV_PID"
    SRV_PID=""
    line=$(cat "$out")
    rate=$(field rate "$line")
    cpu=$(field server_cpu_per_100k "$line")
    if [ "$crc" != 0 ] || [ -z "$rate" ]; then
        FAILED=1
        say "  $cas $tr $srv run $rep: FAILED (no replies; client status $crc)"
        sed 's/^/    /' "$out.err" | tail -n 5
        return 0
    fi
    printf '%s %s %s %s %s %s\n' "$cas" "$tr" "$srv" "$rep" "$rate" "$cpu" >>"$WORK/runs"
    say "$(printf '  %-8s %-4s %-9s run %s: %10.0f req/s  %7.3f CPU-s/100k  (client %.0f%% CPU,' \
        "$cas" "$tr" "$srv" "$rep" "$rate" "$cpu" \
        "$(echo "$line" | awk '{ for (i = 1; i <= NF; i++) { split($i, kv, "="); v[kv[1]] = kv[2] }
                              print 100 * v["client_cpu"] / v["seconds"] }')")" \
        "p99 $(field lat_p99_us "$line") us, timeouts $(field timeouts "$line")," \
        "non-200 $(field other "$line")$(field dead_conns "$line" | sed '/^0$/d; s/.*/, closed conns &/'))"
}

: >"$WORK/runs"
for cas in $CASES; do
    for tr in $TRANSPORTS; do
        repeat_runs "$cas" "$tr"
    done
done

# ---------------------------------------------------------------- summary

say ""
say "summary (best of $REPEAT: highest rate, lowest CPU per request; CPU-s per 100k requests" \
    "summed over the server's process tree and threads)"
awk -v cases="$CASES" -v trs="$TRANSPORTS" -v servers="$SERVERS" \
    -v trate="$TARGET_RATE" -v tcpu="$TARGET_CPU" '
    { k = $1 " " $2 " " $3
      if (!(k in rate) || $5 > rate[k]) rate[k] = $5
      if (!(k in cpu) || $6 < cpu[k]) cpu[k] = $6 }
    END {
        both = (servers ~ /korero/ && servers ~ /kamailio/)
        printf "%-8s %-4s %12s %12s %7s %10s %10s %7s  %s\n", "case", "tr", "korero/s",
               "kamailio/s", "rate x", "kor cpu", "kam cpu", "cpu x", "targets"
        n = split(cases, C, " "); m = split(trs, T, " "); met = 0; total = 0
        for (i = 1; i <= n; i++) for (j = 1; j <= m; j++) {
            ko = C[i] " " T[j] " korero"; ka = C[i] " " T[j] " kamailio"
            kr = (ko in rate) ? sprintf("%.0f", rate[ko]) : "-"
            kc = (ko in cpu) ? sprintf("%.3f", cpu[ko]) : "-"
            ar = (ka in rate) ? sprintf("%.0f", rate[ka]) : "-"
            ac = (ka in cpu) ? sprintf("%.3f", cpu[ka]) : "-"
            rr = "-"; cr = "-"; verdict = "-"
            if ((ko in rate) && (ka in rate) && rate[ka] > 0 && cpu[ka] > 0) {
                rx = rate[ko] / rate[ka]; cx = cpu[ko] / cpu[ka]
                rr = sprintf("%.2f", rx); cr = sprintf("%.2f", cx)
                ok = (rx >= trate && cx <= tcpu)
                verdict = ok ? "met" : "NOT met"
                total++; met += ok
            } else if (both) { total++ }
            printf "%-8s %-4s %12s %12s %7s %10s %10s %7s  %s\n", C[i], T[j], kr, ar, rr,
                   kc, ac, cr, verdict
        }
        printf "\n"
        if (both) {
            printf "targets (korero rate >= %.1fx Kamailio, CPU per request <= 2/3 of Kamailio): " \
                   "met in %d of %d cases -> %s\n", trate, met, total,
                   (met == total && total > 0) ? "TARGETS HOLD" : "TARGETS DO NOT HOLD"
        } else {
            printf "only %s measured: no ratios\n", servers
        }
        print (both && met == total && total > 0) ? "hold" : "nohold" > "/dev/stderr"
    }' "$WORK/runs" 2>"$WORK/verdict" | tee -a "$RESULTS"
finish
