"""Second-language client: generates a Python grpcio client from proto/ and calls the real
lede-server binary (Analyze, Classify with a bad request, health). Run by .ci/run.

usage: python client_test.py HOST:PORT
"""
import os
import subprocess
import sys
import tempfile

import grpc
from grpc_health.v1 import health_pb2, health_pb2_grpc

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))


def generate(out):
    from grpc_tools import protoc

    rc = protoc.main([
        "protoc",
        f"-I{os.path.join(ROOT, 'proto')}",
        f"--python_out={out}",
        f"--grpc_python_out={out}",
        os.path.join(ROOT, "proto/lede/v1/analyzer.proto"),
    ])
    assert rc == 0, "protoc failed"
    sys.path.insert(0, out)


def main(addr):
    out = tempfile.mkdtemp()
    generate(out)
    from lede.v1 import analyzer_pb2 as pb, analyzer_pb2_grpc as rpc

    ch = grpc.insecure_channel(addr)
    grpc.channel_ready_future(ch).result(timeout=10)
    health = health_pb2_grpc.HealthStub(ch).Check(health_pb2.HealthCheckRequest(service=""), timeout=5)
    assert health.status == health_pb2.HealthCheckResponse.SERVING, health

    stub = rpc.AnalyzerStub(ch)
    text = ("Heavy rains have killed at least 40 people in Nairobi, Kenyan officials said on Tuesday.\n"
            "The Kenya Red Cross said thousands of families had been moved to schools.\n"
            "Sign up (it's quick and free) or sign in now.\n")
    r = stub.Analyze(pb.AnalyzeRequest(id="py-1", text=text, top_k=2,
                                       summary=pb.SummaryOptions(max_sentences=1)), timeout=10)
    assert r.id == "py-1", r
    assert r.regions[0].label == "africa", r.regions
    assert len(r.topics) == 2
    assert len(r.summary.sentences) == 1
    s = r.summary.sentences[0]
    assert text.encode()[s.byte_offset:s.byte_offset + s.byte_length].decode() == s.text
    assert any(x.reason == "boilerplate" for x in r.cleaning.removed), r.cleaning

    try:
        stub.Classify(pb.ClassifyRequest(text="   "), timeout=10)
        raise AssertionError("blank text accepted")
    except grpc.RpcError as e:
        assert e.code() == grpc.StatusCode.INVALID_ARGUMENT, e
        assert "text:" in e.details(), e.details()

    info = stub.GetModelInfo(pb.GetModelInfoRequest(), timeout=10)
    assert set(info.heads) == {"topic", "region"}, info
    print(f"python client OK: {r.regions[0].label} / {r.topics[0].label}, model {info.version}")


if __name__ == "__main__":
    main(sys.argv[1])
