#!/usr/bin/env bash
# Pub/sub and transaction throughput: oxidis vs redis-server, side by side.
#
# Usage: benches/compare_pubsub.sh [ROUNDS] [REQUESTS] [BLOCKS]
#   ROUNDS    alternating rounds per workload                    default 3
#   REQUESTS  PUBLISH requests per redis-benchmark run            default 100000
#   BLOCKS    MULTI/SET/EXEC blocks per transaction run           default 200000
#
# Two workloads (see chapters/benchmarks.md):
# 1. publish: SUBSCRIBERS (10) `redis-cli SUBSCRIBE chan` processes stay
#    attached to each server, writing to /dev/null, while
#      redis-benchmark -c 50 -n REQUESTS -P 16 PUBLISH chan hello
#    runs against it: every request is delivered to ten subscribers.
# 2. multi: redis-benchmark repeats one command and cannot interleave
#    MULTI, SET and EXEC, so a file of BLOCKS blocks
#      MULTI / SET key:<i> <value> / EXEC
#    is sent with `redis-cli --pipe` (one connection, everything
#    pipelined); throughput is blocks per second of wall time.
# As in compare_redis.sh: the servers run one after the other, the order
# alternates between rounds, and server CPU per request (main thread,
# /proc/PID/schedstat) is recorded next to throughput. Medians are printed.
set -euo pipefail
cd "$(dirname "$0")/.."

ROUNDS=${1:-3}
REQUESTS=${2:-100000}
BLOCKS=${3:-200000}
SUBSCRIBERS=10
OX_PORT=${OX_PORT:-7393}
RD_PORT=${RD_PORT:-7394}
OUT=${OUT:-benches/results/latest-pubsub.csv}

for tool in redis-server redis-benchmark redis-cli; do
    command -v "$tool" >/dev/null || { echo "$tool is not installed" >&2; exit 1; }
done
cargo build --release --quiet
WORK=$(mktemp -d)
SUB_PIDS=()
cleanup() {
    kill "${SUB_PIDS[@]}" 2>/dev/null || true
    kill $OX_PID $RD_PID 2>/dev/null || true
    rm -rf "$WORK"
}
trap cleanup EXIT

./target/release/oxidis-server --port "$OX_PORT" --save "" --appendonly no \
    --dir "$WORK" --logfile "$WORK/oxidis.log" &
OX_PID=$!
redis-server --port "$RD_PORT" --save "" --appendonly no --dir "$WORK" \
    --logfile "$WORK/redis.log" &
RD_PID=$!
for p in "$OX_PORT" "$RD_PORT"; do
    for _ in $(seq 50); do redis-cli -p "$p" ping >/dev/null 2>&1 && break; sleep 0.1; done
    for _ in $(seq "$SUBSCRIBERS"); do
        redis-cli -p "$p" SUBSCRIBE chan >/dev/null &
        SUB_PIDS+=($!)
    done
done
for p in "$OX_PORT" "$RD_PORT"; do
    for _ in $(seq 100); do
        n=$(redis-cli -p "$p" PUBSUB NUMSUB chan | tail -n 1)
        [ "$n" = "$SUBSCRIBERS" ] && break
        sleep 0.05
    done
    [ "$n" = "$SUBSCRIBERS" ] || { echo "subscribers did not attach to $p" >&2; exit 1; }
done

# The transaction input: BLOCKS x (MULTI, SET key:i value, EXEC) in RESP.
awk -v n="$BLOCKS" 'BEGIN {
    for (i = 0; i < n; i++) {
        k = "key:" i
        printf "*1\r\n$5\r\nMULTI\r\n"
        printf "*3\r\n$3\r\nSET\r\n$%d\r\n%s\r\n$5\r\nvalue\r\n", length(k), k
        printf "*1\r\n$4\r\nEXEC\r\n"
    }
}' > "$WORK/multi.resp"

cpu_ns() { awk '{print $1}' "/proc/$1/schedstat"; }
now_ns() { date +%s%N; }

run_publish() { # server port pid
    local before after rps us
    before=$(cpu_ns "$3")
    rps=$(redis-benchmark -p "$2" -c 50 -n "$REQUESTS" -P 16 --csv PUBLISH chan hello \
        | tail -n 1 | cut -d, -f2 | tr -d '"')
    after=$(cpu_ns "$3")
    us=$(awk -v t=$((after - before)) -v n="$REQUESTS" 'BEGIN { printf "%.3f", t / 1e3 / n }')
    echo "$1,publish,16,$rps,$us"
}

run_multi() { # server port pid
    local before after t0 t1 rps us
    redis-cli -p "$2" FLUSHALL >/dev/null
    before=$(cpu_ns "$3")
    t0=$(now_ns)
    redis-cli -p "$2" --pipe < "$WORK/multi.resp" >/dev/null
    t1=$(now_ns)
    after=$(cpu_ns "$3")
    rps=$(awk -v n="$BLOCKS" -v t=$((t1 - t0)) 'BEGIN { printf "%.0f", n / (t / 1e9) }')
    us=$(awk -v t=$((after - before)) -v n="$BLOCKS" 'BEGIN { printf "%.3f", t / 1e3 / n }')
    echo "$1,multi_set_exec,pipe,$rps,$us"
}

echo "server,test,pipeline,rps,cpu_us_per_req" > "$OUT"
for round in $(seq "$ROUNDS"); do
    for w in run_publish run_multi; do
        if (( round % 2 )); then
            $w oxidis "$OX_PORT" "$OX_PID" >> "$OUT"
            $w redis "$RD_PORT" "$RD_PID" >> "$OUT"
        else
            $w redis "$RD_PORT" "$RD_PID" >> "$OUT"
            $w oxidis "$OX_PORT" "$OX_PID" >> "$OUT"
        fi
    done
done

awk -F, 'NR > 1 {
    key = $2 "," $3; rps[$1 "," key] = rps[$1 "," key] " " $4; cpu[$1 "," key] = cpu[$1 "," key] " " $5; keys[key] = 1
}
function median(s,   a, n, i, j, t) {
    n = split(s, a, " ");
    for (i = 1; i <= n; i++) for (j = i + 1; j <= n; j++) if (a[j] + 0 < a[i] + 0) { t = a[i]; a[i] = a[j]; a[j] = t }
    return (n % 2) ? a[(n + 1) / 2] : (a[n / 2] + a[n / 2 + 1]) / 2
}
END {
    printf "%-15s %5s %12s %12s %7s %10s %10s %7s\n", "test", "P", "oxidis rps", "redis rps", "ratio", "ox us/req", "rd us/req", "ratio";
    for (k in keys) {
        split(k, kp, ",");
        orps = median(rps["oxidis," k]); rrps = median(rps["redis," k]);
        ocpu = median(cpu["oxidis," k]); rcpu = median(cpu["redis," k]);
        printf "%-15s %5s %12.0f %12.0f %7.2f %10.3f %10.3f %7.2f\n", kp[1], kp[2], orps, rrps, orps / rrps, ocpu, rcpu, (rcpu > 0 ? ocpu / rcpu : 0)
    }
}' "$OUT"
