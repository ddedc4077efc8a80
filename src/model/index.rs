//! One lookup table for all heads: term -> feature id in every head, bigrams by id pairs.
//!
//! Each head has its own TF-IDF vocabulary (its corpus decides which terms matter). Looking every
//! term and every bigram string up in every head's vocabulary costs ~4 string hashes per token
//! and a string build per bigram. This index, built once when the model is loaded, maps each
//! term to a combined id with one hash, and each bigram to its per-head ids by hashing a pair of
//! integers. `index_matches_vectorizers` pins that it gives exactly the vectorisers' features.

use rustc_hash::FxHashMap;

use super::Head;

const NONE: u32 = u32::MAX;

#[derive(Debug, Clone, Default)]
pub struct FeatureIndex {
    key: u64,
    heads: usize,
    unigrams: FxHashMap<Box<str>, u32>,
    /// `uni[cid * heads + h]`: the feature id of unigram `cid` in head `h`, or NONE.
    uni: Vec<u32>,
    bigrams: FxHashMap<(u32, u32), u32>,
    /// `bi[bid * heads + h]`: the feature id of bigram `bid` in head `h`, or NONE.
    bi: Vec<u32>,
}

impl FeatureIndex {
    pub fn new(heads: &[Head]) -> FeatureIndex {
        let n = heads.len();
        static KEYS: std::sync::atomic::AtomicU64 = std::sync::atomic::AtomicU64::new(1);
        let mut ix = FeatureIndex {
            key: KEYS.fetch_add(1, std::sync::atomic::Ordering::Relaxed),
            heads: n,
            ..Default::default()
        };
        fn uid(ix: &mut FeatureIndex, t: &str) -> u32 {
            if let Some(&id) = ix.unigrams.get(t) {
                return id;
            }
            let id = ix.unigrams.len() as u32;
            ix.unigrams.insert(t.into(), id);
            ix.uni.extend(std::iter::repeat_n(NONE, ix.heads));
            id
        }
        for (h, head) in heads.iter().enumerate() {
            for (fid, term) in head.vectorizer.terms().iter().enumerate() {
                match term.split_once(' ') {
                    None => {
                        let id = uid(&mut ix, term);
                        ix.uni[id as usize * n + h] = fid as u32;
                    }
                    Some((a, b)) => {
                        let key = (uid(&mut ix, a), uid(&mut ix, b));
                        let next = ix.bigrams.len() as u32;
                        let bid = *ix.bigrams.entry(key).or_insert(next);
                        if bid == next {
                            ix.bi.extend(std::iter::repeat_n(NONE, n));
                        }
                        ix.bi[bid as usize * n + h] = fid as u32;
                    }
                }
            }
        }
        ix
    }

    /// The combined id of a term (NONE if no head knows it, alone or in a bigram).
    pub fn id(&self, term: &str) -> u32 {
        self.unigrams.get(term).copied().unwrap_or(NONE)
    }

    /// A number unique to this index among those made by this process: the key under which
    /// the analyzer memoises raw token -> [`FeatureIndex::id`].
    pub fn key(&self) -> u64 {
        self.key
    }

    /// The feature id of combined term id `id` as a unigram of head `h`, if that head has it.
    pub fn head_unigram(&self, id: u32, h: usize) -> Option<u32> {
        if id == NONE {
            return None;
        }
        let f = self.uni[id as usize * self.heads + h];
        (f != NONE).then_some(f)
    }

    /// Counts a document given as combined term ids once for all heads: distinct unigram
    /// ids and (when `bigrams`) distinct bigram ids of consecutive known terms, with counts.
    pub fn doc_counts(&self, ids: &[u32], bigrams: bool, out: &mut DocCounts) {
        out.scratch.clear();
        out.scratch
            .extend(ids.iter().copied().filter(|&id| id != NONE));
        out.uni = crate::features::count_ids(&mut out.scratch);
        out.scratch.clear();
        if bigrams && !self.bigrams.is_empty() {
            for w in ids.windows(2) {
                if w[0] != NONE && w[1] != NONE {
                    if let Some(&bid) = self.bigrams.get(&(w[0], w[1])) {
                        out.scratch.push(bid);
                    }
                }
            }
        }
        out.bi = crate::features::count_ids(&mut out.scratch);
    }

    /// Sorted `(feature id, count)` of head `h` (bigrams too if `bigrams`). Sorting the
    /// distinct features is needed: sparse vectors keep their indices sorted (the summariser's
    /// similarities merge them).
    pub fn head_counts(&self, doc: &DocCounts, h: usize, bigrams: bool) -> Vec<(u32, u32)> {
        let n = self.heads;
        let pick = |table: &[u32], (id, c): (u32, u32)| {
            let f = table[id as usize * n + h];
            (f != NONE).then_some((f, c))
        };
        let mut out: Vec<(u32, u32)> = Vec::with_capacity(doc.uni.len() + doc.bi.len());
        out.extend(doc.uni.iter().filter_map(|&x| pick(&self.uni, x)));
        if bigrams {
            out.extend(doc.bi.iter().filter_map(|&x| pick(&self.bi, x)));
        }
        out.sort_unstable_by_key(|&(f, _)| f);
        out
    }
}

/// A document's distinct combined ids with counts (see [`FeatureIndex::doc_counts`]).
#[derive(Debug, Default)]
pub struct DocCounts {
    uni: Vec<(u32, u32)>,
    bi: Vec<(u32, u32)>,
    scratch: Vec<u32>,
}
