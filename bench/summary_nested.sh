#!/usr/bin/env bash
# Nested check of the CNN/DM summary figure (issue #13). `bench/eval.sh` reports 5-fold CV with
# the bands, penalties and lead priors the trainer chose on all the CNN/DM rows; here nothing is
# chosen with the rows it is scored on. The CNN/DM dev rows are split into 5 outer folds by row
# index (a partition unlike the trainer's hashed folds); for each, the shipped recipe's summary
# section is retrained (every grid re-chosen by the trainer's own CV) on BBC train plus the
# other four fifths, and the held-out fifth is summarised (3 sentences). ROUGE over all 137
# rows, beside lead-3 on the same rows and segmentation.
# Needs ../shared/data (DATA=dir). REPEATS=N overrides the recipe's cv_repeats (inner CV);
# EDGES='[[0.8]]' and ALPHAS='[100]' override its band_edges_grid and alpha_grid (JSON): a
# cheaper, partly nested check that re-chooses only what the grids leave open.
# usage: bench/summary_nested.sh
# Time on 2 cores (2026-12-03, sharing them with other work): about an hour with the full grids;
# with EDGES and ALPHAS fixed, about 3 minutes per outer fold and repeat.
set -euo pipefail
cd "$(dirname "$0")/.."
DATA=${DATA:-../shared/data}
OUT=${OUT:-target/eval/nested}
REPEATS=${REPEATS:-}
EDGES=${EDGES:-}
ALPHAS=${ALPHAS:-}
VENV=${LEDE_BENCH_VENV:-/tmp/lede-bench-venv}
[ -x "$VENV/bin/python" ] || python3 -m venv "$VENV"
"$VENV/bin/pip" install -q rouge-score==0.1.2
cargo build --release --locked --bin lede-eval --example summary_scorer
E=./target/release/lede-eval
mkdir -p "$OUT"
rm -f "$OUT"/pred-*.jsonl
# The fold files keep every row on its own line (the trainer's inner folds hash the line) and
# mark the held-out fifth `test`, which the trainer never reads.
python3 - "$DATA" "$OUT" "$REPEATS" "$EDGES" "$ALPHAS" <<'PY'
import json, os, sys
data, out, repeats, edges, alphas = sys.argv[1:6]
recipe = json.load(open("models/default/recipe.json"))["summary"]
cnndm = os.path.abspath(os.path.join(data, "cnndm", "cnndm_dev.jsonl"))
rows = [json.loads(l) for l in open(cnndm)]
for entry in recipe["data"]:
    # Paths in the shipped recipe are relative to models/default.
    entry["path"] = os.path.abspath(os.path.join("models/default", entry["path"]))
if repeats:
    recipe["cv_repeats"] = int(repeats)
if edges:
    recipe["band_edges_grid"] = json.loads(edges)
if alphas:
    recipe["alpha_grid"] = json.loads(alphas)
for f in range(5):
    path = os.path.abspath(os.path.join(out, f"cnndm-{f}.jsonl"))
    with open(path, "w") as w:
        for i, r in enumerate(rows):
            w.write(json.dumps({**r, "split": "test" if i % 5 == f else "train"}) + "\n")
    fold = json.loads(json.dumps(recipe))
    for entry in fold["data"]:
        if os.path.samefile(entry["path"], cnndm):
            entry["path"] = path
    json.dump(fold, open(os.path.join(out, f"recipe-{f}.json"), "w"), indent=2)
PY
for f in 0 1 2 3 4; do
  echo "== outer fold $f"
  ./target/release/examples/summary_scorer models/default "$OUT/recipe-$f.json" "$OUT/model-$f" 2>&1 \
    | grep '^band edges'
  $E --model "$OUT/model-$f" summarize --data "$OUT/cnndm-$f.jsonl" --split test --sentences 3 \
    --out "$OUT/pred-$f.jsonl" 2>/dev/null
done
cat "$OUT"/pred-[0-4].jsonl > "$OUT/nested.jsonl"
$E summarize --data "$DATA/cnndm/cnndm_dev.jsonl" --split all --sentences 3 --lead --out "$OUT/lead-3.jsonl" 2>/dev/null
echo "== nested: Lede (every choice made without the scored fifth)"
"$VENV/bin/python" bench/rouge.py "$OUT/nested.jsonl"
echo "== lead-3 on Lede's segmentation, same rows"
"$VENV/bin/python" bench/rouge.py "$OUT/lead-3.jsonl"
