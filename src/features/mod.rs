//! TF-IDF features with a vocabulary and document frequencies fixed at training time.
//!
//! Why not linfa-preprocessing's `TfIdfVectorizer`: its `transform` recomputes document
//! frequencies from the batch being transformed (one document comes out as raw counts), it has no
//! sublinear tf or L2 norm, its tokenizer cannot stem and is not serialised, and its column order
//! follows HashMap iteration (see ../shared/STACK.md). A service needs a transform that depends
//! on nothing but the fitted vectoriser and the one document.
//!
//! The formulas follow scikit-learn's `TfidfVectorizer` so numbers can be checked against it:
//! `tf = 1 + ln(count)` (sublinear) or `count`; `idf = ln((1 + n) / (1 + df)) + 1` (smoothed) or
//! `ln(n / df) + 1`; the row is then L2-normalised.

use rustc_hash::FxHashMap as HashMap;

use serde::{Deserialize, Serialize};

/// Hyperparameters of the vectoriser.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct TfidfConfig {
    /// Use `1 + ln(tf)` instead of the raw count. Default: true.
    pub sublinear_tf: bool,
    /// Add one to document frequencies as if a document held every term once. Default: true.
    pub smooth_idf: bool,
    /// L2-normalise each vector. Default: true.
    pub l2_norm: bool,
    /// Keep terms seen in at least this many documents. Default: 2 (range >= 1).
    pub min_df: u32,
    /// Drop terms seen in more than this fraction of documents. Default: 1.0 (range (0, 1]).
    pub max_df: f64,
    /// Keep at most this many terms, the most frequent in the corpus first. Default: 100,000.
    pub max_features: Option<usize>,
    /// Add word bigrams (consecutive terms after stop-word removal). Default: false.
    pub bigrams: bool,
}

impl Default for TfidfConfig {
    fn default() -> Self {
        TfidfConfig {
            sublinear_tf: true,
            smooth_idf: true,
            l2_norm: true,
            min_df: 2,
            max_df: 1.0,
            max_features: Some(100_000),
            bigrams: false,
        }
    }
}

/// Errors of fitting a vectoriser.
#[derive(Debug, thiserror::Error, PartialEq)]
pub enum FeatureError {
    #[error("invalid TF-IDF parameter: {0}")]
    InvalidParam(String),
    #[error("no documents to fit the vocabulary on")]
    NoDocuments,
    #[error("the vocabulary is empty after min_df={min_df} / max_df={max_df} pruning of {docs} documents")]
    EmptyVocabulary { min_df: u32, max_df: f64, docs: u64 },
}

impl TfidfConfig {
    /// Checks the ranges documented on each field.
    pub fn check(&self) -> Result<(), FeatureError> {
        if self.min_df == 0 {
            return Err(FeatureError::InvalidParam("min_df must be >= 1".into()));
        }
        if !(self.max_df > 0.0 && self.max_df <= 1.0) {
            return Err(FeatureError::InvalidParam(format!(
                "max_df must be in (0, 1], got {}",
                self.max_df
            )));
        }
        if self.max_features == Some(0) {
            return Err(FeatureError::InvalidParam(
                "max_features must be >= 1".into(),
            ));
        }
        Ok(())
    }
}

/// A sparse vector: strictly increasing indices with their values.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct SparseVec {
    pub indices: Vec<u32>,
    pub values: Vec<f32>,
}

impl SparseVec {
    pub fn len(&self) -> usize {
        self.indices.len()
    }
    pub fn is_empty(&self) -> bool {
        self.indices.is_empty()
    }
    pub fn iter(&self) -> impl Iterator<Item = (u32, f32)> + '_ {
        self.indices
            .iter()
            .copied()
            .zip(self.values.iter().copied())
    }
    /// Dot product of two sparse vectors (merge of two sorted index lists).
    pub fn dot(&self, other: &SparseVec) -> f32 {
        let (mut i, mut j, mut sum) = (0, 0, 0.0);
        while i < self.indices.len() && j < other.indices.len() {
            match self.indices[i].cmp(&other.indices[j]) {
                std::cmp::Ordering::Less => i += 1,
                std::cmp::Ordering::Greater => j += 1,
                std::cmp::Ordering::Equal => {
                    sum += self.values[i] * other.values[j];
                    i += 1;
                    j += 1;
                }
            }
        }
        sum
    }
}

/// Calls `f` with every feature string of a term sequence: the terms, then (if enabled) the
/// bigrams "a b" of consecutive terms.
pub fn for_each_feature<S: AsRef<str>>(terms: &[S], bigrams: bool, mut f: impl FnMut(&str)) {
    for t in terms {
        f(t.as_ref());
    }
    if bigrams {
        let mut buf = String::new();
        for w in terms.windows(2) {
            buf.clear();
            buf.push_str(w[0].as_ref());
            buf.push(' ');
            buf.push_str(w[1].as_ref());
            f(&buf);
        }
    }
}

/// Sorts feature ids and collapses them into `(id, count)` pairs, ascending by id.
pub fn count_ids(ids: &mut [u32]) -> Vec<(u32, u32)> {
    let mut out = Vec::with_capacity(ids.len());
    count_ids_into(ids, &mut out);
    out
}

/// [`count_ids`] into a reusable buffer (cleared first).
pub fn count_ids_into(ids: &mut [u32], out: &mut Vec<(u32, u32)>) {
    out.clear();
    ids.sort_unstable();
    for &id in ids.iter() {
        match out.last_mut() {
            Some((last, c)) if *last == id => *c += 1,
            _ => out.push((id, 1)),
        }
    }
}

/// Sublinear term frequency, 1 + ln(count).
fn sublinear_tf(c: u32) -> f32 {
    1.0 + (c as f32).ln()
}

/// [`sublinear_tf`] of the small counts that nearly every term of a document has, looked up
/// instead of a logarithm per term (the same expression, so the same bits).
static SUBLINEAR_TF: std::sync::LazyLock<[f32; 64]> =
    std::sync::LazyLock::new(|| std::array::from_fn(|c| sublinear_tf(c as u32)));

/// Counts document frequencies, one document at a time, to fit a [`TfidfVectorizer`].
/// Memory grows with the number of distinct features, not with the number of documents.
#[derive(Debug)]
pub struct TfidfFitter {
    config: TfidfConfig,
    docs: u64,
    /// feature -> (document frequency, total count)
    stats: HashMap<String, (u32, u64)>,
    seen: HashMap<String, u32>,
    /// Features added through [`TfidfFitter::add_forced`]: they survive `min_df` and the
    /// `max_features` cap.
    forced: rustc_hash::FxHashSet<String>,
}

impl TfidfFitter {
    pub fn new(config: TfidfConfig) -> Result<Self, FeatureError> {
        config.check()?;
        Ok(TfidfFitter {
            config,
            docs: 0,
            stats: HashMap::default(),
            seen: HashMap::default(),
            forced: Default::default(),
        })
    }

    /// Adds one document given as its analyzed terms.
    pub fn add<S: AsRef<str>>(&mut self, terms: &[S]) {
        self.docs += 1;
        self.seen.clear();
        let seen = &mut self.seen;
        for_each_feature(terms, self.config.bigrams, |f| {
            if let Some(c) = seen.get_mut(f) {
                *c += 1;
            } else {
                seen.insert(f.to_owned(), 1);
            }
        });
        for (f, c) in self.seen.drain() {
            let e = self.stats.entry(f).or_insert((0, 0));
            e.0 += 1;
            e.1 += c as u64;
        }
    }

    /// Adds the features of `terms` without counting a document: used for features that must
    /// be in the vocabulary whatever the corpus says (e.g. gazetteer names). They survive
    /// `min_df` and the `max_features` cap (a capital the corpus never names would otherwise be
    /// the first cut when the corpus grows).
    pub fn add_forced<S: AsRef<str>>(&mut self, terms: &[S]) {
        let min_df = self.config.min_df;
        for_each_feature(terms, false, |f| {
            let e = self.stats.entry(f.to_owned()).or_insert((0, 0));
            e.0 = e.0.max(min_df);
            e.1 += 1;
            self.forced.insert(f.to_owned());
        });
    }

    pub fn documents(&self) -> u64 {
        self.docs
    }

    /// Prunes and freezes the vocabulary.
    pub fn finish(self) -> Result<TfidfVectorizer, FeatureError> {
        let c = &self.config;
        if self.docs == 0 {
            return Err(FeatureError::NoDocuments);
        }
        let max_df_docs = (c.max_df * self.docs as f64).floor() as u32;
        let mut kept: Vec<(String, u32, u64)> = self
            .stats
            .into_iter()
            .filter(|(_, (df, _))| *df >= c.min_df && *df <= max_df_docs.max(c.min_df))
            .map(|(t, (df, n))| (t, df, n))
            .collect();
        if let Some(max) = c.max_features {
            if kept.len() > max {
                // Forced features first, then the most frequent; ties broken by the term so the
                // result is deterministic.
                let forced = &self.forced;
                kept.sort_unstable_by(|a, b| {
                    forced
                        .contains(&b.0)
                        .cmp(&forced.contains(&a.0))
                        .then(b.2.cmp(&a.2))
                        .then_with(|| a.0.cmp(&b.0))
                });
                kept.truncate(max.max(forced.len()));
            }
        }
        if kept.is_empty() {
            return Err(FeatureError::EmptyVocabulary {
                min_df: c.min_df,
                max_df: c.max_df,
                docs: self.docs,
            });
        }
        kept.sort_unstable_by(|a, b| a.0.cmp(&b.0));
        let n = self.docs as f64;
        let idf = kept
            .iter()
            .map(|(_, df, _)| {
                let df = (*df as f64).min(n);
                if c.smooth_idf {
                    ((1.0 + n) / (1.0 + df)).ln() as f32 + 1.0
                } else {
                    (n / df).ln() as f32 + 1.0
                }
            })
            .collect();
        let terms: Vec<String> = kept.into_iter().map(|(t, _, _)| t).collect();
        Ok(TfidfVectorizer::from_parts(
            self.config,
            terms,
            idf,
            self.docs,
        ))
    }
}

/// A fitted TF-IDF vectoriser. Transforming depends only on it and the one document.
#[derive(Debug, Clone)]
pub struct TfidfVectorizer {
    config: TfidfConfig,
    terms: Vec<String>,
    idf: Vec<f32>,
    docs: u64,
    index: HashMap<String, u32>,
}

/// The serialisable parts of a [`TfidfVectorizer`] (the index is rebuilt on load).
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct TfidfParts {
    pub config: TfidfConfig,
    pub terms: Vec<String>,
    pub idf: Vec<f32>,
    pub docs: u64,
}

impl TfidfVectorizer {
    pub fn from_parts(config: TfidfConfig, terms: Vec<String>, idf: Vec<f32>, docs: u64) -> Self {
        let index = terms
            .iter()
            .enumerate()
            .map(|(i, t)| (t.clone(), i as u32))
            .collect();
        TfidfVectorizer {
            config,
            terms,
            idf,
            docs,
            index,
        }
    }

    pub fn to_parts(&self) -> TfidfParts {
        TfidfParts {
            config: self.config.clone(),
            terms: self.terms.clone(),
            idf: self.idf.clone(),
            docs: self.docs,
        }
    }

    pub fn config(&self) -> &TfidfConfig {
        &self.config
    }
    pub fn terms(&self) -> &[String] {
        &self.terms
    }
    pub fn idf(&self) -> &[f32] {
        &self.idf
    }
    pub fn len(&self) -> usize {
        self.terms.len()
    }
    pub fn is_empty(&self) -> bool {
        self.terms.is_empty()
    }
    pub fn term_id(&self, term: &str) -> Option<u32> {
        self.index.get(term).copied()
    }
    /// The idf a term absent from the vocabulary would get (df = 0 if smoothed, else 1).
    pub fn unseen_idf(&self) -> f32 {
        let n = self.docs as f64;
        if self.config.smooth_idf {
            (1.0 + n).ln() as f32 + 1.0
        } else {
            n.ln() as f32 + 1.0
        }
    }

    /// Term counts of a document (sorted by id), before weighting.
    pub fn counts<S: AsRef<str>>(&self, terms: &[S]) -> Vec<(u32, u32)> {
        let mut ids = Vec::with_capacity(terms.len() * if self.config.bigrams { 2 } else { 1 });
        for_each_feature(terms, self.config.bigrams, |f| {
            if let Some(&id) = self.index.get(f) {
                ids.push(id);
            }
        });
        count_ids(&mut ids)
    }

    /// The TF-IDF vector of a document given as its analyzed terms.
    pub fn transform<S: AsRef<str>>(&self, terms: &[S]) -> SparseVec {
        self.weight(&self.counts(terms))
    }

    /// Weights sorted `(id, count)` pairs into a TF-IDF vector.
    pub fn weight(&self, counts: &[(u32, u32)]) -> SparseVec {
        debug_assert!(
            counts.windows(2).all(|w| w[0].0 < w[1].0),
            "weight() needs strictly increasing feature ids"
        );
        let mut v = SparseVec {
            indices: Vec::with_capacity(counts.len()),
            values: Vec::with_capacity(counts.len()),
        };
        let mut norm = 0.0f32;
        let ln_table = &*SUBLINEAR_TF;
        for &(id, c) in counts {
            let tf = if !self.config.sublinear_tf {
                c as f32
            } else if let Some(&tf) = ln_table.get(c as usize) {
                tf
            } else {
                sublinear_tf(c)
            };
            let w = tf * self.idf[id as usize];
            norm += w * w;
            v.indices.push(id);
            v.values.push(w);
        }
        if self.config.l2_norm && norm > 0.0 {
            let inv = 1.0 / norm.sqrt();
            v.values.iter_mut().for_each(|x| *x *= inv);
        }
        v
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use approx::assert_abs_diff_eq;

    fn corpus() -> Vec<Vec<&'static str>> {
        vec![
            vec!["oil", "price", "rise", "oil"],
            vec!["oil", "export", "fall"],
            vec!["price", "fall", "sharp", "sharp", "sharp"],
            vec!["bank", "rate", "rise"],
        ]
    }

    #[test]
    fn forced_features_survive_the_max_features_cap() {
        let cfg = TfidfConfig {
            min_df: 1,
            max_features: Some(2),
            ..TfidfConfig::default()
        };
        let mut fit = TfidfFitter::new(cfg).unwrap();
        for d in corpus() {
            fit.add(&d);
        }
        fit.add_forced(&["hanoi"]);
        let v = fit.finish().unwrap();
        assert!(v.term_id("hanoi").is_some(), "{:?}", v.terms());
        assert_eq!(v.len(), 2);
    }

    /// Expected values computed with scikit-learn 1.9.1:
    /// `TfidfVectorizer(analyzer=lambda d: d, sublinear_tf=True, smooth_idf=True, norm="l2")`
    /// fitted and applied on `corpus()` (min_df=1). Vocabulary order is alphabetical in both.
    #[test]
    fn matches_scikit_learn() {
        let cfg = TfidfConfig {
            min_df: 1,
            ..TfidfConfig::default()
        };
        let mut fit = TfidfFitter::new(cfg).unwrap();
        for d in corpus() {
            fit.add(&d);
        }
        let v = fit.finish().unwrap();
        assert_eq!(
            v.terms(),
            ["bank", "export", "fall", "oil", "price", "rate", "rise", "sharp"]
        );
        let want_idf = [
            1.916290731874155,
            1.916290731874155,
            1.5108256237659907,
            1.5108256237659907,
            1.5108256237659907,
            1.916290731874155,
            1.5108256237659907,
            1.916290731874155,
        ];
        for (a, b) in v.idf().iter().zip(want_idf) {
            assert_abs_diff_eq!(*a as f64, b, epsilon = 1e-6);
        }
        let rows: [&[(u32, f64)]; 4] = [
            &[
                (3, 0.7674945674619877),
                (4, 0.4532946552278861),
                (6, 0.4532946552278861),
            ],
            &[
                (1, 0.6676785446095399),
                (2, 0.5264054336099155),
                (3, 0.5264054336099155),
            ],
            &[
                (2, 0.3317647566586719),
                (4, 0.3317647566586719),
                (7, 0.8830992540357082),
            ],
            &[
                (0, 0.6176143709756019),
                (5, 0.6176143709756019),
                (6, 0.48693426407352264),
            ],
        ];
        for (doc, want) in corpus().iter().zip(rows) {
            let got = v.transform(doc);
            assert_eq!(got.indices, want.iter().map(|x| x.0).collect::<Vec<_>>());
            for (g, w) in got.values.iter().zip(want) {
                assert_abs_diff_eq!(*g as f64, w.1, epsilon = 1e-6);
            }
        }
    }

    #[test]
    fn transform_does_not_depend_on_batch() {
        let mut fit = TfidfFitter::new(TfidfConfig::default()).unwrap();
        for d in corpus() {
            fit.add(&d);
        }
        let v = fit.finish().unwrap();
        let one = v.transform(&["oil", "price"]);
        let _ = v.transform(&["rise", "rise", "rise"]);
        assert_eq!(one, v.transform(&["oil", "price"]));
        // min_df = 2 by default: "bank", "export", "rate", "sharp" are pruned.
        assert_eq!(v.terms(), ["fall", "oil", "price", "rise"]);
    }

    #[test]
    fn bigrams_and_max_features() {
        let cfg = TfidfConfig {
            min_df: 1,
            bigrams: true,
            max_features: Some(3),
            ..TfidfConfig::default()
        };
        let mut fit = TfidfFitter::new(cfg).unwrap();
        for d in corpus() {
            fit.add(&d);
        }
        let v = fit.finish().unwrap();
        // Most frequent in total: sharp (3), oil (3), then price/fall/rise (2) -> "fall" by name.
        assert_eq!(v.terms(), ["fall", "oil", "sharp"]);
    }

    #[test]
    fn bad_params_are_rejected() {
        for cfg in [
            TfidfConfig {
                min_df: 0,
                ..Default::default()
            },
            TfidfConfig {
                max_df: 0.0,
                ..Default::default()
            },
            TfidfConfig {
                max_df: f64::NAN,
                ..Default::default()
            },
        ] {
            assert!(matches!(
                TfidfFitter::new(cfg),
                Err(FeatureError::InvalidParam(_))
            ));
        }
        let fit = TfidfFitter::new(TfidfConfig::default()).unwrap();
        assert_eq!(fit.finish().unwrap_err(), FeatureError::NoDocuments);
    }
}
