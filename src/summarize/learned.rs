//! A learned sentence scorer: logistic regression over the sentence features of
//! [`super::features`], fitted by `lede-train --summary-data` (see `crate::train::summary`).
//!
//! Stored in the model bundle with the feature names it was fitted on and the standardisation
//! it applies; a bundle without one (and every version-1 bundle) scores with the hand-set
//! weights of [`super::SummarizerConfig`]. Only the plain numbers are stored, never linfa's own
//! structs (../shared/STACK.md).
//!
//! **Compression bands** (format version 3): a scorer may hold one linear model per range of
//! compression (`1 - budget / sentences`, see [`features::compression`]), because what makes a
//! good 3-sentence summary of a 30-sentence article (the lead) is not what makes a good
//! 8-of-20 one (coverage), and one linear model fitted on both kinds of reference learns
//! neither well. The band is chosen by the request's length option, never by where a text
//! comes from; the bands' edges are chosen by cross-validation at training. A version-2 scorer
//! loads as one band.

use serde::{Deserialize, Serialize};

use super::features::{self, Row};

/// One linear model: `P(in summary) = sigmoid(bias + sum_j w_j (x_j - mean_j) / scale_j)`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct LinearScorer {
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

impl LinearScorer {
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
}

/// The band of a compression given the ascending edges between bands (0 = below the first
/// edge; an edge belongs to the band above it). Training assigns articles to bands and serving
/// picks a request's band with this one rule.
pub fn band_index(edges: impl IntoIterator<Item = f64>, compression: f64) -> usize {
    edges.into_iter().take_while(|e| *e <= compression).count()
}

/// The linear model of one range of compression.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Band {
    /// Lowest compression this band scores (the first band's is 0).
    pub min_compression: f64,
    pub scorer: LinearScorer,
}

/// A fitted sentence scorer: one [`LinearScorer`] per compression band, in ascending order of
/// `min_compression`, the first starting at 0.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SentenceScorer {
    pub bands: Vec<Band>,
}

impl From<LinearScorer> for SentenceScorer {
    /// A scorer of one band (how a version-2 bundle's scorer loads).
    fn from(scorer: LinearScorer) -> Self {
        SentenceScorer {
            bands: vec![Band {
                min_compression: 0.0,
                scorer,
            }],
        }
    }
}

impl SentenceScorer {
    /// Checks the bands and each band's model (called when a bundle is loaded, so that scoring
    /// itself cannot fail).
    pub fn check(&self) -> Result<(), String> {
        let Some(first) = self.bands.first() else {
            return Err("the summary scorer has no bands".into());
        };
        if first.min_compression != 0.0 {
            return Err("the summary scorer's first band must start at compression 0".into());
        }
        if self
            .bands
            .windows(2)
            .any(|w| !(w[0].min_compression < w[1].min_compression && w[1].min_compression <= 1.0))
        {
            return Err(
                "the summary scorer's bands must be in ascending order of compression, within [0, 1]"
                    .into(),
            );
        }
        self.bands.iter().try_for_each(|b| b.scorer.check())
    }

    /// The linear model that scores a summary of this compression.
    pub fn band(&self, compression: f64) -> &LinearScorer {
        // `check` guarantees a first band at 0; the others start at the edges.
        let edges = self.bands.iter().skip(1).map(|b| b.min_compression);
        &self.bands[band_index(edges, compression)].scorer
    }

    /// Probability that each sentence belongs in a summary of this compression (same order as
    /// `rows`, which must be the features of the same budget).
    pub fn score(&self, rows: &[Row], compression: f64) -> Vec<f64> {
        self.band(compression).score(rows)
    }

    /// The kind shown to users (`GetModelInfo`, model card).
    pub const KIND: &'static str = "learned (logistic regression)";
}

/// The kind of the hand-set scorer, as shown to users.
pub const HAND_SET: &str = "hand-set";

#[cfg(test)]
mod tests {
    use super::*;

    fn scorer() -> LinearScorer {
        let n = features::N;
        let mut weights = vec![0.0; n];
        weights[0] = 2.0; // first_sentence
        LinearScorer {
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

    #[test]
    fn the_band_is_chosen_by_compression() {
        let lead = scorer();
        let mut last = scorer();
        last.weights[0] = -2.0;
        let s = SentenceScorer {
            bands: vec![
                Band {
                    min_compression: 0.0,
                    scorer: last,
                },
                Band {
                    min_compression: 0.75,
                    scorer: lead,
                },
            ],
        };
        s.check().unwrap();
        let mut first = [0.0; features::N];
        first[0] = 1.0;
        let rows = [first, [0.0; features::N]];
        let long_summary = s.score(&rows, 0.5);
        let short_summary = s.score(&rows, 0.9);
        assert!(long_summary[0] < long_summary[1]);
        assert!(short_summary[0] > short_summary[1]);
        assert_eq!(s.score(&rows, 0.75), short_summary);
        // One band (a version-2 scorer) scores every compression alike.
        let one = SentenceScorer::from(scorer());
        assert_eq!(one.score(&rows, 0.1), one.score(&rows, 0.9));
    }

    #[test]
    fn check_rejects_bands_out_of_order() {
        let band = |min_compression| Band {
            min_compression,
            scorer: scorer(),
        };
        for bands in [
            vec![],
            vec![band(0.5)],
            vec![band(0.0), band(0.8), band(0.6)],
            vec![band(0.0), band(0.0)],
            vec![band(0.0), band(1.5)],
        ] {
            assert!(SentenceScorer { bands }.check().is_err());
        }
        assert!(SentenceScorer {
            bands: vec![band(0.0), band(0.6), band(0.8)]
        }
        .check()
        .is_ok());
    }
}
