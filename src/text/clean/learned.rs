//! A learned line classifier for cleaning, fitted by `lede-train` (`src/train/cleaner.rs`).
//!
//! Two stacked logistic regressions over the line features of [`super::lines`]:
//! 1. the first scores each line from its own features and its neighbours' (log-odds `z`);
//! 2. the second reads the first's scores in context and decides: the line's `z`, the mean
//!    `z` of its neighbours, whether it lies in the page's best run of article-like lines
//!    (the maximum-sum run of `z` weighted by line length, found in one linear pass) and how
//!    far from it, and how it compares with the page's best line. Article text comes in one
//!    run; a good line amid a menu and a weak line amid paragraphs are judged by that run.
//!
//! Weights, feature scaling and the keep threshold are all fitted (the threshold and penalty
//! by cross-validation grouped by site). The classifier is stored in the model bundle (format
//! version 2) and handed to the cleaner by the model; a bundle without one cleans with the
//! rules alone.

use serde::{Deserialize, Serialize};

use super::lines::{max_sum_run, FEATURES, N_FEATURES};

/// Context features of the second stage, computed from the first stage's scores.
pub const CONTEXT_FEATURES: &[&str] = &[
    "z",
    "in_best_run",
    "ln_lines_before_run",
    "ln_lines_after_run",
    "window_mean_z",
    "prev_z",
    "next_z",
    "z_below_page_max",
    "relative_position",
];
pub const N_CONTEXT: usize = 9;
/// Inputs of the second stage: the context features, then the line features.
pub const N_SECOND: usize = N_CONTEXT + N_FEATURES;

/// First-stage scores are clipped to +-this before they weigh the best run (one confident
/// line must not outweigh a paragraph run).
const Z_CLIP: f64 = 3.0;
/// Score given to a missing neighbour (before the first line, after the last).
const Z_EDGE: f64 = -5.0;

/// A standardised linear model: `bias + sum(w_i * (x_i - shift_i) / scale_i)`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Linear {
    pub shift: Vec<f64>,
    /// > 0.
    pub scale: Vec<f64>,
    pub weights: Vec<f64>,
    pub bias: f64,
}

impl Linear {
    pub fn score(&self, x: &[f64]) -> f64 {
        let mut z = self.bias;
        for (((w, s), d), xi) in self.weights.iter().zip(&self.shift).zip(&self.scale).zip(x) {
            z += w * (xi - s) / d;
        }
        z
    }

    fn check(&self, n: usize) -> bool {
        [&self.shift, &self.scale, &self.weights]
            .iter()
            .all(|v| v.len() == n)
            && self
                .shift
                .iter()
                .chain(&self.weights)
                .chain([&self.bias])
                .all(|x| x.is_finite())
            && self.scale.iter().all(|s| s.is_finite() && *s > 0.0)
    }
}

/// A fitted line classifier: two stacked linear models over named line features.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct LineClassifier {
    /// Line feature names (must equal [`FEATURES`]).
    pub features: Vec<String>,
    /// Context feature names of the second stage (must equal [`CONTEXT_FEATURES`]).
    pub context: Vec<String>,
    pub first: Linear,
    pub second: Linear,
    /// A line is kept when its second-stage article probability is at least this.
    pub threshold: f64,
}

/// The second stage's context features of every line of a page, from the first stage's
/// scores `z` and the line features `x` (for line length). Linear time.
pub fn context(z: &[f64], x: &[[f64; N_FEATURES]]) -> Vec<[f64; N_CONTEXT]> {
    let n = z.len();
    // The best run: maximum-sum run of clip(z) * ln(1 + words) (Kadane).
    let range = max_sum_run(
        z.iter()
            .zip(x)
            .map(|(zi, xi)| zi.clamp(-Z_CLIP, Z_CLIP) * xi[0]),
    );
    let zmax = z.iter().copied().fold(f64::MIN, f64::max);
    let mut pref = vec![0.0; n + 1];
    for i in 0..n {
        pref[i + 1] = pref[i] + z[i];
    }
    (0..n)
        .map(|i| {
            let (lo, hi) = (i.saturating_sub(2), (i + 3).min(n));
            let others = (hi - lo - 1).max(1) as f64;
            [
                z[i],
                ((range.0..range.1).contains(&i)) as u8 as f64,
                (range.0.saturating_sub(i) as f64).ln_1p(),
                (i.saturating_sub(range.1.saturating_sub(1)) as f64).ln_1p(),
                (pref[hi] - pref[lo] - z[i]) / others,
                if i > 0 { z[i - 1] } else { Z_EDGE },
                if i + 1 < n { z[i + 1] } else { Z_EDGE },
                z[i] - zmax,
                i as f64 / n as f64,
            ]
        })
        .collect()
}

/// The second stage's input of one line: context features, then line features.
pub fn second_input(c: &[f64; N_CONTEXT], x: &[f64; N_FEATURES]) -> [f64; N_SECOND] {
    let mut out = [0.0; N_SECOND];
    out[..N_CONTEXT].copy_from_slice(c);
    out[N_CONTEXT..].copy_from_slice(x);
    out
}

impl LineClassifier {
    /// Is this classifier usable by this build (same features, consistent sizes, finite)?
    /// Checked when a model is loaded, so prediction cannot fail.
    pub fn check(&self) -> Result<(), String> {
        let same =
            |a: &[String], b: &[&str]| a.len() == b.len() && a.iter().zip(b).all(|(x, y)| x == y);
        if !same(&self.features, FEATURES) || !same(&self.context, CONTEXT_FEATURES) {
            return Err(format!(
                "the line classifier's features ({}; {}) are not this build's ({}; {})",
                self.features.join(","),
                self.context.join(","),
                FEATURES.join(","),
                CONTEXT_FEATURES.join(",")
            ));
        }
        if !self.first.check(N_FEATURES)
            || !self.second.check(N_SECOND)
            || !(0.0..=1.0).contains(&self.threshold)
        {
            return Err("the line classifier is inconsistent".into());
        }
        Ok(())
    }

    /// Second-stage article probability of every line of a page.
    pub fn probabilities(&self, x: &[[f64; N_FEATURES]]) -> Vec<f64> {
        let z: Vec<f64> = x.iter().map(|xi| self.first.score(xi)).collect();
        context(&z, x)
            .iter()
            .zip(x)
            .map(|(c, xi)| {
                let s = self.second.score(&second_input(c, xi));
                1.0 / (1.0 + (-s).exp())
            })
            .collect()
    }

    /// Which lines of a page to keep.
    pub fn keep(&self, x: &[[f64; N_FEATURES]]) -> Vec<bool> {
        self.probabilities(x)
            .into_iter()
            .map(|p| p >= self.threshold)
            .collect()
    }
}
