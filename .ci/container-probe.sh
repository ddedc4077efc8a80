#!/usr/bin/env bash
# Probe for the running container (from the host): grpc.health.v1 SERVING, then one Analyze
# whose answer is checked. Exit 0 only if both succeed. usage: container-probe.sh PORT GRPCURL
set -euo pipefail
PORT=$1; GRPCURL=$2
./target/release/lede-server healthcheck --addr 127.0.0.1:$PORT --timeout-secs 1 >/dev/null 2>&1
out=$("$GRPCURL" -plaintext -max-time 5 -d '{"id":"c1","text":"Heavy rains have killed at least 40 people in Nairobi, Kenyan officials said on Tuesday."}' \
  127.0.0.1:$PORT lede.v1.Analyzer/Analyze)
echo "$out" | grep -q '"label": "africa"' || { echo "unexpected Analyze answer: $out" >&2; exit 1; }
echo "container answered: health SERVING, Analyze -> africa"
