//! Summary evaluation: a ROUGE-1/2/L approximation in Rust (for oracle labelling and
//! cross-validation inside the trainer) and the `lede-eval summarize` report (summaries of the
//! rows of a file, written as JSONL for `bench/rouge.py`, optionally by k-fold cross-validation
//! over articles when the model's scorer was trained on the evaluated file).
//!
//! The figures the project reports come from Python rouge-score 0.1.2 with stemming
//! (`bench/rouge.py`), the peers' reference implementation. The Rust version here follows the
//! same recipe (lowercase, non-alphanumerics as separators, tokens longer than three characters
//! stemmed, F1 of clipped n-gram counts, LCS for ROUGE-L) with the Snowball English stemmer
//! instead of NLTK's Porter: close, not identical, which is enough to label sentences and to
//! compare hyperparameters, never to report.

use std::collections::HashMap;
use std::io::Write;
use std::path::{Path, PathBuf};

use rust_stemmers::{Algorithm, Stemmer};

use crate::model::{AnalyzeOptions, Model, SummaryOptions};
use crate::summarize::{Length, Order, SummarizerConfig};
use crate::train::data::{read_rows, Fields};
use crate::train::summary::{self as trainer, SummaryRecipe};
use crate::train::TrainError;

/// Token ids of texts, shared by a candidate and its reference so that n-grams compare as
/// integers.
#[derive(Default)]
pub struct RougeVocab {
    ids: HashMap<String, u32>,
    stemmer: Option<Stemmer>,
    buf: String,
}

impl RougeVocab {
    pub fn new() -> Self {
        RougeVocab {
            stemmer: Some(Stemmer::create(Algorithm::English)),
            ..Default::default()
        }
    }

    /// Tokens of `text` as rouge-score makes them: lowercase, runs of `[a-z0-9]`, stemmed when
    /// longer than three characters.
    pub fn tokens(&mut self, text: &str) -> Vec<u32> {
        let mut out = Vec::new();
        let lower = text.to_lowercase();
        for w in lower
            .split(|c: char| !(c.is_ascii_lowercase() || c.is_ascii_digit()))
            .filter(|w| !w.is_empty())
        {
            self.buf.clear();
            match &self.stemmer {
                Some(s) if w.len() > 3 => self.buf.push_str(&s.stem(w)),
                _ => self.buf.push_str(w),
            }
            let next = self.ids.len() as u32;
            out.push(*self.ids.entry(self.buf.clone()).or_insert(next));
        }
        out
    }
}

/// Clipped n-gram counts of a token sequence (n = 1 or 2), keyed by the packed ids.
pub fn ngrams(tokens: &[u32], n: usize) -> HashMap<u64, u32> {
    let mut m = HashMap::new();
    for w in tokens.windows(n) {
        let key = if n == 1 {
            w[0] as u64
        } else {
            ((w[0] as u64) << 32) | w[1] as u64
        };
        *m.entry(key).or_insert(0) += 1;
    }
    m
}

fn f1(overlap: u32, cand: usize, refr: usize) -> f64 {
    if overlap == 0 || cand == 0 || refr == 0 {
        return 0.0;
    }
    let p = overlap as f64 / cand as f64;
    let r = overlap as f64 / refr as f64;
    2.0 * p * r / (p + r)
}

/// ROUGE-N F1 of a candidate's n-gram counts against a reference's.
pub fn rouge_n(cand: &HashMap<u64, u32>, refr: &HashMap<u64, u32>) -> f64 {
    let overlap: u32 = cand
        .iter()
        .map(|(k, &c)| c.min(refr.get(k).copied().unwrap_or(0)))
        .sum();
    f1(
        overlap,
        cand.values().sum::<u32>() as usize,
        refr.values().sum::<u32>() as usize,
    )
}

/// ROUGE-L F1 (longest common subsequence over the whole token sequences).
pub fn rouge_l(cand: &[u32], refr: &[u32]) -> f64 {
    if cand.is_empty() || refr.is_empty() {
        return 0.0;
    }
    let mut prev = vec![0u32; refr.len() + 1];
    let mut cur = vec![0u32; refr.len() + 1];
    for &a in cand {
        for (j, &b) in refr.iter().enumerate() {
            cur[j + 1] = if a == b {
                prev[j] + 1
            } else {
                cur[j].max(prev[j + 1])
            };
        }
        std::mem::swap(&mut prev, &mut cur);
    }
    f1(prev[refr.len()], cand.len(), refr.len())
}

/// ROUGE-1, -2 and -L F1 (fractions) of a candidate against a reference, both as token ids.
pub fn rouge(cand: &[u32], refr: &[u32]) -> [f64; 3] {
    [
        rouge_n(&ngrams(cand, 1), &ngrams(refr, 1)),
        rouge_n(&ngrams(cand, 2), &ngrams(refr, 2)),
        rouge_l(cand, refr),
    ]
}

/// What `lede-eval summarize` computes.
#[derive(Debug, Clone)]
pub struct SummarizeRun {
    /// Articles (.jsonl or .csv) with their reference summaries.
    pub data: PathBuf,
    pub fields: Fields,
    /// Which rows: the value of the split field (`all` for every row).
    pub split: String,
    pub length: Length,
    /// The first sentences instead of the model's summary (the lead baseline).
    pub lead: bool,
    /// Hand-set weights (used when the model has no learned scorer).
    pub scoring: SummarizerConfig,
    /// When the model's scorer was trained on `data`: summarise each article with a scorer
    /// re-fitted without its fold (k-fold cross-validation over articles), so no figure comes
    /// from an article the scorer saw.
    pub cv_folds: Option<u32>,
}

/// Counts of a run.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct RunStats {
    pub rows: usize,
    pub seconds: f64,
}

impl RunStats {
    /// What was written, how fast and by which scorer (`lede-eval summarize` prints it on
    /// stderr).
    pub fn to_text(&self, model: &Model, run: &SummarizeRun, out: &Path) -> String {
        format!(
            "wrote {} summaries to {} ({:.0} docs/s incl. cleaning; scorer: {}{})",
            self.rows,
            out.display(),
            self.rows as f64 / self.seconds,
            if run.lead {
                "lead"
            } else {
                model.summary_scorer_kind()
            },
            match run.cv_folds {
                Some(k) if !run.lead => format!(", {k}-fold CV over the articles it trained on"),
                _ => String::new(),
            }
        )
    }
}

/// Errors of [`scoring_overrides`], worded for the `lede-eval summarize --scoring` flag whose
/// value it reads. The JSON error is in the message, not a source, so it is printed once.
#[derive(Debug, thiserror::Error)]
pub enum ScoringError {
    #[error("--scoring: {0}")]
    Json(serde_json::Error),
    #[error("--scoring must be an object")]
    NotObject,
}

/// Hand-set scoring weights: the defaults with the fields of the JSON object `json` replaced
/// (`{"position": 0.5}`), for tuning on the train split.
pub fn scoring_overrides(json: &str) -> Result<SummarizerConfig, ScoringError> {
    let mut v = serde_json::to_value(SummarizerConfig::default()).map_err(ScoringError::Json)?;
    let patch: serde_json::Value = serde_json::from_str(json).map_err(ScoringError::Json)?;
    for (k, x) in patch.as_object().ok_or(ScoringError::NotObject)? {
        v[k] = x.clone();
    }
    serde_json::from_value(v).map_err(ScoringError::Json)
}

fn io_error(path: &Path) -> impl Fn(std::io::Error) -> TrainError + '_ {
    move |error| TrainError::Io {
        path: path.to_path_buf(),
        error,
    }
}

/// The first sentences of a document as `model`'s cleaning keeps them (the lead-k baseline on
/// Lede's segmentation, cleaned as served).
pub fn lead<'a>(model: &Model, title: &str, text: &'a str, length: Length) -> Vec<&'a str> {
    let spans: Vec<_> = crate::text::clean_with(
        text,
        Some(title).filter(|t| !t.trim().is_empty()),
        model.extras.cleaner.as_ref(),
    )
    .sentences()
    .collect();
    let k = match length {
        Length::Ratio(x) => ((x * spans.len() as f64).round() as usize).max(1),
        Length::Sentences(k) => k,
        Length::Words(w) => {
            let mut words = 0;
            spans
                .iter()
                .take_while(|s| {
                    words += text[s.start..s.end].split_whitespace().count();
                    words <= w
                })
                .count()
                .max(1)
        }
    };
    spans
        .iter()
        .take(k)
        .map(|s| &text[s.start..s.end])
        .collect()
}

/// Per-fold models for cross-validated summaries of `run.data`: the scorer re-fitted without
/// each fold of that file's articles. Returns the recipe (for the fold assignment), the file's
/// index in it and one model per fold; none when the model's scorer never saw the file (no
/// learned scorer, or trained on other files): then its summaries need no cross-validation.
fn fold_models(
    model: &Model,
    run: &SummarizeRun,
    k: u32,
) -> Result<Option<(SummaryRecipe, usize, Vec<Model>)>, TrainError> {
    let Some(recipe) = model
        .meta
        .recipe
        .get("summary")
        .cloned()
        .and_then(|v| serde_json::from_value::<SummaryRecipe>(v).ok())
        .filter(|_| model.extras.scorer.is_some())
    else {
        tracing::warn!("--cv-folds: the model has no learned summary scorer; no CV needed");
        return Ok(None);
    };
    let recipe = SummaryRecipe {
        cv_folds: k,
        ..recipe
    };
    recipe.check()?;
    let canon = |p: &Path| std::fs::canonicalize(p).unwrap_or_else(|_| p.to_path_buf());
    let want = canon(&run.data);
    let Some(file) = recipe.data.iter().position(|d| canon(&d.path) == want) else {
        tracing::warn!("--cv-folds: the model's scorer was not trained on this file; no CV needed");
        return Ok(None);
    };
    // The bands, penalties and lead priors the trainer chose by cross-validation on all its
    // articles are kept (re-choosing them inside each fold would multiply the fits by the grids
    // and the folds). The figure is therefore not nested: README reports how it moves with the
    // lead prior, and a nested run of it.
    let plan = model.meta.summary_scorer.as_ref().map_or_else(
        || trainer::BandPlan::single(recipe.alpha),
        |c| trainer::BandPlan::of(c, recipe.alpha),
    );
    let articles = trainer::load_articles(model, &recipe)?;
    let mut models = Vec::new();
    for f in 0..k as usize {
        let train: Vec<&trainer::Article> = articles
            .iter()
            .filter(|a| {
                !(a.file == file && trainer::fold(a.file, a.line, recipe.seed, k as usize) == f)
            })
            .collect();
        let scorer = plan.fit(&train, recipe.balance_files, recipe.objective)?;
        let mut m = model.clone();
        m.extras.scorer = Some(scorer);
        models.push(m);
    }
    Ok(Some((recipe, file, models)))
}

/// Summarises the rows of `run.data` (the way the server answers, cleaning on) and writes one
/// JSON line per row to `out`: `id` (line), `summary` (sentences), `reference`.
pub fn write_summaries(
    model: &Model,
    run: &SummarizeRun,
    out: &Path,
) -> Result<RunStats, TrainError> {
    let folds = match run.cv_folds {
        Some(k) if !run.lead => fold_models(model, run, k)?,
        _ => None,
    };
    let file = std::fs::File::create(out).map_err(io_error(out))?;
    let mut w = std::io::BufWriter::new(file);
    let opts = AnalyzeOptions {
        classify: false,
        summary: Some(SummaryOptions {
            length: run.length,
            order: Order::Document,
            scoring: run.scoring.clone(),
        }),
        ..Default::default()
    };
    let mut n = 0;
    let t0 = std::time::Instant::now();
    read_rows(&run.data, &run.fields, false, |r| {
        if !super::in_split(&run.split, r.split.as_deref()) {
            return Ok(());
        }
        let picked: Vec<&str> = if run.lead {
            lead(model, &r.title, &r.text, run.length)
        } else {
            let m = match &folds {
                // Rows the scorer trained on are summarised by the model that never saw them.
                Some((recipe, file, models)) if r.split.as_deref() != Some("test") => {
                    &models[trainer::fold(*file, r.line, recipe.seed, models.len())]
                }
                _ => model,
            };
            let a = m.analyze(&r.title, &r.text, &opts);
            a.summary
                .as_deref()
                .unwrap_or_default()
                .iter()
                .map(|s| &r.text[s.span.start..s.span.end])
                .collect()
        };
        let line = serde_json::json!({
            "id": r.line,
            "summary": picked,
            "reference": r.labels.join("\n"),
        });
        writeln!(w, "{line}").map_err(io_error(out))?;
        n += 1;
        Ok(())
    })?;
    w.flush().map_err(io_error(out))?;
    Ok(RunStats {
        rows: n,
        seconds: t0.elapsed().as_secs_f64(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn scoring_overrides_replace_named_fields() {
        let c = scoring_overrides(r#"{"position": 0.5, "min_words": 10}"#).unwrap();
        assert_eq!(
            c,
            SummarizerConfig {
                position: 0.5,
                min_words: 10,
                ..SummarizerConfig::default()
            }
        );
        assert_eq!(
            scoring_overrides("{}").unwrap(),
            SummarizerConfig::default()
        );
        assert_eq!(
            scoring_overrides("[1]").unwrap_err().to_string(),
            "--scoring must be an object"
        );
        let e = scoring_overrides(r#"{"position": "x"}"#)
            .unwrap_err()
            .to_string();
        assert!(e.starts_with("--scoring: invalid type"), "{e}");
        let e = scoring_overrides("{x").unwrap_err().to_string();
        assert_eq!(e, "--scoring: key must be a string at line 1 column 2");
    }

    #[test]
    fn rouge_of_identical_disjoint_and_partial_texts() {
        let mut v = RougeVocab::new();
        let a = v.tokens("The cats are running home.");
        let b = v.tokens("the cat is running");
        assert_eq!(rouge(&a, &a), [1.0, 1.0, 1.0]);
        assert_eq!(rouge(&a, &v.tokens("nothing else")), [0.0, 0.0, 0.0]);
        // Shared after stemming: "the", "cat", "run" (3 of 5 and 3 of 4 unigrams).
        let r = rouge(&a, &b);
        let f = 2.0 * (3.0 / 5.0) * (3.0 / 4.0) / (3.0 / 5.0 + 3.0 / 4.0);
        assert!((r[0] - f).abs() < 1e-12, "{r:?}");
        // Bigrams: "the cat" is shared (1 of 4 and 1 of 3).
        let f2 = 2.0 * (1.0 / 4.0) * (1.0 / 3.0) / (1.0 / 4.0 + 1.0 / 3.0);
        assert!((r[1] - f2).abs() < 1e-12, "{r:?}");
        assert!((r[2] - f).abs() < 1e-12);
    }
}
