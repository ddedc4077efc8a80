//! Sentence features for the learned scorer: what a sentence is, where it stands, how much of
//! the article it carries.
//!
//! Every feature is computed from the article alone (its sentences, their TF-IDF vectors with
//! the model's idf, the title if there is one). None says which corpus or publisher a text
//! comes from: a scorer trained on one newsroom's summaries must transfer to another's text,
//! and the weights, not the features, carry a house style. Document-level constants (length of
//! the article, presence of a title) are left out on purpose: they cannot rank the sentences of
//! one article and would only let the model tell corpora apart.
//!
//! Two features relate a sentence's position to the summary's **budget** (how many sentences
//! are asked for): "among the first k" means more when k is 3 of 30 sentences than when it is 8
//! of 20. The budget comes from the request's length option at serving and from the reference's
//! sentence count at training; it is a property of the request, not of a corpus.
//!
//! How much the summary compresses the article (`1 - budget / sentences`) scales a second copy
//! of every feature: a short summary of a long article leans on the lead, a long one on
//! coverage, and one linear model can learn both only through such interactions.
//!
//! Order and names are part of the model format: a stored scorer lists the names it was fitted
//! on, and loading checks them against [`NAMES`].

use crate::features::SparseVec;
use crate::text::scan;

use super::{centrality, Candidate};

/// Feature names, in the order of a feature row: [`BASE`] base features, then each of them
/// times the compression.
pub const NAMES: [&str; N] = [
    "first_sentence",
    "second_sentence",
    "third_sentence",
    "position_inverse",
    "position_log",
    "relative_position",
    "paragraph_start",
    "length",
    "short",
    "long",
    "centrality",
    "centrality_relative",
    "title_overlap",
    "tfidf_mass_relative",
    "numbers",
    "quote",
    "attribution",
    "question",
    "within_budget",
    "position_over_budget",
    "first_sentence_x_compression",
    "second_sentence_x_compression",
    "third_sentence_x_compression",
    "position_inverse_x_compression",
    "position_log_x_compression",
    "relative_position_x_compression",
    "paragraph_start_x_compression",
    "length_x_compression",
    "short_x_compression",
    "long_x_compression",
    "centrality_x_compression",
    "centrality_relative_x_compression",
    "title_overlap_x_compression",
    "tfidf_mass_relative_x_compression",
    "numbers_x_compression",
    "quote_x_compression",
    "attribution_x_compression",
    "question_x_compression",
    "within_budget_x_compression",
    "position_over_budget_x_compression",
];

/// Index of `position_log` (`ln(1 + position)`), the feature a lead prior acts on.
pub const POSITION_LOG: usize = 4;

/// Number of base features.
pub const BASE: usize = 20;

/// Number of features.
pub const N: usize = 2 * BASE;

/// One sentence's features, in the order of [`NAMES`].
pub type Row = [f64; N];

/// Verbs and phrases that attribute a statement to a source.
const ATTRIBUTION: &[&str] = &[
    "said",
    "says",
    "told",
    "according",
    "added",
    "announced",
    "stated",
    "claimed",
    "reported",
    "confirmed",
];

/// Does `text` hold one of the [`ATTRIBUTION`] words (as a run of letters and digits, ASCII
/// case ignored)?
///
/// The summary input asks this of each token (the memo of the token pass keeps the answer),
/// not of the sentence: the same thing, because a token boundary never falls inside a run of
/// letters and digits (the tokenizer extends a token over every letter and digit that follows
/// it), so a sentence's runs are its tokens' runs.
pub fn is_attribution(text: &str) -> bool {
    scan::has_word(text, ATTRIBUTION)
}

fn flag(b: bool) -> f64 {
    if b {
        1.0
    } else {
        0.0
    }
}

/// How much a summary of about `budget` sentences compresses an article of `sentences`: 0 =
/// every sentence, near 1 = few of many.
pub fn compression(budget: usize, sentences: usize) -> f64 {
    1.0 - (budget.max(1) as f64 / sentences.max(1) as f64).min(1.0)
}

/// Features of every candidate (`texts[i]` is candidate `i`'s text; same order) for a summary
/// of about `budget` sentences. The attribution feature is the candidate's own flag (set with
/// its vector, see [`is_attribution`]).
pub fn extract(
    cands: &[Candidate],
    texts: &[&str],
    title: Option<&SparseVec>,
    budget: usize,
) -> Vec<Row> {
    let compression = compression(budget, cands.len());
    let budget = budget.max(1) as f64;
    debug_assert_eq!(cands.len(), texts.len());
    let n = cands.len();
    let cent = centrality(cands);
    let max_cent = cent.iter().copied().fold(0.0, f64::max);
    let max_mass = cands.iter().map(|c| c.mass).fold(0.0, f64::max);
    cands
        .iter()
        .zip(texts)
        .enumerate()
        .map(|(i, (c, text))| {
            let pos = i as f64;
            let words = c.words as f64;
            let end = text.trim_end().trim_end_matches(['"', '\'', '”', '’', ')']);
            [
                flag(i == 0),
                flag(i == 1),
                flag(i == 2),
                1.0 / (1.0 + pos),
                (1.0 + pos).ln(),
                if n > 1 { pos / (n - 1) as f64 } else { 0.0 },
                flag(c.paragraph_start),
                words.min(60.0) / 30.0,
                flag(c.words < 8),
                flag(c.words > 40),
                cent[i],
                if max_cent > 0.0 {
                    cent[i] / max_cent
                } else {
                    0.0
                },
                title.map_or(0.0, |t| c.vector.dot(t) as f64),
                if max_mass > 0.0 {
                    c.mass / max_mass
                } else {
                    0.0
                },
                flag(scan::has_ascii_digit(text)),
                flag(scan::has_quote(text)),
                flag(c.attribution),
                flag(end.ends_with('?')),
                flag(pos < budget),
                (pos / budget).min(10.0),
            ]
        })
        .map(|base: [f64; BASE]| {
            let mut row = [0.0; N];
            row[..BASE].copy_from_slice(&base);
            for j in 0..BASE {
                row[BASE + j] = base[j] * compression;
            }
            row
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn cand(pairs: &[(u32, f32)], words: usize, paragraph_start: bool, mass: f64) -> Candidate {
        Candidate {
            paragraph_start,
            mass,
            ..crate::summarize::tests::cand(pairs, words)
        }
    }

    fn get(row: &Row, name: &str) -> f64 {
        row[NAMES.iter().position(|n| *n == name).expect(name)]
    }

    #[test]
    fn names_are_unique_and_match_the_row_length() {
        let mut n = NAMES.to_vec();
        n.sort_unstable();
        n.dedup();
        assert_eq!(n.len(), N);
        assert_eq!(NAMES[POSITION_LOG], "position_log");
    }

    #[test]
    fn attribution_of_the_tokens_is_attribution_of_the_text() {
        let random = crate::text::scan::random_texts(2000);
        for t in [
            "\"We are pleased,\" he said.",
            "He SAID so; she-said, 'according' to U.S.said x.said",
            "reported$5 AT&Told 3.5%said un-said Said's saidx xsaid",
            "a.b.said U.S.told claimed…stated «added» sáid said² 说said",
        ]
        .into_iter()
        .chain(random.iter().map(String::as_str))
        {
            let tokens = crate::text::tokenize(t)
                .iter()
                .any(|s| is_attribution(&t[s.start..s.end]));
            assert_eq!(tokens, is_attribution(t), "{t:?}");
        }
    }

    #[test]
    fn features_of_a_small_article() {
        let cands = vec![
            cand(&[(0, 1.0), (1, 1.0)], 12, true, 4.0),
            Candidate {
                attribution: true,
                ..cand(&[(0, 1.0)], 5, false, 1.0)
            },
            cand(&[(2, 1.0)], 45, true, 2.0),
        ];
        let texts = [
            "Shares rose 5% on Monday.",
            "\"We are pleased,\" he said.",
            "Why did it happen?",
        ];
        let title = cand(&[(0, 1.0)], 1, false, 0.0).vector;
        let rows = extract(&cands, &texts, Some(&title), 2);
        assert_eq!(rows.len(), 3);
        let table: [(&str, [f64; 3]); 14] = [
            ("within_budget", [1.0, 1.0, 0.0]),
            ("position_over_budget", [0.0, 0.5, 1.0]),
            ("first_sentence", [1.0, 0.0, 0.0]),
            ("second_sentence", [0.0, 1.0, 0.0]),
            ("position_inverse", [1.0, 0.5, 1.0 / 3.0]),
            ("relative_position", [0.0, 0.5, 1.0]),
            ("paragraph_start", [1.0, 0.0, 1.0]),
            ("short", [0.0, 1.0, 0.0]),
            ("long", [0.0, 0.0, 1.0]),
            ("tfidf_mass_relative", [1.0, 0.25, 0.5]),
            ("numbers", [1.0, 0.0, 0.0]),
            ("quote", [0.0, 1.0, 0.0]),
            ("attribution", [0.0, 1.0, 0.0]),
            ("question", [0.0, 0.0, 1.0]),
        ];
        for (name, want) in table {
            for (i, w) in want.iter().enumerate() {
                assert!(
                    (get(&rows[i], name) - w).abs() < 1e-9,
                    "{name}[{i}] = {}",
                    get(&rows[i], name)
                );
            }
        }
        // Title overlap: cosine with the title vector; sentence 2 shares no term with it.
        assert!((get(&rows[0], "title_overlap") - 0.5f64.sqrt()).abs() < 1e-6);
        assert_eq!(get(&rows[2], "title_overlap"), 0.0);
        // The most central sentence has relative centrality 1.
        let best = rows
            .iter()
            .map(|r| get(r, "centrality_relative"))
            .fold(0.0, f64::max);
        assert!((best - 1.0).abs() < 1e-9);
        // Without a title the overlap is 0, everything else unchanged.
        let untitled = extract(&cands, &texts, None, 2);
        assert!(untitled.iter().all(|r| get(r, "title_overlap") == 0.0));
    }
}
