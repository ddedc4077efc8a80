//! Extractive summaries: score sentences from several signals, select with redundancy control.
//!
//! Two scorers: the hand-set weights below (every bundle without a learned scorer, including
//! all version-1 bundles), or a [`learned::SentenceScorer`] over [`features`] fitted by
//! `lede-train --summary-data`. Both feed the same [`select`].
//!
//! Signals, each in [0, 1], combined linearly ([`SummarizerConfig`] holds the weights):
//! - **centrality**: cosine between the sentence's TF-IDF vector and the document centroid
//!   (the normalised sum of all sentence vectors), i.e. how much of the article's vocabulary
//!   the sentence carries;
//! - **position**: the news prior, `1 / (1 + i)^decay` over the sentence index; editors put the
//!   point first, and against summaries written by people the lead beats pure centrality;
//! - **title overlap**: cosine with the title's vector;
//! - **length**: very short sentences (datelines, fragments) are scaled down.
//!
//! Selection is maximal marginal relevance: repeatedly take the sentence maximising
//! `lambda * score - (1 - lambda) * max_similarity_to_already_picked`, so no two picked
//! sentences say the same thing. IDF statistics come from the model bundle, so the same text
//! gives the same summary on every request. Nothing here knows how vectors were made.

pub mod features;
pub mod learned;

use serde::{Deserialize, Serialize};

use crate::features::SparseVec;

/// Weights and shape parameters of sentence scoring.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SummarizerConfig {
    /// Weight of centroid similarity. Default 1.0.
    pub centrality: f64,
    /// Weight of the position prior. Default 0.3.
    pub position: f64,
    /// Decay of the position prior (0 = flat). Default 1.0: the lead sentence gets the full
    /// weight, the second half of it, the tenth a tenth.
    pub position_decay: f64,
    /// Weight of title overlap. Default 0.3.
    pub title: f64,
    /// Sentences with fewer words are scaled down by `words / min_words`. Default 20.
    pub min_words: usize,
    /// MMR trade-off between score and novelty, in [0, 1]. Default 0.95.
    pub mmr_lambda: f64,
    /// A candidate whose cosine similarity to an already picked sentence exceeds this is never
    /// picked (it says the same thing), whatever its score. Default 0.8.
    pub max_similarity: f64,
}

impl Default for SummarizerConfig {
    fn default() -> Self {
        SummarizerConfig {
            centrality: 1.0,
            position: 0.3,
            position_decay: 1.0,
            title: 0.3,
            min_words: 20,
            mmr_lambda: 0.95,
            max_similarity: 0.8,
        }
    }
}

/// How long a summary is: exactly one of these.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Length {
    /// At most this many sentences (>= 1).
    Sentences(usize),
    /// This fraction of the document's sentences, rounded, at least one; in (0, 1].
    Ratio(f64),
    /// As many top sentences as fit in this many words; the best sentence is always included
    /// even if it alone is longer.
    Words(usize),
}

/// Output order of the picked sentences.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Order {
    #[default]
    Document,
    Rank,
}

/// One candidate sentence.
#[derive(Debug, Clone, Default)]
pub struct Candidate {
    /// L2-normalised TF-IDF vector of the sentence.
    pub vector: SparseVec,
    /// Number of words in the sentence.
    pub words: usize,
    /// The sentence opens its paragraph (block). Used by the learned scorer only.
    pub paragraph_start: bool,
    /// Sum of the idf of the sentence's known terms (its TF-IDF mass before normalisation).
    /// Used by the learned scorer only.
    pub mass: f64,
    /// The sentence holds an attribution word (see [`features::is_attribution`]). Used by the
    /// learned scorer only.
    pub attribution: bool,
}

/// A picked sentence: its index among the candidates and its score.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Picked {
    pub index: usize,
    pub score: f64,
}

/// May this kept sentence be part of a summary? It must read as a sentence
/// ([`crate::text::reads_as_sentence`]: the headlines, bylines and labels a scraped page keeps
/// do not) and not be a photo caption written inline ([`crate::text::is_photo_caption`]: it
/// describes a picture, not the story). The model's summary input asks this of every kept
/// sentence; a text where no sentence passes keeps all its pieces as candidates.
pub fn is_candidate(sentence: &str) -> bool {
    crate::text::reads_as_sentence(sentence) && !crate::text::is_photo_caption(sentence)
}

/// Cosine of each candidate with the document centroid (same order as the input).
pub fn centrality(cands: &[Candidate]) -> Vec<f64> {
    with_dense(|d| {
        // The centroid (sum of all sentence vectors) lives in the dense scratch; each
        // sentence's cosine with it is a gather over the sentence's own non-zeros.
        for c in cands {
            d.add(&c.vector);
        }
        let norm = d.norm();
        cands
            .iter()
            .map(|c| {
                if norm > 0.0 {
                    d.dot(&c.vector) / norm
                } else {
                    0.0
                }
            })
            .collect::<Vec<f64>>()
    })
}

/// Scores every candidate with the hand-set weights (same order as the input).
pub fn score(cands: &[Candidate], title: Option<&SparseVec>, cfg: &SummarizerConfig) -> Vec<f64> {
    let cent = centrality(cands);
    cands
        .iter()
        .enumerate()
        .map(|(i, c)| {
            let pos = 1.0 / (1.0 + i as f64).powf(cfg.position_decay);
            let tit = title.map_or(0.0, |t| c.vector.dot(t) as f64);
            let len = (c.words as f64 / cfg.min_words.max(1) as f64).min(1.0);
            (cfg.centrality * cent[i] + cfg.position * pos + cfg.title * tit) * len
        })
        .collect()
}

/// A dense vector over feature ids, reused across calls on one thread, that remembers which
/// entries it touched so clearing costs only those.
///
/// Hand-rolled on purpose: centroid similarity and MMR compare every sentence with one vector
/// (the centroid, the sentence just picked). Scattering that vector once and gathering each
/// sentence's non-zeros replaces a sorted merge per pair, which was most of the summary time.
#[derive(Default)]
struct Dense {
    values: Vec<f64>,
    touched: Vec<u32>,
}

impl Dense {
    fn add(&mut self, v: &SparseVec) {
        for (i, x) in v.iter() {
            let i = i as usize;
            if i >= self.values.len() {
                self.values.resize(i + 1, 0.0);
            }
            if self.values[i] == 0.0 {
                self.touched.push(i as u32);
            }
            self.values[i] += x as f64;
        }
    }

    fn dot(&self, v: &SparseVec) -> f64 {
        v.iter()
            .map(|(i, x)| x as f64 * self.values.get(i as usize).copied().unwrap_or(0.0))
            .sum()
    }

    fn norm(&self) -> f64 {
        self.touched
            .iter()
            .map(|&i| self.values[i as usize].powi(2))
            .sum::<f64>()
            .sqrt()
    }

    fn clear(&mut self) {
        for &i in &self.touched {
            self.values[i as usize] = 0.0;
        }
        self.touched.clear();
    }
}

thread_local! {
    static DENSE: std::cell::RefCell<Dense> = std::cell::RefCell::default();
}

/// Runs `f` with the thread's dense scratch, cleared before and after.
fn with_dense<T>(f: impl FnOnce(&mut Dense) -> T) -> T {
    DENSE.with(|cell| match cell.try_borrow_mut() {
        Ok(mut d) => {
            d.clear();
            let out = f(&mut d);
            d.clear();
            out
        }
        // Re-entered (cannot happen today): use a fresh one.
        Err(_) => f(&mut Dense::default()),
    })
}

/// How many sentences a length asks for, given `n` candidates (before the word budget).
fn target_count(length: Length, n: usize) -> usize {
    match length {
        Length::Sentences(k) => k.max(1).min(n),
        Length::Ratio(r) => ((r * n as f64).round() as usize).clamp(1, n.max(1)).min(n),
        Length::Words(_) => n,
    }
}

/// How many sentences a summary of `length` is expected to hold (the learned scorer's budget
/// features): the sentence count the length asks for, or for a word budget the number of
/// sentences of average length that fit in it.
pub fn expected_count(length: Length, cands: &[Candidate]) -> usize {
    let n = cands.len();
    match length {
        Length::Words(w) => {
            let mean = cands.iter().map(|c| c.words).sum::<usize>() as f64 / n.max(1) as f64;
            ((w as f64 / mean.max(1.0)).round() as usize).clamp(1, n.max(1))
        }
        _ => target_count(length, n).max(1),
    }
}

/// Picks sentences with the hand-set scores. Returns them in the requested order; empty only if
/// there are no candidates.
pub fn summarize(
    cands: &[Candidate],
    title: Option<&SparseVec>,
    length: Length,
    order: Order,
    cfg: &SummarizerConfig,
) -> Vec<Picked> {
    if cands.is_empty() {
        return Vec::new();
    }
    select(cands, &score(cands, title, cfg), length, order, cfg)
}

/// Picks sentences given their scores (any scorer; higher is better, non-negative), with
/// redundancy control (MMR and the similarity cap of `cfg`) and the length options. Returns
/// them in the requested order; empty only if there are no candidates.
pub fn select(
    cands: &[Candidate],
    scores: &[f64],
    length: Length,
    order: Order,
    cfg: &SummarizerConfig,
) -> Vec<Picked> {
    if cands.is_empty() {
        return Vec::new();
    }
    let max = scores.iter().copied().fold(f64::MIN_POSITIVE, f64::max);
    let want = target_count(length, cands.len());
    let budget = match length {
        Length::Words(w) => Some(w),
        _ => None,
    };
    let mut picked: Vec<Picked> = Vec::with_capacity(want);
    let mut taken = vec![false; cands.len()];
    // Largest similarity of each candidate to anything picked so far (updated incrementally,
    // so selection costs O(k * n) dot products rather than O(k^2 * n)).
    let mut max_sim = vec![0.0f64; cands.len()];
    let mut words = 0usize;
    // A candidate is out for good once taken or once too similar to a pick (similarities only
    // grow), so only the others need their similarity to each new pick.
    let too_similar = |s: f64| s > cfg.max_similarity;
    let open = |j: usize, taken: &[bool], max_sim: &[f64]| !taken[j] && !too_similar(max_sim[j]);
    with_dense(|d| {
        while picked.len() < want {
            let mut best: Option<(usize, f64)> = None;
            for i in 0..cands.len() {
                if !open(i, &taken, &max_sim) {
                    continue;
                }
                if let Some(b) = budget {
                    if !picked.is_empty() && words + cands[i].words > b {
                        continue;
                    }
                }
                let mmr = cfg.mmr_lambda * scores[i] / max - (1.0 - cfg.mmr_lambda) * max_sim[i];
                if best.is_none_or(|(_, m)| mmr > m) {
                    best = Some((i, mmr));
                }
            }
            let Some((i, _)) = best else { break };
            taken[i] = true;
            words += cands[i].words;
            picked.push(Picked {
                index: i,
                score: scores[i],
            });
            if picked.len() == want {
                // The last pick: no similarity to it is ever read.
                break;
            }
            d.clear();
            d.add(&cands[i].vector);
            for j in 0..cands.len() {
                if open(j, &taken, &max_sim) {
                    let s = d.dot(&cands[j].vector);
                    if s > max_sim[j] {
                        max_sim[j] = s;
                    }
                }
            }
        }
    });
    if order == Order::Document {
        picked.sort_by_key(|p| p.index);
    }
    picked
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;

    /// A candidate with an L2-normalised vector of `(term, weight)` pairs (shared with the
    /// feature tests).
    pub(crate) fn cand(pairs: &[(u32, f32)], words: usize) -> Candidate {
        let norm = pairs.iter().map(|p| p.1 * p.1).sum::<f32>().sqrt();
        Candidate {
            vector: SparseVec {
                indices: pairs.iter().map(|p| p.0).collect(),
                values: pairs.iter().map(|p| p.1 / norm).collect(),
            },
            words,
            ..Default::default()
        }
    }

    fn doc() -> Vec<Candidate> {
        vec![
            cand(&[(0, 1.0), (1, 1.0)], 12),
            cand(&[(0, 1.0), (1, 1.0)], 12), // same content as 0
            cand(&[(2, 1.0), (3, 1.0)], 12),
            cand(&[(4, 1.0)], 2),
            cand(&[(0, 1.0), (2, 1.0)], 12),
        ]
    }

    #[test]
    fn lengths() {
        let cfg = SummarizerConfig::default();
        let d = doc();
        assert_eq!(
            summarize(&d, None, Length::Sentences(2), Order::Document, &cfg).len(),
            2
        );
        assert_eq!(
            summarize(&d, None, Length::Sentences(99), Order::Document, &cfg).len(),
            4 // one candidate is a copy of another: never picked
        );
        assert_eq!(
            summarize(&d, None, Length::Ratio(0.01), Order::Document, &cfg).len(),
            1
        );
        assert_eq!(
            summarize(&d, None, Length::Ratio(1.0), Order::Document, &cfg).len(),
            4
        );
        let w = summarize(&d, None, Length::Words(25), Order::Document, &cfg);
        assert!(w.iter().map(|p| d[p.index].words).sum::<usize>() <= 25);
        assert_eq!(
            summarize(&d, None, Length::Words(1), Order::Document, &cfg).len(),
            1
        );
        assert!(summarize(&[], None, Length::Ratio(0.5), Order::Document, &cfg).is_empty());
    }

    #[test]
    fn redundancy_control_skips_the_copy() {
        let cfg = SummarizerConfig::default();
        let p = summarize(&doc(), None, Length::Sentences(2), Order::Document, &cfg);
        let idx: Vec<usize> = p.iter().map(|p| p.index).collect();
        assert!(idx.contains(&0));
        assert!(!idx.contains(&1), "{idx:?}");
    }

    #[test]
    fn order_by_rank_or_document() {
        let cfg = SummarizerConfig::default();
        let by_rank = summarize(&doc(), None, Length::Sentences(3), Order::Rank, &cfg);
        let by_doc = summarize(&doc(), None, Length::Sentences(3), Order::Document, &cfg);
        assert!(by_doc.windows(2).all(|w| w[0].index < w[1].index));
        let mut sorted = by_rank.clone();
        sorted.sort_by_key(|p| p.index);
        assert_eq!(sorted, by_doc);
    }
}
