//! Fitting the learned sentence scorer from articles with reference summaries.
//!
//! 1. Each article goes through the serving path ([`Model::summary_input`] after the same
//!    cleaning as a request), so training and serving see the same sentences and features.
//! 2. **Labels**: a greedy ROUGE oracle adds, one at a time, the sentence that most raises
//!    ROUGE-1 + ROUGE-2 F1 of the picked set against the reference, until nothing raises it.
//!    This works for extractive references (BBC: the picked sentences come back) and for
//!    abstractive ones (CNN/DailyMail highlights: the sentences that carry their words).
//! 3. **Fit**: standardised features, L2-penalised logistic regression (linfa-logistic). The
//!    penalty is chosen from `alpha_grid` by k-fold cross-validation over articles, scoring the
//!    summaries the served selection would pick (as many sentences as the reference has) with
//!    the Rust ROUGE of `crate::eval::summaries`, averaged per data file and then over files,
//!    so a large corpus does not drown a small one.
//! 4. **Compression bands** (`band_edges_grid`): optionally one model per range of
//!    compression (`1 - reference sentences / article sentences`), each fitted on the articles
//!    whose reference falls in its range, with its own penalty by cross-validation inside the
//!    band; the edges themselves are chosen by the same cross-validation (the grid's `[]` is
//!    one model for every length). A band with fewer than [`MIN_BAND_ARTICLES`] training
//!    articles rules its edges out (a single band takes whatever there is).
//!
//! 5. **Headline references** (`headline_references` on a data file): each titled article
//!    also trains as an untitled article whose reference is its own headline, the one-sentence
//!    summary every publisher writes. The title is withheld from that copy's features (a
//!    reference cannot be its own evidence), so the scorer learns to find the headline's
//!    content from position, centrality and the rest: the very short summaries that reference
//!    summaries of ~40% of an article (BBC's) never show. The copies are a group of their own
//!    in the cross-validation metric (mean per group, then over groups) and share their
//!    article's fold, so a held-out article's text is never trained on through its copy.
//!
//! Rows whose split field says `test` are never used.

use std::path::{Path, PathBuf};

use indicatif::{ProgressBar, ProgressStyle};
use linfa::prelude::*;
use linfa_logistic::LogisticRegression;
use ndarray::{Array1, Array2};
use serde::{Deserialize, Serialize};

use super::data::{self, Fields};
use super::{fold_of, TrainError};
use crate::eval::summaries::{ngrams, rouge, rouge_n, RougeVocab};
use crate::model::{ComponentMeta, DataFile, Model, SummaryInput};
use crate::summarize::features::{self, Row};
use crate::summarize::learned::{band_index, Band, LinearScorer, SentenceScorer};
use crate::summarize::{self, Length, Order, SummarizerConfig};
use crate::text;

/// Field names of a summary data file.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct SummaryFields {
    /// Article body. Default `text`.
    pub text: String,
    /// Headline (optional in the data). Default `title`.
    pub title: String,
    /// Reference summary (one string; sentences or newline-separated highlights). Default
    /// `summary`.
    pub summary: String,
    /// Split marker; rows marked `test` are skipped. Default `split`.
    pub split: String,
}

impl Default for SummaryFields {
    fn default() -> Self {
        SummaryFields {
            text: "text".into(),
            title: "title".into(),
            summary: "summary".into(),
            split: "split".into(),
        }
    }
}

impl SummaryFields {
    /// As the row reader's fields (the summary is read as the row's "label").
    pub fn to_fields(&self) -> Fields {
        Fields {
            text: self.text.clone(),
            title: self.title.clone(),
            label: self.summary.clone(),
            split: self.split.clone(),
        }
    }
}

/// One file of articles with reference summaries (.jsonl or .csv).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SummaryData {
    pub path: PathBuf,
    #[serde(default)]
    pub fields: SummaryFields,
    /// Count and skip malformed rows instead of stopping.
    #[serde(default)]
    pub skip_bad_rows: bool,
    /// Also train on each titled article with its headline as a one-sentence reference (the
    /// title withheld from that copy's features); see the module documentation. Rows with a
    /// title and an empty summary then count too. Default false.
    #[serde(default)]
    pub headline_references: bool,
}

/// How the sentence scorer is trained (the recipe's `summary` section).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SummaryRecipe {
    /// Articles with reference summaries; rows marked `test` are skipped.
    pub data: Vec<SummaryData>,
    /// L2 penalty of the logistic regression (on the summed log-loss of standardised
    /// features), used when `alpha_grid` is empty. Default 1.0; > 0.
    #[serde(default = "default_alpha")]
    pub alpha: f64,
    /// Candidate penalties, chosen by `cv_folds`-fold cross-validation over articles.
    /// Default [0.1, 1, 10, 100, 1000].
    #[serde(default = "default_alpha_grid")]
    pub alpha_grid: Vec<f64>,
    /// Folds of the cross-validation (>= 2). Default 5.
    #[serde(default = "default_folds")]
    pub cv_folds: u32,
    /// Seed of the fold assignment. Default 42.
    #[serde(default = "default_seed")]
    pub seed: u64,
    /// Repeats of the cross-validation that chooses the bands, penalties and lead priors, each
    /// with its own fold assignment (seeds `seed`, `seed + 1`, ...), their out-of-fold scores
    /// pooled. With a hundred or so articles of a style, which fold an article lands in moves
    /// the choice; repeats average that out, at `cv_repeats` times the fits. Default 1.
    #[serde(default = "default_repeats")]
    pub cv_repeats: u32,
    /// Give every data file the same weight in the fit (the articles of smaller files are
    /// repeated), as in the cross-validation metric; off = every article weighs the same.
    /// Default true.
    #[serde(default = "default_true")]
    pub balance_files: bool,
    /// What the logistic regression learns. Default pairwise.
    #[serde(default)]
    pub objective: Objective,
    /// Candidate compression-band edges, chosen by the cross-validation: each entry is a list
    /// of ascending edges in (0, 1) (`[0.75]`: one model for summaries that keep more than a
    /// quarter of the article, one for shorter ones). Default `[[]]`: one model.
    #[serde(default = "default_band_edges_grid")]
    pub band_edges_grid: Vec<Vec<f64>>,
    /// Candidate strengths of a lead prior added to each band's fitted model, chosen per band
    /// by the cross-validation on ROUGE itself (see [`add_lead_prior`]): the oracle labels the
    /// model is fitted on are not the metric, and how far a summary should lean on the lead is
    /// a property of the reference style that the metric measures directly. Each value is >= 0
    /// (0 = the fitted model as it is). Default `[0, 0.25, 0.5, 1, 2, 4]` (the grid costs no
    /// extra fits: every fold's model is scored once per value).
    #[serde(default = "default_lead_prior_grid")]
    pub lead_prior_grid: Vec<f64>,
}

/// Fewest training articles a compression band may have.
pub const MIN_BAND_ARTICLES: usize = 20;

fn default_band_edges_grid() -> Vec<Vec<f64>> {
    vec![vec![]]
}

fn default_lead_prior_grid() -> Vec<f64> {
    vec![0.0, 0.25, 0.5, 1.0, 2.0, 4.0]
}

/// The training objective of the scorer.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Objective {
    /// Is this sentence in the oracle summary (one row per sentence, with an intercept)?
    Pointwise,
    /// Does this sentence rank above that one (oracle sentence vs other sentence of the same
    /// article; no intercept): articles with a long summary and with a short one count alike.
    #[default]
    Pairwise,
}

/// Pairs per article for the pairwise objective.
const PAIRS_PER_ARTICLE: usize = 60;

fn default_true() -> bool {
    true
}

fn default_alpha() -> f64 {
    1.0
}
fn default_alpha_grid() -> Vec<f64> {
    vec![0.1, 1.0, 10.0, 100.0, 1000.0]
}
fn default_folds() -> u32 {
    5
}
fn default_seed() -> u64 {
    42
}
fn default_repeats() -> u32 {
    1
}

impl SummaryRecipe {
    /// A recipe with the defaults for these files.
    pub fn for_files(data: Vec<SummaryData>) -> Self {
        SummaryRecipe {
            data,
            alpha: default_alpha(),
            alpha_grid: default_alpha_grid(),
            cv_folds: default_folds(),
            seed: default_seed(),
            cv_repeats: default_repeats(),
            balance_files: true,
            objective: Objective::default(),
            band_edges_grid: default_band_edges_grid(),
            lead_prior_grid: default_lead_prior_grid(),
        }
    }

    /// Makes relative data paths relative to `base` (the recipe's directory).
    pub fn resolve(&mut self, base: &Path) {
        for d in &mut self.data {
            if d.path.is_relative() {
                d.path = base.join(&d.path);
            }
        }
    }

    /// Validates the hyperparameters.
    pub fn check(&self) -> Result<(), TrainError> {
        let bad = |what: &str| Err(TrainError::Recipe(format!("summary: {what}")));
        if self.data.is_empty() {
            return bad("no data files");
        }
        if self.cv_folds < 2 {
            return bad("cv_folds must be >= 2");
        }
        if self.cv_repeats < 1 {
            return bad("cv_repeats must be >= 1");
        }
        if std::iter::once(&self.alpha)
            .chain(&self.alpha_grid)
            .any(|a| !(a.is_finite() && *a > 0.0))
        {
            return bad("alpha and alpha_grid values must be positive and finite");
        }
        if self.lead_prior_grid.is_empty()
            || self
                .lead_prior_grid
                .iter()
                .any(|l| !(l.is_finite() && *l >= 0.0))
        {
            return bad(
                "lead_prior_grid needs at least one value, each >= 0 and finite ([0] = none)",
            );
        }
        if self.band_edges_grid.is_empty() {
            return bad("band_edges_grid needs at least one entry ([] = one model)");
        }
        for edges in &self.band_edges_grid {
            let inside = edges.iter().all(|e| *e > 0.0 && *e < 1.0);
            if !inside || edges.windows(2).any(|w| w[0] >= w[1]) {
                return bad(&format!(
                    "band edges {edges:?} must be ascending compressions strictly between 0 and 1"
                ));
            }
        }
        Ok(())
    }
}

/// One training article: its candidates, features, oracle labels and ROUGE tokens.
pub struct Article {
    /// Index of its file in the recipe (with `line`, its cross-validation fold).
    pub file: usize,
    /// Its group in the cross-validation metric and in file balancing: `file` for an
    /// article with its reference summary, `files + file` for a headline reference copy.
    pub group: usize,
    /// Its line in the file.
    pub line: u64,
    pub input: SummaryInput,
    pub features: Vec<Row>,
    pub labels: Vec<bool>,
    /// ROUGE tokens of each candidate and of the reference.
    pub tokens: Vec<Vec<u32>>,
    pub reference: Vec<u32>,
    /// Sentences in the reference (the summary length used by cross-validation).
    pub reference_sentences: usize,
    /// How many times the article enters a fit when files are balanced: the ratio of the
    /// largest group's article count to its own group's (rounded), over all training
    /// articles, so that a compression band or a CV fold keeps the groups' overall weights.
    pub balance_repeats: usize,
}

/// Greedy ROUGE oracle: indices of the sentences (ascending) that, added one at a time, most
/// raise ROUGE-1 + ROUGE-2 F1 of their concatenation against the reference; stops when no
/// sentence raises it.
pub fn oracle(sentences: &[Vec<u32>], reference: &[u32]) -> Vec<usize> {
    let ref1 = ngrams(reference, 1);
    let ref2 = ngrams(reference, 2);
    let mut picked: Vec<usize> = Vec::new();
    let mut best_score = 0.0;
    loop {
        let mut best: Option<(usize, f64)> = None;
        for i in 0..sentences.len() {
            if picked.contains(&i) || sentences[i].is_empty() {
                continue;
            }
            let mut idx = picked.clone();
            idx.push(i);
            idx.sort_unstable();
            let cand: Vec<u32> = idx.iter().flat_map(|&j| sentences[j].clone()).collect();
            let s = rouge_n(&ngrams(&cand, 1), &ref1) + rouge_n(&ngrams(&cand, 2), &ref2);
            if s > best_score + 1e-12 && best.is_none_or(|(_, b)| s > b) {
                best = Some((i, s));
            }
        }
        let Some((i, s)) = best else { break };
        picked.push(i);
        best_score = s;
    }
    picked.sort_unstable();
    picked
}

/// Groups of the cross-validation metric for `files` data files: each file's articles, then
/// each file's headline reference copies.
pub fn groups(files: usize) -> usize {
    2 * files
}

/// Reads every file of the recipe into training articles (through `model`'s serving path).
pub fn load_articles(model: &Model, recipe: &SummaryRecipe) -> Result<Vec<Article>, TrainError> {
    let mut out = Vec::new();
    let mut vocab = RougeVocab::new();
    let files = recipe.data.len();
    for (file, d) in recipe.data.iter().enumerate() {
        let before = out.len();
        data::read_rows(&d.path, &d.fields.to_fields(), d.skip_bad_rows, |r| {
            if r.split.as_deref() == Some("test") {
                return Ok(());
            }
            if !r.labels.is_empty() {
                // CSV splits a label field on ';' and '|': join the pieces back.
                let reference = r.labels.join("\n");
                let at = (file, file, r.line);
                out.extend(article(
                    model, &mut vocab, at, &r.title, &r.text, &reference,
                ));
            }
            let headline = r.title.trim();
            if d.headline_references && !headline.is_empty() {
                let at = (file, files + file, r.line);
                out.extend(article(model, &mut vocab, at, "", &r.text, headline));
            }
            Ok(())
        })?;
        if out.len() == before {
            let what = if d.headline_references {
                format!(
                    "no training rows with a text and a summary or a title (fields {:?}, {:?} \
                     and {:?})",
                    d.fields.text, d.fields.summary, d.fields.title
                )
            } else {
                format!(
                    "no training rows with a text and a summary (fields {:?} and {:?})",
                    d.fields.text, d.fields.summary
                )
            };
            return Err(TrainError::Input {
                path: d.path.clone(),
                what,
            });
        }
    }
    let mut count = vec![0usize; groups(files)];
    for a in &out {
        count[a.group] += 1;
    }
    let max = count.iter().copied().max().unwrap_or(1);
    for a in &mut out {
        a.balance_repeats = ((max as f64 / count[a.group] as f64).round() as usize).max(1);
    }
    Ok(out)
}

/// One article; `(file, group, line)` as in [`Article`].
fn article(
    model: &Model,
    vocab: &mut RougeVocab,
    (file, group, line): (usize, usize, u64),
    title: &str,
    body: &str,
    reference: &str,
) -> Option<Article> {
    // The same cleaning as a request with cleaning on (the server's default).
    let cleaned = text::clean_with(
        body,
        Some(title).filter(|t| !t.trim().is_empty()),
        model.extras.cleaner.as_ref(),
    );
    let input = model.summary_input(title, body, &cleaned);
    if input.cands.is_empty() {
        return None;
    }
    let tokens: Vec<Vec<u32>> = input
        .spans
        .iter()
        .map(|s| vocab.tokens(&body[s.start..s.end]))
        .collect();
    let reference_tokens = vocab.tokens(reference);
    let picked = oracle(&tokens, &reference_tokens);
    let mut labels = vec![false; tokens.len()];
    for i in picked {
        labels[i] = true;
    }
    let reference_sentences = text::sentences(reference).len().clamp(1, tokens.len());
    Some(Article {
        file,
        group,
        line,
        features: input.features(body, reference_sentences),
        input,
        labels,
        tokens,
        reference: reference_tokens,
        reference_sentences,
        balance_repeats: 1,
    })
}

/// How much the article's reference compresses it (the band it trains).
pub fn compression(a: &Article) -> f64 {
    features::compression(a.reference_sentences, a.labels.len())
}

/// The articles of each band of `edges` (by [`compression`]).
fn split_bands<'a>(edges: &[f64], articles: &[&'a Article]) -> Vec<Vec<&'a Article>> {
    let mut bands = vec![Vec::new(); edges.len() + 1];
    for a in articles {
        bands[band_index(edges.iter().copied(), compression(a))].push(*a);
    }
    bands
}

/// The cross-validation fold of an article.
pub fn fold(file: usize, line: u64, seed: u64, k: usize) -> usize {
    fold_of(line.wrapping_add((file as u64) << 40), seed, k)
}

/// Fits one linear model with penalty `alpha` on the sentences of `articles` (with `balance`,
/// each article repeated [`Article::balance_repeats`] times, so that every file weighs about
/// the same overall).
pub fn fit_linear(
    articles: &[&Article],
    alpha: f64,
    balance: bool,
    objective: Objective,
) -> Result<LinearScorer, TrainError> {
    let articles: Vec<&Article> = articles
        .iter()
        .flat_map(|a| std::iter::repeat_n(*a, if balance { a.balance_repeats } else { 1 }))
        .collect();
    let rows: usize = articles.iter().map(|a| a.features.len()).sum();
    let n = features::N;
    let mut mean = vec![0.0; n];
    for r in articles.iter().flat_map(|a| &a.features) {
        for (m, x) in mean.iter_mut().zip(r) {
            *m += x;
        }
    }
    mean.iter_mut().for_each(|m| *m /= rows.max(1) as f64);
    let mut scale = vec![0.0; n];
    for r in articles.iter().flat_map(|a| &a.features) {
        for ((s, x), m) in scale.iter_mut().zip(r).zip(&mean) {
            *s += (x - m).powi(2);
        }
    }
    for s in &mut scale {
        *s = (*s / rows.max(1) as f64).sqrt();
        if s.is_nan() || *s <= 1e-12 {
            *s = 1.0;
        }
    }
    let z = |r: &Row, j: usize| (r[j] - mean[j]) / scale[j];
    let (x, y) = match objective {
        Objective::Pointwise => {
            let mut x = Array2::<f64>::zeros((rows, n));
            let mut y = Array1::<bool>::from_elem(rows, false);
            for (i, (r, l)) in articles
                .iter()
                .flat_map(|a| a.features.iter().zip(&a.labels))
                .enumerate()
            {
                for j in 0..n {
                    x[[i, j]] = z(r, j);
                }
                y[i] = *l;
            }
            (x, y)
        }
        Objective::Pairwise => {
            // Differences (picked - not picked) within each article, at most PAIRS_PER_ARTICLE
            // of them (an even stride over all pairs), every other one negated so that both
            // classes occur; no intercept. Only the order inside an article is learned, which
            // is all that selection uses.
            let mut pairs: Vec<(&Row, &Row, bool)> = Vec::new();
            for a in &articles {
                let pos: Vec<&Row> = a
                    .features
                    .iter()
                    .zip(&a.labels)
                    .filter(|p| *p.1)
                    .map(|p| p.0)
                    .collect();
                let neg: Vec<&Row> = a
                    .features
                    .iter()
                    .zip(&a.labels)
                    .filter(|p| !*p.1)
                    .map(|p| p.0)
                    .collect();
                let total = pos.len() * neg.len();
                let stride = total.div_ceil(PAIRS_PER_ARTICLE).max(1);
                for t in (0..total).step_by(stride) {
                    let flip = pairs.len() % 2 == 1;
                    pairs.push((pos[t / neg.len()], neg[t % neg.len()], flip));
                }
            }
            let mut x = Array2::<f64>::zeros((pairs.len(), n));
            let mut y = Array1::<bool>::from_elem(pairs.len(), false);
            for (i, (p, q, flip)) in pairs.iter().enumerate() {
                let sign = if *flip { -1.0 } else { 1.0 };
                for j in 0..n {
                    x[[i, j]] = sign * (z(p, j) - z(q, j));
                }
                y[i] = !*flip;
            }
            (x, y)
        }
    };
    let fitted = LogisticRegression::default()
        .alpha(alpha)
        .max_iterations(300)
        .with_intercept(objective == Objective::Pointwise)
        .fit(&Dataset::new(x, y))
        .map_err(|e| TrainError::Summary(format!("logistic regression (alpha {alpha}): {e}")))?;
    // linfa-logistic 0.8.1 models the log-odds of its "positive" class, which is the more
    // frequent one, not the larger value: flip to P(picked) (pairwise: P(first ranks higher)).
    let sign = if fitted.labels().pos.class { 1.0 } else { -1.0 };
    Ok(LinearScorer {
        features: features::NAMES.iter().map(|s| s.to_string()).collect(),
        mean,
        scale,
        weights: fitted.params().iter().map(|w| sign * w).collect(),
        bias: sign * fitted.intercept(),
    })
}

/// Adds a lead prior of strength `lambda` to a fitted model: the weight of `position_log` (the
/// standardised `ln(1 + position)`) drops by `lambda` times the spread (standard deviation) of
/// the model's own logit over `rows`, the sentences it was fitted on. So
/// `lambda` is measured in units of the learned score, whatever the penalty, and 1 means one
/// standard deviation of position moves a sentence as much as one of the learned score. The
/// result is still one linear model over the same features: serving is unchanged.
pub fn add_lead_prior<'a>(
    scorer: &mut LinearScorer,
    lambda: f64,
    rows: impl IntoIterator<Item = &'a Row>,
) {
    if lambda == 0.0 {
        return;
    }
    let logits: Vec<f64> = rows.into_iter().map(|r| scorer.logit(r)).collect();
    let n = logits.len().max(1) as f64;
    let mean = logits.iter().sum::<f64>() / n;
    let spread = (logits.iter().map(|l| (l - mean).powi(2)).sum::<f64>() / n).sqrt();
    // A model with no spread (all weights 0) still gets a prior of unit strength.
    let spread = if spread > 1e-12 { spread } else { 1.0 };
    scorer.weights[features::POSITION_LOG] -= lambda * spread;
}

/// How a scorer's bands are fitted: the edges between them, each band's penalty and lead
/// prior.
#[derive(Debug, Clone, PartialEq)]
pub struct BandPlan {
    /// Ascending compression edges (none = one band).
    pub edges: Vec<f64>,
    /// The penalty of each band (`edges.len() + 1` of them).
    pub alphas: Vec<f64>,
    /// The lead prior of each band ([`add_lead_prior`]; as many as `alphas`).
    pub lead_priors: Vec<f64>,
}

impl BandPlan {
    /// One band with this penalty and no lead prior.
    pub fn single(alpha: f64) -> Self {
        BandPlan {
            edges: Vec::new(),
            alphas: vec![alpha],
            lead_priors: vec![0.0],
        }
    }

    /// The plan a trained scorer's metadata records (`band_edges`, `alphas` and `lead_priors`
    /// in its config; a scorer trained before bands records one `alpha` in its metrics;
    /// `default_alpha` when it records neither; no lead prior when it records none).
    pub fn of(meta: &ComponentMeta, default_alpha: f64) -> Self {
        let floats = |key: &str| -> Option<Vec<f64>> {
            meta.config
                .get(key)?
                .as_array()?
                .iter()
                .map(|v| v.as_f64())
                .collect()
        };
        let mut plan = match (floats("band_edges"), floats("alphas")) {
            (Some(edges), Some(alphas)) if alphas.len() == edges.len() + 1 => BandPlan {
                lead_priors: vec![0.0; alphas.len()],
                edges,
                alphas,
            },
            _ => BandPlan::single(meta.metrics.get("alpha").copied().unwrap_or(default_alpha)),
        };
        if let Some(priors) = floats("lead_priors").filter(|p| p.len() == plan.alphas.len()) {
            plan.lead_priors = priors;
        }
        plan
    }

    /// Fits every band on its articles (see [`fit_linear`]) and adds its lead prior.
    pub fn fit(
        &self,
        articles: &[&Article],
        balance: bool,
        objective: Objective,
    ) -> Result<SentenceScorer, TrainError> {
        let mut bands = Vec::with_capacity(self.alphas.len());
        for (b, members) in split_bands(&self.edges, articles).iter().enumerate() {
            if members.is_empty() {
                return Err(TrainError::Summary(format!(
                    "compression band {b} of edges {:?} has no training articles",
                    self.edges
                )));
            }
            let mut scorer = fit_linear(members, self.alphas[b], balance, objective)?;
            add_lead_prior(
                &mut scorer,
                self.lead_priors[b],
                members.iter().flat_map(|a| &a.features),
            );
            bands.push(Band {
                min_compression: if b == 0 { 0.0 } else { self.edges[b - 1] },
                scorer,
            });
        }
        Ok(SentenceScorer { bands })
    }
}

/// ROUGE-1/2/L (fractions) of the summary `scorer` picks for `a` (as many sentences as its
/// reference has, the served selection).
pub fn evaluate(scorer: &SentenceScorer, a: &Article) -> [f64; 3] {
    let scores = scorer.score(&a.features, compression(a));
    let picked = summarize::select(
        &a.input.cands,
        &scores,
        Length::Sentences(a.reference_sentences),
        Order::Document,
        &SummarizerConfig::default(),
    );
    let cand: Vec<u32> = picked
        .iter()
        .flat_map(|p| a.tokens[p.index].iter().copied())
        .collect();
    rouge(&cand, &a.reference)
}

/// Mean ROUGE-1/2/L per group (see [`Article::group`]), then over the groups that have
/// articles.
fn macro_rouge(per_article: &[(usize, [f64; 3])], groups: usize) -> [f64; 3] {
    let mut out = [0.0; 3];
    let mut used = 0;
    for f in 0..groups {
        let rows: Vec<&[f64; 3]> = per_article
            .iter()
            .filter(|(g, _)| *g == f)
            .map(|(_, r)| r)
            .collect();
        if rows.is_empty() {
            continue;
        }
        used += 1;
        for k in 0..3 {
            out[k] += rows.iter().map(|r| r[k]).sum::<f64>() / rows.len() as f64;
        }
    }
    out.map(|x| x / used.max(1) as f64)
}

/// Out-of-fold ROUGE-1/2/L of articles, each with its group.
type OutOfFold = Vec<(usize, [f64; 3])>;

/// Out-of-fold ROUGE-1/2/L of each article (with its group) for a single linear model with
/// penalty `alpha` fitted on the other folds of `articles`, once for each lead prior of
/// `lead_priors` (same order; the prior costs no refit). The folds are fitted on scoped
/// threads (one per fold; each fit is deterministic, and the results are collected in fold
/// order, so the outcome does not depend on the thread count).
fn cv_linear(
    articles: &[&Article],
    alpha: f64,
    lead_priors: &[f64],
    recipe: &SummaryRecipe,
    seed: u64,
) -> Result<Vec<OutOfFold>, TrainError> {
    let k = recipe.cv_folds as usize;
    let one_fold = |f: usize| -> Result<Vec<OutOfFold>, TrainError> {
        let in_fold = |a: &Article| fold(a.file, a.line, seed, k) == f;
        let train: Vec<&Article> = articles.iter().copied().filter(|a| !in_fold(a)).collect();
        let test: Vec<&Article> = articles.iter().copied().filter(|a| in_fold(a)).collect();
        if train.is_empty() || test.is_empty() {
            return Ok(vec![Vec::new(); lead_priors.len()]);
        }
        let fitted = fit_linear(&train, alpha, recipe.balance_files, recipe.objective)?;
        Ok(lead_priors
            .iter()
            .map(|&lambda| {
                let mut scorer = fitted.clone();
                add_lead_prior(&mut scorer, lambda, train.iter().flat_map(|a| &a.features));
                let s = SentenceScorer::from(scorer);
                test.iter().map(|a| (a.group, evaluate(&s, a))).collect()
            })
            .collect())
    };
    let folds: Vec<Result<_, TrainError>> = std::thread::scope(|scope| {
        let handles: Vec<_> = (0..k).map(|f| scope.spawn(move || one_fold(f))).collect();
        handles
            .into_iter()
            .map(|h| h.join().unwrap_or_else(|p| std::panic::resume_unwind(p)))
            .collect()
    });
    let mut per_prior = vec![Vec::with_capacity(articles.len()); lead_priors.len()];
    for f in folds {
        for (all, part) in per_prior.iter_mut().zip(f?) {
            all.extend(part);
        }
    }
    Ok(per_prior)
}

/// What the cross-validation chose: the bands and their CV ROUGE-1/2/L (macro over files).
pub struct CvChoice {
    pub plan: BandPlan,
    pub rouge: [f64; 3],
}

/// Chooses the band edges and each band's penalty and lead prior by k-fold cross-validation
/// over `articles` (the same folds throughout; `cv_repeats` fold assignments, pooled): for each
/// entry of `band_edges_grid`, each band takes the penalty and lead prior with the best CV ROUGE
/// on its own articles, and the entry whose bands together score best wins.
pub fn choose_cv(articles: &[&Article], recipe: &SummaryRecipe) -> Result<CvChoice, TrainError> {
    let k = recipe.cv_folds;
    let files = groups(recipe.data.len());
    let grid = if recipe.alpha_grid.is_empty() {
        vec![recipe.alpha]
    } else {
        recipe.alpha_grid.clone()
    };
    let total = |r: &[f64; 3]| r.iter().sum::<f64>();
    let mut per_file = vec![0usize; files];
    for a in articles {
        per_file[a.group] += 1;
    }
    // Fits of one entry of the grid: each band, penalty and repeat.
    let fits_of =
        |edges: &[f64]| ((edges.len() + 1) * grid.len() * recipe.cv_repeats as usize) as u64;
    let fits: u64 = recipe.band_edges_grid.iter().map(|e| fits_of(e)).sum();
    let bar = ProgressBar::new(fits).with_style(
        ProgressStyle::with_template(
            "summary scorer: cross-validation {bar:30} {pos}/{len} ({eta})",
        )
        .unwrap_or_else(|_| ProgressStyle::default_bar()),
    );
    let mut best: Option<CvChoice> = None;
    for edges in &recipe.band_edges_grid {
        let bands = split_bands(edges, articles);
        // One band (no edges) takes whatever there is.
        if let Some((b, m)) = bands
            .iter()
            .enumerate()
            .find(|(_, m)| !edges.is_empty() && m.len() < MIN_BAND_ARTICLES)
        {
            tracing::info!(
                ?edges,
                band = b,
                articles = m.len(),
                "summary scorer: band edges skipped (a band has fewer than {MIN_BAND_ARTICLES} articles)"
            );
            bar.inc(fits_of(edges));
            continue;
        }
        // Each band's penalty is the one that maximises its share of the overall metric (mean
        // per group, then over groups): its articles' ROUGE, each divided by its group's
        // article count. The bands are fitted independently, so this maximises the overall metric.
        let share = |scored: &[(usize, [f64; 3])]| {
            scored
                .iter()
                .map(|(f, r)| total(r) / per_file[*f] as f64)
                .sum::<f64>()
        };
        let mut alphas = Vec::with_capacity(bands.len());
        let mut lead_priors = Vec::with_capacity(bands.len());
        let mut per_article = Vec::with_capacity(articles.len());
        for (b, members) in bands.iter().enumerate() {
            let mut band_best: Option<(f64, f64, f64, OutOfFold)> = None;
            for &alpha in &grid {
                // Every repeat scores every article once per lead prior: pooled, each article
                // counts `cv_repeats` times in every candidate's metric alike.
                let mut per_prior = vec![OutOfFold::new(); recipe.lead_prior_grid.len()];
                for r in 0..u64::from(recipe.cv_repeats) {
                    let seed = recipe.seed.wrapping_add(r);
                    let one = cv_linear(members, alpha, &recipe.lead_prior_grid, recipe, seed)?;
                    for (all, part) in per_prior.iter_mut().zip(one) {
                        all.extend(part);
                    }
                    bar.inc(1);
                }
                for (&lead_prior, scored) in recipe.lead_prior_grid.iter().zip(per_prior) {
                    let r = macro_rouge(&scored, files);
                    tracing::info!(
                        ?edges,
                        band = b,
                        articles = members.len(),
                        alpha,
                        lead_prior,
                        rouge1 = r[0],
                        rouge2 = r[1],
                        rouge_l = r[2],
                        "summary scorer: {k}-fold CV"
                    );
                    let value = share(&scored);
                    if band_best.as_ref().is_none_or(|(_, _, x, _)| value > *x) {
                        band_best = Some((alpha, lead_prior, value, scored));
                    }
                }
            }
            let (alpha, lead_prior, _, scored) = band_best.expect("the alpha grid is not empty");
            alphas.push(alpha);
            lead_priors.push(lead_prior);
            per_article.extend(scored);
        }
        let rouge = macro_rouge(&per_article, files);
        tracing::info!(
            ?edges,
            ?alphas,
            ?lead_priors,
            rouge1 = rouge[0],
            rouge2 = rouge[1],
            rouge_l = rouge[2],
            "summary scorer: {k}-fold CV of the bands"
        );
        if best
            .as_ref()
            .is_none_or(|b| total(&rouge) > total(&b.rouge))
        {
            best = Some(CvChoice {
                plan: BandPlan {
                    edges: edges.clone(),
                    alphas,
                    lead_priors,
                },
                rouge,
            });
        }
    }
    bar.finish_and_clear();
    best.ok_or_else(|| {
        TrainError::Summary(format!(
            "no entry of band_edges_grid leaves every band {MIN_BAND_ARTICLES} training articles"
        ))
    })
}

/// Trains the scorer of a recipe with the heads of `model` (whose idf statistics make the
/// sentence vectors) and describes it for the model metadata.
pub fn train(
    model: &Model,
    recipe: &SummaryRecipe,
) -> Result<(SentenceScorer, ComponentMeta), TrainError> {
    recipe.check()?;
    let articles = load_articles(model, recipe)?;
    let refs: Vec<&Article> = articles.iter().collect();
    let CvChoice { plan, rouge: cv } = choose_cv(&refs, recipe)?;
    let scorer = plan.fit(&refs, recipe.balance_files, recipe.objective)?;
    let mut metrics = std::collections::BTreeMap::new();
    metrics.insert("cv_rouge1".to_owned(), cv[0]);
    metrics.insert("cv_rouge2".to_owned(), cv[1]);
    metrics.insert("cv_rougeL".to_owned(), cv[2]);
    metrics.insert("cv_folds".to_owned(), recipe.cv_folds as f64);
    metrics.insert("cv_repeats".to_owned(), f64::from(recipe.cv_repeats));
    // The first band's penalty (the only one without band edges).
    metrics.insert("alpha".to_owned(), plan.alphas[0]);
    metrics.insert("bands".to_owned(), plan.alphas.len() as f64);
    let files = recipe.data.len();
    let copies = articles.iter().filter(|a| a.group >= files).count();
    metrics.insert("articles".to_owned(), (articles.len() - copies) as f64);
    metrics.insert("headline_references".to_owned(), copies as f64);
    metrics.insert(
        "sentences".to_owned(),
        articles.iter().map(|a| a.labels.len()).sum::<usize>() as f64,
    );
    metrics.insert(
        "oracle_sentences".to_owned(),
        articles
            .iter()
            .map(|a| a.labels.iter().filter(|l| **l).count())
            .sum::<usize>() as f64,
    );
    let mut files = Vec::new();
    for (i, d) in recipe.data.iter().enumerate() {
        let (bytes, sha256) = data::fingerprint(&d.path)?;
        files.push(DataFile {
            path: data::display(&d.path),
            bytes,
            sha256,
            // Rows, not articles: a row with a summary and a headline copy counts once.
            rows_used: articles
                .iter()
                .filter(|a| a.file == i)
                .map(|a| a.line)
                .collect::<std::collections::BTreeSet<_>>()
                .len() as u64,
        });
    }
    let bands: Vec<serde_json::Value> = scorer
        .bands
        .iter()
        .zip(plan.alphas.iter().zip(&plan.lead_priors))
        .zip(split_bands(&plan.edges, &refs))
        .map(|((b, (alpha, lead_prior)), members)| {
            serde_json::json!({
                "min_compression": b.min_compression,
                "alpha": alpha,
                "lead_prior": lead_prior,
                "articles": members.len(),
                // Weights on the standardised features, for the model card (the bundle holds
                // them).
                "weights": features::NAMES.iter().zip(&b.scorer.weights)
                    .map(|(n, w)| (n.to_string(), (w * 1000.0).round() / 1000.0))
                    .collect::<std::collections::BTreeMap<_, _>>(),
            })
        })
        .collect();
    let meta = ComponentMeta {
        kind: "logistic-regression".into(),
        metrics,
        data: files,
        config: serde_json::json!({
            "features": features::NAMES.as_slice(),
            "band_edges": plan.edges,
            "alphas": plan.alphas,
            "lead_priors": plan.lead_priors,
            "bands": bands,
            "recipe": recipe,
        }),
    };
    Ok((scorer, meta))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn oracle_finds_the_extractive_reference() {
        let mut v = RougeVocab::new();
        let sents: Vec<Vec<u32>> = [
            "The council approved the new budget on Monday.",
            "It was raining in the city.",
            "Taxes will rise by two percent next year.",
            "Local football results follow.",
        ]
        .iter()
        .map(|s| v.tokens(s))
        .collect();
        let reference =
            v.tokens("Taxes will rise by two percent next year. The council approved the new budget on Monday.");
        assert_eq!(oracle(&sents, &reference), vec![0, 2]);
    }

    #[test]
    fn oracle_labels_abstractive_highlights_and_stops_when_nothing_helps() {
        let mut v = RougeVocab::new();
        let sents: Vec<Vec<u32>> = [
            "Officials said the bridge will close for repairs in March.",
            "Drivers must use the northern route instead.",
            "The weather was mild.",
        ]
        .iter()
        .map(|s| v.tokens(s))
        .collect();
        let reference =
            v.tokens("Bridge to close in March for repairs\nDrivers told to use northern route");
        assert_eq!(oracle(&sents, &reference), vec![0, 1]);
        assert!(oracle(&sents, &v.tokens("unrelated gibberish zebra")).is_empty());
        assert!(oracle(&[], &reference).is_empty());
    }

    /// A model that prefers long sentences, over an article whose long sentence comes last.
    fn long_sentence_model_and_rows() -> (LinearScorer, Vec<Row>) {
        let rows: Vec<Row> = (0..6)
            .map(|i| {
                let mut r = [0.0; features::N];
                r[features::POSITION_LOG] = (1.0 + i as f64).ln();
                r[7] = if i == 5 { 2.0 } else { 0.5 }; // length
                r
            })
            .collect();
        let mut weights = vec![0.0; features::N];
        weights[7] = 1.0;
        let scorer = LinearScorer {
            features: features::NAMES.iter().map(|s| s.to_string()).collect(),
            mean: vec![0.0; features::N],
            scale: vec![1.0; features::N],
            weights,
            bias: 0.0,
        };
        (scorer, rows)
    }

    fn best(scorer: &LinearScorer, rows: &[Row]) -> usize {
        let s = scorer.score(rows);
        (0..rows.len())
            .max_by(|&a, &b| s[a].total_cmp(&s[b]))
            .unwrap()
    }

    #[test]
    fn a_lead_prior_moves_the_ranking_toward_the_lead_in_units_of_the_learned_score() {
        let (fitted, rows) = long_sentence_model_and_rows();
        assert_eq!(best(&fitted, &rows), 5);
        let mut none = fitted.clone();
        add_lead_prior(&mut none, 0.0, &rows);
        assert_eq!(none, fitted, "a prior of 0 leaves the model as it was");
        let mut weak = fitted.clone();
        add_lead_prior(&mut weak, 0.1, &rows);
        assert_eq!(
            best(&weak, &rows),
            5,
            "a weak prior does not outweigh the learned score"
        );
        let mut strong = fitted.clone();
        add_lead_prior(&mut strong, 5.0, &rows);
        assert_eq!(
            best(&strong, &rows),
            0,
            "a strong prior ranks the lead first"
        );
        assert!(strong.check().is_ok());
        // Scaling the learned weights scales the prior with them: the same lambda, the same
        // ranking.
        let mut scaled = fitted.clone();
        scaled.weights[7] = 10.0;
        add_lead_prior(&mut scaled, 0.1, &rows);
        assert_eq!(best(&scaled, &rows), 5);
        let mut scaled_strong = fitted.clone();
        scaled_strong.weights[7] = 10.0;
        add_lead_prior(&mut scaled_strong, 5.0, &rows);
        assert_eq!(best(&scaled_strong, &rows), 0);
    }

    #[test]
    fn the_plan_of_a_scorer_records_its_lead_priors() {
        let meta = |config: serde_json::Value| ComponentMeta {
            kind: "logistic-regression".into(),
            metrics: [("alpha".to_owned(), 7.0)].into_iter().collect(),
            data: Vec::new(),
            config,
        };
        let plan = BandPlan::of(
            &meta(
                serde_json::json!({"band_edges": [0.8], "alphas": [100.0, 10.0], "lead_priors": [0.0, 1.5]}),
            ),
            1.0,
        );
        assert_eq!(plan.lead_priors, vec![0.0, 1.5]);
        // Scorers trained before lead priors have none.
        let old = BandPlan::of(
            &meta(serde_json::json!({"band_edges": [0.8], "alphas": [100.0, 10.0]})),
            1.0,
        );
        assert_eq!(old.lead_priors, vec![0.0, 0.0]);
        assert_eq!(
            BandPlan::of(&meta(serde_json::json!({})), 1.0),
            BandPlan::single(7.0)
        );
    }
}
