//! A learned line classifier for cleaning (placeholder until it is fitted by `lede-train`).
//!
//! The fitted classifier is stored in the model bundle (format version 2) and handed to the
//! cleaner by the model; a bundle without one cleans with the rules alone.

use serde::{Deserialize, Serialize};

/// A fitted line/block classifier: a linear model over named line features.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct LineClassifier {
    /// Feature names, in the order of `weights`.
    pub features: Vec<String>,
    pub weights: Vec<f64>,
    pub bias: f64,
    /// A line is kept when its article probability is at least this.
    pub threshold: f64,
}
