//! The HTML path on arbitrary bytes: decoding, nesting guard, dom_smoothie extraction, then
//! cleaning + classification + summary of the extracted text, as the server runs it. Checks
//! what must always hold: no panic, no stack overflow, a result or a precise error, offsets
//! inside the extracted text and on char boundaries.
#![no_main]

mod common;

use common::{check, model};
use lede::model::{AnalyzeOptions, SummaryOptions};
use lede::summarize::{Length, Order};
use lede::text::html::{self, HtmlError};
use libfuzzer_sys::fuzz_target;

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
    check(&page.text, &a);
});
