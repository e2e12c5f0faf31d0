#!/usr/bin/env bash
# RDB save/load side by side: oxidis vs redis-server 7.0 on one dataset.
#
# Usage: benches/rdb_redis.sh [ROUNDS] [KEYS]
#   ROUNDS   alternating rounds                          default 3
#   KEYS     string keys (key:NNNNNNNNNN -> 16-byte value) default 1000000
# Plus, in both servers: 10000 lists of 100 items, 10000 hashes of 20
# fields, 10000 intsets of 50 members, 5000 string sets of 20 members,
# 10000 sorted sets of 20 members (all small encodings), and 20 each of
# large lists / hashtable hashes / hashtable sets / skiplist sorted sets
# of 2000 elements.
#
# Method (see chapters/20-rdb.md#measured):
# - the same RESP file is loaded into both servers with redis-cli --pipe;
# - SAVE time: wall time of one `SAVE` as seen by redis-cli (both servers
#   fsync the file before replying), median over ROUNDS;
# - BGSAVE time: from `BGSAVE` until INFO shows rdb_bgsave_in_progress:0
#   (polled every 10 ms), so it includes the fork and the child's fsync;
# - file size: bytes of dump.rdb;
# - load time: the server restarted on that file; the "DB loaded from
#   disk: X seconds" figure both servers log, median over ROUNDS;
# - the two servers run one after the other, never at the same time.
# Output: a table on stdout and CSV lines in $OUT.
set -euo pipefail
cd "$(dirname "$0")/.."

ROUNDS=${1:-3}
KEYS=${2:-1000000}
OX_PORT=${OX_PORT:-7393}
RD_PORT=${RD_PORT:-7394}
OUT=${OUT:-benches/results/rdb-latest.csv}

for tool in redis-server redis-cli python3; do
    command -v "$tool" >/dev/null || { echo "$tool is not installed" >&2; exit 1; }
done
cargo build --release --quiet
WORK=$(mktemp -d)
PID=
trap '[ -n "$PID" ] && kill $PID 2>/dev/null; rm -rf "$WORK"' EXIT

python3 - "$KEYS" > "$WORK/data.resp" <<'PY'
import sys
out = sys.stdout.buffer
def cmd(*args):
    out.write(b"*%d\r\n" % len(args))
    for a in args:
        a = a if isinstance(a, bytes) else str(a).encode()
        out.write(b"$%d\r\n%s\r\n" % (len(a), a))
n = int(sys.argv[1])
for i in range(n):
    cmd("SET", "key:%010d" % i, "value:%010d" % (i * 7919 % n))
for i in range(10000):
    cmd("RPUSH", "list:%d" % i, *["item-%d" % j for j in range(100)])
    cmd("HSET", "hash:%d" % i, *[x for j in range(20) for x in ("field%d" % j, "v%d" % (i + j))])
    cmd("SADD", "iset:%d" % i, *[i * 100 + j for j in range(50)])
    cmd("ZADD", "zset:%d" % i, *[x for j in range(20) for x in (j * 1.5, "member%d" % j)])
for i in range(5000):
    cmd("SADD", "sset:%d" % i, *["m%d" % j for j in range(20)])
for i in range(20):
    cmd("RPUSH", "biglist:%d" % i, *["element-%d" % j for j in range(2000)])
    cmd("HSET", "bighash:%d" % i, *[x for j in range(2000) for x in ("f%d" % j, "value-%d" % j)])
    cmd("SADD", "bigset:%d" % i, *["s%d" % j for j in range(2000)])
    cmd("ZADD", "bigzset:%d" % i, *[x for j in range(2000) for x in (j / 3.0, "z%d" % j)])
PY

start_server() { # name dir port
    if [ "$1" = oxidis ]; then
        ./target/release/oxidis-server --port "$3" --save "" --appendonly no \
            --dir "$2" --logfile "$2/server.log" &
    else
        redis-server --port "$3" --save "" --appendonly no --dir "$2" \
            --logfile "$2/server.log" &
    fi
    PID=$!
    until redis-cli -p "$3" ping 2>/dev/null | grep -q PONG; do sleep 0.1; done
}
stop_server() { kill "$PID"; wait "$PID" 2>/dev/null || true; PID=; }

bgsave_secs() { # port
    local t0 t1
    t0=$(date +%s.%N)
    redis-cli -p "$1" bgsave > /dev/null
    sleep 0.01
    until redis-cli -p "$1" info persistence | grep -q '^rdb_bgsave_in_progress:0'; do sleep 0.01; done
    t1=$(date +%s.%N)
    echo "$t1 - $t0" | bc
}

echo "server,round,save_s,bytes,load_s,bgsave_s" > "$OUT"
for round in $(seq 1 "$ROUNDS"); do
    order="oxidis redis"; [ $((round % 2)) = 0 ] && order="redis oxidis"
    for name in $order; do
        dir="$WORK/$name"; rm -rf "$dir"; mkdir -p "$dir"
        port=$OX_PORT; [ "$name" = redis ] && port=$RD_PORT
        start_server "$name" "$dir" "$port"
        redis-cli -p "$port" --pipe < "$WORK/data.resp" > /dev/null
        t0=$(date +%s.%N)
        redis-cli -p "$port" save > /dev/null
        t1=$(date +%s.%N)
        bgsave=$(bgsave_secs "$port")
        stop_server
        bytes=$(stat -c %s "$dir/dump.rdb")
        start_server "$name" "$dir" "$port"
        load=$(grep -o 'DB loaded from disk: [0-9.]*' "$dir/server.log" | tail -1 | awk '{print $5}')
        stop_server
        save=$(echo "$t1 - $t0" | bc)
        echo "$name,$round,$save,$bytes,$load,$bgsave" | tee -a "$OUT"
    done
done

echo
echo "median over $ROUNDS rounds"
python3 - "$OUT" <<'PY'
import csv, statistics, sys
rows = list(csv.DictReader(open(sys.argv[1])))
for name in ("oxidis", "redis"):
    r = [x for x in rows if x["server"] == name]
    save = statistics.median(float(x["save_s"]) for x in r)
    load = statistics.median(float(x["load_s"]) for x in r)
    bg = statistics.median(float(x["bgsave_s"]) for x in r)
    print(f"{name:7} save {save:.3f} s  bgsave {bg:.3f} s  file {r[-1]['bytes']} bytes  load {load:.3f} s")
PY
