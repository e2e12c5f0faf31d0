#!/usr/bin/env bash
# Side-by-side throughput and server CPU per request: oxidis vs redis-server.
#
# Usage: benches/compare_redis.sh [ROUNDS] [REQUESTS] [TESTS] [PIPELINES]
#   ROUNDS     alternating rounds per (test, pipeline)       default 3
#   REQUESTS   redis-benchmark -n (x10 when pipelining)       default 100000
#   TESTS      comma-separated redis-benchmark -t list        default ping_inline,ping_mbulk,set,get
#   PIPELINES  space-separated -P values                      default "1 16"
# Environment:
#   CUSTOM     a command line to benchmark as one more test, named by its
#              first word, e.g. CUSTOM="ZRANGEBYSCORE bigz 0 100 LIMIT 0 10"
#   PRELOAD    a file of RESP commands fed to both servers with
#              redis-cli --pipe before the first run (see benches/gen_zset.sh)
#
# Method (see chapters/benchmarks.md):
# - both servers run on this machine with persistence off, one after the
#   other, never at the same time under load;
# - each redis-benchmark run drives ONE test against ONE server, and the
#   order of the two servers alternates between rounds so drift in the
#   machine's speed hits both alike;
# - throughput is redis-benchmark's "requests per second";
# - server CPU is the process's time on CPU from /proc/PID/schedstat
#   (nanoseconds, main thread: where both servers run commands) before and after the run,
#   divided by the requests: microseconds of server CPU per request.
# Output: one CSV line per run on stdout-file, then a table of medians and
# the oxidis/redis ratios.
set -euo pipefail
cd "$(dirname "$0")/.."

ROUNDS=${1:-3}
REQUESTS=${2:-100000}
TESTS=${3:-ping_inline,ping_mbulk,set,get}
PIPELINES=${4:-1 16}
CLIENTS=50
KEYSPACE=100000
OX_PORT=${OX_PORT:-7391}
RD_PORT=${RD_PORT:-7392}
EXTRA_ARGS=${EXTRA_ARGS:-}
OUT=${OUT:-benches/results/latest.csv}

for tool in redis-server redis-benchmark redis-cli; do
    command -v "$tool" >/dev/null || { echo "$tool is not installed" >&2; exit 1; }
done
cargo build --release --quiet
WORK=$(mktemp -d)
trap 'kill $OX_PID $RD_PID 2>/dev/null || true; rm -rf "$WORK"' EXIT

./target/release/oxidis-server --port "$OX_PORT" --save "" --appendonly no \
    --dir "$WORK" --logfile "$WORK/oxidis.log" $EXTRA_ARGS &
OX_PID=$!
redis-server --port "$RD_PORT" --save "" --appendonly no --dir "$WORK" \
    --logfile "$WORK/redis.log" $EXTRA_ARGS &
RD_PID=$!
for p in "$OX_PORT" "$RD_PORT"; do
    for _ in $(seq 50); do redis-cli -p "$p" ping >/dev/null 2>&1 && break; sleep 0.1; done
done

if [[ -n "${PRELOAD:-}" ]]; then
    for p in "$OX_PORT" "$RD_PORT"; do redis-cli -p "$p" --pipe < "$PRELOAD" >/dev/null; done
fi

cpu_ns() { awk '{print $1}' "/proc/$1/schedstat"; }

run_one() { # server port pid test pipeline
    local before after rps n=$REQUESTS
    # Pipelined runs are ten times faster: give them ten times the
    # requests so each run lasts long enough to measure.
    (( $5 > 1 )) && n=$((REQUESTS * 10))
    before=$(cpu_ns "$3")
    local what=(-t "$4")
    [[ "$4" == custom ]] && read -r -a what <<< "$CUSTOM"
    rps=$(redis-benchmark -p "$2" -c "$CLIENTS" -n "$n" -r "$KEYSPACE" \
        -P "$5" --csv "${what[@]}" | tail -n 1 | cut -d, -f2 | tr -d '"')
    after=$(cpu_ns "$3")
    local us
    us=$(awk -v t=$((after - before)) -v n="$n" 'BEGIN { printf "%.3f", t / 1e3 / n }')
    echo "$1,$4,$5,$rps,$us"
}

echo "server,test,pipeline,rps,cpu_us_per_req" > "$OUT"
IFS=',' read -r -a test_list <<< "$TESTS"
[[ -n "${CUSTOM:-}" ]] && test_list+=(custom)
for round in $(seq "$ROUNDS"); do
    for P in $PIPELINES; do
        for t in "${test_list[@]}"; do
            if (( round % 2 )); then
                run_one oxidis "$OX_PORT" "$OX_PID" "$t" "$P" >> "$OUT"
                run_one redis "$RD_PORT" "$RD_PID" "$t" "$P" >> "$OUT"
            else
                run_one redis "$RD_PORT" "$RD_PID" "$t" "$P" >> "$OUT"
                run_one oxidis "$OX_PORT" "$OX_PID" "$t" "$P" >> "$OUT"
            fi
        done
    done
done

# Medians per (server, test, pipeline), then ratios.
awk -F, 'NR > 1 {
    key = $2 "," $3; rps[$1 "," key] = rps[$1 "," key] " " $4; cpu[$1 "," key] = cpu[$1 "," key] " " $5; keys[key] = 1
}
function median(s,   a, n, i, j, t) {
    n = split(s, a, " ");
    for (i = 1; i <= n; i++) for (j = i + 1; j <= n; j++) if (a[j] + 0 < a[i] + 0) { t = a[i]; a[i] = a[j]; a[j] = t }
    return (n % 2) ? a[(n + 1) / 2] : (a[n / 2] + a[n / 2 + 1]) / 2
}
END {
    printf "%-12s %3s %12s %12s %7s %10s %10s %7s\n", "test", "P", "oxidis rps", "redis rps", "ratio", "ox us/req", "rd us/req", "ratio";
    for (k in keys) {
        split(k, kp, ",");
        orps = median(rps["oxidis," k]); rrps = median(rps["redis," k]);
        ocpu = median(cpu["oxidis," k]); rcpu = median(cpu["redis," k]);
        printf "%-12s %3s %12.0f %12.0f %7.2f %10.3f %10.3f %7.2f\n", kp[1], kp[2], orps, rrps, orps / rrps, ocpu, rcpu, (rcpu > 0 ? ocpu / rcpu : 0)
    }
}' "$OUT" | sort -k2,2n -k1,1
