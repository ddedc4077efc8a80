#!/usr/bin/env bash
# Cost of Prometheus metrics (issue #14): gRPC Classify req/s at 64 streams with metrics off and
# on, measured in the same run. Two release servers run side by side (one --metrics-addr off,
# one on), only one under load at a time; the runs alternate off/on/off/on... so that the load
# other processes put on the machine falls on both alike. The "on" server is scraped once a
# second during its runs (a busy Prometheus scrapes every 15 s). Same h2load command and
# request body as bench/grpc.sh (the median-length bbc test article).
# The machine may be shared: req/s then swings with other load, so the server's CPU time per
# call (utime + stime from /proc/PID/stat over the run) is reported too; it is much steadier.
# usage: bench/metrics_cost.sh [SECONDS_PER_RUN] [PAIRS]
set -euo pipefail
cd "$(dirname "$0")/.."
DATA=${DATA:-../shared/data}
SECS=${1:-10}
PAIRS=${2:-2}
VENV=${LEDE_BENCH_VENV:-/tmp/lede-bench-venv}
[ -x "$VENV/bin/python" ] || python3 -m venv "$VENV"
"$VENV/bin/pip" install -q grpcio grpcio-tools
command -v h2load >/dev/null || { apt-get install -y -qq nghttp2-client >/dev/null 2>&1 || { apt-get update -qq && apt-get install -y -qq nghttp2-client >/dev/null; }; }
cargo build --release --locked --bin lede-server 2>/dev/null
OFF=${PORT_OFF:-50597}; ON=${PORT_ON:-50598}; MPORT=${METRICS_PORT:-50596}
OUT=target/metrics-cost; mkdir -p $OUT
RUST_LOG=warn ./target/release/lede-server --addr 127.0.0.1:$OFF --metrics-addr off &
P1=$!
RUST_LOG=warn ./target/release/lede-server --addr 127.0.0.1:$ON --metrics-addr 127.0.0.1:$MPORT &
P2=$!
trap 'kill $P1 $P2 2>/dev/null || true' EXIT
for p in $OFF $ON; do
  until ./target/release/lede-server healthcheck --addr 127.0.0.1:$p >/dev/null 2>&1; do sleep 0.05; done
done
"$VENV/bin/python" bench/grpc_body.py "$DATA" $OUT 127.0.0.1:$OFF >/dev/null
"$VENV/bin/python" bench/grpc_body.py "$DATA" $OUT 127.0.0.1:$ON >/dev/null
cpu() { awk '{print $14 + $15}' /proc/$1/stat; }  # utime + stime, clock ticks
run() {  # run LABEL PORT PID -> prints "req/s server-CPU-microseconds-per-call"
  local c0; c0=$(cpu $3)
  h2load -n 100000000 -D $SECS -c 1 -m 64 -t 1 \
    -H 'content-type: application/grpc' -H 'te: trailers' -d $OUT/Classify.bin \
    http://127.0.0.1:$2/lede.v1.Analyzer/Classify > $OUT/h2load-$1.txt 2>&1 || true
  grep -q ' 0 failed, 0 errored' $OUT/h2load-$1.txt || { echo "h2load errors ($1):" >&2; cat $OUT/h2load-$1.txt >&2; exit 1; }
  local c1; c1=$(cpu $3)
  python3 - $OUT/h2load-$1.txt "$c0" "$c1" "$(getconf CLK_TCK)" <<'PY'
import re, sys
t = open(sys.argv[1]).read()
rps = float(re.search(r"finished in [^,]+, ([\d.]+) req/s", t).group(1))
done = int(re.search(r"(\d+) succeeded", t).group(1))
print(f"{rps:.0f} {(float(sys.argv[3]) - float(sys.argv[2])) / float(sys.argv[4]) / done * 1e6:.2f}")
PY
}
offs=(); ons=()
run_on() {
  ( while sleep 1; do curl -s -o /dev/null http://127.0.0.1:$MPORT/metrics || true; done ) &
  local scraper=$!
  ons+=("$(run on $ON $P2)")
  kill $scraper 2>/dev/null || true
}
# Odd pairs run off first, even pairs on first: neither side always gets the first slot.
for i in $(seq "$PAIRS"); do
  if [ $((i % 2)) = 1 ]; then offs+=("$(run off $OFF $P1)"); run_on; else run_on; offs+=("$(run off $OFF $P1)"); fi
  echo "pair $i (req/s, server CPU us/call): off ${offs[-1]}; on ${ons[-1]}"
done
curl -s http://127.0.0.1:$MPORT/metrics > $OUT/scrape.txt
grep -E '^lede_grpc_calls_total\{method="Classify",code="OK"\}' $OUT/scrape.txt
python3 - "${offs[*]}" "${ons[*]}" <<'PY' | tee $OUT/summary.txt
import statistics as st, sys
def pairs(a):
    v = [float(x) for x in a.split()]
    return v[0::2], v[1::2]  # req/s, server CPU us per call
(off_r, off_c), (on_r, on_c) = pairs(sys.argv[1]), pairs(sys.argv[2])
f = lambda xs, d=0: ", ".join(f"{x:,.{d}f}" for x in xs)
print(f"Classify, 64 streams, {len(off_r)} off/on pairs, interleaved")
print(f"  req/s off: {f(off_r)}")
print(f"  req/s on:  {f(on_r)}")
print(f"  server CPU us/call off: {f(off_c, 2)}")
print(f"  server CPU us/call on:  {f(on_c, 2)}")
r = st.median(on_r) / st.median(off_r)
ratios = [a / b for a, b in zip(on_r, off_r)]
c = st.median(on_c) / st.median(off_c)
print(f"  median req/s off {st.median(off_r):,.0f}, on {st.median(on_r):,.0f}: on/off {r:.3f} ({(r - 1) * 100:+.1f}%; "
      f"median of per-pair ratios {st.median(ratios):.3f}; budget -3%)")
print(f"  median server CPU per call off {st.median(off_c):.2f} us, on {st.median(on_c):.2f} us: {(c - 1) * 100:+.1f}%")
PY
