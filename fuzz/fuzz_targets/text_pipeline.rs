//! Cleaning + segmentation + tokenisation + classification + summarisation on arbitrary text.
//! Checks what must always hold: offsets are in bounds and on char boundaries, probabilities sum
//! to 1, a non-empty document gets a non-empty summary.
#![no_main]

mod common;

use common::{check, model};
use lede::model::{AnalyzeOptions, SummaryOptions};
use lede::summarize::{Length, Order};
use libfuzzer_sys::fuzz_target;

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
        check(body, &a);
        let summary = a.summary.unwrap();
        if a.sentences > 0 {
            assert!(!summary.is_empty());
        }
    }
});
