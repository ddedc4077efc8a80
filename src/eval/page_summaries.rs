//! Summaries of real web pages (`lede-eval aeb-summaries`): how much of what Lede's summary of
//! a scraped page says comes from the page's article, and how much from its chrome.
//!
//! The Article Extraction Benchmark (`../shared/data/aeb/`) gives each page's true article
//! body. Each page is summarised as a scraper would hand it over, twice: as the rendered text
//! of the whole page (menus, share buttons and footers included) and as the HTML (through
//! Lede's extraction, as a request with `html` set). A summary sentence counts as **article**
//! when at least half of its 4-word shingles (the benchmark's `\w+` tokens, see
//! [`super::shingle`]) occur in the true body; a sentence of fewer than four tokens when every
//! token does. The body excludes the headline, so a headline in a summary counts as chrome.
//!
//! The baselines are lead-k on the same cleaned text: the first k pieces cleaning keeps (the
//! summary a "take the top of the page" scraper would show), and the first k of those that
//! may be summary sentences ([`crate::summarize::is_candidate`], the summariser's candidates), which
//! tells the share the candidate rule buys from the share the scorer buys.

use std::collections::HashSet;
use std::fmt::Write as _;
use std::path::Path;

use super::aeb::{self, Page};
use super::shingle;
use super::{EvalError, GateFailure};
use crate::model::{AnalyzeOptions, Model, SummaryOptions};
use crate::summarize::{Length, Order};
use crate::text::{self, html, Span};

/// A sentence counts as article text when at least this share of its shingles is in the body.
pub const MIN_SHINGLE_SHARE: f64 = 0.5;

/// Counts for one way of summarising.
#[derive(Debug, Clone, Default, PartialEq, serde::Serialize)]
pub struct Tally {
    pub pages: usize,
    pub sentences: usize,
    /// Sentences from the article body.
    pub article: usize,
    /// Pages whose every summary sentence is article text (and which have a summary).
    pub clean_pages: usize,
    /// Sentences that repeat an earlier sentence of the same summary (same `\w+` tokens,
    /// case ignored).
    pub duplicates: usize,
    /// Pages without any summary sentence.
    pub empty: usize,
}

impl Tally {
    /// Share of summary sentences that are article text, in percent.
    pub fn article_percent(&self) -> f64 {
        100.0 * self.article as f64 / self.sentences.max(1) as f64
    }

    /// Adds one summary: its sentences and whether each is article text ([`Body::holds`]).
    fn add(&mut self, sentences: &[&str], article: &[bool]) {
        self.pages += 1;
        self.sentences += sentences.len();
        let inside = article.iter().filter(|a| **a).count();
        self.article += inside;
        self.clean_pages += (!sentences.is_empty() && inside == sentences.len()) as usize;
        self.empty += sentences.is_empty() as usize;
        let mut seen = HashSet::new();
        for s in sentences {
            let key: Vec<String> = shingle::tokens(s)
                .iter()
                .map(|t| t.to_lowercase())
                .collect();
            if !key.is_empty() && !seen.insert(key) {
                self.duplicates += 1;
            }
        }
    }
}

/// The true body's tokens and 4-word shingles.
struct Body<'a> {
    tokens: HashSet<&'a str>,
    shingles: HashSet<[&'a str; 4]>,
}

impl<'a> Body<'a> {
    fn new(truth: &'a str) -> Self {
        let t = shingle::tokens(truth);
        Body {
            shingles: t.windows(4).map(|w| [w[0], w[1], w[2], w[3]]).collect(),
            tokens: t.into_iter().collect(),
        }
    }

    /// Is `sentence` article text (see the module docs)?
    fn holds(&self, sentence: &str) -> bool {
        let t = shingle::tokens(sentence);
        if t.len() < 4 {
            return !t.is_empty() && t.iter().all(|w| self.tokens.contains(w));
        }
        let n = t.len() - 3;
        let inside = t
            .windows(4)
            .filter(|w| self.shingles.contains(&[w[0], w[1], w[2], w[3]]))
            .count();
        inside as f64 >= MIN_SHINGLE_SHARE * n as f64
    }
}

/// One page's summaries by each method (for `--verbose`).
#[derive(Debug, Clone)]
pub struct PageSummaries {
    pub id: String,
    pub url: String,
    /// (method, sentences, whether each is article text).
    pub methods: Vec<(&'static str, Vec<(String, bool)>)>,
}

/// The report: one tally per method.
#[derive(Debug, Clone, Default, serde::Serialize)]
pub struct Report {
    pub sentences: usize,
    pub rendered_lede: Tally,
    pub rendered_lead: Tally,
    pub rendered_lead_sentences: Tally,
    pub html_lede: Tally,
    pub html_lead: Tally,
    pub html_lead_sentences: Tally,
    /// Pages whose HTML Lede could not extract (their HTML rows are left out).
    pub html_failed: usize,
}

fn texts(text: &str, spans: impl Iterator<Item = Span>) -> Vec<&str> {
    spans.map(|s| &text[s.start..s.end]).collect()
}

/// The first `k` of `cleaned`'s sentences that are summary candidates (all pieces if none is,
/// as in the summariser).
fn lead_sentences<'a>(text: &'a str, cleaned: &text::Cleaned, k: usize) -> Vec<&'a str> {
    let all = texts(text, cleaned.sentences());
    let prose: Vec<&str> = all
        .iter()
        .copied()
        .filter(|s| crate::summarize::is_candidate(s))
        .collect();
    let pick = if prose.is_empty() { all } else { prose };
    pick.into_iter().take(k).collect()
}

fn summary<'a>(model: &Model, title: &str, text: &'a str, html: bool, k: usize) -> Vec<&'a str> {
    let opts = AnalyzeOptions {
        html,
        classify: false,
        summary: Some(SummaryOptions {
            length: Length::Sentences(k),
            order: Order::Document,
            scoring: Default::default(),
        }),
        ..AnalyzeOptions::default()
    };
    let a = model.analyze(title, text, &opts);
    texts(text, a.summary.unwrap_or_default().iter().map(|s| s.span))
}

/// Summarises every page of `dir` with `k` sentences; `each` sees every page's summaries.
pub fn evaluate(
    model: &Model,
    dir: &Path,
    k: usize,
    mut each: impl FnMut(&PageSummaries),
) -> Result<Report, EvalError> {
    let pages: Vec<Page> = aeb::load(dir)?;
    let mut r = Report {
        sentences: k,
        ..Report::default()
    };
    for p in &pages {
        let body = Body::new(&p.truth);
        let mut methods = Vec::new();
        let mut record = |name: &'static str, tally: &mut Tally, sentences: Vec<&str>| {
            let article: Vec<bool> = sentences.iter().map(|s| body.holds(s)).collect();
            tally.add(&sentences, &article);
            methods.push((
                name,
                sentences
                    .iter()
                    .map(|s| s.to_string())
                    .zip(article)
                    .collect(),
            ));
        };
        let rendered = &p.rendered;
        record(
            "rendered: Lede",
            &mut r.rendered_lede,
            summary(model, "", rendered, false, k),
        );
        let cleaned = text::clean_with(rendered, None, model.extras.cleaner.as_ref());
        let lead: Vec<&str> = texts(rendered, cleaned.sentences().take(k));
        record("rendered: lead", &mut r.rendered_lead, lead);
        record(
            "rendered: lead of sentences",
            &mut r.rendered_lead_sentences,
            lead_sentences(rendered, &cleaned, k),
        );
        match html::extract(&aeb::read_html(dir, &p.id)?) {
            Ok(page) => {
                let title = page.meta.headline.as_str();
                let t = page.text.as_str();
                record(
                    "html: Lede",
                    &mut r.html_lede,
                    summary(model, title, t, true, k),
                );
                let title = Some(title).filter(|t| !t.trim().is_empty());
                let cleaned = html::clean(t, title);
                record(
                    "html: lead",
                    &mut r.html_lead,
                    texts(t, cleaned.sentences().take(k)),
                );
                record(
                    "html: lead of sentences",
                    &mut r.html_lead_sentences,
                    lead_sentences(t, &cleaned, k),
                );
            }
            Err(_) => r.html_failed += 1,
        }
        each(&PageSummaries {
            id: p.id.clone(),
            url: p.url.clone(),
            methods,
        });
    }
    Ok(r)
}

impl PageSummaries {
    pub fn to_text(&self) -> String {
        let mut out = format!("== {} {}\n", self.id, self.url);
        for (name, sentences) in &self.methods {
            for (s, inside) in sentences {
                let mark = if *inside { "  " } else { "X " };
                let _ = writeln!(out, "{mark}{name}: {s}");
            }
        }
        out
    }
}

impl Report {
    /// The floor: on both inputs, Lede's summaries hold at least the article share of lead-k
    /// over the same candidate sentences (the scorer must not pick more chrome than the top of
    /// the page would give).
    pub fn gate(&self) -> Option<GateFailure> {
        let below: Vec<String> = [
            ("rendered text", &self.rendered_lede, &self.rendered_lead_sentences),
            ("html", &self.html_lede, &self.html_lead_sentences),
        ]
        .into_iter()
        .filter(|(_, lede, lead)| lede.article_percent() < lead.article_percent())
        .map(|(name, lede, lead)| {
            format!(
                "{name}: {:.1}% of summary sentences from the article, below lead-k of sentences' {:.1}%",
                lede.article_percent(),
                lead.article_percent()
            )
        })
        .collect();
        (!below.is_empty()).then(|| GateFailure(below.join("; ")))
    }

    pub fn to_text(&self) -> String {
        let mut out = format!(
            "summaries of real web pages ({} sentences each; article = >= {:.0}% of a sentence's 4-word shingles in the true body)\n",
            self.sentences,
            100.0 * MIN_SHINGLE_SHARE
        );
        let _ = writeln!(
            out,
            "{:<24} {:>6} {:>10} {:>10} {:>12} {:>6}",
            "input: method", "pages", "sentences", "article %", "clean pages", "dups"
        );
        for (name, t) in [
            ("rendered text: Lede", &self.rendered_lede),
            ("rendered text: lead-k", &self.rendered_lead),
            ("  lead-k of sentences", &self.rendered_lead_sentences),
            ("html: Lede", &self.html_lede),
            ("html: lead-k", &self.html_lead),
            ("  lead-k of sentences", &self.html_lead_sentences),
        ] {
            let _ = writeln!(
                out,
                "{:<24} {:>6} {:>10} {:>10.1} {:>12} {:>6}",
                name,
                t.pages,
                t.sentences,
                t.article_percent(),
                t.clean_pages,
                t.duplicates
            );
        }
        if self.html_failed > 0 {
            let _ = writeln!(out, "html: {} pages failed extraction", self.html_failed);
        }
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_sentence_is_article_text_when_half_its_shingles_are_in_the_body() {
        let body = Body::new("The central bank raised rates on Tuesday to curb inflation.");
        assert!(body.holds("The central bank raised rates on Tuesday."));
        assert!(!body.holds("Sign up for our newsletter today."));
        // Short pieces: every token must be in the body.
        assert!(body.holds("Tuesday"));
        assert!(!body.holds("Tweet"));
        assert!(!body.holds(""));
    }

    #[test]
    fn a_tally_counts_article_sentences_clean_pages_and_repeats() {
        let body = Body::new("Rates rose again this week as expected by markets.");
        let mut t = Tally::default();
        let mut add = |sentences: &[&str]| {
            let article: Vec<bool> = sentences.iter().map(|s| body.holds(s)).collect();
            t.add(sentences, &article);
        };
        add(&["Rates rose again this week.", "Learn more"]);
        add(&["Rates rose again this week.", "rates rose again this week!"]);
        add(&[]);
        assert_eq!(
            (
                t.pages,
                t.sentences,
                t.article,
                t.clean_pages,
                t.duplicates,
                t.empty
            ),
            (3, 4, 3, 1, 1, 1)
        );
        assert!((t.article_percent() - 75.0).abs() < 1e-9);
    }
}
