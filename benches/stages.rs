//! Criterion benchmarks of Lede's stages, one thread, in process.
//!
//! `stages/*`: each iteration runs one stage over every bbc test article (388 documents; the
//! throughput is documents per second). Data: `LEDE_BENCH_DATA` (default
//! `../shared/data/bbc/bbc.jsonl`); without it the bench falls back to the small fixture in
//! `tests/fixtures`, so it always runs. Model: `LEDE_BENCH_MODEL` (default `models/default`).
//!
//! `rendered/clean`: cleaning alone of the Article Extraction Benchmark's rendered pages (see
//! `clean_rendered`).
//!
//! `scaling/<input>/<bytes>`: a full Analyze (cleaning, both heads, summary) of pathological
//! pages of 64 KiB, 256 KiB and 1 MiB (the server's text limit). Near-linear time shows as a
//! flat time per byte across sizes; `bench/scaling.py` turns the estimates into that table.
//!
//! `metrics/call/{off,on}`: what the metrics layer adds to one gRPC call (count, time, in-flight,
//! code from `grpc-status`) around a service that answers at once; `off` is the layer with
//! metrics disabled. The difference is the per-call cost, free of the noise of a loaded machine
//! that swamps it in `bench/metrics_cost.sh`.
//!
//! `cargo bench --bench stages` (all), `cargo bench --bench stages -- stages/classify` (one),
//! criterion's own flags after `--` (e.g. `--measurement-time 1 --warm-up-time 0.5`).
//! Estimates land in `target/criterion/<group>/<bench>/new/estimates.json` (bench/run.sh reads
//! them).

use std::hint::black_box;
use std::time::Duration;

use criterion::{criterion_group, criterion_main, BenchmarkId, Criterion, Throughput};
use lede::model::{AnalyzeOptions, Model};

mod common;
use common::{docs, model, summary_options};

fn stages(c: &mut Criterion) {
    let (path, docs) = docs();
    let model = model();
    eprintln!(
        "stages: {} documents from {path}, model {}",
        docs.len(),
        model.meta.version
    );
    let mut g = c.benchmark_group("stages");
    g.throughput(Throughput::Elements(docs.len() as u64));
    g.bench_function("terms", |b| {
        b.iter(|| {
            for (t, x) in &docs {
                let c = lede::text::no_clean(x);
                black_box(lede::text::document_terms(&model.analyzer, t, x, &c));
            }
        })
    });
    let raw = AnalyzeOptions {
        clean: false,
        ..Default::default()
    };
    g.bench_function("classify", |b| {
        b.iter(|| {
            for (t, x) in &docs {
                black_box(model.analyze(t, x, &raw));
            }
        })
    });
    g.bench_function("classify_clean", |b| {
        b.iter(|| {
            for (t, x) in &docs {
                black_box(model.analyze(t, x, &AnalyzeOptions::default()));
            }
        })
    });
    g.bench_function("clean", |b| {
        b.iter(|| {
            for (t, x) in &docs {
                black_box(lede::text::clean_with(
                    x,
                    Some(t),
                    model.extras.cleaner.as_ref(),
                ));
            }
        })
    });
    let summary = summary_options();
    g.bench_function("summarize", |b| {
        b.iter(|| {
            for (t, x) in &docs {
                black_box(model.analyze(t, x, &summary));
            }
        })
    });
    g.finish();
    clean_rendered(c, &model);
}

/// `rendered/clean`: cleaning alone (the model's line classifier if it has one) of the Article
/// Extraction Benchmark's whole-page texts (`LEDE_BENCH_AEB`, default `../shared/data/aeb`;
/// skipped without it), documents per second.
fn clean_rendered(c: &mut Criterion, model: &Model) {
    let dir = std::env::var("LEDE_BENCH_AEB").unwrap_or_else(|_| "../shared/data/aeb".into());
    let Ok(pages) = lede::eval::aeb::load(std::path::Path::new(&dir)) else {
        eprintln!("rendered: no pages in {dir}, skipped");
        return;
    };
    let mut g = c.benchmark_group("rendered");
    g.throughput(Throughput::Elements(pages.len() as u64));
    g.bench_function("clean", |b| {
        b.iter(|| {
            for p in &pages {
                black_box(lede::text::clean_with(
                    &p.rendered,
                    None,
                    model.extras.cleaner.as_ref(),
                ));
            }
        })
    });
    g.finish();
}

/// A pathological page of about `bytes` bytes.
fn page(kind: &str, bytes: usize) -> String {
    let unit = match kind {
        "repeated_sentence" => "The central bank raised interest rates again on Tuesday. ",
        "no_punctuation" => "shares rose sharply in early trading as investors cheered ",
        "one_token" => "x",
        "tiny_sentences" => "Go. ",
        "chrome_only" => "Sign up for our newsletter\nMost Read\nAdvertisement\n",
        "cjk" => "日本の経済は回復している。",
        "newlines" => "word\n\n",
        other => panic!("unknown input {other}"),
    };
    let mut s = unit.repeat(bytes / unit.len() + 1);
    let mut end = bytes.min(s.len());
    while !s.is_char_boundary(end) {
        end -= 1;
    }
    s.truncate(end);
    s
}

fn scaling(c: &mut Criterion) {
    let model = model();
    let opts = AnalyzeOptions {
        summary: summary_options().summary,
        ..Default::default()
    };
    for kind in [
        "repeated_sentence",
        "no_punctuation",
        "one_token",
        "tiny_sentences",
        "chrome_only",
        "cjk",
        "newlines",
    ] {
        let mut g = c.benchmark_group(format!("scaling/{kind}"));
        g.sample_size(10);
        for bytes in [64 << 10, 256 << 10, 1 << 20] {
            let text = page(kind, bytes);
            g.throughput(Throughput::Bytes(text.len() as u64));
            g.bench_with_input(BenchmarkId::from_parameter(bytes), &text, |b, text| {
                b.iter(|| black_box(model.analyze("", text, &opts)))
            });
        }
        g.finish();
    }
}

/// A service that answers every call at once with an empty OK (trailers-only) response.
#[derive(Clone)]
struct Answer;

type Empty = http_body_util::Empty<hyper::body::Bytes>;

impl tower::Service<http::Request<()>> for Answer {
    type Response = http::Response<Empty>;
    type Error = std::convert::Infallible;
    type Future = std::future::Ready<Result<Self::Response, Self::Error>>;

    fn poll_ready(
        &mut self,
        _: &mut std::task::Context<'_>,
    ) -> std::task::Poll<Result<(), Self::Error>> {
        std::task::Poll::Ready(Ok(()))
    }

    fn call(&mut self, _: http::Request<()>) -> Self::Future {
        let mut r = http::Response::new(Empty::new());
        r.headers_mut()
            .insert("grpc-status", http::HeaderValue::from_static("0"));
        std::future::ready(Ok(r))
    }
}

fn metrics_layer(c: &mut Criterion) {
    use http_body_util::BodyExt;
    use lede::server::metrics::{Metrics, MetricsLayer};
    use tower::{Layer, Service};

    let rt = tokio::runtime::Builder::new_current_thread()
        .build()
        .unwrap();
    let mut g = c.benchmark_group("metrics/call");
    for (name, metrics) in [
        ("off", None),
        ("on", Some(std::sync::Arc::new(Metrics::new()))),
    ] {
        let mut svc = MetricsLayer::new(metrics).layer(Answer);
        g.bench_function(name, |b| {
            b.iter_custom(|n| {
                rt.block_on(async {
                    let t0 = std::time::Instant::now();
                    for _ in 0..n {
                        let req = http::Request::builder()
                            .uri("/lede.v1.Analyzer/Classify")
                            .body(())
                            .unwrap();
                        let body = svc.call(req).await.unwrap().into_body();
                        black_box(body.collect().await.unwrap());
                    }
                    t0.elapsed()
                })
            })
        });
    }
    g.finish();
}

criterion_group! {
    name = benches;
    // Short defaults for 2-core CI machines; criterion's flags after `--` override them.
    config = Criterion::default()
        .warm_up_time(Duration::from_secs(1))
        .measurement_time(Duration::from_secs(3))
        .sample_size(20);
    targets = stages, scaling, metrics_layer
}
criterion_main!(benches);
