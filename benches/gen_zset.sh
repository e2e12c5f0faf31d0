#!/usr/bin/env bash
# Writes RESP commands that build one sorted set of N members, for
# redis-cli --pipe: ZADD KEY i member:i for i in 0..N, 100 pairs a command.
#
# Usage: benches/gen_zset.sh KEY N > file
set -euo pipefail
KEY=${1:?key}
N=${2:?count}
awk -v key="$KEY" -v n="$N" 'BEGIN {
    for (i = 0; i < n; i += 100) {
        m = (n - i < 100) ? n - i : 100;
        printf "*%d\r\n$4\r\nZADD\r\n$%d\r\n%s\r\n", 2 + 2 * m, length(key), key;
        for (j = i; j < i + m; j++) {
            s = j ""; e = "member:" j;
            printf "$%d\r\n%s\r\n$%d\r\n%s\r\n", length(s), s, length(e), e;
        }
    }
}'
