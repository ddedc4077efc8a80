"""Peers on the Article Extraction Benchmark pages (../shared/data/aeb), in one run, one thread:
- keep everything: the rendered text (rendered.jsonl) as is;
- jusText on the rendered text, one paragraph per line (English stop list);
- trafilatura `extract` on the raw HTML bytes, without comments (the benchmark's setting) and
  with defaults, each with its median / mean ms per page;
- with --lede FILE (written by `lede-eval aeb-html --out FILE`): Lede's outputs scored here too,
  so this copy of the metric can be checked against the Rust one on the same outputs.

The metric is the benchmark's evaluate.py (scrapinghub/article-extraction-benchmark): `\\w+`
tokens, 4-word shingles counted with repeats, per-page precision and recall averaged over pages,
F1 of the averages. Ported here without its bootstrap intervals.

usage: python bench/peers_aeb.py AEB_DIR [--lede lede.json [--lede-only]] [--json out.json] [--quick]
"""
import argparse
import gzip
import html
import json
import os
import re
import statistics
import sys
import time
from collections import Counter

os.environ.setdefault("OMP_NUM_THREADS", "1")

_TOKEN_RE = re.compile(r"\w+", re.UNICODE | re.MULTILINE | re.IGNORECASE | re.DOTALL)


def _ngrams(text, n=4):
    tokens = _TOKEN_RE.findall(text or "")
    out = []
    for i in range(0, max(1, len(tokens) - n + 1)):
        shingle = tuple(tokens[i: i + n])
        if shingle:
            out.append(shingle)
    return out


def shingle_matching(true, pred):
    """(tp, fp, fn) normalised to sum 1, as evaluate.py's string_shingle_matching."""
    t, p = Counter(_ngrams(true)), Counter(_ngrams(pred))
    tp = fp = fn = 0.0
    for key in set(t) | set(p):
        tc, pc = t.get(key, 0), p.get(key, 0)
        tp += min(tc, pc)
        fp += max(0, pc - tc)
        fn += max(0, tc - pc)
    s = tp + fp + fn
    return (tp / s, fp / s, fn / s) if s > 0 else (tp, fp, fn)


def _precision(tp, fp, fn):
    if fp == fn == 0:
        return 1.0
    if tp == fp == 0:
        return 0.0
    return tp / (tp + fp)


def _recall(tp, fp, fn):
    if fp == fn == 0:
        return 1.0
    if tp == fn == 0:
        return 0.0
    return tp / (tp + fn)


def score(truths, preds):
    """F1, precision, recall as evaluate.py's metrics_from_tp_fp_fns (0 where it would fail on
    an empty mean)."""
    tpfpfn = [shingle_matching(t, p) for t, p in zip(truths, preds)]
    ps = [_precision(*x) for x in tpfpfn if x[0] + x[1] > 0]
    rs = [_recall(*x) for x in tpfpfn if x[0] + x[2] > 0]
    p = statistics.mean(ps) if ps else 0.0
    r = statistics.mean(rs) if rs else 0.0
    f1 = 2 * p * r / (p + r) if p + r > 0 else 0.0
    return {"f1": f1, "precision": p, "recall": r}


def load(aeb):
    with open(os.path.join(aeb, "ground-truth.json"), encoding="utf8") as f:
        gt = json.load(f)
    rendered = {}
    with open(os.path.join(aeb, "rendered.jsonl"), encoding="utf8") as f:
        for line in f:
            if line.strip():
                r = json.loads(line)
                rendered[r["id"]] = r["text"]
    ids = sorted(rendered)
    pages = []
    for i in ids:
        with gzip.open(os.path.join(aeb, "html", f"{i}.html.gz")) as f:
            raw = f.read()
        pages.append({"id": i, "truth": gt[i]["articleBody"], "rendered": rendered[i], "html": raw})
    return pages


def timed(fn, pages):
    outs, ms = [], []
    for p in pages:
        t0 = time.perf_counter()
        outs.append(fn(p) or "")
        ms.append((time.perf_counter() - t0) * 1e3)
    return outs, ms


def justext_lines(text):
    import justext
    doc = "<html><body>" + "".join(
        f"<p>{html.escape(line)}</p>" for line in text.splitlines() if line.strip()
    ) + "</body></html>"
    paras = justext.justext(doc.encode("utf8"), justext.get_stoplist("English"), encoding="utf8")
    return "\n".join(p.text for p in paras if not p.is_boilerplate)


def peers(pages, row):
    import justext  # noqa: F401  (fail before timing anything if missing)
    import trafilatura
    row("keep everything", "rendered", [p["rendered"] for p in pages])
    out, ms = timed(lambda p: justext_lines(p["rendered"]), pages)
    row("jusText, one paragraph per line", "rendered", out, ms)
    trafilatura.extract(pages[0]["html"])  # warm-up (imports, lazy tables)
    # Comments are not the article body: include_comments=False is the benchmark's setting (the
    # floor of issue #11); the defaults (comments kept) are shown too.
    out, ms = timed(lambda p: trafilatura.extract(p["html"], include_comments=False), pages)
    row(f"trafilatura {trafilatura.__version__} extract, no comments", "html", out, ms)
    out, ms = timed(lambda p: trafilatura.extract(p["html"]), pages)
    row(f"trafilatura {trafilatura.__version__} extract, defaults", "html", out, ms)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("aeb")
    ap.add_argument("--lede", help="lede-eval aeb-html --out file")
    ap.add_argument("--lede-only", action="store_true", help="score only --lede (metric check)")
    ap.add_argument("--json", help="write the results here")
    ap.add_argument("--quick", action="store_true", help="first 20 pages only")
    a = ap.parse_args()
    pages = load(a.aeb)
    if a.quick:
        pages = pages[:20]
    truths = [p["truth"] for p in pages]
    rows = {}

    def row(name, inp, preds, ms=None):
        s = score(truths, preds)
        if ms:
            s["median_ms"] = statistics.median(ms)
            s["mean_ms"] = statistics.mean(ms)
        rows[name] = s
        t = f"  median {s['median_ms']:.2f} ms/page (mean {s['mean_ms']:.2f})" if ms else ""
        print(f"{name:<56} {inp:<9} F1 {s['f1']:.3f}  P {s['precision']:.3f}  R {s['recall']:.3f}{t}")

    if not a.lede_only:
        peers(pages, row)
    if a.lede:
        with open(a.lede, encoding="utf8") as f:
            lede = json.load(f)
        for key, name in (("extracted", "Lede: dom_smoothie alone"),
                          ("served", "Lede: dom_smoothie + cleaning (as served)")):
            row(name + " [scored here]", "html", [lede[key].get(p["id"], "") for p in pages])
    if a.json:
        with open(a.json, "w") as f:
            json.dump(rows, f, indent=1)


if __name__ == "__main__":
    sys.exit(main())
