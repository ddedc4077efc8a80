"""Plots for docs/benchmarks.md: the confusion matrices of both heads (from lede-eval's JSON
reports) and gRPC throughput/latency by concurrency (from bench/grpc.sh's table).

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
    confusion(os.path.join(ev, "topic.json"), "topic (bbc test)", os.path.join(out, "confusion-topic.png"))
    confusion(os.path.join(ev, "region.json"), "region (reuters test)", os.path.join(out, "confusion-region.png"))
    grpc(table, os.path.join(out, "grpc.png"))
    print("wrote", ", ".join(sorted(os.listdir(out))))
