//! A learned sentence scorer: logistic regression over the sentence features of
//! [`super::features`], fitted by `lede-train --summary-data` (see `crate::train::summary`).
//!
//! Stored in the model bundle (format version 2) with the feature names it was fitted on and
//! the standardisation it applies; a bundle without one (and every version-1 bundle) scores
//! with the hand-set weights of [`super::SummarizerConfig`]. Only the plain numbers are stored,
//! never linfa's own structs (../shared/STACK.md).

use serde::{Deserialize, Serialize};

use super::features::{self, Row};

/// A fitted sentence scorer: `P(in summary) = sigmoid(bias + sum_j w_j (x_j - mean_j) / scale_j)`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SentenceScorer {
    /// Feature names, in the order of `weights` (must equal [`features::NAMES`]).
    pub features: Vec<String>,
    /// Mean of each feature on the training sentences.
    pub mean: Vec<f64>,
    /// Standard deviation of each feature on the training sentences (1 where it was 0).
    pub scale: Vec<f64>,
    /// Weights on the standardised features.
    pub weights: Vec<f64>,
    pub bias: f64,
}

impl SentenceScorer {
    /// Checks that the scorer fits this build's features (called when a bundle is loaded, so
    /// that scoring itself cannot fail).
    pub fn check(&self) -> Result<(), String> {
        if self.features.iter().map(String::as_str).ne(features::NAMES) {
            return Err(format!(
                "the summary scorer was fitted on features {:?}; this build computes {:?}: retrain the model with this lede-train",
                self.features,
                features::NAMES
            ));
        }
        let n = features::N;
        if self.mean.len() != n || self.scale.len() != n || self.weights.len() != n {
            return Err("the summary scorer's vectors do not match its features".into());
        }
        let finite = |v: &[f64]| v.iter().all(|x| x.is_finite());
        if !(finite(&self.mean)
            && finite(&self.weights)
            && self.scale.iter().all(|s| s.is_finite() && *s > 0.0)
            && self.bias.is_finite())
        {
            return Err("the summary scorer has non-finite or non-positive values".into());
        }
        Ok(())
    }

    /// The linear score (log-odds) of one sentence.
    pub fn logit(&self, row: &Row) -> f64 {
        self.bias
            + row
                .iter()
                .zip(&self.mean)
                .zip(&self.scale)
                .zip(&self.weights)
                .map(|(((x, m), s), w)| w * (x - m) / s)
                .sum::<f64>()
    }

    /// Probability that each sentence belongs in the summary (same order as `rows`).
    pub fn score(&self, rows: &[Row]) -> Vec<f64> {
        rows.iter()
            .map(|r| 1.0 / (1.0 + (-self.logit(r)).exp()))
            .collect()
    }

    /// The kind shown to users (`GetModelInfo`, model card).
    pub const KIND: &'static str = "learned (logistic regression)";
}

/// The kind of the hand-set scorer, as shown to users.
pub const HAND_SET: &str = "hand-set";

#[cfg(test)]
mod tests {
    use super::*;

    fn scorer() -> SentenceScorer {
        let n = features::N;
        let mut weights = vec![0.0; n];
        weights[0] = 2.0; // first_sentence
        SentenceScorer {
            features: features::NAMES.iter().map(|s| s.to_string()).collect(),
            mean: vec![0.5; n],
            scale: vec![0.5; n],
            weights,
            bias: -1.0,
        }
    }

    #[test]
    fn scores_are_the_logistic_of_standardised_features() {
        let s = scorer();
        s.check().unwrap();
        let mut lead = [0.0; features::N];
        lead[0] = 1.0;
        let other = [0.0; features::N];
        let p = s.score(&[lead, other]);
        // (1 - 0.5) / 0.5 * 2 - 1 = 1; (0 - 0.5) / 0.5 * 2 - 1 = -3.
        assert!((p[0] - 1.0 / (1.0 + (-1.0f64).exp())).abs() < 1e-12);
        assert!((p[1] - 1.0 / (1.0 + 3.0f64.exp())).abs() < 1e-12);
    }

    #[test]
    fn check_rejects_other_features_and_bad_numbers() {
        let mut s = scorer();
        s.features[0] = "dataset_id".into();
        assert!(s.check().unwrap_err().contains("retrain"));
        let mut s = scorer();
        s.scale[3] = 0.0;
        assert!(s.check().is_err());
        let mut s = scorer();
        s.weights.pop();
        assert!(s.check().is_err());
    }
}
