#!/usr/bin/env bash
# Cost of span export (issue #14): gRPC Classify at 64 streams against two release servers side
# by side, --otlp-endpoint off and on, runs interleaved (off/on, then on/off, ...) so that other
# load on the machine falls on both alike. The "on" server exports every call's span (no
# sampling) to an OTLP sink on loopback: a grpcio generic handler that answers each
# TraceService/Export at once, without decoding, so the figure is Lede's side of the export.
# Logs at info (the default) go to /dev/null. Reported: req/s and the server's CPU time per
# call (utime + stime over the run; steadier than req/s on a shared machine). Same request body
# as bench/grpc.sh. What export off costs against no traces at all is below a microsecond and
# is measured in process: cargo bench --bench traces.
# usage: bench/traces_cost.sh [SECONDS_PER_RUN] [PAIRS]
set -euo pipefail
cd "$(dirname "$0")/.."
DATA=${DATA:-../shared/data}
SECS=${1:-10}
PAIRS=${2:-4}
OUT=target/traces-cost; mkdir -p $OUT
. bench/ab.sh
ab_setup
OFF=${PORT_OFF:-50641}; ON=${PORT_ON:-50642}; SINK=${PORT_SINK:-50643}
"$VENV/bin/python" - 127.0.0.1:$SINK > $OUT/sink.txt <<'PY' &
import os, signal, sys, threading
from concurrent import futures
import grpc
n = {"exports": 0, "bytes": 0}
lock = threading.Lock()
def export(request, context):
    with lock:
        n["exports"] += 1
        n["bytes"] += len(request)
    return b""  # an empty ExportTraceServiceResponse: all accepted
server = grpc.server(futures.ThreadPoolExecutor(max_workers=2))
server.add_generic_rpc_handlers((grpc.method_handlers_generic_handler(
    "opentelemetry.proto.collector.trace.v1.TraceService",
    {"Export": grpc.unary_unary_rpc_method_handler(export)}),))
server.add_insecure_port(sys.argv[1])
server.start()
def report(*_):
    print(f"exports {n['exports']}, {n['bytes']:,} bytes", flush=True)
    os._exit(0)
signal.signal(signal.SIGTERM, report)
signal.pause()
PY
PS=$!
./target/release/lede-server --addr 127.0.0.1:$OFF --metrics-addr off >/dev/null 2>&1 &
P1=$!
./target/release/lede-server --addr 127.0.0.1:$ON --metrics-addr off --otlp-endpoint http://127.0.0.1:$SINK \
  >/dev/null 2>&1 &
P2=$!
trap 'kill $P1 $P2 $PS 2>/dev/null || true' EXIT
ab_serving $OFF $ON
"$VENV/bin/python" bench/grpc_body.py "$DATA" $OUT 127.0.0.1:$OFF >/dev/null
offs=(); ons=()
for i in $(seq "$PAIRS"); do
  if [ $((i % 2)) = 1 ]; then offs+=("$(ab_run off $OFF $P1)"); ons+=("$(ab_run on $ON $P2)")
  else ons+=("$(ab_run on $ON $P2)"); offs+=("$(ab_run off $OFF $P1)"); fi
  echo "pair $i (req/s, server CPU us/call): off ${offs[-1]}; on ${ons[-1]}"
done
# The "on" server's last spans are flushed at its shutdown; then the sink reports.
kill -TERM $P2; wait $P2 || true
kill -TERM $PS; wait $PS || true
echo "sink: $(cat $OUT/sink.txt)"
python3 - "${offs[*]}" "${ons[*]}" <<'PY' | tee $OUT/summary.txt
import statistics as st, sys
def cols(a):
    v = [float(x) for x in a.split()]
    return v[0::2], v[1::2]  # req/s, server CPU us per call
(off_r, off_c), (on_r, on_c) = cols(sys.argv[1]), cols(sys.argv[2])
r, c = st.median(on_r) / st.median(off_r), st.median(on_c) / st.median(off_c)
print(f"Classify, 64 streams, {len(off_r)} off/on pairs: median req/s off {st.median(off_r):,.0f}, "
      f"on {st.median(on_r):,.0f} ({(r - 1) * 100:+.1f}%); server CPU per call off "
      f"{st.median(off_c):.2f} us, on {st.median(on_c):.2f} us ({(c - 1) * 100:+.1f}%)")
PY
