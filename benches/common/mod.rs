//! What the stage benchmarks run on: the documents, the model and the summary options. Shared by
//! `benches/stages.rs` and `examples/stage_cost.rs` (instruction counts of the same stages).

use lede::model::{AnalyzeOptions, Model, SummaryOptions};
use lede::summarize::{Length, Order};

/// The bbc test articles as `(title, text)` (`LEDE_BENCH_DATA`, default
/// `../shared/data/bbc/bbc.jsonl`), or without that file the small fixture in `tests/fixtures`;
/// and the path read.
pub fn docs() -> (String, Vec<(String, String)>) {
    let wanted =
        std::env::var("LEDE_BENCH_DATA").unwrap_or_else(|_| "../shared/data/bbc/bbc.jsonl".into());
    let (path, test_only) = if std::path::Path::new(&wanted).exists() {
        (wanted, true)
    } else {
        ("tests/fixtures/tiny_topics.jsonl".to_owned(), false)
    };
    let mut docs = Vec::new();
    let fields = lede::train::data::Fields::default();
    lede::train::data::read_rows(std::path::Path::new(&path), &fields, false, |r| {
        if !test_only || r.split.as_deref() == Some("test") {
            docs.push((r.title, r.text));
        }
        Ok(())
    })
    .unwrap_or_else(|e| panic!("{e}"));
    (path, docs)
}

/// The model (`LEDE_BENCH_MODEL`, default `models/default`).
pub fn model() -> Model {
    let dir = std::env::var("LEDE_BENCH_MODEL").unwrap_or_else(|_| "models/default".into());
    Model::load(std::path::Path::new(&dir)).expect("model")
}

/// A summary at ratio 0.4 in document order, without classification.
pub fn summary_options() -> AnalyzeOptions {
    AnalyzeOptions {
        classify: false,
        summary: Some(SummaryOptions {
            length: Length::Ratio(0.4),
            order: Order::Document,
            scoring: Default::default(),
        }),
        ..Default::default()
    }
}
