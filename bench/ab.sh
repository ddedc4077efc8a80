# Shared by the A/B cost scripts (bench/metrics_cost.sh, bench/traces_cost.sh): two release
# servers side by side, the same Classify load on each in turn. Source it after setting SECS
# (seconds per run) and OUT (output directory).

# Installs grpcio and h2load if missing and builds the release server.
ab_setup() {
  VENV=${LEDE_BENCH_VENV:-/tmp/lede-bench-venv}
  [ -x "$VENV/bin/python" ] || python3 -m venv "$VENV"
  "$VENV/bin/pip" install -q grpcio grpcio-tools
  command -v h2load >/dev/null || { apt-get install -y -qq nghttp2-client >/dev/null 2>&1 || { apt-get update -qq && apt-get install -y -qq nghttp2-client >/dev/null; }; }
  cargo build --release --locked --bin lede-server 2>/dev/null
}

# ab_serving PORT...: waits until each server reports SERVING.
ab_serving() {
  for p in "$@"; do
    until ./target/release/lede-server healthcheck --addr 127.0.0.1:$p >/dev/null 2>&1; do sleep 0.05; done
  done
}

ab_cpu() { awk '{print $14 + $15}' /proc/$1/stat; }  # utime + stime, clock ticks

# ab_run LABEL PORT PID: h2load Classify at 64 streams for SECS seconds (the request body of
# bench/grpc.sh, $OUT/Classify.bin); prints "req/s server-CPU-microseconds-per-call".
ab_run() {
  local c0 c1; c0=$(ab_cpu $3)
  h2load -n 100000000 -D $SECS -c 1 -m 64 -t 1 \
    -H 'content-type: application/grpc' -H 'te: trailers' -d $OUT/Classify.bin \
    http://127.0.0.1:$2/lede.v1.Analyzer/Classify > $OUT/h2load-$1.txt 2>&1 || true
  grep -q ' 0 failed, 0 errored' $OUT/h2load-$1.txt || { echo "h2load errors ($1):" >&2; cat $OUT/h2load-$1.txt >&2; exit 1; }
  c1=$(ab_cpu $3)
  python3 - $OUT/h2load-$1.txt "$c0" "$c1" "$(getconf CLK_TCK)" <<'PY'
import re, sys
t = open(sys.argv[1]).read()
rps = float(re.search(r"finished in [^,]+, ([\d.]+) req/s", t).group(1))
done = int(re.search(r"(\d+) succeeded", t).group(1))
print(f"{rps:.0f} {(float(sys.argv[3]) - float(sys.argv[2])) / float(sys.argv[4]) / done * 1e6:.2f}")
PY
}
