//! Naive Bayes heads over sparse TF-IDF vectors.
//!
//! Training goes through linfa-bayes' `MultinomialNb`. Multinomial NB needs only per-class
//! feature sums and class counts, so documents are accumulated into one row per class
//! ([`NbStats`]) and linfa is fitted once on that aggregated matrix: its `feature_log_prob` is
//! bit-identical to a fit on every document (../shared/STACK.md), one fit call keeps the `dbg!`
//! left in linfa-bayes 0.8.1 to a single burst (silenced, see [`quiet_stderr`]), and memory
//! stays at classes x vocabulary whatever the corpus size. Priors come from the real class
//! counts. The fitted parameters are copied out of linfa's private fields through its serde
//! representation (pinned `=0.8.1`; `linfa_layout_is_as_expected` fails if it changes) into
//! our own [`NbHead`]; linfa's structs are never persisted.
//!
//! Inference does not use linfa: its predict is a dense `1 x V` product (~34 us at 50k terms),
//! while a document has a few hundred non-zeros; the hand-written sparse dot in [`NbHead::jll`]
//! over a term-major weight table is ~70x faster with the same numbers. Probabilities use a
//! max-subtracted log-sum-exp (linfa's `predict_log_proba` overflows to `inf` on raw counts).
//!
//! Complement NB (Rennie et al. 2003, as in scikit-learn's `ComplementNB(norm=False)`) is
//! computed from the same per-class sums that linfa fitted; it often does better on skewed
//! label sets such as the regions.

use std::collections::HashMap;

use linfa::prelude::*;
use linfa_bayes::MultinomialNb;
use ndarray::{Array1, Array2};
use serde::{Deserialize, Serialize};

use crate::features::SparseVec;

/// Which naive Bayes variant a head uses.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum NbKind {
    Multinomial,
    Complement,
}

/// Hyperparameters of a naive Bayes head.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct NbParams {
    /// Variant. Default: multinomial.
    pub kind: NbKind,
    /// Additive (Lidstone) smoothing. Default: 0.03 (range > 0).
    pub alpha: f64,
    /// Use class priors from the training counts (multinomial only); false = uniform priors.
    /// Default: true.
    pub fit_prior: bool,
}

impl Default for NbParams {
    fn default() -> Self {
        NbParams {
            kind: NbKind::Multinomial,
            alpha: 0.03,
            fit_prior: true,
        }
    }
}

/// Errors of training a head.
#[derive(Debug, thiserror::Error)]
pub enum ClassifyError {
    #[error("invalid naive Bayes parameter: {0}")]
    InvalidParam(String),
    #[error("need at least 2 labels with examples, got {0}")]
    TooFewLabels(usize),
    #[error("label {label:?} has {count} training example(s); at least {min} are needed")]
    TooFewExamples { label: String, count: u64, min: u64 },
    #[error("linfa-bayes failed to fit: {0}")]
    Linfa(String),
}

impl NbParams {
    pub fn check(&self) -> Result<(), ClassifyError> {
        if !(self.alpha > 0.0 && self.alpha.is_finite()) {
            return Err(ClassifyError::InvalidParam(format!(
                "alpha must be a positive number, got {}",
                self.alpha
            )));
        }
        Ok(())
    }
}

/// Sufficient statistics of a head: per-class sums of document vectors and class counts.
#[derive(Debug, Clone)]
pub struct NbStats {
    labels: Vec<String>,
    counts: Vec<u64>,
    sums: Vec<Vec<f64>>,
    n_features: usize,
}

impl NbStats {
    pub fn new(labels: Vec<String>, n_features: usize) -> Self {
        let c = labels.len();
        NbStats {
            labels,
            counts: vec![0; c],
            sums: vec![vec![0.0; n_features]; c],
            n_features,
        }
    }

    pub fn labels(&self) -> &[String] {
        &self.labels
    }
    pub fn counts(&self) -> &[u64] {
        &self.counts
    }

    /// Adds a document of class `label` (an index into `labels`) with weight `w`.
    /// A weight below 1 (a document shared by several classes) counts as a fraction of a doc.
    pub fn add(&mut self, label: usize, x: &SparseVec, w: f64) {
        self.counts[label] += 1;
        self.add_evidence(label, x, w);
    }

    /// These statistics minus `part` (all folds but one, for cross-validation).
    pub fn minus(&self, part: &NbStats) -> NbStats {
        let mut out = self.clone();
        for (c, p) in out.counts.iter_mut().zip(&part.counts) {
            *c -= p;
        }
        for (row, prow) in out.sums.iter_mut().zip(&part.sums) {
            for (v, p) in row.iter_mut().zip(prow) {
                *v -= p;
            }
        }
        out
    }

    /// Adds `w` times `other` (same labels and features): combining per-source statistics
    /// with source weights. Document counts are added unweighted (priors use real counts).
    pub fn add_scaled(&mut self, other: &NbStats, w: f64) {
        debug_assert_eq!(self.labels, other.labels);
        for (c, o) in self.counts.iter_mut().zip(&other.counts) {
            *c += o;
        }
        for (row, orow) in self.sums.iter_mut().zip(&other.sums) {
            for (v, o) in row.iter_mut().zip(orow) {
                *v += o * w;
            }
        }
    }

    /// Adds feature mass to a class without counting a document (prior knowledge such as a
    /// gazetteer entry).
    pub fn add_evidence(&mut self, label: usize, x: &SparseVec, w: f64) {
        let row = &mut self.sums[label];
        for (i, v) in x.iter() {
            row[i as usize] += v as f64 * w;
        }
    }

    fn check_fit(&self, params: &NbParams, min_examples: u64) -> Result<(), ClassifyError> {
        params.check()?;
        let present = self.counts.iter().filter(|&&c| c > 0).count();
        if present < 2 {
            return Err(ClassifyError::TooFewLabels(present));
        }
        for (label, &count) in self.labels.iter().zip(&self.counts) {
            if count < min_examples {
                return Err(ClassifyError::TooFewExamples {
                    label: label.clone(),
                    count,
                    min: min_examples,
                });
            }
        }
        Ok(())
    }

    /// Fits a head through linfa-bayes. Every label needs at least `min_examples` documents.
    pub fn fit(&self, params: &NbParams, min_examples: u64) -> Result<NbHead, ClassifyError> {
        self.check_fit(params, min_examples)?;
        let c = self.labels.len();
        let v = self.n_features;
        let x = Array2::from_shape_fn((c, v), |(i, j)| self.sums[i][j]);
        let y = Array1::from_iter(0..c);
        let dataset = Dataset::new(x, y);
        let fitted = quiet_stderr(|| {
            MultinomialNb::params()
                .alpha(params.alpha)
                .fit(&dataset)
                .map_err(|e| ClassifyError::Linfa(e.to_string()))
        })?;
        let exported = export(&fitted)?;
        Ok(self.assemble(params, &exported))
    }

    /// The same fit without linfa: `feature_log_prob = ln(n_kj + a) - ln(sum_j(n_kj + a))`,
    /// linfa-bayes 0.8.1's formula (`fit_direct_equals_linfa` pins it). Used only for model
    /// selection, where cross-validation needs dozens of fits and each linfa call costs a dense
    /// copy plus its `dbg!` burst; the shipped head always comes from [`NbStats::fit`].
    pub fn fit_direct(
        &self,
        params: &NbParams,
        min_examples: u64,
    ) -> Result<NbHead, ClassifyError> {
        self.check_fit(params, min_examples)?;
        let exported: Vec<LinfaClassHistogram> = self
            .sums
            .iter()
            .map(|row| {
                let smoothed = Array1::from_iter(row.iter().map(|x| x + params.alpha));
                let ln_total = smoothed.sum().ln();
                LinfaClassHistogram {
                    class_count: 0,
                    prior: 0.0,
                    feature_log_prob: smoothed.mapv(|x| x.ln() - ln_total),
                    feature_count: Array1::from_vec(row.clone()),
                }
            })
            .collect();
        Ok(self.assemble(params, &exported))
    }

    fn assemble(&self, params: &NbParams, exported: &[LinfaClassHistogram]) -> NbHead {
        let c = self.labels.len();
        let v = self.n_features;
        let total: u64 = self.counts.iter().sum();
        let mut log_prior = vec![0.0f32; c];
        let mut weights = vec![0.0f32; c * v];
        match params.kind {
            NbKind::Multinomial => {
                for (k, class) in exported.iter().enumerate() {
                    log_prior[k] = if params.fit_prior {
                        (self.counts[k] as f64 / total as f64).ln() as f32
                    } else {
                        -(c as f32).ln()
                    };
                    for (j, lp) in class.feature_log_prob.iter().enumerate() {
                        weights[j * c + k] = *lp as f32;
                    }
                }
            }
            NbKind::Complement => {
                // scikit-learn ComplementNB(norm=False): w_kj = -ln((all_j - n_kj + a) / sum_j(...))
                let all: Vec<f64> = (0..v)
                    .map(|j| exported.iter().map(|e| e.feature_count[j]).sum())
                    .collect();
                for (k, class) in exported.iter().enumerate() {
                    let comp: Vec<f64> = (0..v)
                        .map(|j| all[j] - class.feature_count[j] + params.alpha)
                        .collect();
                    let ln_total = comp.iter().sum::<f64>().ln();
                    for (j, cj) in comp.iter().enumerate() {
                        weights[j * c + k] = (ln_total - cj.ln()) as f32;
                    }
                    log_prior[k] = 0.0;
                }
            }
        }
        NbHead {
            labels: self.labels.clone(),
            kind: params.kind,
            log_prior,
            weights,
        }
    }
}

/// A mirror of linfa-bayes 0.8.1's private `ClassHistogram`, filled through serde.
#[derive(Deserialize)]
struct LinfaClassHistogram {
    #[allow(dead_code)]
    class_count: usize,
    #[allow(dead_code)]
    prior: f64,
    feature_count: Array1<f64>,
    feature_log_prob: Array1<f64>,
}

#[derive(Deserialize)]
struct LinfaMultinomialNb {
    class_info: HashMap<usize, LinfaClassHistogram>,
}

/// Copies the fitted parameters out of linfa's model, ordered by class index.
fn export(model: &MultinomialNb<f64, usize>) -> Result<Vec<LinfaClassHistogram>, ClassifyError> {
    let bytes = postcard::to_allocvec(model).map_err(|e| ClassifyError::Linfa(e.to_string()))?;
    let mirror: LinfaMultinomialNb = postcard::from_bytes(&bytes).map_err(|e| {
        ClassifyError::Linfa(format!(
            "linfa-bayes model layout changed ({e}); re-check the mirror"
        ))
    })?;
    let mut classes: Vec<(usize, LinfaClassHistogram)> = mirror.class_info.into_iter().collect();
    classes.sort_by_key(|(k, _)| *k);
    Ok(classes.into_iter().map(|(_, h)| h).collect())
}

/// Runs `f` with the process's stderr (fd 2) pointed at /dev/null.
///
/// linfa-bayes 0.8.1 left a `dbg!` in `MultinomialNb::fit_with` (rust-ml/linfa#441, fixed
/// upstream, not released) that prints every class histogram, megabytes for a real vocabulary.
/// Training calls linfa once per head, so this silences exactly that one call. It is process
/// global, hence only used by training, never by the server.
fn quiet_stderr<T>(f: impl FnOnce() -> T) -> T {
    use std::io::Write;
    let _ = std::io::stderr().flush();
    // SAFETY: plain POSIX fd calls; every fd opened here is closed or restored before returning.
    unsafe {
        let devnull = libc::open(c"/dev/null".as_ptr(), libc::O_WRONLY);
        let saved = libc::dup(2);
        if devnull < 0 || saved < 0 {
            if devnull >= 0 {
                libc::close(devnull);
            }
            if saved >= 0 {
                libc::close(saved);
            }
            return f();
        }
        libc::dup2(devnull, 2);
        libc::close(devnull);
        let out = f();
        libc::dup2(saved, 2);
        libc::close(saved);
        out
    }
}

/// A fitted head: labels, log priors, and a term-major weight table (`weights[term * C + class]`)
/// so that one document's non-zeros read contiguous rows.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct NbHead {
    pub labels: Vec<String>,
    pub kind: NbKind,
    pub log_prior: Vec<f32>,
    pub weights: Vec<f32>,
}

/// One ranked label with its probability.
#[derive(Debug, Clone, PartialEq)]
pub struct Scored {
    pub label: usize,
    pub probability: f64,
}

impl NbHead {
    /// The weighted sum of two heads' joint log-likelihoods, as one head: `wa * jll_a + wb *
    /// jll_b` for every document (both are linear in the features, so the sum is too, and
    /// inference costs what one head costs). With `w = share / T` for each head's softmax
    /// temperature `T`, this is a weighted product of the two heads' calibrated posteriors (a
    /// "product of experts"): used to combine a multinomial and a complement head, which err
    /// differently (see `HeadRecipe::blend_share_grid`). The heads must have the same labels and
    /// features; the result keeps `a`'s kind.
    pub fn blend(a: &NbHead, wa: f64, b: &NbHead, wb: f64) -> Result<NbHead, ClassifyError> {
        if a.labels != b.labels || a.weights.len() != b.weights.len() {
            return Err(ClassifyError::InvalidParam(
                "blended heads must have the same labels and features".into(),
            ));
        }
        let mix = |x: &[f32], y: &[f32]| -> Vec<f32> {
            x.iter()
                .zip(y)
                .map(|(&p, &q)| (wa * p as f64 + wb * q as f64) as f32)
                .collect()
        };
        Ok(NbHead {
            labels: a.labels.clone(),
            kind: a.kind,
            log_prior: mix(&a.log_prior, &b.log_prior),
            weights: mix(&a.weights, &b.weights),
        })
    }

    pub fn n_classes(&self) -> usize {
        self.labels.len()
    }
    pub fn n_features(&self) -> usize {
        self.weights.len() / self.labels.len().max(1)
    }

    /// Joint log-likelihood per class (unnormalised log posterior).
    pub fn jll(&self, x: &SparseVec) -> Vec<f64> {
        let mut acc: Vec<f64> = self.log_prior.iter().map(|&p| p as f64).collect();
        // Heads of up to eight labels (the shipped topic and region heads) get a copy of the
        // loop with the row length known at compile time, which the compiler unrolls and
        // vectorises across labels. Each label's sum still adds the same terms in the same
        // order, so the result is the same to the bit.
        match acc.len() {
            1 => self.jll_rows::<1>(x, &mut acc),
            2 => self.jll_rows::<2>(x, &mut acc),
            3 => self.jll_rows::<3>(x, &mut acc),
            4 => self.jll_rows::<4>(x, &mut acc),
            5 => self.jll_rows::<5>(x, &mut acc),
            6 => self.jll_rows::<6>(x, &mut acc),
            7 => self.jll_rows::<7>(x, &mut acc),
            8 => self.jll_rows::<8>(x, &mut acc),
            c => {
                for (i, v) in x.iter() {
                    let row = &self.weights[i as usize * c..(i as usize + 1) * c];
                    for (a, w) in acc.iter_mut().zip(row) {
                        *a += (v * w) as f64;
                    }
                }
            }
        }
        acc
    }

    /// Hand-written sparse dot: a document has ~100-500 non-zeros out of tens of thousands of
    /// terms; reading only their rows is what makes inference cheap. `C` is the label count.
    fn jll_rows<const C: usize>(&self, x: &SparseVec, acc: &mut [f64]) {
        let acc: &mut [f64; C] = acc.try_into().expect("one accumulator per label");
        for (i, v) in x.iter() {
            let row: &[f32; C] = self.weights[i as usize * C..(i as usize + 1) * C]
                .try_into()
                .expect("a row per feature");
            for (a, w) in acc.iter_mut().zip(row) {
                *a += (v * w) as f64;
            }
        }
    }

    /// Probabilities over all labels (stable softmax of the jll), in label order.
    pub fn probabilities(&self, x: &SparseVec) -> Vec<f64> {
        softmax(&self.jll(x))
    }

    /// Labels ranked by probability, highest first (ties by label order), at most `k`.
    pub fn top_k(&self, x: &SparseVec, k: usize) -> Vec<Scored> {
        self.ranked(x, k, 1.0, None)
    }

    /// [`NbHead::top_k`] with the softmax taken at `temperature` (> 0; 1 = the raw posterior)
    /// and, if `allowed` is given, over those label indices only (the others are left out and
    /// the probabilities renormalised over the allowed ones).
    pub fn ranked(
        &self,
        x: &SparseVec,
        k: usize,
        temperature: f64,
        allowed: Option<&[usize]>,
    ) -> Vec<Scored> {
        let jll = self.jll(x);
        let labels: Vec<usize> = match allowed {
            Some(a) => a.to_vec(),
            None => (0..jll.len()).collect(),
        };
        let scaled: Vec<f64> = labels.iter().map(|&l| jll[l] / temperature).collect();
        let mut ranked: Vec<Scored> = labels
            .into_iter()
            .zip(softmax(&scaled))
            .map(|(label, probability)| Scored { label, probability })
            .collect();
        ranked.sort_by(|a, b| {
            b.probability
                .total_cmp(&a.probability)
                .then(a.label.cmp(&b.label))
        });
        ranked.truncate(k);
        ranked
    }

    /// The `n` features that pushed the document most towards `label` compared with the average
    /// of the other labels: `x_j * (w_label,j - mean_other w_j)`, largest first.
    pub fn evidence(&self, x: &SparseVec, label: usize, n: usize) -> Vec<(u32, f64)> {
        let c = self.labels.len();
        let mut out: Vec<(u32, f64)> = x
            .iter()
            .map(|(i, v)| {
                let row = &self.weights[i as usize * c..(i as usize + 1) * c];
                let other = if c > 1 {
                    (row.iter().sum::<f32>() - row[label]) / (c - 1) as f32
                } else {
                    0.0
                };
                (i, (v * (row[label] - other)) as f64)
            })
            .filter(|(_, w)| *w > 0.0)
            .collect();
        out.sort_by(|a, b| b.1.total_cmp(&a.1).then(a.0.cmp(&b.0)));
        out.truncate(n);
        out
    }
}

/// The index of the largest of `jll[l]` for `l` in `allowed` (all labels if `None`); ties go
/// to the lower index.
pub fn argmax_among(jll: &[f64], allowed: Option<&[usize]>) -> usize {
    let mut best: Option<usize> = None;
    let mut consider = |l: usize| {
        if best.is_none_or(|b| jll[l] > jll[b]) {
            best = Some(l);
        }
    };
    match allowed {
        Some(a) => a.iter().copied().for_each(&mut consider),
        None => (0..jll.len()).for_each(&mut consider),
    }
    best.unwrap_or(0)
}

/// Fits a softmax temperature `T` minimising the negative log-likelihood of `truth` under
/// `softmax(jll / T)` (temperature scaling, Guo et al. 2017), over held-out (out-of-fold)
/// predictions. A one-dimensional convex problem in `ln T`: golden-section search over
/// T in [e^-6, e^6]. Returns 1 for no data.
pub fn fit_temperature(jlls: &[Vec<f64>], truth: &[usize]) -> f64 {
    if jlls.is_empty() {
        return 1.0;
    }
    let nll = |ln_t: f64| -> f64 {
        let t = ln_t.exp();
        jlls.iter()
            .zip(truth)
            .map(|(j, &y)| {
                let max = j.iter().copied().fold(f64::NEG_INFINITY, f64::max) / t;
                let lse = max + j.iter().map(|v| (v / t - max).exp()).sum::<f64>().ln();
                lse - j[y] / t
            })
            .sum()
    };
    let (mut a, mut b) = (-6.0f64, 6.0f64);
    let g = (5f64.sqrt() - 1.0) / 2.0;
    let (mut c, mut d) = (b - g * (b - a), a + g * (b - a));
    let (mut fc, mut fd) = (nll(c), nll(d));
    for _ in 0..60 {
        if fc < fd {
            b = d;
            d = c;
            fd = fc;
            c = b - g * (b - a);
            fc = nll(c);
        } else {
            a = c;
            c = d;
            fc = fd;
            d = a + g * (b - a);
            fd = nll(d);
        }
    }
    ((a + b) / 2.0).exp()
}

/// Numerically stable softmax (max-subtracted log-sum-exp).
pub fn softmax(jll: &[f64]) -> Vec<f64> {
    let max = jll.iter().copied().fold(f64::NEG_INFINITY, f64::max);
    let exps: Vec<f64> = jll.iter().map(|&v| (v - max).exp()).collect();
    let sum: f64 = exps.iter().sum();
    exps.into_iter().map(|e| e / sum).collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use approx::assert_abs_diff_eq;

    fn sv(pairs: &[(u32, f32)]) -> SparseVec {
        SparseVec {
            indices: pairs.iter().map(|p| p.0).collect(),
            values: pairs.iter().map(|p| p.1).collect(),
        }
    }

    #[test]
    fn a_blend_scores_the_weighted_sum_of_both_heads() {
        let mut stats = NbStats::new(vec!["a".into(), "b".into()], 3);
        stats.add(0, &sv(&[(0, 1.0), (1, 0.5)]), 1.0);
        stats.add(1, &sv(&[(1, 0.2), (2, 1.0)]), 1.0);
        stats.add(1, &sv(&[(2, 0.7)]), 1.0);
        let m = stats
            .fit_direct(
                &NbParams {
                    kind: NbKind::Multinomial,
                    alpha: 0.1,
                    fit_prior: false,
                },
                1,
            )
            .unwrap();
        let c = stats
            .fit_direct(
                &NbParams {
                    kind: NbKind::Complement,
                    alpha: 0.3,
                    fit_prior: true,
                },
                1,
            )
            .unwrap();
        let blend = NbHead::blend(&m, 0.7, &c, 0.2).unwrap();
        let x = sv(&[(0, 0.6), (2, 0.8)]);
        for ((b, jm), jc) in blend.jll(&x).iter().zip(m.jll(&x)).zip(c.jll(&x)) {
            assert_abs_diff_eq!(*b, 0.7 * jm + 0.2 * jc, epsilon = 1e-5);
        }
        let mut other = NbStats::new(vec!["a".into(), "c".into()], 3);
        other.add(0, &sv(&[(0, 1.0)]), 1.0);
        other.add(1, &sv(&[(1, 1.0)]), 1.0);
        let o = other.fit_direct(&NbParams::default(), 1).unwrap();
        assert!(NbHead::blend(&m, 0.5, &o, 0.5).is_err());
    }

    #[test]
    fn temperature_recovers_the_scale_of_overconfident_scores() {
        // Scores are 4x too sharp: true probabilities are softmax(z), the model says
        // softmax(4z). Draw labels from the true probabilities deterministically (by quantiles)
        // and check the fitted temperature is close to 4.
        let mut jlls = Vec::new();
        let mut truth = Vec::new();
        for i in 0..200 {
            let z = [
                0.0,
                (i % 7) as f64 * 0.3 - 0.9,
                ((i * 3) % 5) as f64 * 0.4 - 0.8,
            ];
            let p = softmax(&z);
            for q in 0..20 {
                let u = (q as f64 + 0.5) / 20.0;
                let y = if u < p[0] {
                    0
                } else if u < p[0] + p[1] {
                    1
                } else {
                    2
                };
                jlls.push(z.iter().map(|v| v * 4.0).collect());
                truth.push(y);
            }
        }
        let t = fit_temperature(&jlls, &truth);
        assert!((t - 4.0).abs() < 0.3, "fitted {t}");
        assert_eq!(fit_temperature(&[], &[]), 1.0);
    }

    /// The fixed-size copies of the dot product (up to eight labels) give the generic loop's
    /// sums to the bit, for every label count on both sides of that limit.
    #[test]
    fn jll_is_the_same_sum_for_every_label_count() {
        let features = 50u32;
        for c in 1..=11usize {
            let weights: Vec<f32> = (0..features as usize * c)
                .map(|i| ((i * 7919) % 1000) as f32 / -97.0)
                .collect();
            let head = NbHead {
                labels: (0..c).map(|k| format!("l{k}")).collect(),
                kind: NbKind::Multinomial,
                log_prior: (0..c).map(|k| -(k as f32) / 3.0).collect(),
                weights: weights.clone(),
            };
            let x = sv(&(0..features)
                .step_by(3)
                .map(|i| (i, 1.0 / (i as f32 + 1.5)))
                .collect::<Vec<_>>());
            let mut want: Vec<f64> = head.log_prior.iter().map(|&p| p as f64).collect();
            for (i, v) in x.iter() {
                for (k, a) in want.iter_mut().enumerate() {
                    *a += (v * weights[i as usize * c + k]) as f64;
                }
            }
            let got = head.jll(&x);
            assert_eq!(
                got.iter().map(|v| v.to_bits()).collect::<Vec<_>>(),
                want.iter().map(|v| v.to_bits()).collect::<Vec<_>>(),
                "{c} labels"
            );
        }
    }

    #[test]
    fn ranked_renormalises_over_allowed_labels() {
        let head = stats().fit_direct(&NbParams::default(), 1).unwrap();
        let x = sv(&[(0, 1.0)]);
        let all = head.ranked(&x, 2, 1.0, None);
        let only_b = head.ranked(&x, 2, 1.0, Some(&[1]));
        assert_eq!(only_b.len(), 1);
        assert_eq!(only_b[0].label, 1);
        assert_abs_diff_eq!(only_b[0].probability, 1.0, epsilon = 1e-12);
        // A higher temperature flattens the distribution without changing the order.
        let hot = head.ranked(&x, 2, 10.0, None);
        assert_eq!(hot[0].label, all[0].label);
        assert!(hot[0].probability < all[0].probability);
        assert_eq!(argmax_among(&[0.0, 2.0, 1.0], Some(&[0, 2])), 2);
        assert_eq!(argmax_among(&[0.0, 2.0, 1.0], None), 1);
    }

    fn stats() -> NbStats {
        let mut s = NbStats::new(vec!["a".into(), "b".into()], 3);
        s.add(0, &sv(&[(0, 2.0), (1, 1.0)]), 1.0);
        s.add(0, &sv(&[(0, 1.0)]), 1.0);
        s.add(1, &sv(&[(2, 3.0), (1, 1.0)]), 1.0);
        s
    }

    /// Values from scikit-learn 1.9.1 `MultinomialNB(alpha=1.0)` and `ComplementNB(alpha=1.0)`
    /// fitted on X = [[2,1,0],[1,0,0],[0,1,3]], y = [a,a,b].
    #[test]
    fn matches_scikit_learn() {
        let head = stats()
            .fit(
                &NbParams {
                    alpha: 1.0,
                    ..Default::default()
                },
                1,
            )
            .unwrap();
        let want_flp = [
            [-0.55961579, -1.25276297, -1.94591015],
            [-1.94591015, -1.25276297, -0.55961579],
        ];
        for (k, row) in want_flp.iter().enumerate() {
            for (j, w) in row.iter().enumerate() {
                assert_abs_diff_eq!(head.weights[j * 2 + k] as f64, *w, epsilon = 1e-6);
            }
        }
        assert_abs_diff_eq!(
            head.log_prior[0] as f64,
            (2.0f64 / 3.0).ln(),
            epsilon = 1e-6
        );
        let p = head.probabilities(&sv(&[(0, 1.0), (2, 1.0)]));
        assert_abs_diff_eq!(p[0], 0.6666666666666666, epsilon = 1e-6);

        let cnb = stats()
            .fit(
                &NbParams {
                    alpha: 1.0,
                    kind: NbKind::Complement,
                    fit_prior: true,
                },
                1,
            )
            .unwrap();
        let want_cnb = [
            [1.94591015, 1.25276297, 0.55961579],
            [0.55961579, 1.25276297, 1.94591015],
        ];
        for (k, row) in want_cnb.iter().enumerate() {
            for (j, w) in row.iter().enumerate() {
                assert_abs_diff_eq!(cnb.weights[j * 2 + k] as f64, *w, epsilon = 1e-6);
            }
        }
    }

    /// Pins linfa-bayes' private layout that [`export`] mirrors (#2: never persist linfa structs).
    #[test]
    fn linfa_layout_is_as_expected() {
        let x = Array2::from_shape_vec((2, 2), vec![1.0, 0.0, 0.0, 1.0]).unwrap();
        let ds = Dataset::new(x, Array1::from_vec(vec![0usize, 1]));
        let m = quiet_stderr(|| MultinomialNb::params().alpha(1.0).fit(&ds).unwrap());
        let e = export(&m).unwrap();
        assert_eq!(e.len(), 2);
        assert_eq!(e[0].feature_count.to_vec(), vec![1.0, 0.0]);
    }

    #[test]
    fn fit_direct_equals_linfa() {
        for kind in [NbKind::Multinomial, NbKind::Complement] {
            let p = NbParams {
                alpha: 0.1,
                kind,
                fit_prior: true,
            };
            let a = stats().fit(&p, 1).unwrap();
            let b = stats().fit_direct(&p, 1).unwrap();
            assert_eq!(a.weights, b.weights);
            assert_eq!(a.log_prior, b.log_prior);
        }
    }

    #[test]
    fn softmax_is_stable() {
        let p = softmax(&[-10000.0, -10001.0, -20000.0]);
        assert!(p.iter().all(|v| v.is_finite()));
        assert_abs_diff_eq!(p.iter().sum::<f64>(), 1.0, epsilon = 1e-12);
        assert!(p[0] > p[1] && p[2] == 0.0);
    }

    #[test]
    fn rejects_bad_params_and_thin_labels() {
        assert!(stats()
            .fit(
                &NbParams {
                    alpha: 0.0,
                    ..Default::default()
                },
                1
            )
            .is_err());
        assert!(stats()
            .fit(
                &NbParams {
                    alpha: f64::NAN,
                    ..Default::default()
                },
                1
            )
            .is_err());
        let err = stats().fit(&NbParams::default(), 2).unwrap_err();
        assert!(err.to_string().contains("\"b\" has 1"), "{err}");
    }

    #[test]
    fn top_k_and_evidence() {
        let head = stats().fit(&NbParams::default(), 1).unwrap();
        let x = sv(&[(0, 1.0), (2, 0.1)]);
        let top = head.top_k(&x, 5);
        assert_eq!(top.len(), 2);
        assert_eq!(top[0].label, 0);
        let ev = head.evidence(&x, 0, 3);
        assert_eq!(ev[0].0, 0);
    }
}
