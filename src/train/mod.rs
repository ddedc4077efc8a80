//! Training: labelled files -> vocabulary -> naive Bayes heads -> evaluation -> model bundle.
//!
//! Each head is trained in passes over its file, streaming (memory is bounded by the vocabulary
//! and the model, not by the corpus): (1) document frequencies of the training rows, (2) per
//! class sums of TF-IDF vectors, then one linfa fit, (3) predictions on the held-out rows.
//!
//! Multi-label rows (several regions) are handled by [`MultiLabel`]; held-out rows are those
//! whose split field says `test`, or, when the data has no split, a seeded hash of the line
//! number ([`HeadRecipe::holdout`]).

pub mod card;
pub mod cleaner;
pub mod data;
pub mod eval;
mod head;
mod select;
pub mod summary;

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::time::Instant;

use serde::{Deserialize, Serialize};

use crate::classify::{ClassifyError, NbParams};
use crate::features::{FeatureError, TfidfConfig};
use crate::model::{Extras, Model, ModelError, ModelMeta};
use crate::text::{Analyzer, AnalyzerConfig};

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
    /// Repeats of that cross-validation, each with its own fold assignment (fold seeds `seed`,
    /// `seed + 1`, ...), their out-of-fold predictions pooled. Which fold a row lands in moves
    /// a choice between near-equal configurations; repeats average that out, at `cv_repeats`
    /// times the fold fits (the transfer part of the metric has no folds and is computed
    /// once). Default 1 (one assignment, as before).
    #[serde(default = "default_cv_repeats")]
    pub cv_repeats: u32,
    /// Candidate alphas for cross-validation.
    #[serde(default)]
    pub alpha_grid: Vec<f64>,
    /// More training files beside `data`, each with its own fields and weight (see
    /// [`SourceRecipe`]). Each file's rows are evaluated over that file's own labels.
    #[serde(default)]
    pub extra_data: Vec<SourceRecipe>,
    /// Candidate weights of `data` followed by each of `extra_data`, chosen by
    /// cross-validation together with alpha. Empty = the sources' own `weight`s.
    #[serde(default)]
    pub source_weight_grid: Vec<Vec<f64>>,
    /// What cross-validation maximises. Default macro-F1 (then accuracy).
    #[serde(default)]
    pub cv_metric: CvMetric,
    /// Naive Bayes variants (kind and prior) tried by cross-validation together with alpha and
    /// the source weights. Empty = `nb`'s own.
    #[serde(default)]
    pub nb_grid: Vec<NbVariant>,
    /// Non-empty: the head is a **blend** of a multinomial and a complement head (the one of
    /// each kind in `nb_grid`, each with its alpha and source weights chosen by cross-validation
    /// as above), their calibrated log-posteriors mixed with the multinomial's share taken from
    /// this grid by the same metric on out-of-fold predictions. The two err differently: the
    /// multinomial with uniform priors transfers better to a publisher it never saw, the
    /// complement fits the skewed desks of the ones it did. Needs `cv_folds` > 1.
    #[serde(default)]
    pub blend_share_grid: Vec<f64>,
    /// Candidate **prior weights** of a blend, chosen by the same metric together with the
    /// share: the blend adds `prior_weight * ln p(desk)` to each desk's score, with `p` the
    /// desks' shares of the training rows (Laplace-smoothed). 0 is the blend as it is (no
    /// prior); a negative weight leans against the desks the training publishers file most,
    /// which can transfer better to a publisher whose desk mix is different. In the transfer
    /// metric the shares come from the sources the head is fitted on. Needs
    /// `blend_share_grid`. Empty = 0.
    #[serde(default)]
    pub prior_weight_grid: Vec<f64>,
    /// Candidate `tfidf.min_df` values (>= 1), chosen by the same cross-validation as the rest:
    /// the vocabulary and count passes run once per value and the value whose best
    /// configuration scores highest wins (`tfidf.min_df` itself is then ignored). Rare terms
    /// help when a publisher's desks hang on names seen once, and hurt when they are noise;
    /// which holds is a property of the data. Needs `cv_folds` > 1. Empty = `tfidf.min_df`.
    #[serde(default)]
    pub min_df_grid: Vec<u32>,
    /// Candidate `tfidf.sublinear_tf` values, chosen by the same cross-validation, crossed with
    /// `min_df_grid` (`tfidf.sublinear_tf` itself is then ignored). Damping repeated terms
    /// helps when long articles repeat their topic words, and costs when a repeat is the
    /// evidence; which holds is a property of the data. Needs `cv_folds` > 1. Empty =
    /// `tfidf.sublinear_tf`.
    #[serde(default)]
    pub sublinear_tf_grid: Vec<bool>,
    /// Candidate weights of the gazetteers' entries (documents per entry, every gazetteer
    /// alike; each `Gazetteer::weight` is then ignored), chosen by the same cross-validation.
    /// How much a place name should outweigh the rest of a document's words is a property of
    /// the data: a newswire whose business stories are mostly from one region teaches its
    /// market vocabulary as that region's evidence, and stronger place evidence offsets it.
    /// Needs `cv_folds` > 1 and gazetteers. Empty = each gazetteer's own weight.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub gazetteer_weight_grid: Vec<f64>,
    /// Fit a softmax temperature on out-of-fold predictions (needs `cv_folds` > 1), so that
    /// probabilities are calibrated. Default true.
    #[serde(default = "default_true")]
    pub calibrate: bool,
    /// Weight of `data` rows (extra sources carry their own). Default 1.
    #[serde(default = "default_weight")]
    pub weight: f64,
    /// Name of `data` in reports (default: the file stem).
    #[serde(default)]
    pub source_name: Option<String>,
}

/// Another training file of a head.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SourceRecipe {
    /// Training data (.jsonl or .csv).
    pub data: PathBuf,
    /// Field names; default: the head's.
    #[serde(default)]
    pub fields: Option<Fields>,
    /// Each row counts this many documents in the class sums (priors use real counts).
    /// Default 1.
    #[serde(default = "default_weight")]
    pub weight: f64,
    /// Name in reports (default: the file stem).
    #[serde(default)]
    pub name: Option<String>,
}

impl HeadRecipe {
    /// The variant of `nb_grid` of this kind (the blend's two heads).
    pub(crate) fn variant_of(&self, kind: crate::classify::NbKind) -> Option<NbVariant> {
        self.nb_grid.iter().copied().find(|v| v.kind == kind)
    }

    /// A blend (`blend_share_grid`) needs cross-validation, shares in [0, 1], and one
    /// multinomial and one complement variant in `nb_grid`.
    fn check_blend(&self) -> Result<(), TrainError> {
        use crate::classify::NbKind;
        let fail = |what: String| Err(TrainError::Recipe(format!("head {:?}: {what}", self.name)));
        if self.blend_share_grid.is_empty() {
            if !self.prior_weight_grid.is_empty() {
                return fail("prior_weight_grid needs blend_share_grid".into());
            }
            return Ok(());
        }
        if let Some(w) = self.prior_weight_grid.iter().find(|w| !w.is_finite()) {
            return fail(format!("prior weights must be finite, got {w}"));
        }
        if self.cv_folds < 2 {
            return fail("blend_share_grid needs cv_folds > 1".into());
        }
        if let Some(share) = self
            .blend_share_grid
            .iter()
            .find(|s| !(0.0..=1.0).contains(*s))
        {
            return fail(format!("blend shares must be in [0, 1], got {share}"));
        }
        if self.variant_of(NbKind::Multinomial).is_none()
            || self.variant_of(NbKind::Complement).is_none()
        {
            return fail(
                "blend_share_grid needs one multinomial and one complement variant in nb_grid"
                    .into(),
            );
        }
        Ok(())
    }
}

/// Maps a classifier error of head `head` into a training error.
pub(crate) fn classify_err(
    head: &str,
) -> impl Fn(crate::classify::ClassifyError) -> TrainError + Copy + '_ {
    move |error| TrainError::Classify {
        head: head.to_owned(),
        error,
    }
}

/// The figure cross-validation maximises.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, Default)]
#[serde(rename_all = "kebab-case")]
pub enum CvMetric {
    /// Macro-F1, then accuracy.
    #[default]
    MacroF1,
    /// Accuracy, then macro-F1.
    Accuracy,
    /// The mean over sources of each source's accuracy (every publisher counts the same,
    /// whatever its size), then accuracy.
    SourceMeanAccuracy,
    /// The mean of two figures, then accuracy: the source-mean accuracy above (publishers the
    /// model was trained on), and the **transfer accuracy** (publishers it has never seen): the
    /// mean over sources of the accuracy on that source's training rows of a head fitted on the
    /// other sources alone, over the labels both have. A configuration that only fits the
    /// training publishers' habits (their label priors, their phrasing) scores well on the
    /// first and badly on the second. Needs two sources or more (else as source-mean-accuracy).
    SourceAndTransferAccuracy,
}

impl std::fmt::Display for NbVariant {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match (self.kind, self.fit_prior) {
            (crate::classify::NbKind::Complement, _) => f.write_str("complement"),
            (crate::classify::NbKind::Multinomial, true) => f.write_str("multinomial"),
            (crate::classify::NbKind::Multinomial, false) => {
                f.write_str("multinomial with uniform priors")
            }
        }
    }
}

/// A naive Bayes variant for [`HeadRecipe::nb_grid`]: `nb` without alpha.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct NbVariant {
    pub kind: crate::classify::NbKind,
    /// Class priors from the training counts (multinomial only); false = uniform.
    #[serde(default = "default_true")]
    pub fit_prior: bool,
}

fn default_true() -> bool {
    true
}
fn default_weight() -> f64 {
    1.0
}

fn default_holdout() -> f64 {
    0.1
}
fn default_cv_repeats() -> u32 {
    1
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
    /// The learned line classifier of cleaning (none: the model cleans with rules alone).
    #[serde(default)]
    pub cleaner: Option<cleaner::CleanerRecipe>,
    /// A learned summary scorer (none = the hand-set weights).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub summary: Option<summary::SummaryRecipe>,
    /// A hand-written Markdown file (relative to the recipe) appended to the generated model
    /// card, e.g. the evaluation against peers that `bench/eval.sh` measures. It is kept in
    /// the repository beside the recipe, so a retrain carries it instead of dropping it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub card_appendix: Option<PathBuf>,
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
        if let Some(a) = &mut r.card_appendix {
            if a.is_relative() {
                *a = base.join(&*a);
            }
        }
        if let Some(c) = &mut r.cleaner {
            if c.data.is_relative() {
                c.data = base.join(&c.data);
            }
        }
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
            for x in &mut h.extra_data {
                if x.data.is_relative() {
                    x.data = base.join(&x.data);
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
            h.nb.check().map_err(classify_err(&h.name))?;
            if !(0.0..1.0).contains(&h.holdout) {
                return Err(TrainError::Recipe(format!(
                    "head {:?}: holdout must be in [0, 1)",
                    h.name
                )));
            }
            h.check_blend()?;
            if h.cv_repeats < 1 || (h.cv_repeats > 1 && h.cv_folds < 2) {
                return Err(TrainError::Recipe(format!(
                    "head {:?}: cv_repeats must be >= 1, and above 1 needs cv_folds > 1",
                    h.name
                )));
            }
            if !h.min_df_grid.is_empty() && (h.cv_folds < 2 || h.min_df_grid.contains(&0)) {
                return Err(TrainError::Recipe(format!(
                    "head {:?}: min_df_grid needs cv_folds > 1 and values >= 1",
                    h.name
                )));
            }
            if !h.gazetteer_weight_grid.is_empty()
                && (h.cv_folds < 2
                    || h.gazetteers.is_empty()
                    || h.gazetteer_weight_grid
                        .iter()
                        .any(|w| !(w.is_finite() && *w >= 0.0)))
            {
                return Err(TrainError::Recipe(format!(
                    "head {:?}: gazetteer_weight_grid needs cv_folds > 1, gazetteers and finite weights >= 0",
                    h.name
                )));
            }
            if !h.sublinear_tf_grid.is_empty() && h.cv_folds < 2 {
                return Err(TrainError::Recipe(format!(
                    "head {:?}: sublinear_tf_grid needs cv_folds > 1",
                    h.name
                )));
            }
        }
        if let Some(c) = &self.cleaner {
            c.check()?;
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
    // The cleaner first: the heads are trained on text cleaned exactly as it will be served.
    let mut extras = Extras::default();
    let mut cleaner_meta = None;
    if let Some(c) = &recipe.cleaner {
        let (classifier, cmeta) = cleaner::train(c)?;
        extras.cleaner = Some(classifier);
        cleaner_meta = Some(cmeta);
    }
    for h in &recipe.heads {
        let (head, meta, ev) = head::train_head(&analyzer, extras.cleaner.as_ref(), h)?;
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
        cleaner: cleaner_meta,
        summary_scorer: None,
    };
    if let Some(s) = &recipe.summary {
        // Fitted on sentences segmented, cleaned and vectorised exactly as the model serves.
        let serving = Model::with_extras(meta.clone(), heads.clone(), extras.clone());
        let (scorer, component) = summary::train(&serving, s)?;
        meta.summary_scorer = Some(component);
        extras.scorer = Some(scorer);
    }
    Ok(Trained {
        model: Model::with_extras(meta, heads, extras),
        evaluations,
        seconds: t0.elapsed().as_secs_f64(),
    })
}

/// Current UTC time as RFC 3339 (seconds precision).
pub fn now_rfc3339() -> String {
    humantime::format_rfc3339_seconds(std::time::SystemTime::now()).to_string()
}
