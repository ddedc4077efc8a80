//! Runs one stage of `benches/stages.rs` over the same documents, for instruction counts that a
//! shared, noisy machine cannot blur (wall-clock timings there move by +-30%):
//!
//! ```sh
//! cargo build --release --example stage_cost
//! valgrind --tool=callgrind --collect-atstart=no --toggle-collect='*stage_cost*counted*' \
//!     target/release/examples/stage_cost summarize
//! ```
//!
//! Stages: `clean`, `classify_clean`, `summarize`, `classify`, `rendered` (cleaning the Article
//! Extraction Benchmark's pages, `LEDE_BENCH_AEB`, default `../shared/data/aeb`). One warm-up
//! pass fills the per-thread token caches, as criterion's warm-up does; only the second pass
//! is counted. Divide the count by the documents printed. Data and model as in the benches
//! (`LEDE_BENCH_DATA`, `LEDE_BENCH_MODEL`).

use std::hint::black_box;

use lede::model::{AnalyzeOptions, Model};

#[path = "../benches/common/mod.rs"]
mod common;

#[inline(never)]
fn run(stage: &str, model: &Model, docs: &[(String, String)]) {
    let summary = common::summary_options();
    let raw = AnalyzeOptions {
        clean: false,
        ..Default::default()
    };
    let cleaner = model.extras.cleaner.as_ref();
    for (t, x) in docs {
        match stage {
            "clean" => drop(black_box(lede::text::clean_with(x, Some(t), cleaner))),
            "rendered" => drop(black_box(lede::text::clean_with(x, None, cleaner))),
            "classify" => drop(black_box(model.analyze(t, x, &raw))),
            "classify_clean" => drop(black_box(model.analyze(t, x, &Default::default()))),
            "summarize" => drop(black_box(model.analyze(t, x, &summary))),
            other => panic!("unknown stage {other}"),
        }
    }
}

/// The pass that callgrind counts (`--toggle-collect='*stage_cost*counted*'`).
#[inline(never)]
fn counted(stage: &str, model: &Model, docs: &[(String, String)]) {
    run(stage, model, docs)
}

fn main() -> anyhow::Result<()> {
    let stage = std::env::args().nth(1).unwrap_or_else(|| "clean".into());
    let model = common::model();
    let docs = if stage == "rendered" {
        let aeb = std::env::var("LEDE_BENCH_AEB").unwrap_or_else(|_| "../shared/data/aeb".into());
        lede::eval::aeb::load(std::path::Path::new(&aeb))?
            .into_iter()
            .map(|p| (String::new(), p.rendered))
            .collect()
    } else {
        common::docs().1
    };
    run(&stage, &model, &docs);
    let t = std::time::Instant::now();
    counted(&stage, &model, &docs);
    eprintln!(
        "{stage}: {} documents, {:.0} docs/s (the counted pass)",
        docs.len(),
        docs.len() as f64 / t.elapsed().as_secs_f64()
    );
    Ok(())
}
