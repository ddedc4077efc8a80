//! What traces add to one call, one thread, in process (issue #14). Each iteration makes a call's
//! span, enters it and logs the call's one line, through a subscriber like the server's (logs
//! at info, formatted and thrown away):
//!
//! - `trace/call/untraced`: the span as it was before traces (no trace context, no trace id);
//! - `trace/call/off`: export off, the caller sent a traceparent (parsed, its trace id logged);
//! - `trace/call/off-new-trace`: export off, no traceparent (a random trace id is drawn);
//! - `trace/call/otlp`: export on: an SDK span is built, ended and queued for the exporter.
//!   The collector is unreachable here, so once the queue is full spans are dropped at the
//!   queue instead of sent: the exporter's own work (encoding, gRPC) runs on its thread and is
//!   not in these figures, only what a call pays on its own path.
//!
//! `cargo bench --bench traces`.

use std::hint::black_box;
use std::time::Duration;

use criterion::{criterion_group, criterion_main, Criterion};
use lede::server::trace;
use tonic::metadata::MetadataMap;
use tracing::{info, info_span};
use tracing_subscriber::layer::SubscriberExt;
use tracing_subscriber::{EnvFilter, Layer};

fn subscriber(otlp: Option<&trace::Otlp>) -> impl tracing::Subscriber + Send + Sync {
    let logs = tracing_subscriber::fmt::layer()
        .with_writer(std::io::sink)
        .with_filter(EnvFilter::new("info"));
    tracing_subscriber::registry()
        .with(logs)
        .with(otlp.map(|o| o.layer()))
}

fn one_call(meta: &MetadataMap) {
    let span = trace::call_span("Classify", "r1", Some(123), trace::parent(meta));
    let _in = span.enter();
    trace::record_status(tonic::Code::Ok);
    info!(latency_ms = black_box(1.0), outcome = "ok");
}

fn calls(c: &mut Criterion) {
    // The exporter's channel runs on a runtime, as in the server.
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(1)
        .enable_all()
        .build()
        .unwrap();
    let otlp = {
        let _rt = rt.enter();
        trace::Otlp::new("http://127.0.0.1:9").unwrap()
    };
    let mut caller = MetadataMap::new();
    caller.insert(
        "traceparent",
        "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01"
            .parse()
            .unwrap(),
    );
    let none = MetadataMap::new();

    let mut g = c.benchmark_group("trace/call");
    tracing::subscriber::with_default(subscriber(None), || {
        g.bench_function("untraced", |b| {
            b.iter(|| {
                let span = info_span!("call", method = "Classify", request_id = %"r1", bytes = 123);
                let _in = span.enter();
                info!(latency_ms = black_box(1.0), outcome = "ok");
            })
        });
    });
    for (name, meta, otlp) in [
        ("off", &caller, None),
        ("off-new-trace", &none, None),
        ("otlp", &caller, Some(&otlp)),
    ] {
        tracing::subscriber::with_default(subscriber(otlp), || {
            g.bench_function(name, |b| b.iter(|| one_call(meta)));
        });
    }
    g.finish();
    rt.block_on(otlp.shutdown());
}

/// Short runs (a 2-core machine, microsecond calls); criterion's flags after `--` override them.
fn config() -> Criterion {
    Criterion::default()
        .warm_up_time(Duration::from_secs(1))
        .measurement_time(Duration::from_secs(4))
}

criterion_group!(name = benches; config = config(); targets = calls);
criterion_main!(benches);
