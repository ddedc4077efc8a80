"""Plots for docs/benchmarks.md: the confusion matrices of both heads (from lede-eval's JSON
reports), reliability diagrams of both heads before and after temperature scaling (from
`lede-eval topics --json`), and gRPC throughput/latency by concurrency (bench/grpc.sh's table).

usage: python bench/plots.py EVAL_DIR GRPC_TABLE_MD OUT_DIR
"""
import json
import os
import re
import sys

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402


def confusion(report_path, title, out):
    r = json.load(open(report_path))
    labels, m = r["labels"], r["confusion"]
    fig, ax = plt.subplots(figsize=(1.1 * len(labels) + 2, 1.0 * len(labels) + 1.5))
    shade = [[v ** 0.5 for v in row] for row in m]
    top = max(max(row) for row in shade) or 1
    ax.imshow(shade, cmap="Blues")
    ax.set_xticks(range(len(labels)), labels, rotation=45, ha="right")
    ax.set_yticks(range(len(labels)), labels)
    for i, row in enumerate(m):
        for j, v in enumerate(row):
            dark = shade[i][j] / top > 0.5
            ax.text(j, i, str(v), ha="center", va="center", color="white" if dark else "black", fontsize=9)
    ax.set_xlabel("predicted")
    ax.set_ylabel("truth")
    ax.set_title(f"{title}: accuracy {100 * r['accuracy']:.2f}%, macro-F1 {100 * r['macro_f1']:.2f}")
    fig.tight_layout()
    fig.savefig(out, dpi=110)
    plt.close(fig)


def reliability(topics_path, out):
    cal = json.load(open(topics_path))["calibration"]
    fig, axes = plt.subplots(1, len(cal), figsize=(5 * len(cal), 4.5))
    for ax, c in zip(axes, cal):
        ax.plot([0, 1], [0, 1], color="grey", lw=1, ls="--", label="perfect")
        for key, name, ece in (("bins_at_temperature_1", "temperature 1", c["ece_at_temperature_1"]),
                               ("bins", f"temperature {c['temperature']:.2f}", c["ece"])):
            pts = [(b["confidence"], b["accuracy"], b["count"]) for b in c[key] if b["count"] > 0]
            ax.plot([p[0] for p in pts], [p[1] for p in pts], marker="o", label=f"{name}: ECE {ece:.3f}")
        ax.set_xlim(0, 1)
        ax.set_ylim(0, 1)
        ax.set_xlabel("top-1 probability (mean per bin)")
        ax.set_ylabel("accuracy")
        ax.set_title(f"{c['head']} ({c['rows']} test rows, 15 bins)")
        ax.grid(alpha=0.3)
        ax.legend(loc="upper left")
    fig.suptitle("Reliability: naive Bayes probabilities before and after temperature scaling")
    fig.tight_layout()
    fig.savefig(out, dpi=110)
    plt.close(fig)


def grpc(table_path, out):
    rows = re.findall(r"\| (\w+) \| (\d+) \| ([\d,]+) \| ([\d.]+) \| ([\d.]+) \|", open(table_path).read())
    fig, (a, b) = plt.subplots(1, 2, figsize=(10, 4))
    for method in dict.fromkeys(r[0] for r in rows):
        pts = [(int(s), float(q.replace(",", "")), float(p99)) for m, s, q, p50, p99 in rows if m == method]
        a.plot([p[0] for p in pts], [p[1] for p in pts], marker="o", label=method)
        b.plot([p[0] for p in pts], [p[2] for p in pts], marker="o", label=method)
    for ax, yl in ((a, "requests/s"), (b, "p99 latency (ms)")):
        ax.set_xscale("log", base=2)
        ax.set_xlabel("concurrent streams")
        ax.set_ylabel(yl)
        ax.grid(alpha=0.3)
        ax.legend()
    fig.suptitle("lede-server over loopback (h2load), median bbc article")
    fig.tight_layout()
    fig.savefig(out, dpi=110)
    plt.close(fig)


if __name__ == "__main__":
    ev, table, out = sys.argv[1], sys.argv[2], sys.argv[3]
    os.makedirs(out, exist_ok=True)
    topics = json.load(open(os.path.join(ev, "topics.json")))
    union = next(x for x in topics["sets"] if x["name"] == "union")
    json.dump(union["report"], open(os.path.join(ev, "topic.json"), "w"))
    confusion(os.path.join(ev, "topic.json"), "topic (union of 3 test sets)", os.path.join(out, "confusion-topic.png"))
    reliability(os.path.join(ev, "topics.json"), os.path.join(out, "reliability.png"))
    confusion(os.path.join(ev, "region.json"), "region (reuters test)", os.path.join(out, "confusion-region.png"))
    grpc(table, os.path.join(out, "grpc.png"))
    print("wrote", ", ".join(sorted(os.listdir(out))))
