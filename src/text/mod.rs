//! Pure text work: tokens with offsets, normalisation, stop words, stems; sentences and
//! cleaning of scraped pages. Nothing here knows about features, models or transport.

pub mod analyzer;
pub mod clean;
pub mod sentences;
pub mod tokenize;

pub use analyzer::{Analyzer, AnalyzerConfig, Language, Term};
pub use clean::{clean, no_clean, Cleaned, Reason, Removed};
pub use sentences::{segment, sentences, Block};
pub use tokenize::{tokenize, Span};

/// The terms of a document as the classifier sees them: the title's terms, then the terms of
/// every kept sentence. Training and serving both call this, so they can never disagree.
pub fn document_terms(
    analyzer: &Analyzer,
    title: &str,
    text: &str,
    cleaned: &Cleaned,
) -> Vec<String> {
    let mut terms = Vec::with_capacity(text.len() / 7);
    let mut spans = Vec::new();
    analyzer.for_each_term(title, &mut spans, |t, _| terms.push(t.to_owned()));
    for s in cleaned.sentences() {
        analyzer.for_each_term(&text[s.start..s.end], &mut spans, |t, _| {
            terms.push(t.to_owned())
        });
    }
    terms
}
