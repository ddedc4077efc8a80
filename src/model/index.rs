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
    /// Combined ids map to every head's feature ids in increasing order (unigrams and bigrams
    /// each), as they do for vocabularies sorted by term, which [`crate::features::TfidfFitter`]
    /// writes; otherwise `head_counts` sorts.
    monotone: bool,
}

/// Renumbers the ids of `terms` (0..len, in any order) so that they follow the terms' byte
/// order. Keyed by the first eight bytes (big-endian, zero padded, which orders as the bytes do)
/// and compared as strings only on a tie: a model load sorts a few hundred thousand terms.
fn renumber_in_byte_order(terms: &mut FxHashMap<Box<str>, u32>) {
    let mut order: Vec<(u64, &str, u32)> = terms
        .iter()
        .map(|(t, &id)| {
            let mut head = [0u8; 8];
            let k = t.len().min(8);
            head[..k].copy_from_slice(&t.as_bytes()[..k]);
            (u64::from_be_bytes(head), &**t, id)
        })
        .collect();
    order.sort_unstable();
    let mut rank = vec![0u32; order.len()];
    for (new, &(_, _, old)) in order.iter().enumerate() {
        rank[old as usize] = new as u32;
    }
    drop(order);
    terms.values_mut().for_each(|id| *id = rank[*id as usize]);
}

impl FeatureIndex {
    pub fn new(heads: &[Head]) -> FeatureIndex {
        let n = heads.len();
        static KEYS: std::sync::atomic::AtomicU64 = std::sync::atomic::AtomicU64::new(1);
        // Combined ids are numbered so that combined id -> head feature id increases for every
        // head (unigrams and bigrams each): `head_counts` then merges two sorted lists instead
        // of sorting (a fifth of Classify's instructions went to sorting). A trained vocabulary
        // is sorted by term, so unigrams are numbered in byte order and bigrams in the order of
        // their two unigram ids, which is the byte order of "a b" for any term without bytes
        // below the space. Rather than assume that, `monotone` checks it.
        let mut unigrams: FxHashMap<Box<str>, u32> = FxHashMap::default();
        fn seen(map: &mut FxHashMap<Box<str>, u32>, t: &str) {
            if !map.contains_key(t) {
                let id = map.len() as u32;
                map.insert(t.into(), id);
            }
        }
        for head in heads {
            for term in head.vectorizer.terms() {
                match term.split_once(' ') {
                    None => seen(&mut unigrams, term),
                    Some((a, b)) => {
                        seen(&mut unigrams, a);
                        seen(&mut unigrams, b);
                    }
                }
            }
        }
        renumber_in_byte_order(&mut unigrams);
        let mut pairs: Vec<(u32, u32)> = heads
            .iter()
            .flat_map(|h| h.vectorizer.terms())
            .filter_map(|t| t.split_once(' '))
            .map(|(a, b)| (unigrams[a], unigrams[b]))
            .collect();
        pairs.sort_unstable();
        pairs.dedup();
        let mut ix = FeatureIndex {
            key: KEYS.fetch_add(1, std::sync::atomic::Ordering::Relaxed),
            heads: n,
            uni: vec![NONE; unigrams.len() * n],
            bi: vec![NONE; pairs.len() * n],
            bigrams: pairs
                .iter()
                .enumerate()
                .map(|(i, &p)| (p, i as u32))
                .collect(),
            unigrams,
            monotone: false,
        };
        for (h, head) in heads.iter().enumerate() {
            for (fid, term) in head.vectorizer.terms().iter().enumerate() {
                match term.split_once(' ') {
                    None => ix.uni[ix.unigrams[term.as_str()] as usize * n + h] = fid as u32,
                    Some((a, b)) => {
                        let key = (ix.unigrams[a], ix.unigrams[b]);
                        ix.bi[ix.bigrams[&key] as usize * n + h] = fid as u32;
                    }
                }
            }
        }
        let increasing = |table: &[u32], h: usize| {
            let mut ids = table.iter().skip(h).step_by(n).filter(|&&f| f != NONE);
            let mut last = ids.next();
            ids.all(|f| {
                let up = Some(f) > last;
                last = Some(f);
                up
            })
        };
        ix.monotone = (0..n).all(|h| increasing(&ix.uni, h) && increasing(&ix.bi, h));
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

    /// Sorted `(feature id, count)` of head `h` (bigrams too if `bigrams`). Sparse vectors keep
    /// their indices sorted (the summariser's similarities merge them). Combined ids map to a
    /// head's feature ids in increasing order (see [`FeatureIndex::new`]), so the unigrams and
    /// the bigrams each come out sorted and one merge interleaves them.
    pub fn head_counts(&self, doc: &DocCounts, h: usize, bigrams: bool) -> Vec<(u32, u32)> {
        let n = self.heads;
        let pick = |table: &[u32], &(id, c): &(u32, u32)| {
            let f = table[id as usize * n + h];
            (f != NONE).then_some((f, c))
        };
        let mut uni = doc.uni.iter().filter_map(|x| pick(&self.uni, x)).peekable();
        let mut out: Vec<(u32, u32)> = Vec::with_capacity(doc.uni.len() + doc.bi.len());
        if bigrams {
            for b in doc.bi.iter().filter_map(|x| pick(&self.bi, x)) {
                while let Some(u) = uni.next_if(|u| u.0 < b.0) {
                    out.push(u);
                }
                out.push(b);
            }
        }
        out.extend(uni);
        if !self.monotone {
            out.sort_unstable_by_key(|&(f, _)| f);
        }
        debug_assert!(out.windows(2).all(|w| w[0].0 < w[1].0));
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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::classify::{NbHead, NbKind};
    use crate::features::{TfidfConfig, TfidfVectorizer};

    #[test]
    fn renumbering_follows_byte_order_past_the_eight_byte_key() {
        // Ties on the first eight bytes, a prefix of another term, and a non-ASCII term.
        let terms = [
            "internationals",
            "internal",
            "internationally",
            "intern",
            "é",
            "a",
        ];
        let mut map: FxHashMap<Box<str>, u32> = terms
            .iter()
            .enumerate()
            .map(|(i, t)| (Box::from(*t), i as u32))
            .collect();
        renumber_in_byte_order(&mut map);
        let mut sorted = terms.to_vec();
        sorted.sort_unstable();
        for (rank, t) in sorted.iter().enumerate() {
            assert_eq!(map[*t], rank as u32, "{t}");
        }
    }

    fn head(terms: &[&str]) -> Head {
        let n = terms.len();
        Head {
            name: "h".into(),
            vectorizer: TfidfVectorizer::from_parts(
                TfidfConfig {
                    bigrams: true,
                    ..TfidfConfig::default()
                },
                terms.iter().map(|t| t.to_string()).collect(),
                vec![1.0; n],
                10,
            ),
            nb: NbHead {
                labels: vec!["a".into()],
                kind: NbKind::Multinomial,
                log_prior: vec![0.0],
                weights: vec![0.0; n],
            },
            temperature: 1.0,
        }
    }

    /// What `head_counts` must give: each head's own features of the document, with counts,
    /// sorted by feature id.
    fn expected(h: &Head, doc: &[&str]) -> Vec<(u32, u32)> {
        h.vectorizer.counts(doc)
    }

    fn served(ix: &FeatureIndex, h: usize, doc: &[&str]) -> Vec<(u32, u32)> {
        let ids: Vec<u32> = doc.iter().map(|t| ix.id(t)).collect();
        let mut counts = DocCounts::default();
        ix.doc_counts(&ids, true, &mut counts);
        ix.head_counts(&counts, h, true)
    }

    #[test]
    fn head_counts_are_each_heads_sorted_features_with_sorted_and_unsorted_vocabularies() {
        let doc = [
            "oil", "price", "oil", "rise", "bank", "rate", "oil", "price", "zinc",
        ];
        // Two heads with overlapping vocabularies in byte order (as trained), where a bigram
        // falls between unigrams, and a third whose terms are not sorted (a vocabulary built
        // elsewhere): the index must give each head exactly its vectoriser's counts.
        let heads = [
            head(&["bank", "oil", "oil price", "price", "price oil", "rise"]),
            head(&["bank rate", "oil", "price", "rate", "zinc"]),
            head(&["rise", "oil price", "bank", "zinc", "oil"]),
        ];
        let ix = FeatureIndex::new(&heads);
        assert!(!ix.monotone);
        for (h, head) in heads.iter().enumerate() {
            assert_eq!(served(&ix, h, &doc), expected(head, &doc), "head {h}");
        }
        let ix = FeatureIndex::new(&heads[..2]);
        assert!(ix.monotone);
        for (h, head) in heads[..2].iter().enumerate() {
            assert_eq!(served(&ix, h, &doc), expected(head, &doc), "head {h}");
        }
    }
}
