//! Traces: every call's `call` span joins its caller's trace, and spans can be exported to an
//! OpenTelemetry collector.
//!
//! **In.** A call's W3C trace context (`traceparent`, `tracestate` metadata, as sent by every
//! OpenTelemetry SDK's gRPC instrumentation) makes the call's span a child of the caller's span.
//! A missing or malformed `traceparent` starts a new trace: tracing is the operator's concern,
//! so a bad header is logged at debug and never fails the call. "Malformed" is the W3C grammar
//! (exact field lengths, lowercase hex, no all-zero ids, version `ff` invalid); the SDK's
//! propagator alone would take `00-1-2-01` as trace id 1.
//!
//! **Logs.** The `call` span records `trace_id`, so every line logged inside a call carries it
//! (text: `call{... trace_id=4bf9...}`, JSON: `"span":{..., "trace_id": ...}`), with or without
//! export: a caller can find Lede's log lines by its own trace id.
//!
//! **Out** ([`Otlp`], off by default): a tracing-opentelemetry layer, the SDK's batch span
//! processor (a background thread with a bounded queue: when the collector is slow, spans are
//! dropped, calls never wait) and the OTLP/gRPC exporter, on the same tonic as the server. Only
//! Lede's own spans are exported (target `lede`, info and above), whatever `RUST_LOG` says for the
//! logs; the transport crates' spans, the exporter's own among them, never are.
//!
//! **Cost** (`cargo bench --bench traces`). With export off there is no OpenTelemetry layer at
//! all: a call reads one metadata entry, parses it if present, draws a random trace id if not,
//! and logs it with the span's other fields. With export on, each call also builds an SDK span
//! and queues it for the exporter's thread.

use opentelemetry::propagation::{Extractor, TextMapPropagator};
use opentelemetry::trace::{Status, TraceContextExt, TraceId, TracerProvider as _};
use opentelemetry::{Context, KeyValue};
use opentelemetry_otlp::WithExportConfig;
use opentelemetry_sdk::propagation::TraceContextPropagator;
use opentelemetry_sdk::trace::{IdGenerator, RandomIdGenerator, SdkTracerProvider};
use opentelemetry_sdk::Resource;
use tonic::metadata::{KeyRef, MetadataMap};
use tonic::Code;
use tracing::field::{display, Empty};
use tracing::{debug, Span};
use tracing_opentelemetry::OpenTelemetrySpanExt;
use tracing_subscriber::filter::{LevelFilter, Targets};
use tracing_subscriber::registry::LookupSpan;
use tracing_subscriber::Layer;

use super::proto::analyzer_server::AnalyzerServer;
use super::Service;

const TRACEPARENT: &str = "traceparent";
/// The gRPC service name, as in the calls' paths and the exported spans' names.
const SERVICE: &str = <AnalyzerServer<Service> as tonic::server::NamedService>::NAME;

/// The caller's span from a call's metadata, as the parent for the call's span. An empty context
/// (a new trace) if there is no `traceparent` or it is malformed.
pub fn parent(metadata: &MetadataMap) -> Context {
    let Some(raw) = metadata.get(TRACEPARENT) else {
        return Context::new();
    };
    let cx = match raw.to_str() {
        Ok(v) if well_formed(v) => {
            TraceContextPropagator::new().extract_with_context(&Context::new(), &Metadata(metadata))
        }
        _ => Context::new(),
    };
    if !cx.span().span_context().is_valid() {
        // Bounded: a header can be long, and this is the caller's text in our logs.
        let shown: String = String::from_utf8_lossy(raw.as_bytes())
            .chars()
            .take(80)
            .collect();
        debug!(traceparent = ?shown, "malformed traceparent ignored; the call starts a new trace");
    }
    cx
}

/// W3C trace-context `traceparent`: `version-traceid-parentid-flags`, 2/32/16/2 lowercase hex
/// digits; version `ff` is invalid; versions after `00` may append `-...`. (All-zero ids are
/// refused by the propagator.)
fn well_formed(v: &str) -> bool {
    let b = v.as_bytes();
    let hex = |s: &[u8]| s.iter().all(|c| matches!(c, b'0'..=b'9' | b'a'..=b'f'));
    b.len() >= 55
        && hex(&b[..2])
        && &b[..2] != b"ff"
        && b[2] == b'-'
        && hex(&b[3..35])
        && b[35] == b'-'
        && hex(&b[36..52])
        && b[52] == b'-'
        && hex(&b[53..55])
        && (b.len() == 55 || (&b[..2] != b"00" && b[55] == b'-'))
}

/// gRPC metadata as seen by OpenTelemetry propagators (ASCII entries only).
struct Metadata<'a>(&'a MetadataMap);

impl Extractor for Metadata<'_> {
    fn get(&self, key: &str) -> Option<&str> {
        self.0.get(key).and_then(|v| v.to_str().ok())
    }

    fn keys(&self) -> Vec<&str> {
        self.0
            .keys()
            .filter_map(|k| match k {
                KeyRef::Ascii(k) => Some(k.as_str()),
                KeyRef::Binary(_) => None,
            })
            .collect()
    }
}

/// The span of one call (`method` as in lede.v1, e.g. "Classify"), a child of `parent`, with
/// its trace id recorded for the logs. `bytes` is the request's text size (None for streams).
pub fn call_span(
    method: &'static str,
    request_id: &str,
    bytes: Option<usize>,
    parent: Context,
) -> Span {
    let callers = parent.span().span_context().trace_id();
    let exporting = exporting();
    // Without export the trace id is known now and goes in with the other fields (recording it
    // later costs a second pass through the subscriber on every call).
    let known = (!exporting).then(|| caller_or_fresh(callers));
    let span = tracing::info_span!(
        "call",
        method,
        request_id = %request_id,
        bytes,
        trace_id = known.map(display),
        // Read by the OpenTelemetry layer only; recorded only when it is there.
        otel.name = Empty,
        otel.kind = Empty,
    );
    if !exporting || span.is_disabled() {
        return span;
    }
    let exported = span.set_parent(parent).ok().and_then(|()| {
        // The span is built by `context()` below: name and kind must be set before.
        span.record("otel.name", display(format_args!("{SERVICE}/{method}")));
        span.record("otel.kind", "server");
        span.set_attribute("rpc.system", "grpc");
        span.set_attribute("rpc.service", SERVICE);
        span.set_attribute("rpc.method", method);
        Some(span.context().span().span_context().trace_id()).filter(|t| *t != TraceId::INVALID)
    });
    span.record(
        "trace_id",
        display(exported.unwrap_or_else(|| caller_or_fresh(callers))),
    );
    span
}

/// The caller's trace id, or a fresh one as the SDK would draw for a new root span.
fn caller_or_fresh(callers: TraceId) -> TraceId {
    match callers {
        TraceId::INVALID => RandomIdGenerator::default().new_trace_id(),
        t => t,
    }
}

/// Marks a subscriber that exports spans ([`Otlp::layer`]): without it, calls skip all the
/// OpenTelemetry work (`benches/traces.rs`: the check is nanoseconds, the work was ~0.5 us).
struct Exporting;

impl<S: tracing::Subscriber> Layer<S> for Exporting {}

fn exporting() -> bool {
    tracing::dispatcher::get_default(|d| d.is::<Exporting>())
}

/// Records a unary call's gRPC status on the current (call) span, for the exported trace. Codes
/// that mean the server failed are errors; the caller's mistakes (INVALID_ARGUMENT, ...) are not
/// (OpenTelemetry's conventions for gRPC servers).
pub fn record_status(code: Code) {
    if !exporting() {
        return;
    }
    let span = Span::current();
    span.set_attribute("rpc.grpc.status_code", code as i64);
    if matches!(
        code,
        Code::Unknown
            | Code::DeadlineExceeded
            | Code::Unimplemented
            | Code::Internal
            | Code::Unavailable
            | Code::DataLoss
    ) {
        span.set_status(Status::error(code.description()));
    }
}

/// Errors setting up span export.
#[derive(Debug, thiserror::Error)]
pub enum TraceError {
    #[error("--otlp-endpoint {endpoint:?} is not a URL like http://127.0.0.1:4317 (OTLP over gRPC, plaintext)")]
    Endpoint { endpoint: String },
    #[error("cannot set up the OTLP exporter for {endpoint}: {source}")]
    Exporter {
        endpoint: String,
        source: opentelemetry_otlp::ExporterBuildError,
    },
}

/// Span export to an OpenTelemetry collector over OTLP/gRPC (batch exporter, service.name
/// "lede" unless `OTEL_SERVICE_NAME` says otherwise). The SDK's `OTEL_TRACES_SAMPLER*` and
/// `OTEL_BSP_*` variables apply. Make it inside the tokio runtime (the exporter's channel runs
/// there), add [`Otlp::layer`] to the subscriber, and call [`Otlp::shutdown`] before exiting.
pub struct Otlp {
    provider: SdkTracerProvider,
}

impl Otlp {
    pub fn new(endpoint: &str) -> Result<Otlp, TraceError> {
        // The exporter would take "localhost:4317" as scheme "localhost" and fail only at the
        // first export; https would need trust roots we do not ship. Refuse both now.
        let ok = endpoint
            .parse::<http::Uri>()
            .is_ok_and(|u| u.scheme_str() == Some("http") && u.authority().is_some());
        if !ok {
            return Err(TraceError::Endpoint {
                endpoint: endpoint.into(),
            });
        }
        let exporter = opentelemetry_otlp::SpanExporter::builder()
            .with_tonic()
            .with_endpoint(endpoint)
            .build()
            .map_err(|source| TraceError::Exporter {
                endpoint: endpoint.into(),
                source,
            })?;
        let mut resource = Resource::builder()
            .with_attribute(KeyValue::new("service.version", env!("CARGO_PKG_VERSION")));
        if std::env::var_os("OTEL_SERVICE_NAME").is_none() {
            resource = resource.with_service_name("lede");
        }
        let provider = SdkTracerProvider::builder()
            .with_batch_exporter(exporter)
            .with_resource(resource.build())
            .build();
        Ok(Otlp { provider })
    }

    /// The layer that turns Lede's spans into OpenTelemetry spans.
    pub fn layer<S>(&self) -> impl Layer<S>
    where
        S: tracing::Subscriber + for<'a> LookupSpan<'a>,
    {
        tracing_opentelemetry::layer()
            .with_tracer(self.provider.tracer("lede"))
            // Every call span comes from the same two places and runs on pool threads: code
            // location and thread attributes would only make each span bigger.
            .with_location(false)
            .with_threads(false)
            // Under the same filter: unfiltered, even a no-op layer is asked about (and enables)
            // every callsite, the transport crates' trace-level ones too.
            .and_then(Exporting)
            .with_filter(Targets::new().with_target("lede", LevelFilter::INFO))
    }

    /// Exports the spans still queued and stops the exporter. The flush blocks until the
    /// export is done, and the export needs this runtime's workers: it runs on a blocking
    /// thread so that even a one-worker runtime cannot deadlock.
    pub async fn shutdown(self) {
        let provider = self.provider;
        let flushed = tokio::task::spawn_blocking(move || provider.shutdown())
            .await
            .map_err(|e| e.to_string())
            .and_then(|r| r.map_err(|e| e.to_string()));
        if let Err(error) = flushed {
            tracing::warn!(%error, "flushing spans at shutdown failed");
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use opentelemetry::trace::SpanId;

    const T: &str = "4bf92f3577b34da6a3ce929d0e0e4736";
    const S: &str = "00f067aa0ba902b7";

    fn meta(pairs: &[(&'static str, &str)]) -> MetadataMap {
        let mut m = MetadataMap::new();
        for (k, v) in pairs {
            m.insert(*k, v.parse().unwrap());
        }
        m
    }

    #[test]
    fn traceparent_grammar() {
        let good = format!("00-{T}-{S}-01");
        let cases: Vec<(String, bool)> = vec![
            (good.clone(), true),
            (format!("00-{T}-{S}-00"), true),
            // A later version may append fields; version 00 may not.
            (format!("01-{T}-{S}-01-extra"), true),
            (format!("00-{T}-{S}-01-extra"), false),
            (format!("ff-{T}-{S}-01"), false),
            (good.to_uppercase(), false),
            (format!("00-{}-{S}-01", &T[1..]), false),
            (format!("00-{T}-{}-01", &S[1..]), false),
            ("00-1-2-01".into(), false),
            (format!("00_{T}_{S}_01"), false),
            (format!("00-{T}-{S}-0g"), false),
            (String::new(), false),
        ];
        for (v, want) in cases {
            assert_eq!(well_formed(&v), want, "{v:?}");
        }
    }

    #[test]
    fn parent_is_the_callers_span() {
        let m = meta(&[
            ("traceparent", &format!("00-{T}-{S}-01")),
            ("tracestate", "vendor=x"),
        ]);
        let cx = parent(&m);
        let sc = cx.span().span_context().clone();
        assert_eq!(sc.trace_id(), TraceId::from_hex(T).unwrap());
        assert_eq!(sc.span_id(), SpanId::from_hex(S).unwrap());
        assert!(sc.is_remote() && sc.is_sampled());
        assert_eq!(sc.trace_state().get("vendor"), Some("x"));
    }

    #[test]
    fn missing_or_malformed_traceparent_is_a_new_trace() {
        let zeros = "0".repeat(32);
        for m in [
            meta(&[]),
            meta(&[("tracestate", "vendor=x")]),
            meta(&[("traceparent", "garbage")]),
            meta(&[("traceparent", &format!("00-{zeros}-{S}-01"))]),
            meta(&[("traceparent", &format!("00-{T}-0000000000000000-01"))]),
            meta(&[("traceparent", &format!("00-{}-{S}-01", T.to_uppercase()))]),
        ] {
            assert!(!parent(&m).span().span_context().is_valid(), "{m:?}");
        }
    }

    #[test]
    fn endpoint_must_be_a_plaintext_grpc_url() {
        for bad in ["localhost:4317", "https://collector:4317", "", "http://"] {
            assert!(
                matches!(Otlp::new(bad), Err(TraceError::Endpoint { .. })),
                "{bad:?}"
            );
        }
    }
}
