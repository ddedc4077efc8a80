//! Cleaning measured on real pages: the Article Extraction Benchmark's rendered text scored
//! with its shingle metric (`lede-eval aeb`).
//!
//! Rows of the report: keep everything, the rules alone, the model's line classifier on all
//! pages (it may have been fitted on them), and the nested cross-validated figure grouped by
//! site (the whole fitting procedure rerun per fold with the model's recipe; no page's own site
//! in its training folds), plus the speed of cleaning alone.

use std::path::{Path, PathBuf};
use std::time::Instant;

use super::aeb::Page;
use super::shingle::{self, Score};
use super::{EvalError, GateFailure};
use crate::model::Model;
use crate::text::clean::learned::LineClassifier;
use crate::train::cleaner::{self, CleanerRecipe};
use crate::train::TrainError;

/// The floor of issue #11: F1 and recall of cleaning on the rendered pages.
pub const FLOOR_F1: f64 = 0.85;
pub const FLOOR_RECALL: f64 = 0.95;

/// One row of the report.
#[derive(Debug, Clone)]
pub struct Row {
    pub system: String,
    pub score: Score,
    /// Cleaning alone, documents per second (one thread), where it was timed.
    pub docs_per_s: Option<f64>,
}

/// Scores every page with one system; `clean` returns the kept text.
fn rows_of(pages: &[Page], mut clean: impl FnMut(&str) -> String) -> (Score, f64) {
    let t0 = Instant::now();
    let kept: Vec<String> = pages.iter().map(|p| clean(&p.rendered)).collect();
    let secs = t0.elapsed().as_secs_f64();
    let scores: Vec<_> = pages
        .iter()
        .zip(&kept)
        .map(|(p, k)| shingle::page_score(k, &p.truth))
        .collect();
    (
        shingle::average(&scores),
        pages.len() as f64 / secs.max(1e-9),
    )
}

/// Keep everything, rules only, and (if given) the classifier on all pages.
pub fn report(pages: &[Page], classifier: Option<&LineClassifier>) -> Vec<Row> {
    let mut out = Vec::new();
    let (all, _) = rows_of(pages, |t| t.to_owned());
    out.push(Row {
        system: "keep everything".into(),
        score: all,
        docs_per_s: None,
    });
    let (rules, speed) = rows_of(pages, |t| crate::text::clean(t, None).kept_text(t));
    out.push(Row {
        system: "rules only".into(),
        score: rules,
        docs_per_s: Some(speed),
    });
    if let Some(c) = classifier {
        let (s, speed) = rows_of(pages, |t| {
            crate::text::clean_with(t, None, Some(c)).kept_text(t)
        });
        out.push(Row {
            system: "model's line classifier (all pages)".into(),
            score: s,
            docs_per_s: Some(speed),
        });
    }
    out
}

/// The nested grouped-CV row: the fitting procedure of `recipe` rerun per site fold.
pub fn cross_validated(pages: &[Page], recipe: &CleanerRecipe) -> Result<Row, TrainError> {
    recipe.check()?;
    let lines = cleaner::prepare(pages, recipe.label_share);
    let (score, chosen) = cleaner::cross_validate(pages, &lines, recipe)?;
    let choices: Vec<String> = chosen
        .iter()
        .map(|s| format!("a={} t={}", s.alpha, s.threshold))
        .collect();
    Ok(Row {
        system: format!(
            "line classifier, nested grouped CV by site (k={}; {})",
            recipe.folds,
            choices.join(", ")
        ),
        score,
        docs_per_s: None,
    })
}

/// The report as a table.
pub fn to_text(rows: &[Row]) -> String {
    let mut s = format!(
        "{:<48} {:>6} {:>6} {:>6} {:>10}\n",
        "system (rendered text)", "F1", "P", "R", "docs/s"
    );
    for r in rows {
        s += &format!(
            "{:<48} {:>6.3} {:>6.3} {:>6.3} {:>10}\n",
            r.system,
            r.score.f1,
            r.score.precision,
            r.score.recall,
            r.docs_per_s.map_or("-".into(), |d| format!("{d:.0}"))
        );
    }
    s
}

/// Does a score meet the floor of issue #11?
pub fn meets_floor(s: &Score) -> bool {
    s.f1 >= FLOOR_F1 && s.recall >= FLOOR_RECALL
}

/// What `lede-eval aeb` prints and gates on.
#[derive(Debug, Clone)]
pub struct AebReport {
    /// The benchmark directory.
    pub dir: PathBuf,
    pub pages: usize,
    /// The model's version.
    pub model: String,
    /// The model has a line classifier (else its cleaning is the rules alone).
    pub classifier: bool,
    /// Keep everything, rules only, the classifier on all pages (if any), grouped CV.
    pub rows: Vec<Row>,
}

/// `lede-eval aeb`: the model's cleaning on the benchmark in `dir`. The grouped-CV row is the
/// figure lede-train stored in the model, or with `recompute_cv` (or when there is none) refits
/// with the model's cleaner recipe (the defaults if it has none).
pub fn evaluate(model: &Model, dir: &Path, recompute_cv: bool) -> Result<AebReport, EvalError> {
    let pages = super::aeb::load(dir)?;
    let classifier = model.extras.cleaner.as_ref();
    let mut rows = report(&pages, classifier);
    // The nested grouped CV refits the classifier many times (minutes): by default the figure
    // the trainer computed with the same procedure and stored in the model is reported.
    let stored = model.meta.cleaner.as_ref().and_then(|c| {
        let m = |k: &str| c.metrics.get(&format!("grouped_cv_{k}")).copied();
        Some(Row {
            system: "line classifier, nested grouped CV by site (stored by lede-train)".into(),
            score: Score {
                f1: m("f1")?,
                precision: m("precision")?,
                recall: m("recall")?,
                pages: c.metrics.get("pages").copied().unwrap_or(0.0) as usize,
            },
            docs_per_s: None,
        })
    });
    match (stored, recompute_cv) {
        (Some(row), false) => rows.push(row),
        _ => {
            let recipe = model
                .meta
                .recipe
                .get("cleaner")
                .and_then(|c| serde_json::from_value::<CleanerRecipe>(c.clone()).ok())
                .map(|r| CleanerRecipe {
                    data: dir.to_path_buf(),
                    ..r
                })
                .unwrap_or_else(|| CleanerRecipe::new(dir.to_path_buf()));
            rows.push(cross_validated(&pages, &recipe)?);
        }
    }
    Ok(AebReport {
        dir: dir.to_path_buf(),
        pages: pages.len(),
        model: model.meta.version.clone(),
        classifier: classifier.is_some(),
        rows,
    })
}

impl AebReport {
    /// The printed report: what was measured, then the table.
    pub fn to_text(&self) -> String {
        format!(
            "cleaning on {} ({} pages), model {}{}\n{}",
            self.dir.display(),
            self.pages,
            self.model,
            if self.classifier {
                ""
            } else {
                " (no line classifier: rules only)"
            },
            to_text(&self.rows)
        )
    }

    /// The floor of issue #11 on the model's own cleaning on all pages (rules only without a
    /// classifier), then on the cross-validated figure of its fitting procedure.
    pub fn gate(&self) -> Option<GateFailure> {
        let served = &self.rows[if self.classifier { 2 } else { 1 }];
        [served, &self.rows[self.rows.len() - 1]]
            .into_iter()
            .find(|r| !meets_floor(&r.score))
            .map(|r| {
                GateFailure(format!(
                    "{}: F1 {:.3} recall {:.3} is below the floor (F1 {FLOOR_F1}, recall {FLOOR_RECALL})",
                    r.system, r.score.f1, r.score.recall
                ))
            })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn row(system: &str, f1: f64, recall: f64) -> Row {
        Row {
            system: system.into(),
            score: Score {
                f1,
                precision: f1,
                recall,
                pages: 3,
            },
            docs_per_s: None,
        }
    }

    #[test]
    fn gate_checks_served_then_cross_validated() {
        let mut r = AebReport {
            dir: "aeb".into(),
            pages: 3,
            model: "m".into(),
            classifier: true,
            rows: vec![
                row("keep everything", 0.6, 1.0),
                row("rules only", 0.7, 0.98),
                row("classifier", 0.9, 0.97),
                row("cv", 0.88, 0.96),
            ],
        };
        assert_eq!(r.gate(), None);
        r.rows[3].score.recall = 0.9;
        assert_eq!(
            r.gate().unwrap().to_string(),
            "gate: cv: F1 0.880 recall 0.900 is below the floor (F1 0.85, recall 0.95)"
        );
        // Without a classifier the served cleaning is the rules alone.
        r.classifier = false;
        assert_eq!(
            r.gate().unwrap().0,
            "rules only: F1 0.700 recall 0.980 is below the floor (F1 0.85, recall 0.95)"
        );
        assert!(r
            .to_text()
            .starts_with("cleaning on aeb (3 pages), model m (no line classifier: rules only)\n"));
    }
}
