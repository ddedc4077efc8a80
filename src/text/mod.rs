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

/// Calls `f` with the terms of a document as the classifier sees them: the title's terms, then
/// the terms of every kept sentence. Training and serving both come through here, so they can
/// never disagree.
pub fn for_each_document_term(
    analyzer: &Analyzer,
    title: &str,
    text: &str,
    cleaned: &Cleaned,
    mut f: impl FnMut(&str),
) {
    let mut spans = Vec::new();
    analyzer.for_each_term(title, &mut spans, |t, _| f(t));
    for s in cleaned.sentences() {
        analyzer.for_each_term(&text[s.start..s.end], &mut spans, |t, _| f(t));
    }
}

/// [`for_each_document_term`] through [`Analyzer::for_each_term_id`]: `f` gets `map(term)`
/// for each term, memoised per thread under `key`.
pub fn for_each_document_term_id(
    analyzer: &Analyzer,
    title: &str,
    text: &str,
    cleaned: &Cleaned,
    key: u64,
    map: impl Fn(&str) -> u32,
    mut f: impl FnMut(u32),
) {
    let mut spans = Vec::new();
    analyzer.for_each_term_id(title, &mut spans, key, &map, &mut f);
    for s in cleaned.sentences() {
        analyzer.for_each_term_id(&text[s.start..s.end], &mut spans, key, &map, &mut f);
    }
}

/// [`for_each_document_term`], collected.
pub fn document_terms(
    analyzer: &Analyzer,
    title: &str,
    text: &str,
    cleaned: &Cleaned,
) -> Vec<String> {
    let mut terms = Vec::with_capacity(text.len() / 7);
    for_each_document_term(analyzer, title, text, cleaned, |t| terms.push(t.to_owned()));
    terms
}
