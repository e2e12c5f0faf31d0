#!/usr/bin/env bash
# Resident memory per key: oxidis vs redis-server, same data, same loader.
#
# Usage: benches/memory_redis.sh [N] [DATASET]
#   N        how many keys or elements            default 1000000
#   DATASET  strings: N keys `key:0000000001` -> `value-00000001`
#            list:    one list of N elements `element-00000001`, RPUSHed
#                     100 at a time
#            hashes:  N hashes of 3 short fields (name, age, city)
#            sets:    N sets of 5 small integers
#            zset:    one sorted set of N members `member:N` with
#                     random scores, ZADDed 100 at a time
#            zsets:   N sorted sets of 5 members (a..e, small scores)
#                                                  default strings
#
# Method (chapters/benchmarks.md, "Memory"):
# - start each server fresh (persistence off) and read its VmRSS;
# - load the dataset with `redis-cli --pipe` (the same RESP bytes for both);
# - read VmRSS again; report (after - before) / N, and INFO used_memory.
set -euo pipefail
cd "$(dirname "$0")/.."

KEYS=${1:-1000000}
DATASET=${2:-strings}
OX_PORT=${OX_PORT:-7396}
RD_PORT=${RD_PORT:-7397}
for tool in redis-server redis-cli python3; do
    command -v "$tool" >/dev/null || { echo "$tool is not installed" >&2; exit 1; }
done
cargo build --release --quiet
WORK=$(mktemp -d)
trap 'kill $PID 2>/dev/null || true; rm -rf "$WORK"' EXIT
PID=

python3 - "$KEYS" "$DATASET" > "$WORK/load.resp" <<'PY'
import sys
n = int(sys.argv[1]); dataset = sys.argv[2]; out = sys.stdout.buffer
def cmd(*args):
    out.write(b"*%d\r\n" % len(args))
    for a in args:
        out.write(b"$%d\r\n%s\r\n" % (len(a), a))
if dataset == "strings":
    for i in range(1, n + 1):
        cmd(b"SET", b"key:%010d" % i, b"value-%08d" % i)
elif dataset == "hashes":
    for i in range(1, n + 1):
        cmd(b"HSET", b"hash:%08d" % i, b"name", b"user-%08d" % i, b"age", b"%d" % (i % 90), b"city", b"paris")
elif dataset == "sets":
    for i in range(1, n + 1):
        cmd(b"SADD", b"set:%08d" % i, b"1", b"2", b"3", b"%d" % i, b"%d" % (i * 7))
elif dataset == "list":
    for start in range(1, n + 1, 100):
        cmd(b"RPUSH", b"biglist", *[b"element-%08d" % i for i in range(start, min(start + 100, n + 1))])
elif dataset == "zset":
    import random
    rng = random.Random(42)
    for start in range(1, n + 1, 100):
        args = [b"ZADD", b"bigzset"]
        for i in range(start, min(start + 100, n + 1)):
            args += [b"%d" % rng.randrange(1 << 30), b"member:%d" % i]
        cmd(*args)
elif dataset == "zsets":
    for i in range(1, n + 1):
        cmd(b"ZADD", b"zset:%08d" % i, b"1", b"a", b"2", b"b", b"3.5", b"c", b"%d" % (i % 1000), b"d", b"7", b"e")
else:
    sys.exit("unknown dataset " + dataset)
PY

rss_kb() { awk '/^VmRSS/ {print $2}' "/proc/$1/status"; }

measure() { # name port command...
    local name=$1 port=$2
    shift 2
    "$@" --port "$port" --save "" --appendonly no --dir "$WORK" --logfile "$WORK/$name.log" &
    PID=$!
    for _ in $(seq 50); do redis-cli -p "$port" ping >/dev/null 2>&1 && break; sleep 0.1; done
    local before after used
    before=$(rss_kb "$PID")
    redis-cli -p "$port" --pipe < "$WORK/load.resp" >/dev/null
    after=$(rss_kb "$PID")
    used=$(redis-cli -p "$port" info memory | awk -F: '/^used_memory:/ {print $2}' | tr -d '\r')
    printf "%-8s %s n=%d rss_before_kb=%d rss_after_kb=%d rss_bytes_per_item=%.1f used_memory=%d\n" \
        "$name" "$DATASET" "$KEYS" "$before" "$after" "$(awk -v a="$after" -v b="$before" -v n="$KEYS" 'BEGIN {print (a - b) * 1024 / n}')" "$used"
    redis-cli -p "$port" shutdown nosave >/dev/null 2>&1 || true
    wait "$PID" 2>/dev/null || true
    PID=
}

measure oxidis "$OX_PORT" ./target/release/oxidis-server
measure redis "$RD_PORT" redis-server
