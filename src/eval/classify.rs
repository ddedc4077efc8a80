//! One head on labelled rows (`lede-eval classify`): the top label, as the server answers
//! (cleaning on), scored by [`crate::train::eval`]: accuracy, macro-F1, per-class scores and
//! the confusion matrix. Multi-label rows are correct if the top label is any of theirs.
//!
//! The per-row primitives ([`options`], [`top`]) are shared with [`super::topics`].

use std::fmt::Write as _;
use std::path::PathBuf;
use std::time::Instant;

use super::{in_split, EvalError, GateFailure};
use crate::model::{AnalyzeOptions, Model};
use crate::train::data::{read_rows, Fields};
use crate::train::eval::Report;
use crate::train::Evaluation;

/// Analysis options for the top label of `head`; with `restrict`, only `labels` may win (the
/// API's `allowed_labels`).
pub fn options(head: &str, labels: &[String], restrict: bool) -> AnalyzeOptions {
    AnalyzeOptions {
        top_k: 1,
        allowed_labels: if restrict {
            vec![(head.to_owned(), labels.to_vec())]
        } else {
            Vec::new()
        },
        ..Default::default()
    }
}

/// Top label and its probability for `head`, as the server answers.
pub fn top(
    model: &Model,
    head: &str,
    title: &str,
    text: &str,
    opts: &AnalyzeOptions,
) -> (String, f64) {
    let a = model.analyze(title, text, opts);
    let h = a
        .heads
        .iter()
        .find(|h| h.head == head)
        .expect("head exists");
    (h.labels[0].label.clone(), h.labels[0].probability)
}

/// What `lede-eval classify` scores.
#[derive(Debug, Clone)]
pub struct ClassifyRun {
    pub head: String,
    /// Labelled rows (.jsonl or .csv).
    pub data: PathBuf,
    /// The label field (a string or a list).
    pub label_field: String,
    /// Which rows: the value of the split field (`all` for every row).
    pub split: String,
}

/// A row whose top label is none of its labels.
#[derive(Debug, Clone, Copy)]
pub struct Miss<'a> {
    pub line: u64,
    pub labels: &'a [String],
    pub predicted: &'a str,
    pub probability: f64,
    pub title: &'a str,
}

impl Miss<'_> {
    /// One line for `--errors`.
    pub fn to_text(&self) -> String {
        format!(
            "line {}: {:?} predicted {} ({:.2}): {}",
            self.line, self.labels, self.predicted, self.probability, self.title
        )
    }
}

/// The scores of one run and its speed.
#[derive(Debug, Clone)]
pub struct ClassifyReport {
    pub run: ClassifyRun,
    pub report: Report,
    /// Reading, cleaning and classifying every selected row.
    pub seconds: f64,
}

/// Scores `run.head` of `model` on the selected rows that have a label; `on_miss` sees each
/// misclassified row as it goes.
pub fn evaluate(
    model: &Model,
    run: &ClassifyRun,
    mut on_miss: impl FnMut(&Miss),
) -> Result<ClassifyReport, EvalError> {
    let head = &run.head;
    let h = model
        .meta
        .heads
        .iter()
        .find(|h| &h.name == head)
        .ok_or_else(|| EvalError::NoHead(head.clone()))?;
    let mut ev = Evaluation::new(h.labels.clone());
    let fields = Fields {
        label: run.label_field.clone(),
        ..Fields::default()
    };
    let opts = options(head, &[], false);
    let t0 = Instant::now();
    read_rows(&run.data, &fields, false, |r| {
        if !in_split(&run.split, r.split.as_deref()) || r.labels.is_empty() {
            return Ok(());
        }
        let (label, probability) = top(model, head, &r.title, &r.text, &opts);
        if !r.labels.contains(&label) {
            on_miss(&Miss {
                line: r.line,
                labels: &r.labels,
                predicted: &label,
                probability,
                title: &r.title,
            });
        }
        ev.add(&label, &r.labels);
        Ok(())
    })?;
    Ok(ClassifyReport {
        run: run.clone(),
        report: ev.report(),
        seconds: t0.elapsed().as_secs_f64(),
    })
}

impl ClassifyReport {
    /// The printed report: what was scored and how fast, then the scores.
    pub fn to_text(&self) -> String {
        let mut s = String::new();
        let _ = writeln!(
            s,
            "head {} on {} ({} rows), {:.0} docs/s incl. cleaning",
            self.run.head,
            self.run.data.display(),
            self.run.split,
            self.report.rows as f64 / self.seconds
        );
        s + &self.report.to_text()
    }

    /// The first floor not met: accuracy (%) below `min_accuracy`, then macro-F1 (x100) below
    /// `min_macro_f1`.
    pub fn gate(
        &self,
        min_accuracy: Option<f64>,
        min_macro_f1: Option<f64>,
    ) -> Option<GateFailure> {
        let head = &self.run.head;
        let acc = self.report.accuracy * 100.0;
        let f1 = self.report.macro_f1 * 100.0;
        if let Some(m) = min_accuracy.filter(|&m| acc < m) {
            return Some(GateFailure(format!(
                "{head} accuracy {acc:.2}% is below {m:.2}%"
            )));
        }
        if let Some(m) = min_macro_f1.filter(|&m| f1 < m) {
            return Some(GateFailure(format!(
                "{head} macro-F1 {f1:.2} is below {m:.2}"
            )));
        }
        None
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::train::eval::Evaluation;

    fn report(accuracy: f64, macro_f1: f64) -> ClassifyReport {
        let mut report = Evaluation::new(vec!["a".into()]).report();
        report.accuracy = accuracy;
        report.macro_f1 = macro_f1;
        ClassifyReport {
            run: ClassifyRun {
                head: "region".into(),
                data: "r.jsonl".into(),
                label_field: "regions".into(),
                split: "test".into(),
            },
            report,
            seconds: 1.0,
        }
    }

    #[test]
    fn gate_checks_accuracy_then_macro_f1() {
        let r = report(0.95, 0.80);
        assert_eq!(r.gate(None, None), None);
        assert_eq!(r.gate(Some(95.0), Some(80.0)), None);
        assert_eq!(
            r.gate(Some(95.5), Some(90.0)),
            Some(GateFailure("region accuracy 95.00% is below 95.50%".into()))
        );
        assert_eq!(
            r.gate(Some(90.0), Some(88.79)).unwrap().to_string(),
            "gate: region macro-F1 80.00 is below 88.79"
        );
    }

    #[test]
    fn miss_line() {
        let labels = vec!["europe".to_owned(), "asia".to_owned()];
        let m = Miss {
            line: 12,
            labels: &labels,
            predicted: "africa",
            probability: 0.567,
            title: "T",
        };
        assert_eq!(
            m.to_text(),
            r#"line 12: ["europe", "asia"] predicted africa (0.57): T"#
        );
    }
}
