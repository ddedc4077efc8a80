#!/usr/bin/env bash
# gRPC throughput and latency of the release server over loopback with h2load (nghttp2-client):
# Classify, Summarize and Analyze of the median-length bbc test article at 1, 16 and 64 concurrent
# streams; server RSS; time from start to SERVING. h2load counts HTTP statuses only, so every
# request body is first checked with a real grpcio client, and grpc-status errors would show as
# a non-zero "errors" count below (the server's own log counts outcomes too).
# usage: bench/grpc.sh [SECONDS_PER_RUN]
set -euo pipefail
cd "$(dirname "$0")/.."
DATA=${DATA:-../shared/data}
SECS=${1:-10}
VENV=${LEDE_BENCH_VENV:-/tmp/lede-bench-venv}
[ -x "$VENV/bin/python" ] || python3 -m venv "$VENV"
"$VENV/bin/pip" install -q grpcio grpcio-tools scikit-learn
command -v h2load >/dev/null || { apt-get install -y -qq nghttp2-client >/dev/null 2>&1 || { apt-get update -qq && apt-get install -y -qq nghttp2-client >/dev/null; }; }
cargo build --release --locked --bin lede-server 2>/dev/null
PORT=${PORT:-50599}
OUT=target/grpc-bench; mkdir -p $OUT
t0=$(date +%s%N)
# Metrics on (the default in production), on a free port so runs never clash over 9100.
RUST_LOG=warn ./target/release/lede-server --addr 127.0.0.1:$PORT --metrics-addr ${METRICS_ADDR:-127.0.0.1:0} &
PID=$!
trap 'kill $PID 2>/dev/null || true' EXIT
until ./target/release/lede-server healthcheck --addr 127.0.0.1:$PORT >/dev/null 2>&1; do sleep 0.01; done
echo "start to SERVING: $(( ($(date +%s%N) - t0) / 1000000 )) ms (incl. healthcheck process start)"
"$VENV/bin/python" bench/grpc_body.py "$DATA" $OUT 127.0.0.1:$PORT
printf '| method | streams | req/s | p50 ms | p99 ms | errors |\n|---|---:|---:|---:|---:|---:|\n' | tee $OUT/table.md
for m in Classify Summarize Analyze; do
  for c in 1 16 64; do
    rm -f $OUT/log.txt
    h2load -n 1000000 -D $SECS -c 1 -m $c -t 1 --log-file=$OUT/log.txt \
      -H 'content-type: application/grpc' -H 'te: trailers' -d $OUT/$m.bin \
      http://127.0.0.1:$PORT/lede.v1.Analyzer/$m > $OUT/h2load.txt 2>&1 || true
    python3 - "$m" "$c" $OUT <<'PY' | tee -a $OUT/table.md
import sys, re
m, c, out = sys.argv[1], sys.argv[2], sys.argv[3]
txt = open(f"{out}/h2load.txt").read()
rps = float(re.search(r"finished in [^,]+, ([\d.]+) req/s", txt).group(1))
st = re.search(r"requests: \d+ total, \d+ started, (\d+) done, (\d+) succeeded, (\d+) failed, (\d+) errored", txt)
lat = sorted(int(l.split()[2]) for l in open(f"{out}/log.txt") if l.strip())  # microseconds
p = lambda q: lat[min(len(lat) - 1, int(q * len(lat)))] / 1000
print(f"| {m} | {c} | {rps:,.0f} | {p(0.5):.2f} | {p(0.99):.2f} | {int(st.group(3)) + int(st.group(4))} |")
PY
  done
done
sk=$(taskset -c 0 "$VENV/bin/python" bench/peers.py "$DATA" --sklearn-only)
python3 - "$sk" $OUT/table.md <<'PY'
import json, re, sys
sk = json.loads(sys.argv[1])["sklearn_docs_per_s"]
best = max(float(m.group(1).replace(",", "")) for m in re.finditer(r"\| Classify \| \d+ \| ([\d,]+) \|", open(sys.argv[2]).read()))
print(f"scikit-learn TF-IDF + MultinomialNB in process, one thread, same run: {sk:,.0f} docs/s; "
      f"Classify over gRPC (best of 1/16/64 streams): {best:,.0f} req/s = {best / sk:.1f}x (floor 1x, goal 3x)")
PY
echo "server RSS: $(awk '/VmRSS/{printf "%.1f MB", $2/1024}' /proc/$PID/status), peak $(awk '/VmHWM/{printf "%.1f MB", $2/1024}' /proc/$PID/status)"
