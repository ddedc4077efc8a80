"""ROUGE-1/2/L/Lsum (rouge-score, Porter stemming on; F1 x 100) of summaries written by
`lede-eval summarize`. References are split into sentences with pysbd for ROUGE-Lsum, the same
protocol as the peer numbers in ../shared/data/README.md.

usage: python bench/rouge.py PREDICTIONS.jsonl [--min R1 R2 RLSUM] [--json OUT]
"""
import json
import sys

import pysbd
from rouge_score import rouge_scorer


def main():
    path = sys.argv[1]
    floors = None
    if "--min" in sys.argv:
        i = sys.argv.index("--min")
        floors = [float(x) for x in sys.argv[i + 1:i + 4]]
    seg = pysbd.Segmenter(language="en", clean=False)
    scorer = rouge_scorer.RougeScorer(["rouge1", "rouge2", "rougeL", "rougeLsum"], use_stemmer=True)
    totals = {"rouge1": 0.0, "rouge2": 0.0, "rougeL": 0.0, "rougeLsum": 0.0}
    n = 0
    with open(path, encoding="utf-8") as f:
        for line in f:
            row = json.loads(line)
            pred = "\n".join(s.strip() for s in row["summary"])
            ref = "\n".join(s.strip() for s in seg.segment(row["reference"]) if s.strip())
            sc = scorer.score(ref, pred)
            for k in totals:
                totals[k] += sc[k].fmeasure
            n += 1
    scores = [100 * totals[k] / n for k in ("rouge1", "rouge2", "rougeLsum")]
    rouge_l = 100 * totals["rougeL"] / n
    print(f"{path}: {n} docs  ROUGE-1 {scores[0]:.1f}  ROUGE-2 {scores[1]:.1f}  ROUGE-Lsum {scores[2]:.1f}  ROUGE-L {rouge_l:.1f}")
    if "--json" in sys.argv:
        with open(sys.argv[sys.argv.index("--json") + 1], "w") as f:
            json.dump({"rouge1": scores[0], "rouge2": scores[1], "rougeLsum": scores[2], "rougeL": rouge_l}, f)
    if floors and any(s < fl for s, fl in zip(scores, floors)):
        print(f"gate: below the floor {floors}", file=sys.stderr)
        sys.exit(1)


if __name__ == "__main__":
    main()
