"""Scrapes lede-server's /metrics and parses it with the Python Prometheus client's text parser
(prometheus_client.parser), after client_test.py and grpcurl made calls. Run by .ci/run.

usage: python metrics_check.py http://HOST:PORT/metrics
"""
import sys
import urllib.request

from prometheus_client.parser import text_string_to_metric_families


def main(url):
    with urllib.request.urlopen(url, timeout=5) as r:
        ctype = r.headers.get("Content-Type", "")
        text = r.read().decode("utf-8")
    assert ctype.startswith("text/plain; version=0.0.4"), ctype
    samples = {}
    for family in text_string_to_metric_families(text):
        for s in family.samples:
            samples.setdefault(s.name, []).append(s)

    def total(name, **labels):
        got = [s.value for s in samples.get(name, []) if all(s.labels.get(k) == v for k, v in labels.items())]
        assert got, f"no {name} {labels} in the scrape"
        return sum(got)

    # client_test.py made ok and failing calls; this process is the only client so far.
    assert total("lede_grpc_calls_total", code="OK") >= 1
    assert total("lede_grpc_calls_total", code="INVALID_ARGUMENT") >= 1
    assert total("lede_grpc_call_duration_seconds_count") >= 1
    assert total("lede_grpc_call_duration_seconds_bucket", le="+Inf") == total("lede_grpc_call_duration_seconds_count")
    assert total("lede_grpc_calls_in_flight") >= 0
    assert total("lede_documents_total") >= 1
    info = samples["lede_model_info"]
    assert len(info) == 1 and info[0].value == 1 and info[0].labels["version"], info
    for name in ("process_resident_memory_bytes", "process_cpu_seconds_total", "process_open_fds",
                 "process_start_time_seconds"):
        assert total(name) > 0, name
    print(f"metrics: {len(text.splitlines())} lines parsed; model {info[0].labels['version']}; "
          f"calls OK {total('lede_grpc_calls_total', code='OK'):.0f}, "
          f"INVALID_ARGUMENT {total('lede_grpc_calls_total', code='INVALID_ARGUMENT'):.0f}")


if __name__ == "__main__":
    main(sys.argv[1])
