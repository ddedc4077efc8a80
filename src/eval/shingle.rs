//! The text-extraction metric of the Article Extraction Benchmark
//! (scrapinghub/article-extraction-benchmark, `evaluate.py`): tokens are `\w+` runs with case
//! kept; 4-word shingles are counted with repeats; per page, precision = matched / predicted
//! shingles and recall = matched / true shingles; both are averaged over pages and
//! F1 = 2PR / (P + R) of the averages.
//!
//! Edge cases follow the benchmark: a text with fewer than 4 tokens has one shingle, the whole
//! token tuple (so short texts still count). Precision is averaged over the pages with at least
//! one predicted shingle and recall over the pages with at least one true shingle (an empty
//! prediction therefore scores recall 0 and does not enter precision). Where the benchmark's
//! script would fail on an empty mean (nothing predicted on any page), the figure is 0.

use std::collections::HashMap;

use rustc_hash::FxHashMap;

use unicode_normalization::char::is_combining_mark;

/// Precision and recall of one page; `None` where the benchmark leaves the page out of that
/// average (no predicted shingles for precision, no true shingles for recall).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct PageScore {
    pub precision: Option<f64>,
    pub recall: Option<f64>,
}

/// Averages over pages.
#[derive(Debug, Clone, Copy, PartialEq, Default)]
pub struct Score {
    pub precision: f64,
    pub recall: f64,
    pub f1: f64,
    pub pages: usize,
}

/// `\w+` tokens as Python's `re` finds them (letters, digits and other numerics, `_`), case
/// kept. Combining marks are not word characters in Python, so "cafe\u{301}" is one token
/// "cafe" followed by a separator.
pub fn tokens(text: &str) -> Vec<&str> {
    let is_word = |c: char| c == '_' || (c.is_alphanumeric() && !is_combining_mark(c));
    let mut out = Vec::new();
    let mut start = None;
    for (i, c) in text.char_indices() {
        match (is_word(c), start) {
            (true, None) => start = Some(i),
            (false, Some(s)) => {
                out.push(&text[s..i]);
                start = None;
            }
            _ => {}
        }
    }
    if let Some(s) = start {
        out.push(&text[s..]);
    }
    out
}

/// 4-word shingles counted with repeats.
pub fn shingles(text: &str) -> HashMap<Vec<&str>, usize> {
    let t = tokens(text);
    let mut out = HashMap::new();
    if t.is_empty() {
        return out;
    }
    if t.len() < 4 {
        *out.entry(t).or_insert(0) += 1;
        return out;
    }
    for w in t.windows(4) {
        *out.entry(w.to_vec()).or_insert(0) += 1;
    }
    out
}

/// Shingle counts keyed by slices of the token list (no allocation per shingle); the same
/// shingles as [`shingles`].
fn shingle_slices<'t, 'a>(t: &'t [&'a str]) -> FxHashMap<&'t [&'a str], usize> {
    let mut out = FxHashMap::default();
    if t.is_empty() {
        return out;
    }
    if t.len() < 4 {
        out.insert(t, 1);
        return out;
    }
    for w in t.windows(4) {
        *out.entry(w).or_insert(0) += 1;
    }
    out
}

/// Precision and recall of one extracted text against the true article body.
pub fn page_score(predicted: &str, truth: &str) -> PageScore {
    let (pt, tt) = (tokens(predicted), tokens(truth));
    let p = shingle_slices(&pt);
    let t = shingle_slices(&tt);
    let np: usize = p.values().sum();
    let nt: usize = t.values().sum();
    let matched: usize = p
        .iter()
        .map(|(k, &c)| c.min(t.get(k).copied().unwrap_or(0)))
        .sum();
    let ratio = |m: usize, n: usize| (n > 0).then(|| m as f64 / n as f64);
    PageScore {
        precision: ratio(matched, np),
        recall: ratio(matched, nt),
    }
}

/// Averages page scores into the benchmark's figure.
pub fn average(pages: &[PageScore]) -> Score {
    let mean = |xs: Vec<f64>| {
        if xs.is_empty() {
            0.0
        } else {
            xs.iter().sum::<f64>() / xs.len() as f64
        }
    };
    let precision = mean(pages.iter().filter_map(|p| p.precision).collect());
    let recall = mean(pages.iter().filter_map(|p| p.recall).collect());
    let f1 = if precision + recall > 0.0 {
        2.0 * precision * recall / (precision + recall)
    } else {
        0.0
    };
    Score {
        precision,
        recall,
        f1,
        pages: pages.len(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tokens_are_word_runs_with_case_kept() {
        assert_eq!(
            tokens("U.S. GDP rose 2.5%, it's \"fine\" — café_au"),
            ["U", "S", "GDP", "rose", "2", "5", "it", "s", "fine", "café_au"]
        );
        // As Python's re: re.findall(r'\w+', 'cafe\u0301 x\u0903y') == ['cafe', 'x', 'y'].
        assert_eq!(tokens("cafe\u{301} x\u{903}y"), ["cafe", "x", "y"]);
    }

    #[test]
    fn identical_text_scores_one_and_empty_prediction_zero() {
        let t = "The quick brown fox jumps over the lazy dog again";
        let one = Some(1.0);
        assert_eq!(
            page_score(t, t),
            PageScore {
                precision: one,
                recall: one
            }
        );
        assert_eq!(
            page_score("", t),
            PageScore {
                precision: None,
                recall: Some(0.0)
            }
        );
        assert_eq!(
            page_score("", ""),
            PageScore {
                precision: None,
                recall: None
            }
        );
        // Nothing predicted anywhere: 0, not a division by zero.
        assert_eq!(average(&[page_score("", t)]).f1, 0.0);
    }

    #[test]
    fn shingles_count_repeats() {
        // truth: 7 tokens -> 4 shingles; prediction repeats the first 4 tokens twice.
        let truth = "a b c d e f g";
        let pred = "a b c d a b c d";
        // pred shingles: abcd x2, bcda, cdab, dabc (5); matched: abcd min(2,1) = 1.
        let s = page_score(pred, truth);
        assert!((s.precision.unwrap() - 1.0 / 5.0).abs() < 1e-12);
        assert!((s.recall.unwrap() - 1.0 / 4.0).abs() < 1e-12);
    }

    #[test]
    fn average_is_f1_of_mean_precision_and_recall() {
        let s = average(&[
            PageScore {
                precision: Some(1.0),
                recall: Some(0.5),
            },
            PageScore {
                precision: Some(0.5),
                recall: Some(1.0),
            },
        ]);
        assert!((s.f1 - 0.75).abs() < 1e-12);
        assert_eq!(average(&[]).f1, 0.0);
    }
}
