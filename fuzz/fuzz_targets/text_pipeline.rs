//! Cleaning + segmentation + tokenisation + classification + summarisation on arbitrary text.
//! Checks what must always hold: offsets are in bounds and on char boundaries, probabilities sum
//! to 1, a non-empty document gets a non-empty summary.
#![no_main]

use std::sync::OnceLock;

use lede::model::{AnalyzeOptions, Model, SummaryOptions};
use lede::summarize::{Length, Order};
use libfuzzer_sys::fuzz_target;

fn model() -> &'static Model {
    static M: OnceLock<Model> = OnceLock::new();
    M.get_or_init(|| {
        let p = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../tests/fixtures/compat-v1");
        Model::load(&p).expect("fixture model")
    })
}

fuzz_target!(|data: &[u8]| {
    let text = String::from_utf8_lossy(data);
    let (title, body) = match text.split_once('\u{1}') {
        Some((t, b)) => (t, b),
        None => ("", text.as_ref()),
    };
    for s in lede::text::tokenize(body) {
        assert!(body.is_char_boundary(s.start) && body.is_char_boundary(s.end) && s.start < s.end);
    }
    let opts = AnalyzeOptions {
        evidence: 3,
        top_k: 10,
        summary: Some(SummaryOptions { length: Length::Ratio(0.5), order: Order::Rank, scoring: Default::default() }),
        ..Default::default()
    };
    for clean in [true, false] {
        let a = model().analyze(title, body, &AnalyzeOptions { clean, ..opts.clone() });
        for h in &a.heads {
            let sum: f64 = h.labels.iter().map(|l| l.probability).sum();
            assert!((sum - 1.0).abs() < 1e-6, "{sum}");
        }
        for r in &a.removed {
            assert!(r.span.start < r.span.end && r.span.end <= body.len());
            assert!(body.is_char_boundary(r.span.start) && body.is_char_boundary(r.span.end));
        }
        let summary = a.summary.unwrap();
        for s in &summary {
            assert!(body.is_char_boundary(s.span.start) && body.is_char_boundary(s.span.end));
        }
        if a.sentences > 0 {
            assert!(!summary.is_empty());
        }
    }
});
