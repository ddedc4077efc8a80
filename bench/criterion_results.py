"""Reads criterion's estimates (target/criterion/**/new/{benchmark,estimates}.json) of
benches/stages.rs.

usage: python3 bench/criterion_results.py stages    -> one JSON line: docs/s per stage (median)
       python3 bench/criterion_results.py scaling   -> markdown table: time per input size and
                                                       the growth of time per byte (1.0 = linear)
"""
import glob
import json
import os
import sys

ROOT = os.environ.get("CRITERION_DIR", "target/criterion")


def results():
    out = {}
    for f in glob.glob(f"{ROOT}/**/new/benchmark.json", recursive=True):
        b = json.load(open(f))
        e = json.load(open(os.path.join(os.path.dirname(f), "estimates.json")))
        out[b["full_id"]] = (e["median"]["point_estimate"], b.get("throughput") or {})
    return out


def stages(r):
    line = {}
    for name in ["terms", "classify", "classify_clean", "clean", "summarize"]:
        ns, tp = r[f"stages/{name}"]
        line["docs"] = tp["Elements"]
        line[name] = tp["Elements"] / (ns / 1e9)
    print(json.dumps(line))


def scaling(r):
    kinds = sorted({k.split("/")[1] for k in r if k.startswith("scaling/")})
    sizes = sorted({int(k.split("/")[2]) for k in r if k.startswith("scaling/")})
    head = " | ".join(f"{s >> 10} KiB" for s in sizes)
    print(f"| input | {head} | time per byte, largest / smallest |")
    print("|---|" + "---:|" * (len(sizes) + 1))
    for k in kinds:
        cells, per_byte = [], []
        for s in sizes:
            ns, tp = r[f"scaling/{k}/{s}"]
            cells.append(f"{ns / 1e6:.2f} ms")
            per_byte.append(ns / tp["Bytes"])
        print(f"| {k.replace('_', ' ')} | " + " | ".join(cells) + f" | {per_byte[-1] / per_byte[0]:.2f} |")


if __name__ == "__main__":
    {"stages": stages, "scaling": scaling}[sys.argv[1]](results())
