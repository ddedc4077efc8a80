#!/usr/bin/env bash
# Throughput of Lede against its peers, measured in the same run on the same machine, one thread:
#   classification: Lede (terms + TF-IDF + both heads) vs scikit-learn TfidfVectorizer + MultinomialNB
#   summaries: Lede (cleaning + segmentation + summary) vs sumy TextRank (incl. sentence splitting)
# Prints the table (bench/all.sh puts it into docs/benchmarks.md). Needs ../shared/data (or DATA=dir); sets up the Python side in a venv.
# usage: bench/run.sh [--quick]
set -euo pipefail
cd "$(dirname "$0")/.."
DATA=${DATA:-../shared/data}
VENV=${LEDE_BENCH_VENV:-/tmp/lede-bench-venv}
[ -x "$VENV/bin/python" ] || python3 -m venv "$VENV"
"$VENV/bin/pip" install -q scikit-learn sumy rouge-score==0.1.2 pysbd
peers=$(taskset -c 0 "$VENV/bin/python" bench/peers.py "$DATA" ${1:-})
# Lede's side: criterion benches (benches/stages.rs), one thread. Quick: the stages only, short.
if [ "${1:-}" = --quick ]; then CRIT=(stages/ --warm-up-time 0.5 --measurement-time 1 --sample-size 10); else CRIT=(); fi
cargo bench --locked --bench stages --no-run >/dev/null 2>&1
rm -rf target/criterion
LEDE_BENCH_DATA="$DATA/bbc/bbc.jsonl" taskset -c 0 cargo bench --locked --bench stages -- "${CRIT[@]}" > target/stages.txt 2>&1 \
  || { cat target/stages.txt >&2; exit 1; }
grep -E "^(stages|scaling)|time:|thrpt:" target/stages.txt >&2 || true
ours=$(python3 bench/criterion_results.py stages)
python3 - "$peers" "$ours" <<'PY'
import json, sys, datetime, platform, subprocess
p, o = json.loads(sys.argv[1]), json.loads(sys.argv[2])
cpu = next((l.split(":", 1)[1].strip() for l in open("/proc/cpuinfo") if l.startswith("model name")), "?")
rustc = subprocess.run(["rustc", "--version"], capture_output=True, text=True).stdout.strip()
rows = [
    ("Classify (terms + TF-IDF + topic and region heads)", o["classify"], "scikit-learn TfidfVectorizer + MultinomialNB", p["sklearn_docs_per_s"], "3x / 5x"),
    ("Classify incl. cleaning (as served)", o["classify_clean"], "scikit-learn TfidfVectorizer + MultinomialNB", p["sklearn_docs_per_s"], "-"),
    ("Cleaning + segmentation + summary (ratio 0.4)", o["summarize"], "sumy TextRank incl. sentence splitting", p["textrank_docs_per_s"], "50x / 100x"),
]
out = [f"# Benchmarks\n", f"Measured {datetime.date.today()} on {cpu} ({platform.machine()}), one thread (taskset -c 0), {rustc}.",
       f"Documents: bbc test split ({o['docs']} articles; TextRank on the first {p['textrank_docs']}). Command: `bench/run.sh` (Lede: criterion, `benches/stages.rs`).\n",
       "| Lede stage | Lede docs/s | peer | peer docs/s | ratio | floor / goal |", "|---|---:|---|---:|---:|---|"]
for name, ours, peer, theirs, fg in rows:
    out.append(f"| {name} | {ours:,.0f} | {peer} | {theirs:,.0f} | {ours/theirs:.1f}x | {fg} |")
out.append(f"\nOther stages: terms only {o['terms']:,.0f} docs/s; cleaning + segmentation {o['clean']:,.0f} docs/s.")
print("\n".join(out))
PY
if ls target/criterion/scaling_* >/dev/null 2>&1; then
  echo
  echo "## Time against input size (pathological pages, full Analyze: cleaning, both heads, summary)"
  echo
  python3 bench/criterion_results.py scaling
fi
