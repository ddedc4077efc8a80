//! Evaluation: metrics and the reports `lede-eval` prints, written once and used by the
//! trainer's reports, the CI gate and the benchmarks alike. Binaries only parse flags, print
//! the reports and turn a [`GateFailure`] into a non-zero exit.
//!
//! - [`classify`]: one head on labelled rows: accuracy, macro-F1, per-class scores and the
//!   confusion matrix (`lede-eval classify`; the metrics are [`crate::train::eval`]'s).
//! - [`topics`]: seven-desk topic accuracy over each test set's own labels, calibration (ECE),
//!   title-only input and leave-one-source-out (`lede-eval topics`).
//! - [`summaries`]: ROUGE (Rust approximation for training) and the summary evaluation runs
//!   (`lede-eval summarize`).
//! - [`kept`]: the share of sentences cleaning keeps on clean articles (`lede-eval clean`).
//! - [`scraped`]: cleaning's precision and recall of removal on synthetic scraped pages built
//!   from clean articles (`lede-eval scraped`).
//! - [`shingle`]: the Article Extraction Benchmark's text-extraction metric (4-word shingles).
//! - [`aeb`]: loading the benchmark's pages (rendered text, HTML, ground truth).
//! - [`html`]: HTML extraction (+ cleaning) on the benchmark's pages: `lede-eval aeb-html`.
//! - [`cleaning`]: cleaning scored on the benchmark's rendered pages (`lede-eval aeb`).

pub mod aeb;
pub mod classify;
pub mod cleaning;
pub mod html;
pub mod kept;
pub mod page_summaries;
pub mod scraped;
pub mod shingle;
pub mod summaries;
pub mod topics;

use crate::train::TrainError;

/// Errors of evaluation runs. Each names the file, or the head the model lacks.
#[derive(Debug, thiserror::Error)]
pub enum EvalError {
    #[error("{}: {error}", path.display())]
    Io {
        path: std::path::PathBuf,
        error: std::io::Error,
    },
    #[error("{}: {what}", path.display())]
    Input {
        path: std::path::PathBuf,
        what: String,
    },
    /// Reading labelled rows (file and line) or retraining.
    #[error(transparent)]
    Train(#[from] TrainError),
    #[error("the model has no head {0:?}")]
    NoHead(String),
    /// The seven-desk evaluation needs the `topic` head.
    #[error("the model has no topic head")]
    NoTopicHead,
}

/// A floor the CI gate enforces, not met; the message says which figure and which floor.
/// `lede-eval` exits non-zero with it.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
#[error("gate: {0}")]
pub struct GateFailure(pub String);

/// Is a row of split `row` among the rows asked for by `split` (`all`: every row)?
pub fn in_split(split: &str, row: Option<&str>) -> bool {
    split == "all" || row == Some(split)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn split_selection() {
        for (split, row, want) in [
            ("test", Some("test"), true),
            ("test", Some("train"), false),
            ("test", None, false),
            ("all", Some("train"), true),
            ("all", None, true),
            ("train", Some("train"), true),
        ] {
            assert_eq!(in_split(split, row), want, "{split} {row:?}");
        }
    }
}
