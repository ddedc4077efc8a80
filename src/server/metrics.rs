//! Prometheus metrics: one registry ([`Metrics`]), one tower layer that counts and times every
//! gRPC call ([`MetricsLayer`]), a few hooks the handlers call (documents, bytes, removals,
//! stream items, model loads), process metrics read from `/proc/self` at scrape time, and a
//! small HTTP/1 endpoint that serves `GET /metrics` ([`serve_http`]).
//!
//! Design decisions:
//! - The exposition is written by `prometheus-client` (OpenMetrics text when the scraper asks
//!   for it in `Accept`, as Prometheus does; the classic 0.0.4 text format otherwise).
//! - Labels are bounded: `method` comes from a fixed list (any other path is `other`), `code` is
//!   one of the 17 gRPC codes, `reason` one of the cleaning reasons, `model` one of the names
//!   the operator configured at startup (never the name a request sends). Nothing from a
//!   request body or its metadata ever becomes a label.
//! - The hot path takes no lock of ours: each (method, code) counter is looked up in the
//!   `Family` once and then kept in a `OnceLock` slot, so later calls touch only atomics (and
//!   the histogram's own small mutex). The series every dashboard needs (OK per Analyzer
//!   method, the histograms, documents, removals) are created up front so that `rate()` works
//!   from the first scrape.
//! - A call's code is read where the client reads it: `grpc-status` in the response headers
//!   (trailers-only errors, load shedding) or in the trailers at the end of the body. A call
//!   dropped before it finished (client gone, deadline) is counted as CANCELLED, the code
//!   tonic gives the client for both. Duration and in-flight span the whole call, body
//!   included, so a stream counts until its last message.

use std::future::Future;
use std::pin::Pin;
use std::sync::{Arc, Mutex, OnceLock};
use std::task::{Context, Poll};
use std::time::{Instant, SystemTime, UNIX_EPOCH};

use prometheus_client::collector::Collector;
use prometheus_client::encoding::{DescriptorEncoder, EncodeLabelSet, EncodeMetric};
use prometheus_client::metrics::counter::{ConstCounter, Counter};
use prometheus_client::metrics::family::Family;
use prometheus_client::metrics::gauge::{ConstGauge, Gauge};
use prometheus_client::metrics::histogram::Histogram;
use prometheus_client::registry::{Registry, Unit};

use crate::text::clean::Reason;

/// The gRPC methods that get their own `method` label value. Anything else is `other`, so a
/// client cannot grow the label set by calling made-up paths.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Method {
    Classify,
    Summarize,
    Analyze,
    AnalyzeStream,
    GetModelInfo,
    ListModels,
    HealthCheck,
    HealthWatch,
    Reflection,
    Other,
}

const METHODS: [Method; 10] = [
    Method::Classify,
    Method::Summarize,
    Method::Analyze,
    Method::AnalyzeStream,
    Method::GetModelInfo,
    Method::ListModels,
    Method::HealthCheck,
    Method::HealthWatch,
    Method::Reflection,
    Method::Other,
];

/// The methods that take documents (and so count documents and input bytes).
const DOC_METHODS: [Method; 4] = [
    Method::Classify,
    Method::Summarize,
    Method::Analyze,
    Method::AnalyzeStream,
];

impl Method {
    /// From the HTTP/2 path of a gRPC call (`/package.Service/Method`).
    pub fn from_path(path: &str) -> Method {
        match path {
            "/lede.v1.Analyzer/Classify" => Method::Classify,
            "/lede.v1.Analyzer/Summarize" => Method::Summarize,
            "/lede.v1.Analyzer/Analyze" => Method::Analyze,
            "/lede.v1.Analyzer/AnalyzeStream" => Method::AnalyzeStream,
            "/lede.v1.Analyzer/GetModelInfo" => Method::GetModelInfo,
            "/lede.v1.Analyzer/ListModels" => Method::ListModels,
            "/grpc.health.v1.Health/Check" => Method::HealthCheck,
            "/grpc.health.v1.Health/Watch" => Method::HealthWatch,
            "/grpc.reflection.v1.ServerReflection/ServerReflectionInfo"
            | "/grpc.reflection.v1alpha.ServerReflection/ServerReflectionInfo" => {
                Method::Reflection
            }
            _ => Method::Other,
        }
    }

    /// From the handler's name for itself (the `method` field of its log span).
    pub fn from_name(name: &str) -> Method {
        match name {
            "Classify" => Method::Classify,
            "Summarize" => Method::Summarize,
            "Analyze" => Method::Analyze,
            "AnalyzeStream" => Method::AnalyzeStream,
            "GetModelInfo" => Method::GetModelInfo,
            "ListModels" => Method::ListModels,
            _ => Method::Other,
        }
    }

    pub fn as_str(self) -> &'static str {
        match self {
            Method::Classify => "Classify",
            Method::Summarize => "Summarize",
            Method::Analyze => "Analyze",
            Method::AnalyzeStream => "AnalyzeStream",
            Method::GetModelInfo => "GetModelInfo",
            Method::ListModels => "ListModels",
            Method::HealthCheck => "grpc.health.v1.Health/Check",
            Method::HealthWatch => "grpc.health.v1.Health/Watch",
            Method::Reflection => "ServerReflectionInfo",
            Method::Other => "other",
        }
    }

    fn index(self) -> usize {
        self as usize
    }

    fn doc_index(self) -> Option<usize> {
        match self {
            Method::Classify => Some(0),
            Method::Summarize => Some(1),
            Method::Analyze => Some(2),
            Method::AnalyzeStream => Some(3),
            Method::GetModelInfo
            | Method::ListModels
            | Method::HealthCheck
            | Method::HealthWatch
            | Method::Reflection
            | Method::Other => None,
        }
    }
}

/// gRPC status code names, indexed by the code's number (the `code` label, as in
/// go-grpc-prometheus and Triton).
const CODES: [&str; 17] = [
    "OK",
    "CANCELLED",
    "UNKNOWN",
    "INVALID_ARGUMENT",
    "DEADLINE_EXCEEDED",
    "NOT_FOUND",
    "ALREADY_EXISTS",
    "PERMISSION_DENIED",
    "RESOURCE_EXHAUSTED",
    "FAILED_PRECONDITION",
    "ABORTED",
    "OUT_OF_RANGE",
    "UNIMPLEMENTED",
    "INTERNAL",
    "UNAVAILABLE",
    "DATA_LOSS",
    "UNAUTHENTICATED",
];
const CODE_OK: u8 = 0;
const CODE_CANCELLED: u8 = 1;
const CODE_UNKNOWN: u8 = 2;
const CODE_RESOURCE_EXHAUSTED: u8 = 8;
const CODE_INTERNAL: u8 = 13;

/// Every cleaning reason, in a fixed order (the index of [`reason_index`]).
const REASONS: [Reason; 8] = [
    Reason::Duplicate,
    Reason::Boilerplate,
    Reason::SectionLabel,
    Reason::RelatedHeadlines,
    Reason::Caption,
    Reason::Footer,
    Reason::Byline,
    Reason::Chrome,
];

/// Exhaustive on purpose: a new reason is a compile error here, not a missing series.
fn reason_index(r: Reason) -> usize {
    match r {
        Reason::Duplicate => 0,
        Reason::Boilerplate => 1,
        Reason::SectionLabel => 2,
        Reason::RelatedHeadlines => 3,
        Reason::Caption => 4,
        Reason::Footer => 5,
        Reason::Byline => 6,
        Reason::Chrome => 7,
    }
}

/// Latency buckets, seconds: 0.1 ms to 10 s in 1-2.5-5 steps (a Classify takes well under a
/// millisecond of CPU; a long Summarize or a queued call takes far more).
const LATENCY_BUCKETS: [f64; 16] = [
    0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5,
    5.0, 10.0,
];

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct CallLabels {
    method: &'static str,
    code: &'static str,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct MethodLabels {
    method: &'static str,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct ReasonLabels {
    reason: &'static str,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct OutcomeLabels {
    outcome: &'static str,
}

/// `model` is the served name (fixed at startup); `name` and `version` are the bundle's own.
#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct ModelLabels {
    model: String,
    name: String,
    version: String,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct ServedModelLabels {
    model: String,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct ReloadLabels {
    model: String,
    outcome: &'static str,
}

/// The registry and handles to every series. Shared (`Arc`) by the layer, the handlers and the
/// HTTP endpoint.
pub struct Metrics {
    registry: Registry,
    calls: Family<CallLabels, Counter>,
    /// `calls` per (method, code), filled on first use: after that, no Family lookup.
    call_slots: [[OnceLock<Counter>; 17]; METHODS.len()],
    durations: Family<MethodLabels, Histogram>,
    duration_slots: [OnceLock<Histogram>; METHODS.len()],
    in_flight: Gauge,
    shed: Counter,
    documents: [Counter; 4],
    input_bytes: [Counter; 4],
    stream_items: [Counter; 2],
    removals: [Counter; 8],
    model_info: Family<ModelLabels, Gauge>,
    /// The info labels serving now, one per served model (a handful: a Vec).
    current_models: Mutex<Vec<ModelLabels>>,
    reloads: Family<ReloadLabels, Counter>,
    last_load: Family<ServedModelLabels, Gauge<f64, std::sync::atomic::AtomicU64>>,
}

impl std::fmt::Debug for Metrics {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Metrics").finish_non_exhaustive()
    }
}

impl Default for Metrics {
    fn default() -> Self {
        Self::new()
    }
}

impl Metrics {
    pub fn new() -> Metrics {
        let mut registry = Registry::default();
        let calls = Family::<CallLabels, Counter>::default();
        registry.register(
            "lede_grpc_calls",
            "gRPC calls finished, by method and gRPC status code",
            calls.clone(),
        );
        let durations = Family::<MethodLabels, Histogram>::new_with_constructor(
            (|| Histogram::new(LATENCY_BUCKETS)) as fn() -> Histogram,
        );
        registry.register_with_unit(
            "lede_grpc_call_duration",
            "Time from a call's arrival to its last response byte (trailers), by method",
            Unit::Seconds,
            durations.clone(),
        );
        let in_flight = Gauge::default();
        registry.register(
            "lede_grpc_calls_in_flight",
            "gRPC calls started and not yet finished",
            in_flight.clone(),
        );
        let shed = Counter::default();
        registry.register(
            "lede_grpc_shed_calls",
            "Calls rejected with RESOURCE_EXHAUSTED by load shedding (over --max-concurrent-calls)",
            shed.clone(),
        );
        let by_method = |family: &Family<MethodLabels, Counter>| {
            DOC_METHODS.map(|m| family.get_or_create_owned(&MethodLabels { method: m.as_str() }))
        };
        let docs_family = Family::<MethodLabels, Counter>::default();
        registry.register(
            "lede_documents",
            "Documents received (an AnalyzeStream item is one document), by method",
            docs_family.clone(),
        );
        let bytes_family = Family::<MethodLabels, Counter>::default();
        registry.register_with_unit(
            "lede_input",
            "Bytes of title and text (or HTML) received, by method",
            Unit::Bytes,
            bytes_family.clone(),
        );
        let items_family = Family::<OutcomeLabels, Counter>::default();
        registry.register(
            "lede_stream_items",
            "AnalyzeStream items answered, by outcome (error: the item carries an error status)",
            items_family.clone(),
        );
        let removals_family = Family::<ReasonLabels, Counter>::default();
        registry.register(
            "lede_cleaning_removals",
            "Pieces of text removed by cleaning, by reason",
            removals_family.clone(),
        );
        let model_info = Family::<ModelLabels, Gauge>::default();
        registry.register(
            "lede_model_info",
            "The models serving now: 1 per served name (model) with its bundle's name and version",
            model_info.clone(),
        );
        let reloads = Family::<ReloadLabels, Counter>::default();
        registry.register(
            "lede_model_reloads",
            "Model reloads (SIGHUP), by served model and outcome; on error its previous version keeps serving",
            reloads.clone(),
        );
        let last_load =
            Family::<ServedModelLabels, Gauge<f64, std::sync::atomic::AtomicU64>>::default();
        registry.register(
            "lede_model_last_load_timestamp_seconds",
            "Unix time of the last successful load (startup or reload), by served model",
            last_load.clone(),
        );
        registry.register_collector(Box::new(ProcessCollector));

        let outcomes = |f: &Family<OutcomeLabels, Counter>| {
            ["ok", "error"].map(|o| f.get_or_create_owned(&OutcomeLabels { outcome: o }))
        };
        let m = Metrics {
            call_slots: Default::default(),
            duration_slots: Default::default(),
            in_flight,
            shed,
            documents: by_method(&docs_family),
            input_bytes: by_method(&bytes_family),
            stream_items: outcomes(&items_family),
            removals: REASONS
                .map(|r| removals_family.get_or_create_owned(&ReasonLabels { reason: r.as_str() })),
            model_info,
            current_models: Mutex::new(Vec::new()),
            reloads,
            last_load,
            registry,
            calls,
            durations,
        };
        // The series dashboards divide by: OK calls and latency of every Analyzer method.
        for method in &METHODS[..6] {
            m.call_counter(*method, CODE_OK);
            m.duration(*method);
        }
        m
    }

    fn call_counter(&self, method: Method, code: u8) -> &Counter {
        let code = usize::from(code).min(CODES.len() - 1);
        self.call_slots[method.index()][code].get_or_init(|| {
            self.calls.get_or_create_owned(&CallLabels {
                method: method.as_str(),
                code: CODES[code],
            })
        })
    }

    fn duration(&self, method: Method) -> &Histogram {
        self.duration_slots[method.index()].get_or_init(|| {
            self.durations.get_or_create_owned(&MethodLabels {
                method: method.as_str(),
            })
        })
    }

    fn finish_call(&self, method: Method, code: u8, started: Instant) {
        self.duration(method)
            .observe(started.elapsed().as_secs_f64());
        self.call_counter(method, code).inc();
        self.in_flight.dec();
    }

    /// One document of `bytes` (title + text) received by `method` (a handler name such as
    /// "Classify"). Methods that take no documents are ignored.
    pub fn document(&self, method: &str, bytes: usize) {
        if let Some(i) = Method::from_name(method).doc_index() {
            self.documents[i].inc();
            self.input_bytes[i].inc_by(bytes as u64);
        }
    }

    /// One AnalyzeStream item answered (`ok == false`: the item carries an error).
    pub fn stream_item(&self, ok: bool) {
        self.stream_items[usize::from(!ok)].inc();
    }

    /// The removals cleaning made in one document.
    pub fn removals(&self, reasons: impl IntoIterator<Item = Reason>) {
        for r in reasons {
            self.removals[reason_index(r)].inc();
        }
    }

    /// A bundle (its own `name` and `version`) is now serving under the served name `model`:
    /// its info series replaces that model's previous one, and its load time is set to now.
    /// The first load of a model also creates its reload counters, so that `increase()` works
    /// from the first failure.
    pub fn model_loaded(&self, model: &str, name: &str, version: &str) {
        let new = ModelLabels {
            model: model.to_owned(),
            name: name.to_owned(),
            version: version.to_owned(),
        };
        let mut current = self
            .current_models
            .lock()
            .unwrap_or_else(|e| e.into_inner());
        // New series first, then the old one goes: a scrape never sees the model missing.
        self.model_info.get_or_create(&new).set(1);
        match current.iter_mut().find(|m| m.model == model) {
            Some(old) => {
                if *old != new {
                    self.model_info.remove(old);
                }
                *old = new;
            }
            None => {
                current.push(new);
                for ok in [true, false] {
                    self.reload_counter(model, ok);
                }
            }
        }
        let now = SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .map_or(0.0, |d| d.as_secs_f64());
        self.last_load
            .get_or_create(&ServedModelLabels {
                model: model.to_owned(),
            })
            .set(now);
    }

    fn reload_counter(&self, model: &str, ok: bool) -> Counter {
        self.reloads.get_or_create_owned(&ReloadLabels {
            model: model.to_owned(),
            outcome: if ok { "ok" } else { "error" },
        })
    }

    /// A reload (SIGHUP) of the served model `model` finished.
    pub fn reload(&self, model: &str, ok: bool) {
        self.reload_counter(model, ok).inc();
    }

    /// The exposition: OpenMetrics text if `openmetrics`, else the Prometheus text format
    /// 0.0.4. Returns (content type, body).
    pub fn encode(&self, openmetrics: bool) -> (&'static str, String) {
        let mut out = String::with_capacity(16 << 10);
        // Writing into a String cannot fail; an Err here would be a bug in an encoder.
        if openmetrics {
            let _ = prometheus_client::encoding::text::encode(&mut out, &self.registry);
            (
                "application/openmetrics-text; version=1.0.0; charset=utf-8",
                out,
            )
        } else {
            let _ = prometheus_client::encoding::prometheus_text::encode(&mut out, &self.registry);
            (
                prometheus_client::encoding::prometheus_text::CONTENT_TYPE,
                out,
            )
        }
    }
}

// ---- process metrics ----

/// `process_*` series (the names every Prometheus client uses), read from `/proc/self` at scrape
/// time. Elsewhere than Linux it reports nothing.
#[derive(Debug)]
struct ProcessCollector;

#[derive(Debug, Default, PartialEq)]
struct ProcStat {
    cpu_seconds: f64,
    start_time_seconds: f64,
    virtual_bytes: u64,
    resident_bytes: u64,
}

/// Parses `/proc/self/stat` (fields after the parenthesised command name, which may itself hold
/// spaces) with the clock tick rate, page size and boot time (`btime` of `/proc/stat`).
fn parse_stat(stat: &str, ticks: f64, page: u64, boot_time: f64) -> Option<ProcStat> {
    let rest = &stat[stat.rfind(')')? + 1..];
    // `rest` starts at field 3 (state); utime is field 14, stime 15, starttime 22, vsize 23, rss 24.
    let f: Vec<&str> = rest.split_whitespace().collect();
    let num = |field: usize| f.get(field - 3)?.parse::<u64>().ok();
    Some(ProcStat {
        cpu_seconds: (num(14)? + num(15)?) as f64 / ticks,
        start_time_seconds: boot_time + num(22)? as f64 / ticks,
        virtual_bytes: num(23)?,
        resident_bytes: num(24)? * page,
    })
}

#[cfg(target_os = "linux")]
fn read_proc() -> Option<(ProcStat, u64)> {
    // SAFETY: sysconf only reads configuration values.
    let (ticks, page) = unsafe {
        (
            libc::sysconf(libc::_SC_CLK_TCK),
            libc::sysconf(libc::_SC_PAGESIZE),
        )
    };
    let boot_time = std::fs::read_to_string("/proc/stat")
        .ok()?
        .lines()
        .find_map(|l| l.strip_prefix("btime ")?.trim().parse::<f64>().ok())?;
    let stat = std::fs::read_to_string("/proc/self/stat").ok()?;
    let s = parse_stat(&stat, ticks.max(1) as f64, page.max(1) as u64, boot_time)?;
    let fds = std::fs::read_dir("/proc/self/fd").ok()?.count() as u64;
    Some((s, fds))
}

#[cfg(not(target_os = "linux"))]
fn read_proc() -> Option<(ProcStat, u64)> {
    None
}

impl Collector for ProcessCollector {
    fn encode(&self, mut encoder: DescriptorEncoder) -> Result<(), std::fmt::Error> {
        let Some((s, fds)) = read_proc() else {
            return Ok(());
        };
        let cpu = ConstCounter::new(s.cpu_seconds);
        cpu.encode(encoder.encode_descriptor(
            "process_cpu",
            "Total user and system CPU time spent, seconds",
            Some(&Unit::Seconds),
            cpu.metric_type(),
        )?)?;
        let gauges: [(&str, &str, Option<&Unit>, f64); 4] = [
            (
                "process_resident_memory",
                "Resident memory size, bytes",
                Some(&Unit::Bytes),
                s.resident_bytes as f64,
            ),
            (
                "process_virtual_memory",
                "Virtual memory size, bytes",
                Some(&Unit::Bytes),
                s.virtual_bytes as f64,
            ),
            (
                "process_open_fds",
                "Open file descriptors",
                None,
                fds as f64,
            ),
            (
                "process_start_time",
                "Start time of the process since the Unix epoch, seconds",
                Some(&Unit::Seconds),
                s.start_time_seconds,
            ),
        ];
        for (name, help, unit, v) in gauges {
            let g = ConstGauge::new(v);
            g.encode(encoder.encode_descriptor(name, help, unit, g.metric_type())?)?;
        }
        Ok(())
    }
}

// ---- the tower layer ----

/// Counts and times every call. With `None` it passes calls through untouched (metrics off).
#[derive(Clone, Default)]
pub struct MetricsLayer {
    metrics: Option<Arc<Metrics>>,
}

impl MetricsLayer {
    pub fn new(metrics: Option<Arc<Metrics>>) -> Self {
        MetricsLayer { metrics }
    }
}

impl<S> tower::Layer<S> for MetricsLayer {
    type Service = MetricsService<S>;

    fn layer(&self, inner: S) -> Self::Service {
        MetricsService {
            inner,
            metrics: self.metrics.clone(),
        }
    }
}

#[derive(Clone)]
pub struct MetricsService<S> {
    inner: S,
    metrics: Option<Arc<Metrics>>,
}

/// One call being measured: recorded exactly once, when dropped (at the end of the response
/// body, or earlier if the call is abandoned).
struct CallGuard {
    metrics: Arc<Metrics>,
    method: Method,
    started: Instant,
    /// The code once known; a call dropped without one was cancelled.
    code: Option<u8>,
}

impl Drop for CallGuard {
    fn drop(&mut self) {
        let code = self.code.unwrap_or(CODE_CANCELLED);
        self.metrics.finish_call(self.method, code, self.started);
    }
}

fn grpc_status(headers: &http::HeaderMap) -> Option<u8> {
    let v = headers
        .get("grpc-status")?
        .to_str()
        .ok()?
        .parse::<u8>()
        .ok()?;
    // Out-of-range codes are UNKNOWN (as gRPC clients treat them).
    Some(if usize::from(v) < CODES.len() {
        v
    } else {
        CODE_UNKNOWN
    })
}

impl<S, ReqBody, ResBody> tower::Service<http::Request<ReqBody>> for MetricsService<S>
where
    S: tower::Service<http::Request<ReqBody>, Response = http::Response<ResBody>>,
    S::Error: Into<tower::BoxError>,
{
    type Response = http::Response<MeteredBody<ResBody>>;
    type Error = tower::BoxError;
    type Future = MetricsFuture<S::Future>;

    fn poll_ready(&mut self, cx: &mut Context<'_>) -> Poll<Result<(), Self::Error>> {
        self.inner.poll_ready(cx).map_err(Into::into)
    }

    fn call(&mut self, req: http::Request<ReqBody>) -> Self::Future {
        let guard = self.metrics.as_ref().map(|m| {
            m.in_flight.inc();
            CallGuard {
                metrics: m.clone(),
                method: Method::from_path(req.uri().path()),
                started: Instant::now(),
                code: None,
            }
        });
        MetricsFuture {
            inner: self.inner.call(req),
            guard,
        }
    }
}

pin_project_lite::pin_project! {
    pub struct MetricsFuture<F> {
        #[pin]
        inner: F,
        guard: Option<CallGuard>,
    }
}

impl<F, B, E> Future for MetricsFuture<F>
where
    F: Future<Output = Result<http::Response<B>, E>>,
    E: Into<tower::BoxError>,
{
    type Output = Result<http::Response<MeteredBody<B>>, tower::BoxError>;

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        let this = self.project();
        let out = std::task::ready!(this.inner.poll(cx));
        let mut guard = this.guard.take();
        Poll::Ready(match out {
            Ok(resp) => {
                if let Some(g) = &mut guard {
                    // Trailers-only responses (errors) carry the code in the headers.
                    g.code = grpc_status(resp.headers());
                }
                Ok(resp.map(|inner| MeteredBody { inner, guard }))
            }
            Err(e) => {
                let e: tower::BoxError = e.into();
                if let Some(mut g) = guard {
                    if e.is::<tower::load_shed::error::Overloaded>() {
                        g.metrics.shed.inc();
                        g.code = Some(CODE_RESOURCE_EXHAUSTED);
                    } else {
                        // tonic turns other service errors into a status; UNKNOWN is its usual one.
                        g.code = Some(CODE_UNKNOWN);
                    }
                }
                Err(e)
            }
        })
    }
}

pin_project_lite::pin_project! {
    /// A response body that records its call when its trailers pass, it ends, or it is dropped.
    pub struct MeteredBody<B> {
        #[pin]
        inner: B,
        guard: Option<CallGuard>,
    }
}

impl<B: http_body::Body> http_body::Body for MeteredBody<B> {
    type Data = B::Data;
    type Error = B::Error;

    fn poll_frame(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
    ) -> Poll<Option<Result<http_body::Frame<Self::Data>, Self::Error>>> {
        let this = self.project();
        let out = std::task::ready!(this.inner.poll_frame(cx));
        if this.guard.is_some() {
            match &out {
                Some(Ok(frame)) => {
                    if let Some(t) = frame.trailers_ref() {
                        let mut g = this.guard.take();
                        if let Some(g) = &mut g {
                            g.code = grpc_status(t).or(g.code).or(Some(CODE_UNKNOWN));
                        }
                    }
                }
                Some(Err(_)) => {
                    if let Some(mut g) = this.guard.take() {
                        g.code = Some(CODE_INTERNAL);
                    }
                }
                None => {
                    if let Some(mut g) = this.guard.take() {
                        g.code = g.code.or(Some(CODE_UNKNOWN));
                    }
                }
            }
        }
        Poll::Ready(out)
    }

    fn is_end_stream(&self) -> bool {
        self.inner.is_end_stream()
    }

    fn size_hint(&self) -> http_body::SizeHint {
        self.inner.size_hint()
    }
}

// ---- the HTTP endpoint ----

/// Serves `GET /metrics` on `listener` until the task is dropped or aborted; other paths get
/// 404, other methods 405.
pub async fn serve_http(listener: tokio::net::TcpListener, metrics: Arc<Metrics>) {
    loop {
        let (stream, _) = match listener.accept().await {
            Ok(s) => s,
            Err(e) => {
                // Out of file descriptors and the like: wait a little instead of spinning.
                tracing::warn!(error = %e, "metrics endpoint: accept failed");
                tokio::time::sleep(std::time::Duration::from_millis(100)).await;
                continue;
            }
        };
        let metrics = metrics.clone();
        tokio::spawn(async move {
            let svc = hyper::service::service_fn(move |req| {
                let metrics = metrics.clone();
                async move { Ok::<_, std::convert::Infallible>(respond(&metrics, &req)) }
            });
            if let Err(e) = hyper::server::conn::http1::Builder::new()
                .serve_connection(hyper_util::rt::TokioIo::new(stream), svc)
                .await
            {
                tracing::debug!(error = %e, "metrics connection ended with an error");
            }
        });
    }
}

fn respond<B>(
    metrics: &Metrics,
    req: &http::Request<B>,
) -> http::Response<http_body_util::Full<hyper::body::Bytes>> {
    let plain = |status: http::StatusCode, msg: &'static str| {
        let mut r = http::Response::new(http_body_util::Full::new(hyper::body::Bytes::from(msg)));
        *r.status_mut() = status;
        r
    };
    if req.uri().path() != "/metrics" {
        return plain(http::StatusCode::NOT_FOUND, "not found; try /metrics\n");
    }
    if req.method() != http::Method::GET && req.method() != http::Method::HEAD {
        return plain(http::StatusCode::METHOD_NOT_ALLOWED, "use GET\n");
    }
    let openmetrics = req.headers().get_all(http::header::ACCEPT).iter().any(|v| {
        v.as_bytes()
            .windows(20)
            .any(|w| w == b"application/openmetr")
    });
    let (content_type, body) = metrics.encode(openmetrics);
    let mut r = http::Response::new(http_body_util::Full::new(hyper::body::Bytes::from(body)));
    r.headers_mut().insert(
        http::header::CONTENT_TYPE,
        http::HeaderValue::from_static(content_type),
    );
    r
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn stat_fields_after_a_command_name_with_spaces() {
        // Fields 3.. of a real /proc/self/stat line, command name "(a b) c".
        let line = "123 (a b) c) S 1 123 123 0 -1 4194560 500 0 0 0 250 50 0 0 20 0 3 0 1000 \
                    104857600 2560 18446744073709551615 0 0 0 0 0 0 0 0 0 0 0 0 17 1 0 0 0 0 0";
        let s = parse_stat(line, 100.0, 4096, 1_700_000_000.0).unwrap();
        assert_eq!(
            s,
            ProcStat {
                cpu_seconds: 3.0,
                start_time_seconds: 1_700_000_010.0,
                virtual_bytes: 104_857_600,
                resident_bytes: 2560 * 4096,
            }
        );
    }

    #[test]
    fn paths_map_to_a_bounded_set() {
        assert_eq!(
            Method::from_path("/lede.v1.Analyzer/Classify"),
            Method::Classify
        );
        assert_eq!(
            Method::from_path("/lede.v1.Analyzer/Nope123"),
            Method::Other
        );
        for (i, m) in METHODS.iter().enumerate() {
            assert_eq!(m.index(), i);
        }
        for (i, r) in REASONS.iter().enumerate() {
            assert_eq!(reason_index(*r), i);
        }
    }

    #[test]
    fn model_info_keeps_one_series_per_served_model() {
        let m = Metrics::new();
        m.model_loaded("default", "default", "default@aaa");
        m.model_loaded("small", "default", "default@aaa");
        m.model_loaded("default", "default", "default@bbb");
        let (_, text) = m.encode(false);
        let mut info: Vec<&str> = text
            .lines()
            .filter(|l| l.starts_with("lede_model_info{"))
            .collect();
        info.sort();
        assert_eq!(
            info,
            [
                r#"lede_model_info{model="default",name="default",version="default@bbb"} 1"#,
                r#"lede_model_info{model="small",name="default",version="default@aaa"} 1"#,
            ],
            "{text}"
        );
        assert!(text.contains(r#"lede_model_reloads_total{model="small",outcome="error"} 0"#));
    }
}
