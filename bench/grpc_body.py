"""Writes gRPC request bodies (5-byte frame header + protobuf) for h2load, from the bbc article
of median length in the test split, and checks them with a real grpcio call first.

usage: python bench/grpc_body.py DATA_DIR OUT_DIR [HOST:PORT]
"""
import json
import os
import struct
import sys
import tempfile

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def main():
    data, out = sys.argv[1], sys.argv[2]
    addr = sys.argv[3] if len(sys.argv) > 3 else None
    gen = tempfile.mkdtemp()
    from grpc_tools import protoc
    assert protoc.main(["protoc", f"-I{ROOT}/proto", f"--python_out={gen}", f"--grpc_python_out={gen}",
                        f"{ROOT}/proto/lede/v1/analyzer.proto"]) == 0
    sys.path.insert(0, gen)
    from lede.v1 import analyzer_pb2 as pb, analyzer_pb2_grpc as rpc

    rows = [json.loads(l) for l in open(os.path.join(data, "bbc/bbc.jsonl"), encoding="utf-8")]
    test = sorted((r for r in rows if r["split"] == "test"), key=lambda r: len(r["text"]))
    art = test[len(test) // 2]
    msgs = {
        "Classify": pb.ClassifyRequest(title=art["title"], text=art["text"]),
        "Summarize": pb.SummarizeRequest(title=art["title"], text=art["text"]),
        "Analyze": pb.AnalyzeRequest(id="bench", title=art["title"], text=art["text"]),
    }
    os.makedirs(out, exist_ok=True)
    for name, m in msgs.items():
        b = m.SerializeToString()
        with open(os.path.join(out, f"{name}.bin"), "wb") as f:
            f.write(b"\x00" + struct.pack(">I", len(b)) + b)
    if addr:
        import grpc
        stub = rpc.AnalyzerStub(grpc.insecure_channel(addr))
        r = stub.Classify(msgs["Classify"], timeout=10)
        assert r.topics, r
        s = stub.Summarize(msgs["Summarize"], timeout=10)
        assert s.sentences, s
        a = stub.Analyze(msgs["Analyze"], timeout=10)
        assert a.id == "bench" and a.topics and a.summary.sentences
    print(json.dumps({"article_bytes": len(art["text"].encode()), "topic": art["topic"]}))


if __name__ == "__main__":
    main()
