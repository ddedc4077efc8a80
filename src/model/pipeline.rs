//! One pass over a document: clean, analyse, run every head, summarise.
//!
//! This is the only place where the layers meet; the server calls [`Model::analyze`] and
//! converts the result, nothing more.

use crate::classify::Scored;
use crate::features::SparseVec;
use crate::summarize::learned::{self, SentenceScorer};
use crate::summarize::{self, features, Candidate, Length, Order, SummarizerConfig};
use crate::text::{self, Removed, Span};

use super::{index, Model};

pub type SummaryLength = Length;

/// Keeps the items of `v` whose flag in `keep` (same order) is set.
fn retain_where<T>(v: &mut Vec<T>, keep: &[bool]) {
    let mut k = keep.iter();
    v.retain(|_| k.next().copied().unwrap_or(true));
}

/// A document's candidate sentences for its summary (see [`Model::summary_input`]).
#[derive(Debug, Clone, Default)]
pub struct SummaryInput {
    /// Byte spans of the candidates in the caller's text, in document order.
    pub spans: Vec<Span>,
    /// Each candidate's index among the document's kept sentences (not every kept sentence is
    /// a candidate, see [`Model::summary_input`]).
    pub sentence: Vec<usize>,
    pub cands: Vec<Candidate>,
    /// The title's vector, if the document has a title.
    pub title: Option<SparseVec>,
}

impl SummaryInput {
    /// The learned scorer's features of every candidate (`text` is the document's text) for a
    /// summary of about `budget` sentences.
    pub fn features(&self, text: &str, budget: usize) -> Vec<features::Row> {
        let texts: Vec<&str> = self.spans.iter().map(|s| &text[s.start..s.end]).collect();
        features::extract(&self.cands, &texts, self.title.as_ref(), budget)
    }
}

/// Sentences of one document considered for its summary (the first ones).
pub const MAX_SUMMARY_CANDIDATES: usize = 2000;
pub type SummaryOrder = Order;

/// What to compute for a document.
#[derive(Debug, Clone)]
pub struct AnalyzeOptions {
    /// Remove repeated content and site chrome before anything else. Default: true.
    pub clean: bool,
    /// The text was extracted from HTML by [`text::html::extract`]: clean it with
    /// [`text::html::clean`] (keeps the article's own lists). Default: false.
    pub html: bool,
    /// Run the classification heads.
    pub classify: bool,
    /// Labels per head to return (already validated by the caller, >= 1).
    pub top_k: usize,
    /// Evidence terms per returned label (0 = none).
    pub evidence: usize,
    /// Summarise, with these options.
    pub summary: Option<SummaryOptions>,
    /// Per head (by name), the labels to choose among; probabilities are renormalised over
    /// them. Heads not listed (or listed with no labels) use all their labels. Check with
    /// [`Model::check_allowed_labels`] first: unknown names are ignored here.
    pub allowed_labels: Vec<(String, Vec<String>)>,
}

impl Default for AnalyzeOptions {
    fn default() -> Self {
        AnalyzeOptions {
            clean: true,
            html: false,
            classify: true,
            top_k: 3,
            evidence: 0,
            summary: None,
            allowed_labels: Vec::new(),
        }
    }
}

/// A label restriction that names a head or label the model does not have.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum LabelError {
    #[error("allowed_labels: the model has no head {head:?}; its heads are {known:?}")]
    UnknownHead { head: String, known: Vec<String> },
    #[error("allowed_labels: head {head:?} has no label {label:?}; its labels are {known:?}")]
    UnknownLabel {
        head: String,
        label: String,
        known: Vec<String>,
    },
}

#[derive(Debug, Clone)]
pub struct SummaryOptions {
    pub length: Length,
    pub order: Order,
    /// Scoring weights (the server always uses the defaults; evaluation may vary them).
    pub scoring: SummarizerConfig,
}

/// One label of one head.
#[derive(Debug, Clone, PartialEq)]
pub struct LabelScore {
    pub label: String,
    pub probability: f64,
    /// `(term, weight)`: the features that pushed most towards this label.
    pub evidence: Vec<(String, f64)>,
}

/// The ranked labels of one head.
#[derive(Debug, Clone, PartialEq)]
pub struct HeadOutput {
    pub head: String,
    pub labels: Vec<LabelScore>,
}

/// A summary sentence.
#[derive(Debug, Clone, PartialEq)]
pub struct SummarySentence {
    pub span: Span,
    /// Index among the document's kept sentences.
    pub index: usize,
    pub score: f64,
}

/// Everything computed for one document.
#[derive(Debug, Clone, Default)]
pub struct Analysis {
    pub heads: Vec<HeadOutput>,
    pub summary: Option<Vec<SummarySentence>>,
    pub removed: Vec<Removed>,
    /// Number of sentences kept after cleaning (the whole text counts as one when neither
    /// cleaning nor a summary was asked for: then it is not segmented).
    pub sentences: usize,
}

/// Classification results for one document (the heads only).
pub type Classification = Vec<HeadOutput>;

impl Model {
    /// Cleans, classifies and/or summarises one document. Never fails: every input gets an
    /// answer (an empty document gets uniform-prior predictions and an empty summary).
    pub fn analyze(&self, title: &str, text: &str, opts: &AnalyzeOptions) -> Analysis {
        let title_opt = Some(title).filter(|t| !t.trim().is_empty());
        let cleaned = if opts.clean && opts.html {
            text::html::clean(text, title_opt)
        } else if opts.clean {
            // With the bundle's line classifier when it has one, the rules alone otherwise.
            text::clean_with(text, title_opt, self.extras.cleaner.as_ref())
        } else if opts.summary.is_some() {
            text::no_clean(text)
        } else {
            // Classification alone needs no sentences: the whole text is one piece.
            text::Cleaned::whole(text)
        };
        let mut out = Analysis {
            sentences: cleaned.sentences().count(),
            ..Default::default()
        };
        if opts.classify {
            let mut ids = Vec::with_capacity(text.len() / 7);
            let mut spans = Vec::new();
            let repeat = self.analyzer.config().title_repeat;
            for piece in text::document_pieces(title, repeat, text, &cleaned) {
                self.push_term_ids(piece, &mut spans, &mut ids);
            }
            let any_bigrams = self.heads.iter().any(|h| h.vectorizer.config().bigrams);
            let mut doc = index::DocCounts::default();
            self.index.doc_counts(&ids, any_bigrams, &mut doc);
            for (h, head) in self.heads.iter().enumerate() {
                let counts = self
                    .index
                    .head_counts(&doc, h, head.vectorizer.config().bigrams);
                let x = head.vectorizer.weight(&counts);
                let allowed = self.allowed_indices(h, &opts.allowed_labels);
                let labels = head
                    .nb
                    .ranked(&x, opts.top_k, head.temperature, allowed.as_deref())
                    .into_iter()
                    .map(|Scored { label, probability }| LabelScore {
                        label: head.nb.labels[label].clone(),
                        probability,
                        evidence: if opts.evidence > 0 {
                            head.nb
                                .evidence(&x, label, opts.evidence)
                                .into_iter()
                                .map(|(t, w)| (head.vectorizer.terms()[t as usize].clone(), w))
                                .collect()
                        } else {
                            Vec::new()
                        },
                    })
                    .collect();
                out.heads.push(HeadOutput {
                    head: head.name.clone(),
                    labels,
                });
            }
        }
        if let Some(s) = &opts.summary {
            out.summary = Some(self.summarize_cleaned(title, text, &cleaned, s));
        }
        out.removed = cleaned.removed;
        out
    }

    fn summarize_cleaned(
        &self,
        title: &str,
        text: &str,
        cleaned: &text::Cleaned,
        opts: &SummaryOptions,
    ) -> Vec<SummarySentence> {
        let input = self.summary_input(title, text, cleaned);
        let scores = self.score_sentences(&input, text, opts.length, &opts.scoring);
        summarize::select(
            &input.cands,
            &scores,
            opts.length,
            opts.order,
            &opts.scoring,
        )
        .into_iter()
        .map(|p| SummarySentence {
            span: input.spans[p.index],
            index: input.sentence[p.index],
            score: p.score,
        })
        .collect()
    }

    /// Checks a label restriction against the model's heads and labels.
    pub fn check_allowed_labels(
        &self,
        allowed: &[(String, Vec<String>)],
    ) -> Result<(), LabelError> {
        for (name, labels) in allowed {
            let Some(head) = self.head(name) else {
                return Err(LabelError::UnknownHead {
                    head: name.clone(),
                    known: self.heads.iter().map(|h| h.name.clone()).collect(),
                });
            };
            if let Some(l) = labels.iter().find(|l| !head.nb.labels.contains(l)) {
                return Err(LabelError::UnknownLabel {
                    head: name.clone(),
                    label: l.clone(),
                    known: head.nb.labels.clone(),
                });
            }
        }
        Ok(())
    }

    /// The label indices head `h` may choose among, or `None` for all of them.
    fn allowed_indices(&self, h: usize, allowed: &[(String, Vec<String>)]) -> Option<Vec<usize>> {
        let head = &self.heads[h];
        let (_, labels) = allowed
            .iter()
            .find(|(name, l)| *name == head.name && !l.is_empty())?;
        let mut idx: Vec<usize> = labels
            .iter()
            .filter_map(|l| head.nb.labels.iter().position(|x| x == l))
            .collect();
        idx.sort_unstable();
        idx.dedup();
        (!idx.is_empty()).then_some(idx)
    }

    /// The candidate sentences of a cleaned document as the summariser sees them. Serving and
    /// the scorer's training both come through here, so they can never disagree.
    pub fn summary_input(&self, title: &str, text: &str, cleaned: &text::Cleaned) -> SummaryInput {
        // Selection costs O(picked x candidates): bound the candidates so a 1 MiB page of tiny
        // sentences stays fast. Past this point the position prior makes a pick unlikely anyway.
        //
        // Only sentences are candidates, not the headlines, bylines, labels and inline photo
        // captions a scraped page keeps (`summarize::is_candidate`). A text without any
        // sentence keeps all its pieces, so it still gets a summary.
        // (One pass with the rule; the pass without it only for a text where it found none.)
        let collect = |only_sentences: bool| {
            let (mut spans, mut sentence, mut starts) = (Vec::new(), Vec::new(), Vec::new());
            for (k, (i, s)) in cleaned
                .blocks
                .iter()
                .flat_map(|b| b.sentences.iter().enumerate())
                .enumerate()
            {
                if spans.len() == MAX_SUMMARY_CANDIDATES {
                    break;
                }
                if !only_sentences || summarize::is_candidate(&text[s.start..s.end]) {
                    spans.push(*s);
                    sentence.push(k);
                    starts.push(i == 0);
                }
            }
            (spans, sentence, starts)
        };
        let (mut spans, mut sentence, starts) = match collect(true) {
            (found, ..) if found.is_empty() => collect(false),
            found => found,
        };
        let Some((h, vec)) = self.summary_head() else {
            // A model without any head cannot exist (load checks heads), but be total.
            return SummaryInput::default();
        };
        let mut buf = Vec::new();
        // Each sentence goes straight to the summary head's feature ids and one sort counts
        // them (buffers reused across sentences). This gives what `doc_counts` then
        // `head_counts` give, which sort twice and allocate per sentence: a head's feature
        // has exactly one combined id, so mapping before counting counts the same features.
        let mut fids: Vec<u32> = Vec::new();
        let mut counts: Vec<(u32, u32)> = Vec::new();
        let idf = vec.idf();
        let mut vectorize = |s: &str| -> Candidate {
            fids.clear();
            let attribution = self.for_each_term_id(s, &mut buf, |id| {
                fids.extend(self.index.head_unigram(id, h))
            });
            let words = text::scan::word_count(s);
            crate::features::count_ids_into(&mut fids, &mut counts);
            let mass = counts
                .iter()
                .map(|&(t, _)| idf.get(t as usize).copied().unwrap_or(0.0) as f64)
                .sum();
            Candidate {
                vector: vec.weight(&counts),
                words,
                paragraph_start: false,
                mass,
                attribution,
            }
        };
        let mut cands: Vec<Candidate> = spans
            .iter()
            .zip(&starts)
            .map(|(s, &start)| Candidate {
                paragraph_start: start,
                ..vectorize(&text[s.start..s.end])
            })
            .collect();
        // Redundancy control compares TF-IDF vectors, so it cannot see that two sentences
        // without any known term (another script than the model's vocabulary, say) are the
        // same: drop the repeats of those by their text. Cleaning already removed the longer
        // repeats; this is about the short ones it leaves ("Yes." may repeat in an article).
        if cands.iter().filter(|c| c.vector.is_empty()).count() > 1 {
            let mut seen = std::collections::HashSet::new();
            let keep: Vec<bool> = spans
                .iter()
                .zip(&cands)
                .map(|(s, c)| !c.vector.is_empty() || seen.insert(text[s.start..s.end].trim()))
                .collect();
            retain_where(&mut spans, &keep);
            retain_where(&mut sentence, &keep);
            retain_where(&mut cands, &keep);
        }
        let title = (!title.trim().is_empty()).then(|| vectorize(title).vector);
        SummaryInput {
            spans,
            sentence,
            cands,
            title,
        }
    }

    /// Scores the candidates with the model's learned scorer, or with the hand-set weights of
    /// `cfg` when the model has none (every version-1 bundle).
    pub fn score_sentences(
        &self,
        input: &SummaryInput,
        text: &str,
        length: Length,
        cfg: &SummarizerConfig,
    ) -> Vec<f64> {
        match &self.extras.scorer {
            Some(scorer) => {
                let budget = summarize::expected_count(length, &input.cands);
                scorer.score(
                    &input.features(text, budget),
                    features::compression(budget, input.cands.len()),
                )
            }
            None => summarize::score(&input.cands, input.title.as_ref(), cfg),
        }
    }

    /// Which scorer this model's summaries use ("hand-set" or the learned kind).
    pub fn summary_scorer_kind(&self) -> &'static str {
        match &self.extras.scorer {
            Some(_) => SentenceScorer::KIND,
            None => learned::HAND_SET,
        }
    }

    /// Appends the combined feature-index ids of the terms of `piece` to `ids` (NONE for a
    /// term no head knows), memoised per thread under this model's index.
    fn push_term_ids(&self, piece: &str, spans: &mut Vec<Span>, ids: &mut Vec<u32>) {
        self.for_each_term_id(piece, spans, |id| ids.push(id));
    }

    /// Calls `f` with the combined feature-index id of each term of `piece` (NONE for a term
    /// no head knows), memoised as in [`Model::push_term_ids`]. Returns whether `piece` holds
    /// an attribution word ([`features::is_attribution`] of some token): every caller shares
    /// one memo per model, so every caller asks the same.
    fn for_each_term_id(&self, piece: &str, spans: &mut Vec<Span>, f: impl FnMut(u32)) -> bool {
        self.analyzer.for_each_term_id(
            piece,
            spans,
            self.index.key(),
            |t| self.index.id(t),
            features::is_attribution,
            f,
        )
    }

    /// The head whose vectoriser (unigrams only) supplies the summariser's idf statistics.
    fn summary_head(&self) -> Option<(usize, &crate::features::TfidfVectorizer)> {
        let by_name = self
            .meta
            .summary_idf_head
            .as_deref()
            .and_then(|n| self.heads.iter().position(|h| h.name == n));
        let h = by_name.or((!self.heads.is_empty()).then_some(0))?;
        Some((h, &self.heads[h].vectorizer))
    }
}
