//! Pure text work: tokens with offsets, normalisation, stop words, stems; sentences and
//! cleaning of scraped pages. Nothing here knows about features, models or transport.

pub mod analyzer;
pub mod clean;
pub mod html;
pub(crate) mod scan;
pub mod sentences;
pub mod tokenize;

pub use analyzer::{Analyzer, AnalyzerConfig, Language, Term};
pub use clean::{clean, clean_with, is_photo_caption, no_clean, Cleaned, Reason, Removed};
pub use sentences::{reads_as_sentence, segment, sentences, Block};
pub use tokenize::{tokenize, Span};

/// The pieces of a document as the classifier reads them, in order: the title (`title_repeat`
/// times, see [`AnalyzerConfig::title_repeat`]), then every kept sentence. Training and serving
/// both come through here, so they can never disagree.
pub fn document_pieces<'a>(
    title: &'a str,
    title_repeat: usize,
    text: &'a str,
    cleaned: &'a Cleaned,
) -> impl Iterator<Item = &'a str> + 'a {
    std::iter::repeat_n(title, title_repeat.max(1))
        .chain(cleaned.sentences().map(move |s| &text[s.start..s.end]))
}

/// The terms of a document as the classifier sees them (see [`document_pieces`]).
pub fn document_terms(
    analyzer: &Analyzer,
    title: &str,
    text: &str,
    cleaned: &Cleaned,
) -> Vec<String> {
    let mut terms = Vec::with_capacity(text.len() / 7);
    let mut spans = Vec::new();
    for piece in document_pieces(title, analyzer.config().title_repeat, text, cleaned) {
        analyzer.for_each_term(piece, &mut spans, |t, _| terms.push(t.to_owned()));
    }
    terms
}
