#!/usr/bin/env bash
# Memory of several models (issue #14): RSS of the release server serving the default model
# alone, then three models. The three are copies of the default bundle in a --model-dir
# (default, second, third): three separate loads, as three different bundles of that size would
# be. Each figure is taken once the server logs "serving" (every model loaded) and again after
# CALLS Classify calls to every model (a short business article: the script needs no data set).
# usage: bench/models_rss.sh [CALLS]
set -euo pipefail
cd "$(dirname "$0")/.."
CALLS=${1:-2000}
command -v h2load >/dev/null || { apt-get install -y -qq nghttp2-client >/dev/null 2>&1 || { apt-get update -qq && apt-get install -y -qq nghttp2-client >/dev/null; }; }
cargo build --release --locked --bin lede-server 2>/dev/null
PORT=${PORT:-50599}
OUT=target/models-rss; mkdir -p $OUT
NAMES=(default second third)
# One gRPC frame per model: ClassifyRequest{text (field 2), model (field 7)}, encoded by hand
# (two length-delimited strings) so that no protobuf package is needed.
python3 - "$OUT" "${NAMES[@]}" <<'PY'
import struct, sys
out, names = sys.argv[1], sys.argv[2:]
text = ("Quarterly profits at US media giant TimeWarner jumped 76% to $1.13bn for the three months "
        "to December, from $639m year-earlier. The firm, which is now one of the biggest investors "
        "in Google, benefited from sales of high-speed internet connections and higher advert sales.")
def varint(n):
    b = bytearray()
    while True:
        b.append((n & 0x7f) | (0x80 if n > 0x7f else 0))
        n >>= 7
        if not n:
            return bytes(b)
def field(num, s):
    s = s.encode()
    return varint(num << 3 | 2) + varint(len(s)) + s
for name in names:
    msg = field(2, text) + field(7, name)
    open(f"{out}/classify-{name}.bin", "wb").write(b"\0" + struct.pack(">I", len(msg)) + msg)
PY
rss() { awk '/VmRSS/{printf "%.1f", $2/1024}' /proc/$1/status; }
for n in 1 3; do
  dir=$(mktemp -d)
  for name in "${NAMES[@]:0:$n}"; do
    mkdir "$dir/$name"; cp models/default/model.lede "$dir/$name/"
  done
  log=$OUT/server-$n.log
  ./target/release/lede-server --addr 127.0.0.1:$PORT --metrics-addr off --model-dir "$dir" \
    --log-format json > "$log" 2>&1 &
  PID=$!
  trap 'kill $PID 2>/dev/null || true' EXIT
  until grep -q '"message":"serving"' "$log"; do sleep 0.05; done
  sleep 1
  loaded=$(rss $PID)
  for name in "${NAMES[@]:0:$n}"; do
    h2load -n "$CALLS" -c 1 -m 8 -t 1 -H 'content-type: application/grpc' -H 'te: trailers' \
      -d "$OUT/classify-$name.bin" http://127.0.0.1:$PORT/lede.v1.Analyzer/Classify > /dev/null
  done
  sleep 1
  busy=$(rss $PID)
  ok=$(grep -c '"outcome":"ok"' "$log" || true)
  kill $PID; wait $PID 2>/dev/null || true
  rm -rf "$dir"
  [ "$ok" -eq $((n * CALLS)) ] || { echo "only $ok of $((n * CALLS)) calls answered ok; see $log" >&2; exit 1; }
  echo "$n model(s): RSS ${loaded} MB once loaded, ${busy} MB after $CALLS Classify calls to each"
done
