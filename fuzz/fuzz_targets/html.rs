//! The HTML path on arbitrary bytes: decoding, nesting guard, dom_smoothie extraction, then
//! cleaning + classification + summary of the extracted text, as the server runs it. Checks
//! what must always hold: no panic, no stack overflow, a result or a precise error, offsets
//! inside the extracted text and on char boundaries.
#![no_main]

use std::sync::OnceLock;

use lede::model::{AnalyzeOptions, Model, SummaryOptions};
use lede::summarize::{Length, Order};
use lede::text::html::{self, HtmlError};
use libfuzzer_sys::fuzz_target;

fn model() -> &'static Model {
    static M: OnceLock<Model> = OnceLock::new();
    M.get_or_init(|| {
        let p = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../tests/fixtures/compat-v1");
        Model::load(&p).expect("fixture model")
    })
}

fuzz_target!(|data: &[u8]| {
    let page = match html::extract(data) {
        Ok(p) => p,
        Err(HtmlError::NoArticle | HtmlError::TooDeep { .. }) => return,
    };
    assert!(!page.text.trim().is_empty());
    let opts = AnalyzeOptions {
        html: true,
        summary: Some(SummaryOptions { length: Length::Ratio(0.5), order: Order::Rank, scoring: Default::default() }),
        ..Default::default()
    };
    let a = model().analyze(&page.meta.headline, &page.text, &opts);
    let text = &page.text;
    for r in &a.removed {
        assert!(r.span.start < r.span.end && r.span.end <= text.len());
        assert!(text.is_char_boundary(r.span.start) && text.is_char_boundary(r.span.end));
    }
    for s in a.summary.as_deref().unwrap_or_default() {
        assert!(s.span.end <= text.len());
        assert!(text.is_char_boundary(s.span.start) && text.is_char_boundary(s.span.end));
    }
    for h in &a.heads {
        let sum: f64 = h.labels.iter().map(|l| l.probability).sum();
        assert!((sum - 1.0).abs() < 1e-6, "{sum}");
    }
});
