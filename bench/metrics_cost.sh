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
OUT=target/metrics-cost; mkdir -p $OUT
. bench/ab.sh
ab_setup
OFF=${PORT_OFF:-50597}; ON=${PORT_ON:-50598}; MPORT=${METRICS_PORT:-50596}
RUST_LOG=warn ./target/release/lede-server --addr 127.0.0.1:$OFF --metrics-addr off &
P1=$!
RUST_LOG=warn ./target/release/lede-server --addr 127.0.0.1:$ON --metrics-addr 127.0.0.1:$MPORT &
P2=$!
trap 'kill $P1 $P2 2>/dev/null || true' EXIT
ab_serving $OFF $ON
"$VENV/bin/python" bench/grpc_body.py "$DATA" $OUT 127.0.0.1:$OFF >/dev/null
"$VENV/bin/python" bench/grpc_body.py "$DATA" $OUT 127.0.0.1:$ON >/dev/null
offs=(); ons=()
run_on() {
  ( while sleep 1; do curl -s -o /dev/null http://127.0.0.1:$MPORT/metrics || true; done ) &
  local scraper=$!
  ons+=("$(ab_run on $ON $P2)")
  kill $scraper 2>/dev/null || true
}
# Odd pairs run off first, even pairs on first: neither side always gets the first slot.
for i in $(seq "$PAIRS"); do
  if [ $((i % 2)) = 1 ]; then offs+=("$(ab_run off $OFF $P1)"); run_on; else run_on; offs+=("$(ab_run off $OFF $P1)"); fi
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
