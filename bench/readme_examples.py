"""Prints the responses of the README's "Using it" examples from a running lede-server, as JSON
(protobuf's JSON mapping, the same as grpcurl's), so the README can show real outputs of the
shipped model. Uses a grpcio client generated from proto/ (grpcio-tools).

usage: python bench/readme_examples.py HOST:PORT
"""
import json
import os
import sys
import tempfile

import grpc
from google.protobuf import json_format
from grpc_health.v1 import health_pb2, health_pb2_grpc

sys.path.insert(0, os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))), "tests", "python"))
from client_test import generate  # noqa: E402  (protoc from proto/ into a temp dir)

# The story of issue #12, as in tests/topics.rs.
WAR = ("Russian and Ukrainian negotiators met in Istanbul on Friday for their first direct ceasefire talks in "
       "three years, as Moscow's forces pressed an offensive in the east. The Kremlin said President Vladimir "
       "Putin had approved the delegation's mandate, while Kyiv demanded an unconditional 30-day truce before "
       "any wider settlement. European leaders warned of new sanctions if Russia refused a ceasefire.")
TIMEWARNER = ("Quarterly profits at US media giant TimeWarner jumped 76% to $1.13bn (£600m) for the three months "
              "to December. The firm, which is now one of the biggest investors in Google, benefited from sales "
              "of high-speed internet connections.\nSign up for our newsletter\nTimeWarner said fourth quarter "
              "sales rose 2% to $11.1bn from $10.9bn.")


def show(name, msg):
    print(f"== {name}")
    print(json.dumps(json_format.MessageToDict(msg), indent=1))


def main(addr):
    generate(tempfile.mkdtemp())
    from lede.v1 import analyzer_pb2 as pb, analyzer_pb2_grpc as rpc

    ch = grpc.insecure_channel(addr)
    grpc.channel_ready_future(ch).result(timeout=10)
    stub = rpc.AnalyzerStub(ch)
    show("Classify kenya", stub.Classify(pb.ClassifyRequest(
        title="Kenya floods", text="Heavy rains have killed at least 40 people in Nairobi, Kenyan officials said on Tuesday.",
        top_k=2, explain=True)))
    req = pb.ClassifyRequest(title="Russia and Ukraine hold first direct ceasefire talks", text=WAR, top_k=2)
    show("Classify war", stub.Classify(req))
    req.allowed_labels["topic"].labels.extend(["business", "politics"])
    show("Classify war restricted", stub.Classify(req))
    show("Summarize", stub.Summarize(pb.SummarizeRequest(text=TIMEWARNER, options=pb.SummaryOptions(max_sentences=2))))
    items = [pb.AnalyzeRequest(id="a", text="Shares in the bank rose after profits beat forecasts.", top_k=1,
                               summary=pb.SummaryOptions(max_sentences=1)),
             pb.AnalyzeRequest(id="b", text="")]
    for r in stub.AnalyzeStream(iter(items)):
        show("AnalyzeStream", r)
    show("GetModelInfo", stub.GetModelInfo(pb.GetModelInfoRequest()))
    show("Health", health_pb2_grpc.HealthStub(ch).Check(health_pb2.HealthCheckRequest(service="")))


if __name__ == "__main__":
    main(sys.argv[1])
