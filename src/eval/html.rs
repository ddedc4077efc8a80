//! HTML extraction on the Article Extraction Benchmark (`lede-eval aeb-html`): the benchmark's
//! shingle F1 of dom_smoothie alone (Lede's [`crate::text::html::extract`]) and of what Lede
//! serves (that text after Lede's cleaning, through [`Model::analyze`] exactly as a request
//! with `html` set), with the time per page of extraction + cleaning on one thread.
//!
//! The peers (trafilatura, jusText, keep-everything) are measured by `bench/peers_aeb.py` with
//! the same metric; `--out` writes Lede's outputs so that script can score them too and show
//! that both implementations of the metric agree.
//!
//! `--cv` checks the one tuned choice, the dom_smoothie configuration, by 5-fold
//! cross-validation grouped by site ([`super::aeb::site_folds`]): each fold's configuration is
//! the best on the other folds' sites, and the held-out pages are scored with it.

use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::path::Path;
use std::time::Instant;

use dom_smoothie::CandidateSelectMode;

use super::aeb::{self, Page as AebPage};
use super::shingle::{self, PageScore, Score};
use super::{EvalError, GateFailure};
use crate::model::{AnalyzeOptions, Model};
use crate::text::html::{self, ExtractConfig, HtmlError};
use crate::text::{Reason, Removed};

/// trafilatura 2.3 `extract` on the same pages (issue #11, `bench/peers_aeb.py`): the floor.
pub const TRAFILATURA_F1: f64 = 0.960;

/// Folds of the grouped cross-validation.
pub const FOLDS: usize = 5;

/// One page's outputs and times.
#[derive(Debug, Clone)]
pub struct PageRun {
    pub id: String,
    /// dom_smoothie's text, before cleaning.
    pub extracted: String,
    /// What Lede keeps after cleaning (the text minus the removed spans).
    pub served: String,
    /// Decoding + extraction, ms.
    pub extract_ms: f64,
    /// Decoding + extraction + cleaning, ms.
    pub total_ms: f64,
    /// Extraction failed (no article, too deep): both outputs are empty.
    pub failed: Option<HtmlError>,
    /// What cleaning removed from `extracted`.
    pub removed: Vec<Removed>,
}

/// Scores and times over all pages.
#[derive(Debug, Clone)]
pub struct Report {
    pub runs: Vec<PageRun>,
    pub extracted: Score,
    pub served: Score,
    /// (median, mean) ms per page.
    pub extract_ms: (f64, f64),
    pub total_ms: (f64, f64),
    /// With `--cv`: one line per fold and the held-out figure.
    pub cv: Option<String>,
}

/// `text` without the removed spans (spans are in text order; overlaps tolerated).
pub fn kept(text: &str, removed: &[Removed]) -> String {
    let mut out = String::with_capacity(text.len());
    let mut at = 0;
    for r in removed {
        if r.span.start > at {
            out.push_str(&text[at..r.span.start]);
        }
        at = at.max(r.span.end);
    }
    out.push_str(&text[at.min(text.len())..]);
    out
}

/// Extracts and cleans one page as the server does; the title is the page's headline (what the
/// server uses when the request has none). `html_clean`: clean as served
/// ([`html::clean`]); false: with the plain-text rules, every removal kept (for the CV).
pub fn run_page(
    model: &Model,
    id: &str,
    bytes: &[u8],
    cfg: &ExtractConfig,
    html_clean: bool,
) -> PageRun {
    let t0 = Instant::now();
    let page = html::extract_with(bytes, cfg);
    let extract_ms = t0.elapsed().as_secs_f64() * 1e3;
    let (extracted, served, failed, removed) = match page {
        Ok(p) => {
            let opts = AnalyzeOptions {
                clean: true,
                html: html_clean,
                classify: false,
                summary: None,
                ..AnalyzeOptions::default()
            };
            let a = model.analyze(&p.meta.headline, &p.text, &opts);
            let served = kept(&p.text, &a.removed);
            (p.text, served, None, a.removed)
        }
        Err(e) => (String::new(), String::new(), Some(e), Vec::new()),
    };
    PageRun {
        id: id.to_owned(),
        extracted,
        served,
        extract_ms,
        total_ms: t0.elapsed().as_secs_f64() * 1e3,
        failed,
        removed,
    }
}

/// (median, mean) of a sample.
fn median_mean(xs: &[f64]) -> (f64, f64) {
    if xs.is_empty() {
        return (0.0, 0.0);
    }
    let mut v = xs.to_vec();
    v.sort_by(f64::total_cmp);
    let n = v.len();
    let median = if n % 2 == 1 {
        v[n / 2]
    } else {
        (v[n / 2 - 1] + v[n / 2]) / 2.0
    };
    (median, v.iter().sum::<f64>() / n as f64)
}

/// Every page's HTML, in page order.
fn read_all(dir: &Path, pages: &[AebPage]) -> Result<Vec<Vec<u8>>, EvalError> {
    pages.iter().map(|p| aeb::read_html(dir, &p.id)).collect()
}

/// Runs the served configuration on every page of `dir`; with `cv`, also the grouped
/// cross-validation of the configuration choice.
pub fn evaluate(model: &Model, dir: &Path, cv: bool) -> Result<Report, EvalError> {
    let pages = aeb::load(dir)?;
    let htmls = read_all(dir, &pages)?;
    let cfg = ExtractConfig::default();
    let runs: Vec<PageRun> = pages
        .iter()
        .zip(&htmls)
        .map(|(p, h)| run_page(model, &p.id, h, &cfg, true))
        .collect();
    let score = |f: &dyn Fn(&PageRun) -> &str| {
        shingle::average(
            &runs
                .iter()
                .zip(&pages)
                .map(|(r, p)| shingle::page_score(f(r), &p.truth))
                .collect::<Vec<_>>(),
        )
    };
    let extracted = score(&|r| &r.extracted);
    let served = score(&|r| &r.served);
    let times = |f: fn(&PageRun) -> f64| median_mean(&runs.iter().map(f).collect::<Vec<_>>());
    let cv = cv.then(|| grouped_cv(model, &pages, &htmls));
    Ok(Report {
        extract_ms: times(|r| r.extract_ms),
        total_ms: times(|r| r.total_ms),
        extracted,
        served,
        runs,
        cv,
    })
}

/// The configurations the cross-validation chooses from: elements dropped before extraction x
/// link-only blocks dropped (which blocks, above which link share) x candidate selection.
pub fn candidates() -> Vec<(String, ExtractConfig)> {
    let mut out = Vec::new();
    for drop in ["", "figcaption", "figure, aside"] {
        for (link_blocks, share) in [
            ("", 1.0),
            ("li", 0.8),
            ("li, p, h2, h3, h4, h5, h6", 0.5),
            ("li, p, h2, h3, h4, h5, h6", 0.8),
            ("li, p, h2, h3, h4, h5, h6", 1.0),
        ] {
            for (sel, sname) in [
                (CandidateSelectMode::Readability, "readability"),
                (CandidateSelectMode::DomSmoothie, "dom_smoothie"),
            ] {
                let base = ExtractConfig::default();
                out.push((
                    format!("drop={drop:?} link_blocks={link_blocks:?}@{share} select={sname}"),
                    ExtractConfig {
                        readability: dom_smoothie::Config {
                            candidate_select_mode: sel,
                            ..base.readability
                        },
                        drop,
                        link_blocks,
                        max_link_share: share,
                    },
                ));
            }
        }
    }
    out
}

/// Grouped 5-fold CV of the configuration choice on the served (cleaned) output.
fn grouped_cv(model: &Model, pages: &[AebPage], htmls: &[Vec<u8>]) -> String {
    // Each configuration, with all of cleaning's removals or without its related-headline
    // runs (inside an article Readability picked, a run of short lines is more often a list
    // that belongs to it).
    let mut cands: Vec<String> = Vec::new();
    let mut scores: Vec<Vec<PageScore>> = Vec::new();
    for (name, cfg) in candidates() {
        let runs: Vec<PageRun> = pages
            .iter()
            .zip(htmls)
            .map(|(p, h)| run_page(model, &p.id, h, &cfg, false))
            .collect();
        for keep_related in [false, true] {
            cands.push(format!("{name} keep_related_headlines={keep_related}"));
            scores.push(
                runs.iter()
                    .zip(pages)
                    .map(|(r, p)| {
                        let rm: Vec<Removed> = r
                            .removed
                            .iter()
                            .filter(|m| !(keep_related && m.reason == Reason::RelatedHeadlines))
                            .copied()
                            .collect();
                        shingle::page_score(&kept(&r.extracted, &rm), &p.truth)
                    })
                    .collect(),
            );
        }
    }
    let folds = aeb::site_folds(pages, FOLDS);
    let mut out = String::new();
    for (name, s) in cands.iter().zip(&scores) {
        let _ = writeln!(out, "  all pages  {:.3}  {name}", shingle::average(s).f1);
    }
    let mut held_out: Vec<Option<PageScore>> = vec![None; pages.len()];
    for f in 0..FOLDS {
        let train_f1 = |c: usize| {
            let s: Vec<PageScore> = (0..pages.len())
                .filter(|&i| folds[i] != f)
                .map(|i| scores[c][i])
                .collect();
            shingle::average(&s).f1
        };
        let best = (0..cands.len())
            .max_by(|&a, &b| train_f1(a).total_cmp(&train_f1(b)))
            .unwrap_or(0);
        let _ = writeln!(
            out,
            "  fold {f}: chose {} (F1 {:.3} on the other folds' sites)",
            cands[best],
            train_f1(best)
        );
        for i in (0..pages.len()).filter(|&i| folds[i] == f) {
            held_out[i] = Some(scores[best][i]);
        }
    }
    let s = shingle::average(&held_out.into_iter().flatten().collect::<Vec<_>>());
    let _ = writeln!(
        out,
        "  grouped-CV held-out F1 {:.3} (P {:.3}, R {:.3})",
        s.f1, s.precision, s.recall
    );
    out
}

impl Report {
    /// Pages where extraction gave nothing, by reason.
    pub fn failures(&self) -> BTreeMap<String, usize> {
        let mut m = BTreeMap::new();
        for r in &self.runs {
            if let Some(e) = &r.failed {
                *m.entry(e.to_string()).or_insert(0) += 1;
            }
        }
        m
    }

    /// The printed report.
    pub fn to_text(&self) -> String {
        let mut out = String::new();
        let row = |out: &mut String, name: &str, s: &Score| {
            let _ = writeln!(
                out,
                "{name:<42} F1 {:.4}  P {:.4}  R {:.4}",
                s.f1, s.precision, s.recall
            );
        };
        let _ = writeln!(out, "aeb-html: {} pages", self.runs.len());
        row(
            &mut out,
            "dom_smoothie alone (Lede's extraction)",
            &self.extracted,
        );
        row(
            &mut out,
            "dom_smoothie + Lede cleaning (as served)",
            &self.served,
        );
        let _ = writeln!(
            out,
            "time per page, one thread: extraction median {:.2} ms (mean {:.2}); extraction + cleaning median {:.2} ms (mean {:.2})",
            self.extract_ms.0, self.extract_ms.1, self.total_ms.0, self.total_ms.1
        );
        for (why, n) in self.failures() {
            let _ = writeln!(out, "no text on {n} page(s): {why}");
        }
        if let Some(cv) = &self.cv {
            let _ = writeln!(out, "configuration choice (served output):\n{cv}");
        }
        out
    }

    /// Fails when the served F1 is below `floor` (trafilatura's on the same pages).
    pub fn gate(&self, floor: f64) -> Option<GateFailure> {
        (self.served.f1 < floor).then(|| {
            GateFailure(format!(
                "served F1 {:.3} is below {floor:.3}",
                self.served.f1
            ))
        })
    }

    /// Lede's outputs as JSON (`{"extracted": {id: text}, "served": {id: text}}`), for
    /// `bench/peers_aeb.py --lede` to score with its own copy of the metric.
    pub fn outputs_json(&self) -> serde_json::Value {
        let map = |f: fn(&PageRun) -> &str| {
            self.runs
                .iter()
                .map(|r| (r.id.clone(), serde_json::Value::from(f(r))))
                .collect::<serde_json::Map<_, _>>()
        };
        serde_json::json!({
            "extracted": map(|r| &r.extracted),
            "served": map(|r| &r.served),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::text::Span;

    #[test]
    fn kept_cuts_removed_spans() {
        let rm = |start, end| Removed {
            span: Span { start, end },
            reason: Reason::Boilerplate,
        };
        let t = "aaa bbb ccc ddd";
        assert_eq!(kept(t, &[]), t);
        assert_eq!(kept(t, &[rm(0, 4), rm(8, 12)]), "bbb ddd");
        assert_eq!(kept(t, &[rm(4, 12), rm(8, 15)]), "aaa ");
    }

    #[test]
    fn median_and_mean() {
        assert_eq!(median_mean(&[3.0, 1.0, 2.0]), (2.0, 2.0));
        assert_eq!(median_mean(&[4.0, 1.0, 2.0, 3.0]), (2.5, 2.5));
        assert_eq!(median_mean(&[]), (0.0, 0.0));
    }
}
