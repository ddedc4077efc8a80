//! The analyzer: tokens -> normalised terms, as configured by data.
//!
//! Stages, in order (each stated constraint matters):
//! 1. [`super::tokenize`] finds spans in the original text (offsets never change after this).
//! 2. Per token: Unicode NFKC (`km²` -> `km2`, full-width digits -> ASCII), then quote folding
//!    (`’` -> `'`), then lowercasing. The stemmer expects lowercase input, so this comes first.
//! 3. Special forms that must not be stemmed: dotted abbreviations (`u.s.`), the capitalised
//!    `US` (rewritten to `u.s.` so it is not the stop word "us"), and anything with a digit or a
//!    currency sign (`$1.13bn`, `30-day`). Possessive `'s` is dropped (`russia's` -> `russia`).
//! 4. Stop words are removed (the list itself is stored in the config, so a loaded model never
//!    depends on the defaults of the binary that loads it).
//! 5. Snowball stemming of plain words; hyphenated words are stemmed on their last part.
//!
//! [`AnalyzerConfig`] is serialised into every model file; the server rebuilds the analyzer
//! from it (see STYLE.md: "the analyzer is data").

use std::cell::RefCell;

use rustc_hash::{FxHashMap, FxHashSet};

use rust_stemmers::{Algorithm, Stemmer};
use serde::{Deserialize, Serialize};
use unicode_normalization::UnicodeNormalization;

use super::tokenize::{tokenize_into, Span};

/// Snowball languages offered by rust-stemmers.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Language {
    Arabic,
    Danish,
    Dutch,
    English,
    Finnish,
    French,
    German,
    Greek,
    Hungarian,
    Italian,
    Norwegian,
    Portuguese,
    Romanian,
    Russian,
    Spanish,
    Swedish,
    Tamil,
    Turkish,
}

impl Language {
    fn algorithm(self) -> Algorithm {
        match self {
            Language::Arabic => Algorithm::Arabic,
            Language::Danish => Algorithm::Danish,
            Language::Dutch => Algorithm::Dutch,
            Language::English => Algorithm::English,
            Language::Finnish => Algorithm::Finnish,
            Language::French => Algorithm::French,
            Language::German => Algorithm::German,
            Language::Greek => Algorithm::Greek,
            Language::Hungarian => Algorithm::Hungarian,
            Language::Italian => Algorithm::Italian,
            Language::Norwegian => Algorithm::Norwegian,
            Language::Portuguese => Algorithm::Portuguese,
            Language::Romanian => Algorithm::Romanian,
            Language::Russian => Algorithm::Russian,
            Language::Spanish => Algorithm::Spanish,
            Language::Swedish => Algorithm::Swedish,
            Language::Tamil => Algorithm::Tamil,
            Language::Turkish => Algorithm::Turkish,
        }
    }

    /// ISO 639-1 code, used to look up the default stop-word list.
    fn iso_code(self) -> &'static str {
        match self {
            Language::Arabic => "ar",
            Language::Danish => "da",
            Language::Dutch => "nl",
            Language::English => "en",
            Language::Finnish => "fi",
            Language::French => "fr",
            Language::German => "de",
            Language::Greek => "el",
            Language::Hungarian => "hu",
            Language::Italian => "it",
            Language::Norwegian => "no",
            Language::Portuguese => "pt",
            Language::Romanian => "ro",
            Language::Russian => "ru",
            Language::Spanish => "es",
            Language::Swedish => "sv",
            Language::Tamil => "ta",
            Language::Turkish => "tr",
        }
    }
}

/// The complete, serialisable analyzer configuration. Fields missing in a recipe take the
/// English defaults.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct AnalyzerConfig {
    /// Snowball stemmer language. Default: English (Porter2).
    pub language: Language,
    /// Stem plain words. Default: true.
    pub stem: bool,
    /// The stop words, lowercase, with `'` as apostrophe. Default: NLTK's list for the language
    /// (198 English words): it keeps news words like "state", "world", "new", "said".
    pub stop_words: Vec<String>,
    /// Tokens shorter than this many characters (after normalisation) are dropped, unless they
    /// contain a digit. Default: 2.
    pub min_token_chars: usize,
    /// Tokens longer than this many bytes are dropped (defends against 1 MB "words"). Default: 40.
    pub max_token_bytes: usize,
    /// How many times the headline's terms count in a document (1 = like body text). A
    /// headline is half of a feed item's words and its most topical ones. Default: 1.
    pub title_repeat: usize,
}

impl Default for AnalyzerConfig {
    fn default() -> Self {
        Self::for_language(Language::English)
    }
}

impl AnalyzerConfig {
    /// Defaults for `language`, with NLTK's stop words for it (empty if there is none).
    pub fn for_language(language: Language) -> Self {
        let stop_words = stop_words::lookup(language.iso_code())
            .unwrap_or(&[])
            .iter()
            .map(|w| w.replace('’', "'"))
            .collect();
        AnalyzerConfig {
            language,
            stem: true,
            stop_words,
            min_token_chars: 2,
            max_token_bytes: 40,
            title_repeat: 1,
        }
    }
}

/// A term produced by the analyzer, with the span of the token it came from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Term {
    pub text: String,
    pub span: Span,
}

/// A ready-to-use analyzer built from an [`AnalyzerConfig`].
pub struct Analyzer {
    config: AnalyzerConfig,
    stop: FxHashSet<String>,
    stemmer: Stemmer,
    /// Identifies the configuration in the per-thread token cache.
    fingerprint: u64,
}

impl std::fmt::Debug for Analyzer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Analyzer")
            .field("config", &self.config)
            .finish()
    }
}

impl Clone for Analyzer {
    fn clone(&self) -> Self {
        Analyzer::new(self.config.clone())
    }
}

impl Analyzer {
    pub fn new(config: AnalyzerConfig) -> Self {
        let stop = config.stop_words.iter().cloned().collect();
        let stemmer = Stemmer::create(config.language.algorithm());
        let fingerprint = {
            use std::hash::{Hash, Hasher};
            let mut h = rustc_hash::FxHasher::default();
            serde_json::to_string(&config)
                .unwrap_or_default()
                .hash(&mut h);
            h.finish()
        };
        Analyzer {
            config,
            stop,
            stemmer,
            fingerprint,
        }
    }

    pub fn config(&self) -> &AnalyzerConfig {
        &self.config
    }

    /// Analyzes `text` into terms, each with its span in `text`.
    pub fn analyze(&self, text: &str) -> Vec<Term> {
        let mut out = Vec::new();
        self.for_each_term(text, &mut Vec::new(), |t, span| {
            out.push(Term {
                text: t.to_owned(),
                span,
            })
        });
        out
    }

    /// Calls `f` with each term of `text`, without allocating per term.
    pub fn for_each_term(&self, text: &str, spans: &mut Vec<Span>, mut f: impl FnMut(&str, Span)) {
        tokenize_into(text, spans);
        let term = |_: &str, t: Option<&str>| -> Option<Box<str>> { t.map(Into::into) };
        let mut each = |t: &Option<Box<str>>, span| {
            if let Some(t) = t {
                f(t, span)
            }
        };
        TOKENS.with(|cell| match cell.try_borrow_mut() {
            Ok(mut all) => {
                let cache = all.entry(self.fingerprint).or_default();
                self.each_memoised(text, spans, cache, term, &mut each)
            }
            // A re-entrant call (f analysing again) finds the cache borrowed: use a fresh one.
            Err(_) => self.each_memoised(text, spans, &mut FxHashMap::default(), term, &mut each),
        });
    }

    /// Calls `f` with `map(term)` for each term of `text`, memoising raw token -> `map(term)` per
    /// thread under `key` (the caller promises that the same key always means the same `map`
    /// and `mark`). Returns whether `mark` holds for any raw token of `text`.
    ///
    /// For callers that turn terms into ids (the model's feature index): one hash lookup per
    /// token replaces two (token -> term, term -> id) and no term string is built. `mark` asks
    /// something of the raw token (the summary's attribution words) that the memo then answers
    /// with the same lookup, instead of a second pass over the text.
    pub fn for_each_term_id(
        &self,
        text: &str,
        spans: &mut Vec<Span>,
        key: u64,
        map: impl Fn(&str) -> u32,
        mark: impl Fn(&str) -> bool,
        mut f: impl FnMut(u32),
    ) -> bool {
        tokenize_into(text, spans);
        let key = key ^ self.fingerprint.rotate_left(17);
        let make = |token: &str, term: Option<&str>| IdEntry {
            id: term.map(&map),
            marked: mark(token),
        };
        let mut marked = false;
        let each = |e: &IdEntry, _| {
            marked |= e.marked;
            if let Some(id) = e.id {
                f(id)
            }
        };
        TERM_IDS.with(|cell| match cell.try_borrow_mut() {
            Ok(mut all) => {
                if all.len() >= 2 && !all.contains_key(&key) {
                    // Models come and go (reloads): remember two at most (the one being
                    // replaced and its successor), so a thread's memo stays within
                    // 2 x TOKEN_CACHE_MAX.
                    all.clear();
                }
                let cache = all.entry(key).or_default();
                self.each_memoised(text, spans, cache, make, each)
            }
            Err(_) => self.each_memoised(text, spans, &mut FxHashMap::default(), make, each),
        });
        marked
    }

    /// Calls `f` with the memoised `make(token, term)` of each token in `spans` (`term` is
    /// `None` if the token yields none): computed the first time a raw token is seen. The one
    /// loop behind both thread-local memos above.
    ///
    /// Inlined into each caller so that a caller's per-token closure (and what it ignores, like
    /// the classification path ignoring the marks) is optimised with the loop: as a separate
    /// function the loop cost ~8 more instructions per token (callgrind, served Classify).
    #[inline(always)]
    fn each_memoised<E>(
        &self,
        text: &str,
        spans: &[Span],
        cache: &mut FxHashMap<Box<str>, E>,
        make: impl Fn(&str, Option<&str>) -> E,
        mut f: impl FnMut(&E, Span),
    ) {
        let mut buf = String::new();
        for &span in spans {
            let token = &text[span.start..span.end];
            if let Some(known) = cache.get(token) {
                f(known, span);
                continue;
            }
            let term = self.term_into(token, &mut buf).then_some(buf.as_str());
            let e = make(token, term);
            f(&e, span);
            if cache.len() >= TOKEN_CACHE_MAX {
                cache.clear();
            }
            cache.insert(token.into(), e);
        }
    }

    /// Normalises one token into `out`. Returns false if the token yields no term.
    pub fn term_into(&self, token: &str, out: &mut String) -> bool {
        out.clear();
        if token.len() > self.config.max_token_bytes {
            return false;
        }
        // "US" in capitals is the country, not the pronoun.
        if token == "US" {
            out.push_str("u.s.");
            return true;
        }
        if token.is_ascii() {
            for c in token.chars() {
                out.push(c.to_ascii_lowercase());
            }
        } else {
            for c in token.nfkc() {
                match c {
                    '’' | 'ʼ' | '‘' => out.push('\''),
                    '‐' | '‑' => out.push('-'),
                    c => out.extend(c.to_lowercase()),
                }
            }
        }
        if out.ends_with("'s") {
            out.truncate(out.len() - 2);
        }
        let has_digit = out.bytes().any(|b| b.is_ascii_digit());
        if !has_digit && out.chars().count() < self.config.min_token_chars {
            return false;
        }
        if has_digit || out.ends_with('.') || out.starts_with(['$', '£', '€', '¥']) {
            return true;
        }
        if self.stop.contains(out.as_str()) {
            return false;
        }
        if self.config.stem {
            // Stem the last part of a hyphenated word: "cost-cutting" -> "cost-cut".
            let split = out.rfind('-').map_or(0, |i| i + 1);
            if split < out.len() {
                self.stem_tail(out, split);
            }
        }
        !out.is_empty()
    }
}

/// Raw token -> its term, or None if the token yields no term.
type TokenCache = FxHashMap<Box<str>, Option<Box<str>>>;
/// What the id memo knows of a raw token.
#[derive(Debug, Clone, Copy)]
struct IdEntry {
    /// The caller's id of its term, or None if the token yields no term.
    id: Option<u32>,
    /// The caller's `mark` of the raw token.
    marked: bool,
}
/// Raw token -> what the caller asked of it.
type IdCache = FxHashMap<Box<str>, IdEntry>;
/// Word -> stem.
type StemCache = FxHashMap<Box<str>, Box<str>>;

/// Entries per thread and analyzer before the token cache is emptied (bounds its memory).
const TOKEN_CACHE_MAX: usize = 200_000;

thread_local! {
    /// Raw token -> term (None: dropped), per analyzer configuration. Real text repeats its
    /// tokens; one hash lookup replaces NFKC, lowercasing, the stop-word test and stemming.
    static TOKENS: RefCell<FxHashMap<u64, TokenCache>> = RefCell::default();
}

thread_local! {
    /// Raw token -> caller's id of its term (None: dropped) and mark, per (caller key, analyzer).
    static TERM_IDS: RefCell<FxHashMap<u64, IdCache>> = RefCell::default();
}

/// Entries per thread and language before the stem cache is emptied (bounds its memory).
const STEM_CACHE_MAX: usize = 200_000;

thread_local! {
    /// Word -> stem, per language. Snowball stemming is the most expensive step of analysis and
    /// news vocabulary repeats heavily, so a per-thread memo (no locks between server threads)
    /// roughly halves analysis time.
    static STEMS: RefCell<FxHashMap<Language, StemCache>> = RefCell::default();
}

impl Analyzer {
    /// Replaces `out[split..]` by its stem.
    fn stem_tail(&self, out: &mut String, split: usize) {
        let lang = self.config.language;
        STEMS.with(|cell| {
            let mut all = cell.borrow_mut();
            let cache = all.entry(lang).or_default();
            if let Some(stem) = cache.get(&out[split..]) {
                out.truncate(split);
                out.push_str(stem);
                return;
            }
            let stem: Box<str> = self.stemmer.stem(&out[split..]).into();
            if cache.len() >= STEM_CACHE_MAX {
                cache.clear();
            }
            cache.insert(out[split..].into(), stem.clone());
            out.truncate(split);
            out.push_str(&stem);
        });
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn nltk_english_list_is_used() {
        let c = AnalyzerConfig::default();
        assert!(c.stop_words.len() > 150 && c.stop_words.len() < 250);
        for keep in ["state", "world", "new", "year", "million", "said"] {
            assert!(
                !c.stop_words.iter().any(|w| w == keep),
                "{keep} is a stop word"
            );
        }
        assert!(c.stop_words.iter().any(|w| w == "the"));
    }

    #[test]
    fn table() {
        let a = Analyzer::new(AnalyzerConfig::default());
        let cases: &[(&str, &[&str])] = &[
            ("The U.S. said", &["u.s.", "said"]),
            ("US troops", &["u.s.", "troop"]),
            // NLTK's list keeps "us"; the capitalised country is a different term.
            ("us and them", &["us"]),
            ("Russia’s economy", &["russia", "economi"]),
            ("$1.13bn profit", &["$1.13bn", "profit"]),
            ("a 30-day ban", &["30-day", "ban"]),
            ("5 km² area", &["5", "km2", "area"]),
            ("cost-cutting plans", &["cost-cut", "plan"]),
            ("It’s running", &["run"]),
            ("ＡＢＣ news", &["abc", "news"]),
            ("Running RUNNING runs", &["run", "run", "run"]),
            ("x y z", &[]),
        ];
        for (input, want) in cases {
            let got: Vec<String> = a.analyze(input).into_iter().map(|t| t.text).collect();
            assert_eq!(&got, want, "input {input:?}");
        }
    }

    #[test]
    fn spans_point_into_original() {
        let a = Analyzer::new(AnalyzerConfig::default());
        let text = "“Zürich’s banks” rose 5%";
        let terms = a.analyze(text);
        assert_eq!(&text[terms[0].span.start..terms[0].span.end], "Zürich’s");
        assert_eq!(terms[0].text, "zürich");
    }

    #[test]
    fn config_round_trips() {
        let c = AnalyzerConfig::for_language(Language::German);
        let json = serde_json::to_string(&c).unwrap();
        let back: AnalyzerConfig = serde_json::from_str(&json).unwrap();
        assert_eq!(c, back);
        assert!(Analyzer::new(back)
            .analyze("Die Häuser")
            .iter()
            .any(|t| t.text == "haus"));
    }
}
