//! Evaluation of a head on held-out rows: accuracy, macro-F1, per-class precision/recall/F1 and
//! the confusion matrix, through linfa's `ConfusionMatrix`.
//!
//! Multi-label rows follow the protocol of ../shared/data/README.md: a prediction is correct if
//! it is any of the row's labels; a miss is charged to the row's alphabetically first label.
//!
//! Macro-F1 is the mean of the per-class F1 scores (scikit-learn's `average="macro"`), not
//! linfa's `f1_score()`, which is the harmonic mean of macro precision and macro recall.

use std::collections::BTreeMap;

use linfa::prelude::ToConfusionMatrix;
use ndarray::Array1;
use serde::Serialize;

/// Predictions and truths collected on held-out rows.
#[derive(Debug, Clone)]
pub struct Evaluation {
    labels: Vec<String>,
    predicted: Vec<usize>,
    truth: Vec<usize>,
}

/// Per-class scores.
#[derive(Debug, Clone, Serialize)]
pub struct ClassScores {
    pub precision: f64,
    pub recall: f64,
    pub f1: f64,
    pub support: u64,
}

/// Everything computed from an [`Evaluation`].
#[derive(Debug, Clone, Serialize)]
pub struct Report {
    pub rows: u64,
    pub accuracy: f64,
    pub macro_f1: f64,
    pub classes: BTreeMap<String, ClassScores>,
    /// `confusion[truth][predicted]` counts, labels in `labels` order.
    pub labels: Vec<String>,
    pub confusion: Vec<Vec<u64>>,
}

impl Evaluation {
    pub fn new(labels: Vec<String>) -> Self {
        Evaluation {
            labels,
            predicted: Vec::new(),
            truth: Vec::new(),
        }
    }

    pub fn total(&self) -> usize {
        self.predicted.len()
    }

    /// Records one row. Labels unknown to the head count as misses on themselves.
    pub fn add(&mut self, predicted: &str, truth: &[String]) {
        let p = self.index(predicted);
        let t = if truth.iter().any(|t| t == predicted) {
            p
        } else {
            let first = truth.iter().min().expect("add() needs at least one label");
            self.index(first)
        };
        self.predicted.push(p);
        self.truth.push(t);
    }

    fn index(&mut self, label: &str) -> usize {
        match self.labels.iter().position(|l| l == label) {
            Some(i) => i,
            None => {
                self.labels.push(label.to_owned());
                self.labels.len() - 1
            }
        }
    }

    /// Computes the report.
    pub fn report(&self) -> Report {
        let n = self.labels.len();
        let mut confusion = vec![vec![0u64; n]; n];
        for (&p, &t) in self.predicted.iter().zip(&self.truth) {
            confusion[t][p] += 1;
        }
        let pred = Array1::from_vec(self.predicted.clone());
        let truth = Array1::from_vec(self.truth.clone());
        let cm = pred.confusion_matrix(&truth).ok();
        // linfa's matrix covers only labels that occur; map its classes back to ours.
        let mut present: Vec<usize> = self.predicted.iter().chain(&self.truth).copied().collect();
        present.sort_unstable();
        present.dedup();
        if present.len() == 2 {
            // linfa orders a two-class matrix in reverse ("true" first).
            present.reverse();
        }
        let accuracy = cm.as_ref().map_or(0.0, |c| c.accuracy() as f64);
        let mut classes = BTreeMap::new();
        let mut f1_sum = 0.0;
        if let Some(cm) = &cm {
            let one_vs_all = cm.split_one_vs_all();
            for (k, bin) in present.iter().zip(one_vs_all) {
                // For the binary split linfa's precision() and recall() come out swapped
                // relative to scikit-learn (checked in tests); F1 is symmetric in the two.
                let precision = bin.recall() as f64;
                let recall = bin.precision() as f64;
                let f1 = if precision + recall > 0.0 {
                    2.0 * precision * recall / (precision + recall)
                } else {
                    0.0
                };
                let f1 = if f1.is_nan() { 0.0 } else { f1 };
                f1_sum += f1;
                classes.insert(
                    self.labels[*k].clone(),
                    ClassScores {
                        precision: if precision.is_nan() { 0.0 } else { precision },
                        recall: if recall.is_nan() { 0.0 } else { recall },
                        f1,
                        support: self.truth.iter().filter(|&&t| t == *k).count() as u64,
                    },
                );
            }
        }
        // Macro-F1 over every label of the head (a label never predicted nor seen scores 0,
        // as in scikit-learn with `labels=` given).
        let macro_f1 = f1_sum / n.max(1) as f64;
        Report {
            rows: self.predicted.len() as u64,
            accuracy,
            macro_f1,
            classes,
            labels: self.labels.clone(),
            confusion,
        }
    }

    /// The headline numbers, for the model metadata.
    pub fn summary(&self) -> BTreeMap<String, f64> {
        let r = self.report();
        BTreeMap::from([
            ("accuracy".to_owned(), r.accuracy),
            ("macro_f1".to_owned(), r.macro_f1),
            ("heldout_rows".to_owned(), r.rows as f64),
        ])
    }
}

impl Report {
    /// A plain-text table for terminals.
    pub fn to_text(&self) -> String {
        use std::fmt::Write;
        let mut s = String::new();
        let _ = writeln!(
            s,
            "rows {}  accuracy {:.2}%  macro-F1 {:.2}",
            self.rows,
            self.accuracy * 100.0,
            self.macro_f1 * 100.0
        );
        let _ = writeln!(
            s,
            "{:<16} {:>9} {:>9} {:>9} {:>8}",
            "label", "precision", "recall", "f1", "support"
        );
        for (l, c) in &self.classes {
            let _ = writeln!(
                s,
                "{:<16} {:>9.4} {:>9.4} {:>9.4} {:>8}",
                l, c.precision, c.recall, c.f1, c.support
            );
        }
        let _ = writeln!(s, "confusion (rows = truth, columns = predicted):");
        let _ = write!(s, "{:<16}", "");
        for l in &self.labels {
            let _ = write!(s, " {:>6}", &l[..l.len().min(6)]);
        }
        let _ = writeln!(s);
        for (l, row) in self.labels.iter().zip(&self.confusion) {
            let _ = write!(s, "{l:<16}");
            for c in row {
                let _ = write!(s, " {c:>6}");
            }
            let _ = writeln!(s);
        }
        s
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use approx::assert_abs_diff_eq;

    fn l(s: &[&str]) -> Vec<String> {
        s.iter().map(|x| x.to_string()).collect()
    }

    /// Numbers from scikit-learn 1.9.1: y_true = [a,a,a,b,b,c], y_pred = [a,a,b,b,c,c]:
    /// accuracy 0.6667, precision_recall_fscore_support(average=None) =
    /// P [1.0, 0.5, 0.5], R [0.6667, 0.5, 1.0], F1 [0.8, 0.5, 0.6667]; macro-F1 0.6556.
    #[test]
    fn matches_scikit_learn() {
        let mut e = Evaluation::new(l(&["a", "b", "c"]));
        for (p, t) in [
            ("a", "a"),
            ("a", "a"),
            ("b", "a"),
            ("b", "b"),
            ("c", "b"),
            ("c", "c"),
        ] {
            e.add(p, &l(&[t]));
        }
        let r = e.report();
        assert_abs_diff_eq!(r.accuracy, 4.0 / 6.0, epsilon = 1e-6);
        assert_abs_diff_eq!(r.classes["a"].precision, 1.0, epsilon = 1e-6);
        assert_abs_diff_eq!(r.classes["a"].recall, 2.0 / 3.0, epsilon = 1e-6);
        assert_abs_diff_eq!(r.classes["c"].precision, 0.5, epsilon = 1e-6);
        assert_abs_diff_eq!(r.classes["c"].recall, 1.0, epsilon = 1e-6);
        assert_abs_diff_eq!(r.macro_f1, (0.8 + 0.5 + 2.0 / 3.0) / 3.0, epsilon = 1e-6);
        assert_eq!(r.confusion[0], vec![2, 1, 0]);
    }

    #[test]
    fn two_classes_map_back_correctly() {
        let mut e = Evaluation::new(l(&["a", "b"]));
        for (p, t) in [("a", "a"), ("a", "a"), ("a", "b"), ("b", "b")] {
            e.add(p, &l(&[t]));
        }
        let r = e.report();
        assert_abs_diff_eq!(r.classes["a"].precision, 2.0 / 3.0, epsilon = 1e-6);
        assert_abs_diff_eq!(r.classes["b"].recall, 0.5, epsilon = 1e-6);
    }

    #[test]
    fn multi_label_protocol() {
        let mut e = Evaluation::new(l(&["asia", "europe"]));
        e.add("europe", &l(&["europe", "asia"])); // hit
        e.add("asia", &l(&["europe"])); // miss charged to europe
        e.add("asia", &l(&["europe", "north-america"])); // miss charged to europe (first)
        let r = e.report();
        assert_abs_diff_eq!(r.accuracy, 1.0 / 3.0, epsilon = 1e-6);
        assert_eq!(r.classes["europe"].support, 3);
    }
}
