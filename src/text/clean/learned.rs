//! A learned line classifier for cleaning, fitted by `lede-train` (`src/train/cleaner.rs`).
//!
//! A logistic regression over the line features of [`super::lines`]: standardised features,
//! weights, a bias and a keep threshold, all chosen by cross-validation grouped by site. The
//! fitted classifier is stored in the model bundle (format version 2) and handed to the
//! cleaner by the model; a bundle without one cleans with the rules alone.

use serde::{Deserialize, Serialize};

use super::lines::{FEATURES, N_FEATURES};

/// A fitted line classifier: a linear model over named line features.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct LineClassifier {
    /// Feature names, in the order of `weights` (must equal [`FEATURES`]).
    pub features: Vec<String>,
    /// Subtracted from each feature before weighting (the training mean).
    pub shift: Vec<f64>,
    /// Each shifted feature is divided by this (the training standard deviation, > 0).
    pub scale: Vec<f64>,
    pub weights: Vec<f64>,
    pub bias: f64,
    /// A line is kept when its article probability is at least this.
    pub threshold: f64,
}

impl LineClassifier {
    /// Is this classifier usable by this build (same features, consistent sizes, finite)?
    /// Checked when a model is loaded, so prediction cannot fail.
    pub fn check(&self) -> Result<(), String> {
        if self.features.len() != N_FEATURES
            || self.features.iter().zip(FEATURES).any(|(a, b)| a != b)
        {
            return Err(format!(
                "the line classifier's features ({}) are not this build's ({})",
                self.features.join(","),
                FEATURES.join(",")
            ));
        }
        let sizes_ok = [&self.shift, &self.scale, &self.weights]
            .iter()
            .all(|v| v.len() == N_FEATURES);
        let finite = self
            .shift
            .iter()
            .chain(&self.weights)
            .chain([&self.bias, &self.threshold])
            .all(|x| x.is_finite());
        if !sizes_ok
            || !finite
            || !self.scale.iter().all(|s| s.is_finite() && *s > 0.0)
            || !(0.0..=1.0).contains(&self.threshold)
        {
            return Err("the line classifier is inconsistent".into());
        }
        Ok(())
    }

    /// The linear score (log-odds that the line is article text).
    pub fn score(&self, x: &[f64; N_FEATURES]) -> f64 {
        let mut z = self.bias;
        for i in 0..N_FEATURES {
            z += self.weights[i] * (x[i] - self.shift[i]) / self.scale[i];
        }
        z
    }

    /// Probability that the line is article text.
    pub fn probability(&self, x: &[f64; N_FEATURES]) -> f64 {
        1.0 / (1.0 + (-self.score(x)).exp())
    }

    /// Keep the line?
    pub fn keep(&self, x: &[f64; N_FEATURES]) -> bool {
        self.probability(x) >= self.threshold
    }
}
