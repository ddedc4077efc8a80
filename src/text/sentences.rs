//! Sentence segmentation for news text, with byte offsets into the original.
//!
//! Two levels:
//! 1. **Blocks**: paragraphs and lines. A blank line always ends a block. A single line break
//!    ends a block too (scraped pages put one paragraph, heading or list item per line) unless
//!    the text is hard-wrapped (newswire style: most lines long, many ending mid-sentence), in
//!    which case single line breaks are spaces and an indented line starts a new block.
//! 2. **Sentences** inside a block: a candidate end is `.`, `!`, `?` or `…` (plus closing quotes
//!    and brackets), followed by white space and an opening character (capital letter, digit,
//!    opening quote or bracket). A candidate after a title abbreviation (`Mr.`, `Dr.`, `Gen.`),
//!    an initial (`J. K. Rowling`) or a month (`Jan. 5`) is not a boundary; after other
//!    abbreviations that may also end a sentence (`U.S.`, `Inc.`, `p.m.`) it is a boundary only
//!    when the next word is a typical sentence opener (`The`, `He`, `But`, ...).
//!
//! UAX#29 alone splits after "Mr." and "U.N." (../shared/STACK.md), hence this rule set.

use std::sync::LazyLock;

use memchr::memmem::Finder;

use super::scan::{find_terminal, WordSet};
use super::tokenize::Span;

/// A block (paragraph or line) and its sentences.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Block {
    pub span: Span,
    pub sentences: Vec<Span>,
}

/// Abbreviations after which a dot never ends a sentence (lowercase, without the dot).
const NEVER_END: &[&str] = &[
    "mr", "mrs", "ms", "dr", "prof", "gen", "col", "lt", "sgt", "capt", "cpt", "maj", "adm", "gov",
    "sen", "rep", "rev", "hon", "st", "mt", "ft", "pres", "supt", "insp", "det", "cmdr", "jan",
    "feb", "apr", "aug", "sep", "sept", "oct", "nov", "dec", "no", "nos", "vs", "v", "approx",
    "est", "fig", "figs", "vol", "pp", "ed", "eds", "messrs", "mme", "mlle", "jr", "sr", "cf",
    "al", "dept", "univ", "assn", "bros", "gens",
];

/// Abbreviations that may end a sentence: a boundary only before a typical sentence opener.
const MAYBE_END: &[&str] = &[
    "inc", "corp", "co", "ltd", "plc", "llc", "etc", "bn", "mn", "cent", "yrs", "mar", "jun",
    "jul", "a.m", "p.m", "u.s", "u.k", "u.n", "e.u", "d.c", "u.s.a", "i.e", "e.g",
];

/// Words that typically open a sentence when capitalised.
const OPENERS: &[&str] = &[
    "the",
    "a",
    "an",
    "he",
    "she",
    "it",
    "they",
    "we",
    "i",
    "you",
    "this",
    "that",
    "these",
    "those",
    "there",
    "but",
    "and",
    "in",
    "on",
    "at",
    "for",
    "if",
    "when",
    "while",
    "as",
    "after",
    "before",
    "his",
    "her",
    "its",
    "their",
    "our",
    "some",
    "many",
    "most",
    "mr",
    "mrs",
    "ms",
    "dr",
    "however",
    "meanwhile",
    "last",
    "earlier",
    "later",
    "analysts",
    "officials",
    "shares",
    "one",
    "two",
    "so",
    "yet",
    "also",
    "what",
    "why",
    "how",
    "who",
    "not",
    "no",
    "still",
    "now",
];

fn is_closer(c: char) -> bool {
    matches!(c, '"' | '\'' | '”' | '’' | ')' | ']' | '»' | '›')
}

fn is_opener_char(c: char) -> bool {
    c.is_uppercase()
        || c.is_ascii_digit()
        || matches!(
            c,
            '"' | '\''
                | '“'
                | '‘'
                | '('
                | '['
                | '«'
                | '‹'
                | '$'
                | '£'
                | '€'
                | '-'
                | '—'
                | '¿'
                | '¡'
        )
        || (c.is_alphabetic() && !c.is_lowercase() && !c.is_uppercase()) // CJK and other caseless scripts
}

/// Segments `text` into blocks and sentences.
pub fn segment(text: &str) -> Vec<Block> {
    blocks(text)
        .into_iter()
        .map(|span| Block {
            span,
            sentences: sentences_in(text, span),
        })
        .collect()
}

static SCHEME: LazyLock<Finder<'static>> = LazyLock::new(|| Finder::new("://"));
static WWW: LazyLock<Finder<'static>> = LazyLock::new(|| Finder::new("www."));

/// Fewest words a summary sentence has (in scripts that separate words with spaces).
pub const MIN_SENTENCE_WORDS: usize = 4;

/// Does `s` read as a sentence, the unit a summary is made of: it ends in sentence-final
/// punctuation (. ! ? … or the full-width 。！？, before any closing quotes or brackets), has
/// at least [`MIN_SENTENCE_WORDS`] words (or, in a script without spaces, eight letters) and
/// holds no web address.
///
/// A scraped page keeps lines that are not sentences even after cleaning: headlines and
/// section names without a full stop, bylines and datelines ("Tom Krisher, AP Auto Writer",
/// "18 NOV 2019"), share and navigation labels ("Tweet", "Learn more"), addresses. They carry
/// the page's terms (so the classifier reads them) but are no summary. The rule is
/// typographic, not a list of any site's strings.
pub fn reads_as_sentence(s: &str) -> bool {
    let t = s
        .trim_end()
        .trim_end_matches(['"', '\'', '”', '’', '»', ')', ']']);
    if !t.ends_with(['.', '!', '?', '…', '。', '！', '？']) {
        return false;
    }
    // "://" covers http:// and https://. Every sentence of every summarised text asks, so the
    // searchers are built once, and "://" is looked for only where a ':' is.
    let b = s.as_bytes();
    if (memchr::memchr(b':', b).is_some() && SCHEME.find(b).is_some()) || WWW.find(b).is_some() {
        return false;
    }
    // Words counted on the bytes and only as far as needed (split_whitespace decodes every
    // char: a tenth of the summary input's cost for this one question). Only ASCII white space
    // separates words here; a sentence spaced with U+00A0 alone reads as fewer words.
    let mut words = 0;
    let mut in_word = false;
    for &c in b {
        let space = c.is_ascii_whitespace();
        words += (!space && !in_word) as usize;
        in_word = !space;
        if words >= MIN_SENTENCE_WORDS {
            return true;
        }
    }
    // Fewer words: a script without spaces still makes a sentence of one "word".
    words == 1 && s.chars().filter(|c| c.is_alphabetic()).count() >= 8
}

/// All sentences of `text`, flattened.
pub fn sentences(text: &str) -> Vec<Span> {
    segment(text)
        .into_iter()
        .flat_map(|b| b.sentences)
        .collect()
}

/// Lines of `text` as spans (without the line break), including empty ones.
fn lines(text: &str) -> Vec<Span> {
    let mut out = Vec::new();
    let mut start = 0;
    for (i, b) in text.bytes().enumerate() {
        if b == b'\n' {
            let end = if i > start && text.as_bytes()[i - 1] == b'\r' {
                i - 1
            } else {
                i
            };
            out.push(Span { start, end });
            start = i + 1;
        }
    }
    out.push(Span {
        start,
        end: text.len(),
    });
    out
}

fn trim(text: &str, span: Span) -> Option<Span> {
    let s = &text[span.start..span.end];
    let t = s.trim_start();
    let start = span.start + (s.len() - t.len());
    let t = t.trim_end();
    (!t.is_empty()).then(|| Span {
        start,
        end: start + t.len(),
    })
}

/// Is the text hard-wrapped at a fixed width (newswire), so single line breaks are not breaks?
fn hard_wrapped(text: &str, lines: &[Span]) -> bool {
    let non_empty: Vec<&str> = lines
        .iter()
        .map(|l| text[l.start..l.end].trim())
        .filter(|l| !l.is_empty())
        .collect();
    if non_empty.len() < 4 {
        return false;
    }
    // Newswire wraps at a fixed width: most lines are close to the longest one, and a line
    // that ends mid-sentence is often followed by one that starts in lower case.
    let max = non_empty
        .iter()
        .map(|l| l.chars().count())
        .max()
        .unwrap_or(0);
    if !(40..=100).contains(&max) {
        return false;
    }
    let near_max = non_empty
        .iter()
        .filter(|l| l.chars().count() * 10 >= max * 7)
        .count();
    let continued = non_empty
        .windows(2)
        .filter(|w| {
            !w[0].ends_with(['.', '!', '?', ':', '"', '”'])
                && w[1].chars().next().is_some_and(|c| c.is_lowercase())
        })
        .count();
    near_max * 10 >= non_empty.len() * 6 && continued * 5 >= non_empty.len()
}

fn blocks(text: &str) -> Vec<Span> {
    let lines = lines(text);
    let wrapped = hard_wrapped(text, &lines);
    let mut out = Vec::new();
    let mut cur: Option<Span> = None;
    for l in &lines {
        let raw = &text[l.start..l.end];
        let Some(t) = trim(text, *l) else {
            if let Some(c) = cur.take() {
                out.push(c);
            }
            continue;
        };
        if wrapped {
            let indented = raw.starts_with([' ', '\t']);
            match cur {
                Some(c) if !indented => {
                    cur = Some(Span {
                        start: c.start,
                        end: t.end,
                    })
                }
                Some(c) => {
                    out.push(c);
                    cur = Some(t);
                }
                None => cur = Some(t),
            }
        } else {
            out.push(t);
        }
    }
    if let Some(c) = cur {
        out.push(c);
    }
    out
}

/// The word (letters and inner dots) just before byte `dot` in `text`.
fn word_before(text: &str, start: usize, dot: usize) -> &str {
    let s = &text[start..dot];
    let from = s
        .char_indices()
        .rev()
        .find(|(_, c)| !(c.is_alphanumeric() || *c == '.'))
        .map_or(0, |(i, c)| i + c.len_utf8());
    &s[from..]
}

fn next_word(text: &str, from: usize) -> &str {
    let s = &text[from..];
    let s = s.trim_start_matches(['"', '\'', '“', '‘', '(', '[']);
    let end = s
        .char_indices()
        .find(|(_, c)| !c.is_alphanumeric())
        .map_or(s.len(), |(i, _)| i);
    &s[..end]
}

/// Is `w` (the word before a dot) an initial or an abbreviation after which a dot never ends a
/// sentence; else one after which it may (see [`MAYBE_END`], and short dotted words such as
/// `a.k.a`)? An ASCII word (nearly every one) is looked up without allocating.
fn abbreviation(w: &str) -> (bool, bool) {
    static NEVER: WordSet = WordSet::new(NEVER_END);
    static MAYBE: WordSet = WordSet::new(MAYBE_END);
    if w.is_ascii() {
        // Longer words are in neither list and too long for the dotted rule.
        let b = w.as_bytes();
        let is_initial = b.len() == 1 && b[0].is_ascii_uppercase();
        let never = is_initial || NEVER.contains(b);
        return (
            never,
            !never && (MAYBE.contains(b) || (b.contains(&b'.') && b.len() <= 6)),
        );
    }
    let lw = w.to_lowercase();
    let is_initial = w.chars().count() == 1 && w.chars().all(|c| c.is_uppercase());
    let never = is_initial || NEVER_END.contains(&lw.as_str());
    (
        never,
        !never && (MAYBE_END.contains(&lw.as_str()) || (lw.contains('.') && lw.len() <= 6)),
    )
}

fn sentences_in(text: &str, block: Span) -> Vec<Span> {
    let mut out = Vec::new();
    let bytes = text.as_bytes();
    let mut start = block.start;
    let mut i = block.start;
    while i < block.end {
        // Jump to the next byte that can start a terminal: '.', '!', '?' or the lead byte of
        // '…' (0xE2, shared with curly quotes, so the full character is checked below).
        match find_terminal(bytes, i, block.end) {
            Some(p) => i = p,
            None => break,
        }
        let c = text[i..].chars().next().unwrap();
        let clen = c.len_utf8();
        if !matches!(c, '.' | '!' | '?' | '…') {
            i += clen;
            continue;
        }
        // Extend over runs of terminal punctuation and closing quotes/brackets.
        let mut end = i + clen;
        while end < block.end {
            let d = text[end..].chars().next().unwrap();
            if matches!(d, '.' | '!' | '?' | '…') || is_closer(d) {
                end += d.len_utf8();
            } else {
                break;
            }
        }
        // Needs white space, then an opening character.
        let mut j = end;
        while j < block.end
            && (bytes[j] == b' ' || bytes[j] == b'\t' || bytes[j] == b'\n' || bytes[j] == b'\r')
        {
            j += 1;
        }
        if j == end || j >= block.end {
            i = end;
            continue;
        }
        let next = text[j..].chars().next().unwrap();
        if !is_opener_char(next) {
            i = end;
            continue;
        }
        if c == '.' && end == i + 1 {
            let w = word_before(text, start, i);
            let (never, maybe) = abbreviation(w);
            if never {
                i = end;
                continue;
            }
            if maybe {
                let nw = next_word(text, j).to_lowercase();
                if !OPENERS.contains(&nw.as_str()) {
                    i = end;
                    continue;
                }
            }
        }
        if let Some(s) = trim(text, Span { start, end }) {
            out.push(s);
        }
        start = j;
        i = j;
    }
    if let Some(s) = trim(
        text,
        Span {
            start,
            end: block.end,
        },
    ) {
        out.push(s);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn split(text: &str) -> Vec<&str> {
        sentences(text)
            .iter()
            .map(|s| &text[s.start..s.end])
            .collect()
    }

    #[test]
    fn table() {
        let cases: &[(&str, &[&str])] = &[
            ("One. Two.", &["One.", "Two."]),
            ("Mr. Smith went. He left.", &["Mr. Smith went.", "He left."]),
            (
                "Mrs. Jones and Dr. Who met.",
                &["Mrs. Jones and Dr. Who met."],
            ),
            (
                "Gen. Lee spoke. Then left.",
                &["Gen. Lee spoke.", "Then left."],
            ),
            ("Prof. X arrived.", &["Prof. X arrived."]),
            (
                "It happened on Jan. 5 in Paris.",
                &["It happened on Jan. 5 in Paris."],
            ),
            (
                "In the U.S. The market fell.",
                &["In the U.S.", "The market fell."],
            ),
            ("The U.S. Senate voted.", &["The U.S. Senate voted."]),
            (
                "The U.N. Security Council met.",
                &["The U.N. Security Council met."],
            ),
            (
                "Profits hit $1.13bn. Shares rose.",
                &["Profits hit $1.13bn.", "Shares rose."],
            ),
            (
                "Growth was 3.5% last year. It slowed.",
                &["Growth was 3.5% last year.", "It slowed."],
            ),
            (
                "Author J. K. Rowling wrote it.",
                &["Author J. K. Rowling wrote it."],
            ),
            ("George W. Bush spoke.", &["George W. Bush spoke."]),
            (
                "“It’s up to Russia now.” He left.",
                &["“It’s up to Russia now.”", "He left."],
            ),
            ("\"We won!\" she said.", &["\"We won!\" she said."]),
            ("\"We won!\" She smiled.", &["\"We won!\"", "She smiled."]),
            ("Wait... what? Yes.", &["Wait... what?", "Yes."]),
            ("He paused... Then spoke.", &["He paused...", "Then spoke."]),
            ("Really?! Yes.", &["Really?!", "Yes."]),
            ("At 3 p.m. the vote began.", &["At 3 p.m. the vote began."]),
            (
                "It ended at 3 p.m. The crowd left.",
                &["It ended at 3 p.m.", "The crowd left."],
            ),
            ("Apple Inc. said so.", &["Apple Inc. said so."]),
            (
                "He joined Apple Inc. The deal closed.",
                &["He joined Apple Inc.", "The deal closed."],
            ),
            (
                "Heading\nFirst line. Second.",
                &["Heading", "First line.", "Second."],
            ),
            ("Para one.\n\nPara two.", &["Para one.", "Para two."]),
            ("Line one\nLine two", &["Line one", "Line two"]),
            ("No punctuation at all", &["No punctuation at all"]),
            ("", &[]),
            ("   \n\n  ", &[]),
            (
                "Version 2.0 is out. Get it.",
                &["Version 2.0 is out.", "Get it."],
            ),
            ("See e.g. this case.", &["See e.g. this case."]),
            ("Ends with e.g. The next.", &["Ends with e.g.", "The next."]),
            ("(He agreed.) Then left.", &["(He agreed.)", "Then left."]),
            (
                "Sales rose 5%. The firm said.",
                &["Sales rose 5%.", "The firm said."],
            ),
            ("The No. 1 seed won.", &["The No. 1 seed won."]),
            (
                "It was St. Andrews. Nice.",
                &["It was St. Andrews.", "Nice."],
            ),
            (
                "Rain fell. 20 people died.",
                &["Rain fell.", "20 people died."],
            ),
            (
                "lower case. continues here",
                &["lower case. continues here"],
            ),
            ("Smith vs. Jones ended.", &["Smith vs. Jones ended."]),
            ("Sgt. Pepper. Lt. Dan.", &["Sgt. Pepper.", "Lt. Dan."]),
            (
                "The U.S. economy grew. Exports rose.",
                &["The U.S. economy grew.", "Exports rose."],
            ),
            ("Hello!\r\nWorld.", &["Hello!", "World."]),
            (
                "東京で会議。Tokyo met. 日本",
                &["東京で会議。Tokyo met.", "日本"],
            ),
        ];
        assert!(cases.len() >= 40);
        for (input, want) in cases {
            assert_eq!(&split(input), want, "input {input:?}");
        }
    }

    #[test]
    fn abbreviations_as_by_lowercased_lists() {
        let reference = |w: &str| {
            let lw = w.to_lowercase();
            let is_initial = w.chars().count() == 1 && w.chars().all(|c| c.is_uppercase());
            let never = is_initial || NEVER_END.contains(&lw.as_str());
            let maybe = MAYBE_END.contains(&lw.as_str()) || (lw.contains('.') && lw.len() <= 6);
            (never, !never && maybe)
        };
        let words = NEVER_END
            .iter()
            .chain(MAYBE_END)
            .flat_map(|w| [w.to_string(), w.to_uppercase(), format!("{w}x")])
            .chain(crate::text::scan::random_texts(2000))
            .chain(["", "J", "É", "é", "a.b.c.d", "U.S.A.X", "İ", "\u{212a}"].map(String::from));
        for w in words {
            assert_eq!(abbreviation(&w), reference(&w), "{w:?}");
        }
    }

    #[test]
    fn hard_wrapped_newswire_joins_lines() {
        let text = "Showers continued throughout the week in\nthe Bahia cocoa zone, alleviating the drought since early\nJanuary and improving prospects for the coming temporao,\nalthough normal humidity levels have not been restored.\n    The dry period means the temporao will be late this year.\nArrivals for the week ended February 22 were 155,221 bags.";
        let s = split(text);
        assert_eq!(s.len(), 3, "{s:?}");
        assert!(s[0].starts_with("Showers") && s[0].ends_with("restored."));
    }

    #[test]
    fn offsets_point_into_original() {
        let text = "  Zürich’s “banks” rose.  Then fell!\n\nNew para";
        for s in sentences(text) {
            let t = &text[s.start..s.end];
            assert_eq!(t, t.trim());
            assert!(!t.is_empty());
        }
    }

    #[test]
    fn what_reads_as_a_sentence() {
        for yes in [
            "The central bank raised rates on Tuesday.",
            "Will the minister resign?",
            "\"We will win,\" she said.",
            "Shares fell 5% (the most since 2008).",
            "日本の経済は回復している。",
            "It was all over…",
        ] {
            assert!(reads_as_sentence(yes), "{yes:?}");
        }
        for no in [
            // headlines, labels, bylines, datelines, addresses: no final punctuation
            "New SUVs and electric vehicles highlight L.A. Auto Show",
            "Tom Krisher, AP Auto Writer",
            "18 NOV 2019",
            "Image Credit: WeWork",
            "Tweet",
            // too short to say anything
            "Learn more.",
            "Want more deals?",
            "Thank you.",
            // a web address
            "Read it at https://example.com/story.",
            "More on www.example.com today.",
            "",
        ] {
            assert!(!reads_as_sentence(no), "{no:?}");
        }
    }
}
