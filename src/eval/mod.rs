//! Evaluation: metrics and the reports `lede-eval` prints, written once and used by the
//! trainer's reports, the CI gate and the benchmarks alike. Binaries only parse flags.
//!
//! - [`shingle`]: the Article Extraction Benchmark's text-extraction metric (4-word shingles).
//! - [`aeb`]: loading the benchmark's pages (rendered text, HTML, ground truth).
//! - [`summaries`]: ROUGE (Rust approximation for training) and the summary evaluation runs.

pub mod aeb;
pub mod shingle;
pub mod summaries;

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
