//! Line features for the learned cleaner: what a line looks like and where it sits on the page.
//!
//! One vector of [`N_FEATURES`] numbers per block (a line of a page rendered to text). Every
//! feature is a general signal, never a site's string: length, final punctuation, stop-word
//! density, capitalisation, link-list and menu shape (short lines in runs, bullets,
//! separators), indentation relative to the article, repetition, what the rules said, and the
//! position relative to the densest block of running text on the page. Computing them costs
//! two linear passes over the lines (one for the lines, one for the page context) and no
//! allocation per word.
//!
//! The densest block is the maximum-sum run of lines (Kadane) where a line scores its word
//! count minus `DENSE_WORDS` (minus as much again without final punctuation): paragraphs
//! push the run on, menus and link lists pull it back. The constants here shape features; the
//! weights given to the features are learned (see `learned.rs`).

use std::sync::LazyLock;

use memchr::memmem::Finder;

use super::Line;
use crate::text::scan::WordSet;

/// Lines shorter than this (in words) pull the densest block back.
const DENSE_WORDS: f64 = 10.0;
/// Half-width of the window of neighbouring lines averaged in the context features.
const WINDOW: usize = 3;

/// Feature names, in the order of each vector. A stored classifier names its features and is
/// only used when they are exactly these.
pub const FEATURES: &[&str] = &[
    "ln_words",
    "short",
    "medium",
    "long",
    "terminal",
    "stop_share",
    "capitalised_share",
    "letter_share",
    "digit_share",
    "bullet",
    "separators",
    "comma",
    "chrome_phrase",
    "rule_removed",
    "duplicate",
    "indent_is_main",
    "ln_indent_diff",
    "relative_position",
    "in_dense_block",
    "ln_lines_before_block",
    "ln_lines_after_block",
    "ln_paragraphs_before",
    "ln_paragraphs_after",
    "prev_ln_words",
    "next_ln_words",
    "prev_terminal",
    "next_terminal",
    "prev_rule_removed",
    "next_rule_removed",
    "window_paragraph_share",
    "window_ln_words",
    "ln_short_run",
    "short_word_share",
    "mean_word_length",
    "ends_full_stop",
    "has_url",
    "has_clock_time",
    "has_at_sign",
    "ln_words_vs_page",
];

/// Number of features per line.
pub const N_FEATURES: usize = 39;

/// Function words of English: their share tells running prose from labels and names.
const STOP_WORDS: &[&str] = &[
    "the", "a", "an", "and", "or", "but", "of", "to", "in", "on", "at", "for", "with", "by",
    "from", "as", "is", "are", "was", "were", "be", "been", "has", "have", "had", "it", "its",
    "that", "this", "which", "who", "he", "she", "they", "we", "his", "her", "their", "not",
    "will", "would", "said", "than", "there", "about", "after", "into", "also", "more", "if",
];

/// Is `b` (a word without surrounding punctuation) one of [`STOP_WORDS`], ignoring ASCII case?
/// This runs for every word of every line: a binary search over packed keys, no allocation.
fn is_stop(b: &[u8]) -> bool {
    STOP.contains(b)
}

/// [`STOP_WORDS`] as a set.
static STOP: WordSet = WordSet::new(STOP_WORDS);

/// What the rules said about one line, as the features need it.
#[derive(Debug, Clone, Copy, Default)]
pub struct RuleSigns {
    /// A block-level rule removed it (chrome, label, caption, related run, footer, byline).
    pub removed: bool,
    /// It repeats an earlier line.
    pub duplicate: bool,
    /// It contains a chrome phrase.
    pub chrome_phrase: bool,
}

/// Per-line facts gathered in the first pass.
struct Base {
    words: usize,
    terminal: bool,
    indent: usize,
    paragraph: bool,
}

/// The indentation (spaces; a tab counts 4) before byte `start` on its line.
fn indent_before(text: &str, start: usize) -> usize {
    let mut n = 0;
    for &b in text.as_bytes()[..start].iter().rev() {
        match b {
            b' ' => n += 1,
            b'\t' => n += 4,
            _ => break,
        }
    }
    n
}

/// Features of every line. `starts[i]` is the byte offset of line `i` in `text` (for its
/// indentation); `lines`, `signs` and `shapes` (each line's [`shape`]) are parallel to it.
pub(super) fn features(
    text: &str,
    starts: &[usize],
    lines: &[Line],
    signs: &[RuleSigns],
    shapes: &[Shape],
) -> Vec<[f64; N_FEATURES]> {
    let n = lines.len();
    let base: Vec<Base> = lines
        .iter()
        .zip(starts)
        .map(|(l, &s)| {
            let words = l.n_all;
            Base {
                words,
                terminal: l.terminal,
                indent: indent_before(text, s).min(64),
                paragraph: words >= DENSE_WORDS as usize && l.terminal,
            }
        })
        .collect();

    // The densest block (Kadane over word counts minus a per-line cost).
    let best_range = max_sum_run(base.iter().zip(signs).map(|(b, s)| {
        let cost = if b.terminal {
            DENSE_WORDS
        } else {
            2.0 * DENSE_WORDS
        };
        if s.removed {
            -DENSE_WORDS
        } else {
            b.words as f64 - cost
        }
    }));
    let (b0, b1) = best_range;
    // The article's indentation: the most common one in the densest block, by words.
    let mut by_indent = [0usize; 65];
    for b in &base[b0..b1.max(b0)] {
        by_indent[b.indent] += b.words;
    }
    let main_indent = (0..by_indent.len())
        .max_by_key(|&i| (by_indent[i], std::cmp::Reverse(i)))
        .unwrap_or(0);

    // Paragraph counts before and after each line (prefix sums), runs of short lines.
    let mut paras_before = Vec::with_capacity(n);
    let mut acc = 0usize;
    for b in &base {
        paras_before.push(acc);
        acc += b.paragraph as usize;
    }
    let total_paras = acc;
    let short = |b: &Base| b.words <= 5 && !b.terminal;
    let mut run_len = vec![0usize; n];
    let mut i = 0;
    while i < n {
        if !short(&base[i]) {
            i += 1;
            continue;
        }
        let mut j = i;
        while j < n && short(&base[j]) {
            j += 1;
        }
        for r in &mut run_len[i..j] {
            *r = j - i;
        }
        i = j;
    }
    // The page's long lines: the mean log length of its longest tenth (selection, linear).
    let mut lnw: Vec<f64> = base.iter().map(|b| ln1(b.words)).collect();
    let top = (n / 10).max(1).min(n);
    let page_long = if n == 0 {
        0.0
    } else {
        let (_, _, upper) = lnw.select_nth_unstable_by(n - top, |a, b| a.total_cmp(b));
        let upper_sum: f64 = upper.iter().sum();
        (upper_sum + lnw[n - top]) / top as f64
    };
    // Window sums by prefix sums so the context costs O(n), whatever the window.
    let mut pref_para = vec![0.0f64; n + 1];
    let mut pref_lnw = vec![0.0f64; n + 1];
    for (k, b) in base.iter().enumerate() {
        pref_para[k + 1] = pref_para[k] + b.paragraph as u8 as f64;
        pref_lnw[k + 1] = pref_lnw[k] + ln1(b.words);
    }

    let mut out = Vec::with_capacity(n);
    for (k, ((stats, b), s)) in shapes.iter().zip(&base).zip(signs).enumerate() {
        let w = b.words;
        let (lo, hi) = (k.saturating_sub(WINDOW), (k + WINDOW + 1).min(n));
        let width = (hi - lo) as f64;
        let prev = k.checked_sub(1).map(|p| (&base[p], &signs[p]));
        let next = base.get(k + 1).map(|x| (x, &signs[k + 1]));
        let indent_diff = b.indent.abs_diff(main_indent);
        let flag = |x: bool| x as u8 as f64;
        out.push([
            ln1(w),
            flag(w <= 3),
            flag((4..=9).contains(&w)),
            flag(w >= 20),
            flag(b.terminal),
            stats.stop as f64 / w.max(1) as f64,
            stats.capitalised as f64 / w.max(1) as f64,
            stats.letters as f64 / stats.visible.max(1) as f64,
            stats.digits as f64 / stats.visible.max(1) as f64,
            flag(stats.bullet),
            ln1(stats.separators as usize),
            flag(stats.comma),
            flag(s.chrome_phrase),
            flag(s.removed),
            flag(s.duplicate),
            flag(indent_diff == 0),
            ln1(indent_diff),
            k as f64 / n.max(1) as f64,
            flag((b0..b1).contains(&k)),
            ln1(b0.saturating_sub(k)),
            ln1(k.saturating_sub(b1.saturating_sub(1))),
            ln1(paras_before[k]),
            ln1(total_paras - paras_before[k] - b.paragraph as usize),
            prev.map_or(0.0, |(p, _)| ln1(p.words)),
            next.map_or(0.0, |(x, _)| ln1(x.words)),
            prev.map_or(0.0, |(p, _)| flag(p.terminal)),
            next.map_or(0.0, |(x, _)| flag(x.terminal)),
            prev.map_or(1.0, |(_, ps)| flag(ps.removed)),
            next.map_or(1.0, |(_, xs)| flag(xs.removed)),
            (pref_para[hi] - pref_para[lo]) / width,
            (pref_lnw[hi] - pref_lnw[lo]) / width,
            ln1(run_len[k]),
            stats.short_words as f64 / stats.words.max(1) as f64,
            stats.word_chars as f64 / stats.words.max(1) as f64,
            flag(stats.full_stop),
            flag(stats.url),
            flag(stats.clock),
            flag(stats.at),
            ln1(w) - page_long,
        ]);
    }
    out
}

/// The maximum-sum run of consecutive scores (Kadane, one pass) as a half-open index range;
/// `(0, 0)` for no scores. Used for the densest text block and, in the second stage, the best
/// run of article-like lines.
pub(super) fn max_sum_run(scores: impl IntoIterator<Item = f64>) -> (usize, usize) {
    let (mut best, mut range) = (f64::MIN, (0usize, 0usize));
    let (mut run, mut start) = (0.0f64, 0usize);
    for (i, score) in scores.into_iter().enumerate() {
        if run <= 0.0 {
            run = score;
            start = i;
        } else {
            run += score;
        }
        if run > best {
            best = run;
            range = (start, i + 1);
        }
    }
    range
}

fn ln1(x: usize) -> f64 {
    (x as f64).ln_1p()
}

/// Character and word counts of a line.
#[derive(Debug, Default, Clone, Copy)]
pub struct Shape {
    pub stop: u32,
    pub capitalised: u32,
    pub letters: u32,
    pub digits: u32,
    pub visible: u32,
    pub separators: u32,
    pub comma: bool,
    pub bullet: bool,
    /// Whitespace-separated words, those of at most 3 characters (function words in most
    /// languages: a stop-word signal that needs no word list) and their characters.
    pub words: u32,
    pub short_words: u32,
    pub word_chars: u32,
    /// Words with a letter or digit (the rules' word count).
    pub alnum_words: u32,
    /// Ends with a full stop (possibly inside closing quotes or brackets).
    pub full_stop: bool,
    pub url: bool,
    /// A clock time such as 10:28.
    pub clock: bool,
    pub at: bool,
}

/// The substrings that mark a line with a URL (searchers built once).
static HTTP: LazyLock<Finder<'static>> = LazyLock::new(|| Finder::new("http"));
static WWW: LazyLock<Finder<'static>> = LazyLock::new(|| Finder::new("www."));

/// The shape of one line (this runs on every line of every request). Char counts go eight
/// ASCII bytes at a time; then each white-space separated word is looked at from its ends (its
/// core runs from the first to the last letter or digit), by bytes if it is ASCII and by
/// chars otherwise. Characters that are rare in a line (`,` `@` and the `:` of a clock time)
/// are searched for on their own.
pub(super) fn shape(text: &str) -> Shape {
    use crate::text::scan::{char_at, char_counts, short_word, word_end, ASCII, ASCII_ALNUM, WS};
    let bytes = text.as_bytes();
    let t = text.trim_end_matches(['"', '\'', '”', '’', ')', ']']);
    let counts = char_counts(text);
    // Counts fit in 32 bits (a line is at most the server's text limit; a shape is kept for
    // every line of a page, so it stays small).
    let mut s = Shape {
        letters: counts.letters as u32,
        digits: counts.digits as u32,
        visible: counts.visible as u32,
        separators: counts.separators as u32,
        bullet: text
            .trim_start()
            .starts_with(['*', '+', '-', '•', '·', '–', '—', '>', '|']),
        url: HTTP.find(bytes).is_some() || WWW.find(bytes).is_some(),
        full_stop: t.ends_with(['.', '!', '?', '…']),
        // memchr's vectorised search: these run over every line of every page, and a line is
        // often a whole paragraph.
        comma: memchr::memchr(b',', bytes).is_some(),
        at: memchr::memchr(b'@', bytes).is_some(),
        // Digit ':' digit digit, as chars: a char that is not ASCII is no byte of these.
        clock: memchr::memchr(b':', bytes).is_some()
            && bytes.windows(4).any(|w| {
                w[0].is_ascii_digit()
                    && w[1] == b':'
                    && w[2].is_ascii_digit()
                    && w[3].is_ascii_digit()
            }),
        ..Shape::default()
    };
    // Word counts in locals (registers) until the end.
    let (mut words, mut word_chars, mut short_words, mut capitalised, mut alnum_words, mut stop) =
        (0, 0, 0, 0, 0, 0);
    let mut count = |core_chars: usize, core: bool, cap: bool, is_stop: bool| {
        words += 1;
        word_chars += core_chars;
        short_words += (core_chars <= 3) as usize;
        capitalised += cap as usize;
        alnum_words += core as usize;
        stop += is_stop as usize;
    };
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] < 0x80 {
            if ASCII[bytes[i] as usize] & WS != 0 {
                i += 1;
                continue;
            }
        } else {
            let c = char_at(text, i);
            if c.is_whitespace() {
                i += c.len_utf8();
                continue;
            }
        }
        // Most words: ASCII, ending within eight bytes.
        if let Some(w) = short_word(bytes, i) {
            let (a, b) = w.core.unwrap_or((0, 0));
            let is_stop = w.core.is_some() && STOP.contains_low_bytes(w.chunk >> (8 * a), b - a);
            count(b - a, w.core.is_some(), w.capitalised, is_stop);
            i += w.len;
            continue;
        }
        let (end, ascii) = word_end(text, i);
        let (core_chars, core, cap) = if ascii {
            let w = &bytes[i..end];
            let alnum = |b: &u8| ASCII_ALNUM[*b as usize];
            let core = w
                .iter()
                .position(alnum)
                .map(|a| (a, w.iter().rposition(alnum).unwrap_or(a) + 1));
            let cap = w
                .iter()
                .find(|b| b.is_ascii_alphabetic())
                .is_some_and(u8::is_ascii_uppercase);
            (
                core.map_or(0, |(a, b)| b - a),
                core.map(|(a, b)| &w[a..b]),
                cap,
            )
        } else {
            let w = &text[i..end];
            let core = w.trim_matches(|c: char| !c.is_alphanumeric());
            let cap = w
                .chars()
                .find(|c| c.is_alphabetic())
                .is_some_and(|c| c.is_uppercase());
            (
                core.chars().count(),
                (!core.is_empty()).then_some(core.as_bytes()),
                cap,
            )
        };
        count(core_chars, core.is_some(), cap, core.is_some_and(is_stop));
        i = end;
    }
    s.words = words as u32;
    s.word_chars = word_chars as u32;
    s.short_words = short_words as u32;
    s.capitalised = capitalised as u32;
    s.alnum_words = alnum_words as u32;
    s.stop = stop as u32;
    s
}

#[cfg(test)]
mod tests {
    use super::*;

    fn feats(text: &str) -> Vec<[f64; N_FEATURES]> {
        let texts: Vec<&str> = text.lines().collect();
        let mut arena = String::new();
        let shapes: Vec<Shape> = texts.iter().map(|t| shape(t)).collect();
        let lines = super::super::page_lines(&texts, &mut arena, Some(&shapes));
        let mut starts = Vec::new();
        let mut at = 0;
        for l in text.split('\n') {
            starts.push(at + (l.len() - l.trim_start().len()));
            at += l.len() + 1;
        }
        let signs = vec![RuleSigns::default(); lines.len()];
        features(text, &starts, &lines, &signs, &shapes)
    }

    fn get(v: &[f64; N_FEATURES], name: &str) -> f64 {
        v[FEATURES.iter().position(|f| *f == name).unwrap()]
    }

    /// The straightforward version of `Line::shape` (several passes), to check the one-pass one.
    fn shape_reference(line: &Line) -> Shape {
        let text = line.text;
        let mut s = Shape::default();
        let t = text.trim_end_matches(['"', '\'', '”', '’', ')', ']']);
        s.full_stop = t.ends_with(['.', '!', '?', '…']);
        s.url = text.contains("http") || text.contains("www.");
        s.at = text.contains('@');
        s.bullet = text
            .trim_start()
            .starts_with(['*', '+', '-', '•', '·', '–', '—', '>', '|']);
        let chars: Vec<char> = text.chars().collect();
        s.clock = chars.windows(4).any(|w| {
            w[0].is_ascii_digit() && w[1] == ':' && w[2].is_ascii_digit() && w[3].is_ascii_digit()
        });
        for c in text.chars().filter(|c| !c.is_whitespace()) {
            s.visible += 1;
            if c.is_alphabetic() {
                s.letters += 1;
            } else if c.is_numeric() {
                s.digits += 1;
            } else if matches!(c, '|' | '•' | '·' | '/' | '»' | '›') {
                s.separators += 1;
            } else if c == ',' {
                s.comma = true;
            }
        }
        for w in text.split_whitespace() {
            let core = w.trim_matches(|c: char| !c.is_alphanumeric());
            let n = core.chars().count() as u32;
            s.words += 1;
            s.word_chars += n;
            s.short_words += (n <= 3) as u32;
            s.stop += is_stop(core.as_bytes()) as u32;
            s.alnum_words += !core.is_empty() as u32;
            s.capitalised += w
                .chars()
                .find(|c| c.is_alphabetic())
                .is_some_and(|c| c.is_uppercase()) as u32;
        }
        s
    }

    #[test]
    fn one_pass_shape_equals_the_reference() {
        for t in [
            "",
            "  * Home",
            "\"The ministers, who met at 10:30 in Zürich, said (again) it's over.\"",
            "Follow us @lede | News / Sport » More › www.example.com 1:2 12:345",
            "«Ça va», dit-il — ÉTÉ 2019… 3½ 。中文 测试",
            "...  --  ,, a.b.c THE The the 'the' (the)",
            "10:28\u{a0}am x:1 2:3:45 ٣:٤٥ 1:23\t9:99 «Ab» ǅx İx Ⅻ ½",
            "\u{85}word\u{2003},,\u{3000}THE",
            "  The\tquick  brown\n\nfox jumps\u{b}over the\u{c}lazy dog, 10,000 times (again)!  x",
            "Home | News / Sport | Weather » Science › Tech • More · Less // a|b/c 12/05/2024 x",
            "THE,of (the) And x A1 'tis ABOUT. about... Their! into-the wind  said: 3rd 42 (a) b",
            "Said",
            "12345678 abcdefgh ABCDEFGH,",
            "averyveryverylongwordwithoutspacesé continuing\u{a0}after\u{2003}the spaces\u{3000}x",
        ]
        .into_iter()
        .map(str::to_owned)
        .chain(crate::text::scan::random_texts(2000))
        {
            let t = t.as_str();
            let mut scratch = String::new();
            let line = Line::new(t, &mut scratch);
            assert_eq!(
                format!("{:?}", shape(t)),
                format!("{:?}", shape_reference(&line)),
                "{t:?}"
            );
        }
    }

    #[test]
    fn stop_words_ignore_ascii_case() {
        // The set itself is tested in `scan` (`word_set_as_a_list`).
        for s in STOP_WORDS {
            assert!(
                is_stop(s.as_bytes()) && is_stop(s.to_uppercase().as_bytes()),
                "{s}"
            );
        }
        for w in ["thé", "abouts", "wh1ch", "there's", ""] {
            assert!(!is_stop(w.as_bytes()), "{w}");
        }
    }

    #[test]
    fn names_match_vector_length() {
        assert_eq!(FEATURES.len(), N_FEATURES);
    }

    #[test]
    fn menu_lines_sit_outside_the_dense_block() {
        let para = "The council said on Monday that the new bridge would open next spring, after two years of delays and a budget that doubled.";
        let text = format!(
            "  * Home\n  * News\n  * Sport\n    {para}\n    {para}\n    {para}\n  * About us"
        );
        let f = feats(&text);
        assert_eq!(get(&f[0], "in_dense_block"), 0.0);
        assert_eq!(get(&f[4], "in_dense_block"), 1.0);
        assert_eq!(get(&f[4], "indent_is_main"), 1.0);
        assert_eq!(get(&f[0], "indent_is_main"), 0.0);
        assert_eq!(get(&f[0], "bullet"), 1.0);
        assert!(get(&f[1], "ln_short_run") > get(&f[4], "ln_short_run"));
        assert!(get(&f[4], "stop_share") > 0.2);
        assert!(get(&f[6], "ln_lines_after_block") > 0.0);
        assert_eq!(get(&f[6], "ln_paragraphs_after"), 0.0);
    }
}
