//! Cleaning on clean articles (`lede-eval clean`): the share of their sentences it keeps.
//! These articles carry no site chrome, so every removal is a false one and the share should
//! be ~100%; the CI gate holds it above a floor. Cleaning runs as served (with the title and
//! the model's line classifier when it has one).

use std::path::{Path, PathBuf};

use super::{in_split, GateFailure};
use crate::model::Model;
use crate::text::Reason;
use crate::train::data::{read_rows, Fields};
use crate::train::TrainError;

/// One removal on a row of the file.
#[derive(Debug, Clone, Copy)]
pub struct Removal<'a> {
    pub line: u64,
    pub reason: Reason,
    /// The removed text.
    pub text: &'a str,
}

impl Removal<'_> {
    /// One line for `--verbose`.
    pub fn to_text(&self) -> String {
        format!(
            "line {} {}: {:?}",
            self.line,
            self.reason.as_str(),
            self.text
        )
    }
}

/// Sentences before and after cleaning over a file's selected rows.
#[derive(Debug, Clone, PartialEq)]
pub struct KeptReport {
    pub data: PathBuf,
    /// Sentences of the raw texts.
    pub total: usize,
    /// Sentences cleaning kept.
    pub kept: usize,
}

/// Cleans the text of each row of `data` in `split` (`all`: every row) with `model`'s
/// cleaning; `on_removal` sees each removal as it goes.
pub fn evaluate(
    model: &Model,
    data: &Path,
    split: &str,
    mut on_removal: impl FnMut(&Removal),
) -> Result<KeptReport, TrainError> {
    let fields = Fields {
        label: "id".into(),
        ..Fields::default()
    };
    let (mut total, mut kept) = (0usize, 0usize);
    read_rows(data, &fields, false, |r| {
        if !in_split(split, r.split.as_deref()) {
            return Ok(());
        }
        let all = crate::text::sentences(&r.text).len();
        let c = crate::text::clean_with(&r.text, Some(&r.title), model.extras.cleaner.as_ref());
        total += all;
        kept += c.sentences().count();
        for x in &c.removed {
            on_removal(&Removal {
                line: r.line,
                reason: x.reason,
                text: &r.text[x.span.start..x.span.end],
            });
        }
        Ok(())
    })?;
    Ok(KeptReport {
        data: data.to_path_buf(),
        total,
        kept,
    })
}

impl KeptReport {
    /// Kept sentences, % of all (0 of 0 counts as 0%).
    pub fn percent(&self) -> f64 {
        100.0 * self.kept as f64 / self.total.max(1) as f64
    }

    /// The printed report (one line).
    pub fn to_text(&self) -> String {
        format!(
            "cleaning kept {} of {} sentences ({:.2}%) in {}\n",
            self.kept,
            self.total,
            self.percent(),
            self.data.display()
        )
    }

    /// Fails when the kept share (%) is below `min_kept`.
    pub fn gate(&self, min_kept: Option<f64>) -> Option<GateFailure> {
        let pct = self.percent();
        min_kept
            .filter(|&m| pct < m)
            .map(|m| GateFailure(format!("cleaning kept {pct:.2}% < {m:.2}%")))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn share_text_and_gate() {
        let r = KeptReport {
            data: "bbc.jsonl".into(),
            total: 2000,
            kept: 1999,
        };
        assert!((r.percent() - 99.95).abs() < 1e-9);
        assert_eq!(
            r.to_text(),
            "cleaning kept 1999 of 2000 sentences (99.95%) in bbc.jsonl\n"
        );
        assert_eq!(r.gate(None), None);
        assert_eq!(r.gate(Some(99.5)), None);
        assert_eq!(
            r.gate(Some(100.0)).unwrap().to_string(),
            "gate: cleaning kept 99.95% < 100.00%"
        );
        let empty = KeptReport {
            total: 0,
            kept: 0,
            ..r
        };
        assert_eq!(empty.percent(), 0.0);
    }
}
