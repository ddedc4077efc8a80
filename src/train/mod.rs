//! Training: labelled files -> vocabulary -> naive Bayes heads -> evaluation -> model bundle.
//!
//! Each head is trained in passes over its file, streaming (memory is bounded by the vocabulary
//! and the model, not by the corpus): (1) document frequencies of the training rows, (2) per
//! class sums of TF-IDF vectors, then one linfa fit, (3) predictions on the held-out rows.
//!
//! Multi-label rows (several regions) are handled by [`MultiLabel`]; held-out rows are those
//! whose split field says `test`, or, when the data has no split, a seeded hash of the line
//! number ([`HeadRecipe::holdout`]).

pub mod data;
pub mod eval;
pub mod summary;

use std::collections::BTreeMap;
use std::io::IsTerminal;
use std::ops::ControlFlow;
use std::path::{Path, PathBuf};
use std::time::Instant;

use serde::{Deserialize, Serialize};

use crate::classify::{ClassifyError, NbParams, NbStats};
use crate::features::{FeatureError, TfidfConfig, TfidfFitter};
use crate::model::{DataFile, Head, HeadMeta, Model, ModelError, ModelMeta};
use crate::text::{self, Analyzer, AnalyzerConfig};

pub use data::{Fields, Row};
pub use eval::Evaluation;

/// Errors of training. Data errors carry the file and line.
#[derive(Debug, thiserror::Error)]
pub enum TrainError {
    #[error("{}: {error}", path.display())]
    Io {
        path: PathBuf,
        error: std::io::Error,
    },
    #[error("{}:{line}: {what}", path.display())]
    Data {
        path: PathBuf,
        line: u64,
        what: String,
    },
    #[error("{}: {what}", path.display())]
    Input { path: PathBuf, what: String },
    #[error("recipe: {0}")]
    Recipe(String),
    #[error("head {head:?}: {error}")]
    Features { head: String, error: FeatureError },
    #[error("head {head:?}: {error}")]
    Classify { head: String, error: ClassifyError },
    #[error("summary scorer: {0}")]
    Summary(String),
    #[error(transparent)]
    Model(#[from] ModelError),
}

/// How rows with several labels are used for training.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, Default)]
#[serde(rename_all = "kebab-case")]
pub enum MultiLabel {
    /// Train only on rows with exactly one label (the peers' protocol).
    #[default]
    SingleOnly,
    /// Add the row to each of its k labels with weight 1/k.
    Split,
}

/// A gazetteer: names of places with their label, added to a head as prior evidence so that
/// places the corpus never mentions (Kyiv, South Sudan) still point to the right label.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Gazetteer {
    /// JSONL with `name`, `official_name`, `demonyms[]`, `capitals[]` and the label field.
    pub path: PathBuf,
    /// The label field. Default `region`.
    #[serde(default = "default_region")]
    pub label_field: String,
    /// Weight of one entry, in documents. Default 10.0.
    #[serde(default = "default_gaz_weight")]
    pub weight: f64,
}

fn default_region() -> String {
    "region".into()
}
fn default_gaz_weight() -> f64 {
    10.0
}

/// How one head is trained.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct HeadRecipe {
    /// Head name as served ("topic", "region").
    pub name: String,
    /// Training data (.jsonl or .csv).
    pub data: PathBuf,
    #[serde(default)]
    pub fields: Fields,
    #[serde(default)]
    pub tfidf: TfidfConfig,
    #[serde(default)]
    pub nb: NbParams,
    #[serde(default)]
    pub multi_label: MultiLabel,
    /// Fraction of rows held out when the data has no split field; 0 = none. Default 0.1.
    #[serde(default = "default_holdout")]
    pub holdout: f64,
    /// Seed of the holdout hash. Default 42.
    #[serde(default = "default_seed")]
    pub seed: u64,
    /// Each label needs at least this many training rows. Default 5.
    #[serde(default = "default_min_examples")]
    pub min_examples: u64,
    /// Place-name lists added as prior evidence (see [`Gazetteer`]).
    #[serde(default)]
    pub gazetteers: Vec<Gazetteer>,
    /// Count and skip malformed rows instead of stopping.
    #[serde(default)]
    pub skip_bad_rows: bool,
    /// Choose `nb.alpha` from `alpha_grid` by k-fold cross-validation on the training rows
    /// (best macro-F1, then accuracy). 0 or 1 = off. Keeps the training vectors in memory.
    #[serde(default)]
    pub cv_folds: u32,
    /// Candidate alphas for cross-validation.
    #[serde(default)]
    pub alpha_grid: Vec<f64>,
}

fn default_holdout() -> f64 {
    0.1
}
fn default_seed() -> u64 {
    42
}
fn default_min_examples() -> u64 {
    5
}

/// A complete, reproducible training recipe.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Recipe {
    /// Model name; the version is `name@hash`.
    pub name: String,
    /// Free text for the model card.
    #[serde(default)]
    pub description: String,
    #[serde(default)]
    pub analyzer: AnalyzerConfig,
    /// Which head's idf statistics the summariser uses (default: the first head).
    #[serde(default)]
    pub summary_idf_head: Option<String>,
    pub heads: Vec<HeadRecipe>,
    /// A learned summary scorer (none = the hand-set weights).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub summary: Option<summary::SummaryRecipe>,
}

impl Recipe {
    /// Loads a JSON recipe; relative data paths are taken relative to the recipe's directory.
    pub fn load(path: &Path) -> Result<Recipe, TrainError> {
        let s = std::fs::read_to_string(path).map_err(|error| TrainError::Io {
            path: path.to_path_buf(),
            error,
        })?;
        let mut r: Recipe = serde_json::from_str(&s).map_err(|e| TrainError::Input {
            path: path.to_path_buf(),
            what: format!("invalid recipe: {e}"),
        })?;
        let base = path.parent().unwrap_or(Path::new("."));
        if let Some(s) = &mut r.summary {
            s.resolve(base);
        }
        for h in &mut r.heads {
            if h.data.is_relative() {
                h.data = base.join(&h.data);
            }
            for g in &mut h.gazetteers {
                if g.path.is_relative() {
                    g.path = base.join(&g.path);
                }
            }
        }
        Ok(r)
    }

    /// Validates everything that can be checked before reading data.
    pub fn check(&self) -> Result<(), TrainError> {
        if self.heads.is_empty() {
            return Err(TrainError::Recipe(
                "no heads to train: give --topic-data and/or --region-data".into(),
            ));
        }
        let mut names = std::collections::HashSet::new();
        for h in &self.heads {
            if !names.insert(&h.name) {
                return Err(TrainError::Recipe(format!(
                    "head {:?} appears twice",
                    h.name
                )));
            }
            h.tfidf.check().map_err(|error| TrainError::Features {
                head: h.name.clone(),
                error,
            })?;
            h.nb.check().map_err(|error| TrainError::Classify {
                head: h.name.clone(),
                error,
            })?;
            if !(0.0..1.0).contains(&h.holdout) {
                return Err(TrainError::Recipe(format!(
                    "head {:?}: holdout must be in [0, 1)",
                    h.name
                )));
            }
        }
        if let Some(s) = &self.summary {
            s.check()?;
        }
        if let Some(s) = &self.summary_idf_head {
            if !self.heads.iter().any(|h| &h.name == s) {
                return Err(TrainError::Recipe(format!(
                    "summary_idf_head {s:?} is not a head"
                )));
            }
        }
        Ok(())
    }
}

/// Progress reporting on stderr, only when it is a terminal.
struct Progress {
    on: bool,
    last: Instant,
}

impl Progress {
    fn new() -> Self {
        Progress {
            on: std::io::stderr().is_terminal(),
            last: Instant::now(),
        }
    }
    fn tick(&mut self, head: &str, pass: &str, rows: u64) {
        if self.on && self.last.elapsed().as_millis() >= 200 {
            self.last = Instant::now();
            eprint!("\r{head}: {pass}: {rows} rows");
        }
    }
    fn done(&mut self) {
        if self.on {
            eprint!("\r\x1b[K");
        }
    }
}

fn is_heldout(row: &Row, h: &HeadRecipe, has_split: bool) -> bool {
    if has_split {
        return row.split.as_deref() == Some("test");
    }
    if h.holdout <= 0.0 {
        return false;
    }
    // SplitMix64 of (seed, line): a stable pseudo-random draw per row.
    let mut z = h
        .seed
        .wrapping_add(row.line.wrapping_mul(0x9E37_79B9_7F4A_7C15));
    z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    z ^= z >> 31;
    (z as f64 / u64::MAX as f64) < h.holdout
}

/// The cross-validation fold of a row (a stable hash of its line number).
pub(crate) fn fold_of(line: u64, seed: u64, k: usize) -> usize {
    let mut z =
        (seed ^ 0x5851_F42D_4C95_7F2D).wrapping_add(line.wrapping_mul(0x9E37_79B9_7F4A_7C15));
    z = (z ^ (z >> 33)).wrapping_mul(0xFF51_AFD7_ED55_8CCD);
    z ^= z >> 33;
    (z % k as u64) as usize
}

/// Terms of a gazetteer entry: each name form repeated once.
fn gazetteer_entries(g: &Gazetteer) -> Result<Vec<(String, String)>, TrainError> {
    let s = std::fs::read_to_string(&g.path).map_err(|error| TrainError::Io {
        path: g.path.clone(),
        error,
    })?;
    let mut out = Vec::new();
    for (i, line) in s.lines().enumerate() {
        if line.trim().is_empty() {
            continue;
        }
        let v: serde_json::Value = serde_json::from_str(line).map_err(|e| TrainError::Data {
            path: g.path.clone(),
            line: i as u64 + 1,
            what: format!("invalid JSON: {e}"),
        })?;
        let Some(label) = v.get(&g.label_field).and_then(|l| l.as_str()) else {
            continue;
        };
        let mut names = Vec::new();
        for key in ["name", "official_name"] {
            if let Some(n) = v.get(key).and_then(|n| n.as_str()) {
                names.push(n.to_owned());
            }
        }
        for key in ["demonyms", "capitals"] {
            if let Some(list) = v.get(key).and_then(|n| n.as_array()) {
                names.extend(list.iter().filter_map(|n| n.as_str()).map(str::to_owned));
            }
        }
        out.push((label.to_owned(), names.join(". ")));
    }
    Ok(out)
}

/// The result of training: the model and each head's evaluation.
pub struct Trained {
    pub model: Model,
    pub evaluations: BTreeMap<String, Evaluation>,
    pub seconds: f64,
}

/// Trains every head of the recipe.
pub fn train(recipe: &Recipe) -> Result<Trained, TrainError> {
    recipe.check()?;
    let t0 = Instant::now();
    let analyzer = Analyzer::new(recipe.analyzer.clone());
    let mut heads = Vec::new();
    let mut metas = Vec::new();
    let mut evaluations = BTreeMap::new();
    for h in &recipe.heads {
        let (head, meta, ev) = train_head(&analyzer, h)?;
        heads.push(head);
        metas.push(meta);
        if let Some(ev) = ev {
            evaluations.insert(h.name.clone(), ev);
        }
    }
    let mut meta = ModelMeta {
        format_version: crate::model::FORMAT_VERSION,
        name: recipe.name.clone(),
        version: String::new(),
        created_at: now_rfc3339(),
        crate_version: env!("CARGO_PKG_VERSION").to_owned(),
        git_commit: option_env!("LEDE_GIT_COMMIT").map(str::to_owned),
        analyzer: recipe.analyzer.clone(),
        heads: metas,
        summary_idf_head: recipe.summary_idf_head.clone(),
        recipe: serde_json::to_value(recipe).unwrap_or_default(),
        cleaner: None,
        summary_scorer: None,
    };
    let mut extras = crate::model::Extras::default();
    if let Some(s) = &recipe.summary {
        let (scorer, component) = summary::train(&Model::new(meta.clone(), heads.clone()), s)?;
        meta.summary_scorer = Some(component);
        extras.scorer = Some(scorer);
    }
    Ok(Trained {
        model: Model::with_extras(meta, heads, extras),
        evaluations,
        seconds: t0.elapsed().as_secs_f64(),
    })
}

fn doc_terms(analyzer: &Analyzer, row: &Row) -> Vec<String> {
    let cleaned = text::clean(
        &row.text,
        Some(row.title.as_str()).filter(|t| !t.is_empty()),
    );
    text::document_terms(analyzer, &row.title, &row.text, &cleaned)
}

fn train_head(
    analyzer: &Analyzer,
    h: &HeadRecipe,
) -> Result<(Head, HeadMeta, Option<Evaluation>), TrainError> {
    let mut progress = Progress::new();
    let path = &h.data;
    let feat_err = |error| TrainError::Features {
        head: h.name.clone(),
        error,
    };

    // Is there a split field at all? Read until the first row that has one (usually the first
    // row; the whole file only when there is none).
    let mut has_split = false;
    data::read_rows_until(path, &h.fields, h.skip_bad_rows, |r| {
        has_split = r.split.is_some();
        Ok(if has_split {
            ControlFlow::Break(())
        } else {
            ControlFlow::Continue(())
        })
    })?;
    // Pass 1: labels and document frequencies of training rows.
    // Which rows train the head: labelled, not held out, and (single-only) one label. The
    // vocabulary pass and the counts pass must agree on this.
    let trains_on = |r: &Row| {
        let multi_skipped = h.multi_label == MultiLabel::SingleOnly && r.labels.len() > 1;
        !(is_heldout(r, h, has_split) || r.labels.is_empty() || multi_skipped)
    };
    let mut fitter = TfidfFitter::new(h.tfidf.clone()).map_err(feat_err)?;
    let mut label_counts: BTreeMap<String, u64> = BTreeMap::new();
    let mut n = 0u64;
    let stats1 = data::read_rows(path, &h.fields, h.skip_bad_rows, |r| {
        n += 1;
        progress.tick(&h.name, "vocabulary", n);
        if !trains_on(&r) {
            return Ok(());
        }
        for l in &r.labels {
            *label_counts.entry(l.clone()).or_default() += 1;
        }
        fitter.add(&doc_terms(analyzer, &r));
        Ok(())
    })?;
    if stats1.rows == 0 {
        return Err(TrainError::Input {
            path: path.clone(),
            what: "no rows: the file is empty".into(),
        });
    }
    if fitter.documents() == 0 {
        return Err(TrainError::Input {
            path: path.clone(),
            what: format!("no labelled training rows (field {:?})", h.fields.label),
        });
    }
    let mut gaz = Vec::new();
    for g in &h.gazetteers {
        for (label, names) in gazetteer_entries(g)? {
            gaz.push((label, names, g.weight));
        }
    }
    for (_, names, _) in &gaz {
        let terms: Vec<String> = analyzer
            .analyze(names)
            .into_iter()
            .map(|t| t.text)
            .collect();
        fitter.add_forced(&terms);
    }
    let vectorizer = fitter.finish().map_err(feat_err)?;
    let labels: Vec<String> = label_counts.keys().cloned().collect();
    let label_index = |l: &str| labels.iter().position(|x| x == l);

    // Pass 2: per-class sums.
    let mut stats = NbStats::new(labels.clone(), vectorizer.len());
    let k = h.cv_folds as usize;
    let cv = k > 1 && !h.alpha_grid.is_empty();
    let mut folds: Vec<NbStats> = if cv {
        vec![NbStats::new(labels.clone(), vectorizer.len()); k]
    } else {
        Vec::new()
    };
    let mut cv_docs: Vec<(usize, crate::features::SparseVec, Vec<String>)> = Vec::new();
    let mut n = 0u64;
    let mut train_rows = 0u64;
    data::read_rows(path, &h.fields, h.skip_bad_rows, |r| {
        n += 1;
        progress.tick(&h.name, "counts", n);
        if !trains_on(&r) {
            return Ok(());
        }
        let x = vectorizer.transform(&doc_terms(analyzer, &r));
        let w = 1.0 / r.labels.len() as f64;
        let fold = cv.then(|| fold_of(r.line, h.seed, k));
        for l in &r.labels {
            if let Some(c) = label_index(l) {
                stats.add(c, &x, w);
                if let Some(f) = fold {
                    folds[f].add(c, &x, w);
                }
            }
        }
        if let Some(f) = fold {
            cv_docs.push((f, x, r.labels.clone()));
        }
        train_rows += 1;
        Ok(())
    })?;
    for (label, names, weight) in &gaz {
        if let Some(k) = label_index(label) {
            let terms: Vec<String> = analyzer
                .analyze(names)
                .into_iter()
                .map(|t| t.text)
                .collect();
            stats.add_evidence(k, &vectorizer.transform(&terms), *weight);
        }
    }
    let classify_err = |error| TrainError::Classify {
        head: h.name.clone(),
        error,
    };
    let mut params = h.nb.clone();
    let mut cv_metrics = BTreeMap::new();
    if cv {
        let mut best: Option<(f64, f64, f64)> = None;
        for &alpha in &h.alpha_grid {
            let p = NbParams {
                alpha,
                ..h.nb.clone()
            };
            let mut ev = Evaluation::new(labels.clone());
            for (f, fold) in folds.iter().enumerate() {
                let head = stats.minus(fold).fit_direct(&p, 1).map_err(classify_err)?;
                for (_, x, truth) in cv_docs.iter().filter(|d| d.0 == f) {
                    ev.add(&labels[head.top_k(x, 1)[0].label], truth);
                }
            }
            let r = ev.report();
            tracing::info!(head = %h.name, alpha, accuracy = r.accuracy, macro_f1 = r.macro_f1, "{k}-fold CV");
            if best.is_none_or(|(_, f1, acc)| (r.macro_f1, r.accuracy) > (f1, acc)) {
                best = Some((alpha, r.macro_f1, r.accuracy));
            }
        }
        let (alpha, f1, acc) = best.expect("non-empty grid");
        params.alpha = alpha;
        cv_metrics.insert("cv_macro_f1".to_owned(), f1);
        cv_metrics.insert("cv_accuracy".to_owned(), acc);
        cv_metrics.insert("cv_folds".to_owned(), k as f64);
        drop(cv_docs);
    }
    let nb = stats
        .fit(&params, h.min_examples)
        .map_err(|error| TrainError::Classify {
            head: h.name.clone(),
            error,
        })?;

    // Pass 3: evaluation on held-out rows.
    let mut ev = Evaluation::new(labels.clone());
    let mut n = 0u64;
    data::read_rows(path, &h.fields, h.skip_bad_rows, |r| {
        n += 1;
        progress.tick(&h.name, "evaluation", n);
        if !is_heldout(&r, h, has_split) || r.labels.is_empty() {
            return Ok(());
        }
        let x = vectorizer.transform(&doc_terms(analyzer, &r));
        let top = nb.top_k(&x, 1);
        ev.add(&labels[top[0].label], &r.labels);
        Ok(())
    })?;
    progress.done();

    let (bytes, sha256) = data::fingerprint(path)?;
    let mut files = vec![DataFile {
        path: data::display(path),
        bytes,
        sha256,
        rows_used: train_rows,
    }];
    for g in &h.gazetteers {
        let (bytes, sha256) = data::fingerprint(&g.path)?;
        files.push(DataFile {
            path: data::display(&g.path),
            bytes,
            sha256,
            rows_used: gaz.len() as u64,
        });
    }
    let ev = (ev.total() > 0).then_some(ev);
    let meta = HeadMeta {
        name: h.name.clone(),
        labels: labels.clone(),
        tfidf: h.tfidf.clone(),
        nb: params,
        vocabulary_size: vectorizer.len(),
        training_rows: train_rows,
        metrics: {
            let mut m = ev.as_ref().map(|e| e.summary()).unwrap_or_default();
            m.extend(cv_metrics);
            m
        },
        data: files,
    };
    Ok((
        Head {
            name: h.name.clone(),
            vectorizer,
            nb,
            temperature: 1.0,
        },
        meta,
        ev,
    ))
}

/// Current UTC time as RFC 3339 (seconds precision).
pub fn now_rfc3339() -> String {
    humantime::format_rfc3339_seconds(std::time::SystemTime::now()).to_string()
}
