//! A learned sentence scorer (placeholder until it is fitted by `lede-train --summary-data`).
//!
//! Stored in the model bundle (format version 2); a bundle without one (and every version-1
//! bundle) scores with the hand-set weights of [`super::SummarizerConfig`].

use serde::{Deserialize, Serialize};

/// A fitted sentence scorer: a linear model over named sentence features.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SentenceScorer {
    /// Feature names, in the order of `weights`.
    pub features: Vec<String>,
    pub weights: Vec<f64>,
    pub bias: f64,
}
