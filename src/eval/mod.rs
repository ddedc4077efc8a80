//! Evaluation: metrics and the reports `lede-eval` prints, written once and used by the
//! trainer's reports, the CI gate and the benchmarks alike. Binaries only parse flags.
//!
//! - [`shingle`]: the Article Extraction Benchmark's text-extraction metric (4-word shingles).
//! - [`aeb`]: loading the benchmark's pages (rendered text, HTML, ground truth).
//! - [`html`]: HTML extraction (+ cleaning) on the benchmark's pages: `lede-eval aeb-html`.
//! - [`cleaning`]: cleaning scored on the benchmark's rendered pages (`lede-eval aeb`).
//! - [`topics`]: seven-desk topic accuracy over each test set's own labels, calibration (ECE),
//!   title-only input and leave-one-source-out.
//! - [`summaries`]: ROUGE (Rust approximation for training) and the summary evaluation runs.

pub mod aeb;
pub mod cleaning;
pub mod html;
pub mod shingle;
pub mod summaries;
pub mod topics;

/// Errors of reading evaluation data. Each names the file.
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
}
