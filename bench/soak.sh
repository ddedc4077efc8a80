#!/usr/bin/env bash
# Overload and soak: Classify of the median bbc article at and above peak for SECONDS (default 60)
# against the release server with a small concurrency cap (--max-concurrent-calls 32), so that
# part of the load is shed. Samples server RSS every 5 s. h2load sees only HTTP statuses (a shed
# call is HTTP 200 with grpc-status 8), so outcomes are counted from the server's JSON log:
# calls that reached the service (all must be "ok") vs everything h2load sent (the rest was shed
# with RESOURCE_EXHAUSTED before reaching the handler).
# usage: bench/soak.sh [SECONDS]
set -euo pipefail
cd "$(dirname "$0")/.."
SECS=${1:-60}
DATA=${DATA:-../shared/data}
VENV=${LEDE_BENCH_VENV:-/tmp/lede-bench-venv}
[ -x "$VENV/bin/python" ] || python3 -m venv "$VENV"
"$VENV/bin/pip" install -q grpcio grpcio-tools
command -v h2load >/dev/null || { apt-get install -y -qq nghttp2-client >/dev/null 2>&1 || { apt-get update -qq && apt-get install -y -qq nghttp2-client >/dev/null; }; }
cargo build --release --locked --bin lede-server 2>/dev/null
PORT=${PORT:-50598}
OUT=target/soak; mkdir -p $OUT
./target/release/lede-server --addr 127.0.0.1:$PORT --metrics-addr off --max-concurrent-calls 32 --log-format json > $OUT/server.log 2>&1 &
PID=$!
trap 'kill $PID 2>/dev/null || true' EXIT
until ./target/release/lede-server healthcheck --addr 127.0.0.1:$PORT >/dev/null 2>&1; do sleep 0.05; done
"$VENV/bin/python" bench/grpc_body.py "$DATA" $OUT 127.0.0.1:$PORT >/dev/null
( for i in $(seq $((SECS / 5))); do sleep 5; awk -v t=$((i * 5)) '/VmRSS/{printf "t=%ss rss=%.1f MB\n", t, $2/1024}' /proc/$PID/status; done ) > $OUT/rss.txt &
SAMPLER=$!
rm -f $OUT/log.txt
# 4 connections x 64 streams = 256 in flight against a cap of 32: well above peak.
h2load -D $SECS -c 4 -m 64 -t 1 --log-file=$OUT/log.txt \
  -H 'content-type: application/grpc' -H 'te: trailers' -d $OUT/Classify.bin \
  http://127.0.0.1:$PORT/lede.v1.Analyzer/Classify > $OUT/h2load.txt 2>&1 || true
wait $SAMPLER || true
grep -E "finished in|requests:" $OUT/h2load.txt
sent=$(wc -l < $OUT/log.txt)
ok=$(grep -c '"outcome":"ok"' $OUT/server.log || true)
other=$(grep '"outcome"' $OUT/server.log | grep -vc '"outcome":"ok"' || true)
python3 - $OUT/log.txt <<'PY'
import sys
lat = sorted(int(l.split()[2]) for l in open(sys.argv[1]) if l.strip())
p = lambda q: lat[min(len(lat) - 1, int(q * len(lat)))] / 1000
print(f"latency over all answered calls (accepted and shed): p50 {p(0.5):.2f} ms, p99 {p(0.99):.2f} ms")
PY
python3 - $OUT/server.log <<'PY'
import json, sys
lat = sorted(json.loads(l)["latency_ms"] for l in open(sys.argv[1]) if '"outcome":"ok"' in l)
if lat:
    p = lambda q: lat[min(len(lat) - 1, int(q * len(lat)))]
    print(f"accepted calls, server-side handler latency: p50 {p(0.5):.2f} ms, p99 {p(0.99):.2f} ms")
PY
echo "calls sent $sent; reached the service and ok: $ok; other outcomes: $other; shed with RESOURCE_EXHAUSTED: $((sent - ok - other))"
cat $OUT/rss.txt
[ "$other" = 0 ]
