//! Trace propagation and OTLP export, with the real `lede-server` binary (the global tracing
//! subscriber is the binary's own, as in production) and an in-process OTLP collector: a tonic
//! server implementing the collector's TraceService from `opentelemetry-proto`.

use std::process::{Child, Stdio};
use std::sync::{Arc, Mutex};

use lede::server::proto::{self, analyzer_client::AnalyzerClient};
use opentelemetry_proto::tonic::collector::trace::v1::trace_service_server::{
    TraceService, TraceServiceServer,
};
use opentelemetry_proto::tonic::collector::trace::v1::{
    ExportTraceServiceRequest, ExportTraceServiceResponse,
};
use opentelemetry_proto::tonic::common::v1::{any_value, KeyValue};
use opentelemetry_proto::tonic::trace::v1::{span::SpanKind, Span};
use tonic::transport::Channel;
use tonic::{Request, Response, Status};

use crate::process::{free_port, server, wait_for};
use crate::util;

const CALLER_TRACE: &str = "4bf92f3577b34da6a3ce929d0e0e4736";
const CALLER_SPAN: &str = "00f067aa0ba902b7";
const STREAM_TRACE: &str = "0af7651916cd43dd8448eb211c80319c";
const STREAM_SPAN: &str = "b7ad6b7169203331";

/// Collects every export request it is sent.
#[derive(Clone, Default)]
struct Collector(Arc<Mutex<Vec<ExportTraceServiceRequest>>>);

#[tonic::async_trait]
impl TraceService for Collector {
    async fn export(
        &self,
        request: Request<ExportTraceServiceRequest>,
    ) -> Result<Response<ExportTraceServiceResponse>, Status> {
        self.0.lock().unwrap().push(request.into_inner());
        Ok(Response::new(ExportTraceServiceResponse {
            partial_success: None,
        }))
    }
}

impl Collector {
    /// Serves on 127.0.0.1:0 until the test's runtime ends; returns the endpoint URL.
    async fn start(&self) -> String {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        let incoming = tonic::transport::server::TcpIncoming::from(listener);
        tokio::spawn(
            tonic::transport::Server::builder()
                .add_service(TraceServiceServer::new(self.clone()))
                .serve_with_incoming(incoming),
        );
        format!("http://{addr}")
    }

    /// (service.name of the resource, span) for every span received.
    fn spans(&self) -> Vec<(String, Span)> {
        let mut out = Vec::new();
        for req in self.0.lock().unwrap().iter() {
            for rs in &req.resource_spans {
                let service = rs
                    .resource
                    .as_ref()
                    .and_then(|r| string_attr(&r.attributes, "service.name"))
                    .unwrap_or_default();
                for ss in &rs.scope_spans {
                    for s in &ss.spans {
                        out.push((service.clone(), s.clone()));
                    }
                }
            }
        }
        out
    }
}

fn string_attr(attrs: &[KeyValue], key: &str) -> Option<String> {
    attrs.iter().find(|kv| kv.key == key).and_then(|kv| {
        match kv.value.as_ref()?.value.as_ref()? {
            any_value::Value::StringValue(s) => Some(s.clone()),
            _ => None,
        }
    })
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

/// A started `lede-server` whose stderr goes to a file (never a pipe nobody reads).
struct Server {
    child: Child,
    addr: String,
    log: tempfile::NamedTempFile,
}

impl Server {
    async fn start(args: &[&str], env: &[(&str, &str)]) -> Server {
        let log = tempfile::NamedTempFile::new().unwrap();
        let addr = format!("127.0.0.1:{}", free_port());
        let model = util::default_model();
        let child = server()
            .args(["--addr", &addr, "--model", model.to_str().unwrap()])
            .args(args)
            .envs(env.iter().copied())
            .stdout(Stdio::null())
            .stderr(log.reopen().unwrap())
            .spawn()
            .unwrap();
        wait_for(&addr, |_| true).await;
        Server { child, addr, log }
    }

    async fn client(&self) -> AnalyzerClient<Channel> {
        let ch = tonic::transport::Endpoint::from_shared(format!("http://{}", self.addr))
            .unwrap()
            .connect()
            .await
            .unwrap();
        AnalyzerClient::new(ch)
    }

    /// SIGTERM; asserts exit 0; returns the log.
    fn stop(mut self) -> String {
        unsafe { libc::kill(self.child.id() as i32, libc::SIGTERM) };
        assert_eq!(self.child.wait().unwrap().code(), Some(0));
        std::fs::read_to_string(self.log.path()).unwrap()
    }
}

/// A Classify request with `x-request-id` and the given extra metadata.
fn classify(id: &str, meta: &[(&'static str, &str)]) -> Request<proto::ClassifyRequest> {
    let mut r = Request::new(proto::ClassifyRequest {
        text: "Shares in the bank rose after profits beat forecasts.".into(),
        ..Default::default()
    });
    r.metadata_mut().insert("x-request-id", id.parse().unwrap());
    for (k, v) in meta {
        r.metadata_mut().insert(*k, v.parse().unwrap());
    }
    r
}

/// Calls made by every test here: with the caller's traceparent, without one, with a malformed
/// one (and a stray tracestate); and an AnalyzeStream with its own traceparent. All must succeed.
async fn make_calls(s: &Server) {
    let mut c = s.client().await;
    let parent = format!("00-{CALLER_TRACE}-{CALLER_SPAN}-01");
    c.classify(classify(
        "with-parent",
        &[("traceparent", &parent), ("tracestate", "vendor=x")],
    ))
    .await
    .unwrap();
    c.classify(classify("no-parent", &[])).await.unwrap();
    c.classify(classify(
        "malformed",
        &[
            ("traceparent", &format!("00-{CALLER_TRACE}-zz-01")),
            ("tracestate", "vendor=x"),
        ],
    ))
    .await
    .expect("a malformed traceparent must not fail the call");

    let items = (0..2).map(|i| proto::AnalyzeRequest {
        id: format!("item{i}"),
        text: "Heavy rains have killed at least 40 people in Nairobi.".into(),
        ..Default::default()
    });
    let mut r = Request::new(tokio_stream::iter(items));
    r.metadata_mut()
        .insert("x-request-id", "stream".parse().unwrap());
    r.metadata_mut().insert(
        "traceparent",
        format!("00-{STREAM_TRACE}-{STREAM_SPAN}-01")
            .parse()
            .unwrap(),
    );
    let mut out = c.analyze_stream(r).await.unwrap().into_inner();
    let mut n = 0;
    while let Some(item) = tokio_stream::StreamExt::next(&mut out).await {
        assert!(item.unwrap().error.is_none());
        n += 1;
    }
    assert_eq!(n, 2);
}

/// The `call` span's fields on the JSON log line that closes the call with `request_id`.
fn json_call_line(log: &str, request_id: &str) -> serde_json::Value {
    log.lines()
        .filter_map(|l| serde_json::from_str::<serde_json::Value>(l).ok())
        .find(|v| v["span"]["request_id"] == request_id && v["outcome"] == "ok")
        .unwrap_or_else(|| panic!("no log line for {request_id} in:\n{log}"))["span"]
        .clone()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn spans_join_the_callers_trace_and_reach_the_collector() {
    let collector = Collector::default();
    let endpoint = collector.start().await;
    let s = Server::start(
        &["--otlp-endpoint", &endpoint, "--log-format", "json"],
        &[("RUST_LOG", "info,lede::server::trace=debug")],
    )
    .await;
    make_calls(&s).await;
    // Nothing is waited for: the spans are still queued (the batch delay is 5 s), and the
    // shutdown must flush them.
    let log = s.stop();

    let spans = collector.spans();
    let by_id = |id: &str| {
        let found: Vec<_> = spans
            .iter()
            .filter(|(_, sp)| string_attr(&sp.attributes, "request_id").as_deref() == Some(id))
            .collect();
        assert_eq!(found.len(), 1, "one span for {id}; got {spans:#?}");
        found[0].clone()
    };

    let (service, with) = by_id("with-parent");
    assert_eq!(service, "lede");
    assert_eq!(hex(&with.trace_id), CALLER_TRACE);
    assert_eq!(hex(&with.parent_span_id), CALLER_SPAN);
    assert_eq!(with.name, "lede.v1.Analyzer/Classify");
    assert_eq!(with.kind, SpanKind::Server as i32);
    assert_eq!(
        string_attr(&with.attributes, "rpc.method").as_deref(),
        Some("Classify")
    );
    assert_eq!(with.trace_state, "vendor=x");

    // No traceparent, or a malformed one: a new trace each, with no parent.
    let (_, without) = by_id("no-parent");
    let (_, malformed) = by_id("malformed");
    for sp in [&without, &malformed] {
        assert_eq!(sp.trace_id.len(), 16);
        assert!(sp.trace_id.iter().any(|&b| b != 0));
        assert_ne!(hex(&sp.trace_id), CALLER_TRACE);
        assert!(sp.parent_span_id.is_empty(), "{sp:?}");
    }
    assert_ne!(without.trace_id, malformed.trace_id);

    let (_, stream) = by_id("stream");
    assert_eq!(hex(&stream.trace_id), STREAM_TRACE);
    assert_eq!(hex(&stream.parent_span_id), STREAM_SPAN);
    assert_eq!(stream.name, "lede.v1.Analyzer/AnalyzeStream");

    // The logs carry the same trace ids as the exported spans.
    for (id, sp) in [
        ("with-parent", &with),
        ("no-parent", &without),
        ("malformed", &malformed),
        ("stream", &stream),
    ] {
        assert_eq!(
            json_call_line(&log, id)["trace_id"],
            hex(&sp.trace_id),
            "{id}"
        );
    }
    assert!(
        log.contains("malformed traceparent ignored"),
        "debug line for the bad header:\n{log}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn log_lines_carry_trace_ids_without_export() {
    let s = Server::start(&[], &[]).await;
    make_calls(&s).await;
    let log = s.stop();
    let line = |id: &str| {
        log.lines()
            .find(|l| l.contains(&format!("request_id={id} ")) && l.contains("outcome=\"ok\""))
            .unwrap_or_else(|| panic!("no log line for {id} in:\n{log}"))
            .to_owned()
    };
    let trace_id = |l: &str| -> String {
        let at = l.find("trace_id=").expect("trace_id on the line") + "trace_id=".len();
        l[at..]
            .chars()
            .take_while(|c| c.is_ascii_hexdigit())
            .collect()
    };
    assert_eq!(trace_id(&line("with-parent")), CALLER_TRACE);
    assert_eq!(trace_id(&line("stream")), STREAM_TRACE);
    let fresh = [trace_id(&line("no-parent")), trace_id(&line("malformed"))];
    for t in &fresh {
        assert_eq!(t.len(), 32, "{t}");
        assert_ne!(t, CALLER_TRACE);
    }
    assert_ne!(fresh[0], fresh[1]);
}

#[test]
fn bad_otlp_endpoint_fails_fast() {
    let o = server()
        .args(["--addr", "127.0.0.1:0", "--otlp-endpoint", "localhost:4317"])
        .output()
        .unwrap();
    assert_eq!(o.status.code(), Some(1));
    let err = String::from_utf8_lossy(&o.stderr);
    assert!(
        err.lines()
            .last()
            .is_some_and(|l| l.starts_with("lede-server: error:")
                && l.contains("--otlp-endpoint \"localhost:4317\" is not a URL")),
        "{err}"
    );
}
