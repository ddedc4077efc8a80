//! Cleaning of scraped pages: repeated content and site chrome.
//!
//! Input is a page turned into plain text. Output is the sentences worth keeping and a list of
//! removals, each a byte range into the original text with a reason. The rules are deliberately
//! conservative (on clean BBC articles they must keep >= 99.5% of sentences) and use only
//! general signals: line length, final punctuation, capitalisation, position, repetition, and a
//! few phrase families of site chrome (calls to action, sign-in and comment prompts, credits,
//! legal footers). No site's exact strings.
//!
//! Order of the rules, per block (line or paragraph) first, then per sentence:
//! 1. legal footer, photo caption or credit, lone agency/byline, call to action, link label
//!    ("Watch the report »"), section label;
//! 2. runs of related-headline lines (short lines without final punctuation, next to each other);
//! 3. a block or sentence equal, after normalisation (case, white space, quote style,
//!    punctuation), to an earlier one or to the title: the first occurrence is kept.
//!
//! The rules are tuned for precision. Whole web pages (menus, link lists, teasers, footers in
//! many shapes) need more: [`clean_with`] also takes a learned line classifier
//! ([`learned::LineClassifier`], over the features of [`lines`]) that removes, after step 2,
//! the lines it does not judge to be article text (reason `chrome`). It is fitted by
//! `lede-train` and lives in the model bundle; this module knows nothing of models, and
//! without a classifier cleaning is the rules alone. The classifier costs one more linear
//! pass over the lines.

mod caption;
pub use caption::is_photo_caption;
pub mod learned;
pub mod lines;

use std::cell::Cell;

use rustc_hash::FxHashSet as HashSet;

use super::scan::{self, dedup_key};

use super::sentences::{segment, Block};
use super::tokenize::Span;
use learned::LineClassifier;

/// Why a piece of text was removed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Reason {
    /// Repeats an earlier block or sentence (or the title).
    Duplicate,
    /// A call to action, sign-in/comment/newsletter prompt or similar site chrome.
    Boilerplate,
    /// A "Most Read"-style section label.
    SectionLabel,
    /// A run of related-headline lines.
    RelatedHeadlines,
    /// A photo caption or credit line.
    Caption,
    /// A copyright or legal footer.
    Footer,
    /// A lone agency name or byline.
    Byline,
    /// Site chrome recognised by the learned line classifier (menus, link lists, teasers).
    Chrome,
}

impl Reason {
    pub fn as_str(self) -> &'static str {
        match self {
            Reason::Duplicate => "duplicate",
            Reason::Boilerplate => "boilerplate",
            Reason::SectionLabel => "section-label",
            Reason::RelatedHeadlines => "related-headlines",
            Reason::Caption => "caption",
            Reason::Footer => "footer",
            Reason::Byline => "byline",
            Reason::Chrome => "chrome",
        }
    }
}

/// One removal: a byte range of the original text and why.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Removed {
    pub span: Span,
    pub reason: Reason,
}

/// The result of cleaning: kept blocks (with only kept sentences) and the removals.
#[derive(Debug, Clone, Default)]
pub struct Cleaned {
    pub blocks: Vec<Block>,
    pub removed: Vec<Removed>,
}

impl Cleaned {
    /// The whole text as one block and one "sentence", nothing removed (for callers that need
    /// the terms but not the sentences).
    pub fn whole(text: &str) -> Cleaned {
        let span = Span {
            start: 0,
            end: text.len(),
        };
        Cleaned {
            blocks: vec![Block {
                span,
                sentences: vec![span],
            }],
            removed: Vec::new(),
        }
    }

    /// The kept text: kept sentences joined by a space within a block, blocks by a newline.
    pub fn kept_text(&self, text: &str) -> String {
        let mut out = String::with_capacity(text.len());
        for b in &self.blocks {
            for (i, s) in b.sentences.iter().enumerate() {
                if i > 0 {
                    out.push(' ');
                }
                out.push_str(&text[s.start..s.end]);
            }
            out.push('\n');
        }
        out
    }

    /// Kept sentences, in document order.
    pub fn sentences(&self) -> impl Iterator<Item = Span> + '_ {
        self.blocks.iter().flat_map(|b| b.sentences.iter().copied())
    }
}

/// Segments without cleaning (the request option that turns cleaning off).
pub fn no_clean(text: &str) -> Cleaned {
    Cleaned {
        blocks: segment(text),
        removed: Vec::new(),
    }
}

/// Lines with more words than this are article text, never chrome.
const LONG_LINE: usize = 40;

const AGENCIES: &[&str] = &[
    "reuters",
    "ap",
    "afp",
    "associated press",
    "agence france-presse",
    "pa",
    "pa media",
    "bloomberg",
    "dpa",
    "xinhua",
    "ani",
    "pti",
    "ians",
    "efe",
    "ansa",
    "kyodo",
    "yonhap",
    "tass",
    "upi",
    "cnn",
    "bbc",
    "bbc news",
    "staff",
    "staff reporter",
    "wire",
    "wires",
    "agencies",
];

/// Phrase families of site chrome; matched on the lowercased block with `'` for apostrophes.
/// Whether lowercased `line` contains any of [`CHROME`]: one Aho-Corasick pass instead of a
/// substring search per phrase (this runs for every line of every request; the per-phrase scan
/// was the largest cost of cleaning).
fn has_chrome_phrase(line: &str) -> bool {
    static MATCHER: std::sync::LazyLock<aho_corasick::AhoCorasick> =
        std::sync::LazyLock::new(|| {
            aho_corasick::AhoCorasick::new(CHROME).expect("fixed phrase list builds")
        });
    MATCHER.is_match(line)
}

const CHROME: &[&str] = &[
    "sign up",
    "sign in",
    "log in",
    "login",
    "subscribe",
    "newsletter",
    "click here",
    "read more",
    "share this",
    "share on",
    "follow us",
    "comment policy",
    "leave a comment",
    "comments",
    "comment on this",
    "download our app",
    "download the app",
    "cookie",
    "advertisement",
    "sponsored",
    "privacy policy",
    "terms of use",
    "terms of service",
    "skip to",
    "back to top",
    "join the conversation",
    "register now",
    "free trial",
    "quick and free",
    "related articles",
    "related stories",
    "recommended",
    "you may also like",
    "more from",
    "most read",
    "most popular",
    "most viewed",
    "trending",
    "top stories",
    "latest news",
    "watch:",
    "listen:",
    "open in app",
    "continue reading",
    "report an error",
    "enable javascript",
    "ad blocker",
    "unsubscribe",
    "email address",
    "the best of",
    "in your inbox",
    "sign-up",
    "sign-in",
    "editor's picks",
    "see also",
    "please read our",
    "would you like to",
    "inbox",
    "support independent journalism",
    "support our journalism",
    "donate",
    "have your say",
    "listen to this article",
    " min read",
];

/// Words that, beside "cookie", make a line a consent banner ("We use cookies to improve your
/// experience. By continuing you agree ..."), whatever its punctuation: an article about
/// biscuits says "cookie" without them.
const CONSENT: &[&str] = &[
    "we use cookie",
    "uses cookie",
    "use of cookie",
    "you agree",
    "you consent",
    "your consent",
    "accept all",
    "accept cookie",
    "cookie policy",
    "cookie settings",
    "cookie preferences",
    "by continuing",
    "by using this",
];

/// First words of a lone timestamp line ("Updated 3 hours ago", "Published 12 May 2024").
const TIMESTAMP_WORDS: &[&str] = &["updated", "published", "posted", "modified"];

/// Words that make up "Most Read"-style section labels (a label is a short line of them).
const LABEL_WORDS: &[&str] = &[
    "related",
    "more",
    "most",
    "read",
    "latest",
    "trending",
    "popular",
    "share",
    "comments",
    "tags",
    "topics",
    "advertisement",
    "sponsored",
    "video",
    "videos",
    "gallery",
    "newsletter",
    "podcast",
    "opinion",
    "also",
    "next",
    "up",
    "top",
    "stories",
    "story",
    "news",
    "articles",
    "content",
    "recommended",
    "for",
    "you",
    "in",
    "this",
    "section",
    "from",
    "around",
    "the",
    "web",
    "partner",
    "promoted",
    "watch",
    "listen",
    "see",
    "viewed",
    "shared",
    "editor's",
    "picks",
    "features",
    "explore",
    "follow",
    "us",
    "on",
    "our",
    "other",
    "links",
];

const IMPERATIVES: &[&str] = &[
    "sign",
    "subscribe",
    "click",
    "read",
    "share",
    "follow",
    "please",
    "download",
    "join",
    "register",
    "log",
    "get",
    "watch",
    "listen",
    "see",
    "continue",
    "enable",
    "tap",
    "visit",
    "email",
    "send",
    "tell",
    "find",
    "sponsored",
    "advertisement",
    "skip",
    "back",
];

const CAPTION_MARKERS: &[&str] = &[
    "picture:",
    "photo:",
    "photograph:",
    "image:",
    "caption:",
    "pictured:",
    "credit:",
    "illustration:",
    "photos:",
    "pictures:",
    "images:",
    "video:",
];

/// Whether lowercased `line` contains any of [`CREDIT_MARKERS`] (one Aho-Corasick pass, as
/// [`has_chrome_phrase`]).
fn has_credit_marker(line: &str) -> bool {
    static MATCHER: std::sync::LazyLock<aho_corasick::AhoCorasick> =
        std::sync::LazyLock::new(|| {
            aho_corasick::AhoCorasick::new(CREDIT_MARKERS).expect("fixed phrase list builds")
        });
    MATCHER.is_match(line)
}

const CREDIT_MARKERS: &[&str] = &[
    "getty images",
    "ap photo",
    "/reuters",
    "/afp",
    "/ap",
    "/getty",
    "shutterstock",
    "/epa",
    "/pa",
    "(reuters)",
    "(afp)",
    "(ap)",
    "(epa)",
    "(getty",
    "file photo",
    "photograph:",
    "photo:",
    "picture:",
    "image:",
];

fn ends_with_terminal(s: &str) -> bool {
    let t = s.trim_end_matches(['"', '\'', '”', '’', ')', ']']);
    t.ends_with(['.', '!', '?', '…', ':', ';'])
}

struct Line<'a> {
    text: &'a str,
    /// The text lowercased, quotes made straight (see [`scan::push_lower`]); empty for lines of
    /// more than `LONG_LINE` words: only short lines can be chrome (see `classify_block`).
    lower: &'a str,
    /// Words with a letter or digit, counted up to `LONG_LINE + 1`: every rule that looks at
    /// words applies to lines of at most `LONG_LINE` words.
    n: usize,
    /// All words with a letter or digit.
    n_all: usize,
    terminal: bool,
    /// Whether `lower` holds a chrome phrase, once asked (the rules and the features ask).
    chrome: Cell<Option<bool>>,
}

impl<'a> Line<'a> {
    /// One line, lowercased into `scratch`.
    fn new(text: &'a str, scratch: &'a mut String) -> Self {
        let n_all = scan::count_words(text);
        scratch.clear();
        if n_all <= LONG_LINE {
            scan::push_lower(text, scratch);
        }
        Line::with_lower(text, n_all, scratch)
    }

    fn with_lower(text: &'a str, n_all: usize, lower: &'a str) -> Self {
        Line {
            text,
            lower,
            n: n_all.min(LONG_LINE + 1),
            n_all,
            terminal: ends_with_terminal(text),
            chrome: Cell::new(None),
        }
    }

    fn n(&self) -> usize {
        self.n
    }

    /// Does the (lowercased) line hold a chrome phrase?
    fn has_chrome_phrase(&self) -> bool {
        if let Some(v) = self.chrome.get() {
            return v;
        }
        let v = !self.lower.is_empty() && has_chrome_phrase(self.lower);
        self.chrome.set(Some(v));
        v
    }

    fn capitalised_share(&self) -> f64 {
        let caps = self
            .text
            .split_whitespace()
            .filter(|w| w.chars().any(|c| c.is_alphanumeric()))
            .take(LONG_LINE + 1)
            .filter(|w| {
                w.chars()
                    .find(|c| c.is_alphabetic())
                    .is_some_and(|c| c.is_uppercase())
            })
            .count();
        caps as f64 / self.n().max(1) as f64
    }

    /// A bulleted or dashed list item: article content, not a related headline.
    fn is_list_item(&self) -> bool {
        let t = self.text.trim_start();
        t.starts_with(['-', '•', '*', '–', '—', '·']) || t.starts_with(|c: char| c.is_ascii_digit())
    }

    /// Looks like a headline: short-to-medium, no final full stop, mostly capitalised words or
    /// ends with a question mark.
    /// (Lines with brackets are lists of names and credits, not headlines.)
    fn headline_like(&self, min_words: usize) -> bool {
        (min_words..=16).contains(&self.n())
            && !self.text.contains('(')
            && !self.text.trim_end().ends_with(['.', ':', ';', ','])
            && (!self.terminal || self.text.trim_end().ends_with('?'))
    }
}

/// The lines of a page, lowercased into one `arena` (no allocation per line). With the lines'
/// shapes (the line classifier's features need them) the word counts come from those.
fn page_lines<'a>(
    texts: &[&'a str],
    arena: &'a mut String,
    shapes: Option<&[lines::Shape]>,
) -> Vec<Line<'a>> {
    arena.clear();
    let ends: Vec<(usize, usize)> = texts
        .iter()
        .enumerate()
        .map(|(k, t)| {
            let n_all = shapes.map_or_else(|| scan::count_words(t), |s| s[k].alnum_words as usize);
            if n_all <= LONG_LINE {
                scan::push_lower(t, arena);
            }
            (n_all, arena.len())
        })
        .collect();
    let arena: &'a String = arena;
    let mut start = 0;
    texts
        .iter()
        .zip(ends)
        .map(|(t, (n_all, end))| {
            let line = Line::with_lower(t, n_all, &arena[start..end]);
            start = end;
            line
        })
        .collect()
}

/// Most words a link label may have ("Watch the minister's statement »").
const LINK_LABEL_WORDS: usize = 20;

/// Does `text` end in a link arrow (`»`, `›`, `→`, `▸`, trailing spaces and full stops
/// ignored): the web's common mark for "this is a link" ("More »", "Full coverage ›", "Watch
/// the report »")? A `»` or `›` closes a quotation instead when its opening `«` / `‹` comes
/// before it, as in French and German text, so that case is not a link.
fn ends_in_link_arrow(text: &str) -> bool {
    let t = text.trim_end_matches(|c: char| c.is_whitespace() || c == '.');
    match t.chars().next_back() {
        Some('»') => !t.contains('«'),
        Some('›') => !t.contains('‹'),
        Some('→' | '▸') => true,
        _ => false,
    }
}

fn first_word(lower: &str) -> &str {
    lower
        .split(|c: char| !c.is_alphanumeric())
        .find(|w| !w.is_empty())
        .unwrap_or("")
}

/// A publisher's imprint: "Published by X and distributed with Y", "Printed and published
/// by ...". A sentence of an article rarely starts so and names distribution or registration.
fn is_imprint(lower: &str) -> bool {
    (lower.starts_with("published by") || lower.starts_with("printed and published"))
        && [
            "distributed",
            "printed by",
            "registered",
            "a division of",
            "company number",
            "a subsidiary",
        ]
        .iter()
        .any(|w| lower.contains(w))
}

/// Markers that introduce a credit inside a caption line.
const CREDIT_INTROS: &[&str] = &[
    "picture:",
    "photo:",
    "photograph:",
    "image:",
    "credit:",
    "photo credit:",
    "pictures:",
    "photos:",
];

/// Does the line end in a photo credit ("... in this still image taken from video released
/// on Monday. Picture: Agency/Handout via Reuters")? Then the whole line is a caption: the
/// description before the credit belongs to the picture, not to the article.
fn credit_tail(lower: &str) -> bool {
    let Some(at) = CREDIT_INTROS
        .iter()
        .filter_map(|m| lower.rfind(m).map(|i| i + m.len()))
        .max()
    else {
        return false;
    };
    let tail = &lower[at..];
    let words = tail.split_whitespace().count();
    (1..=12).contains(&words)
        && (tail.contains('/')
            || tail.contains(" via ")
            || tail.contains("handout")
            || tail.contains("getty")
            || tail.contains("shutterstock")
            || tail
                .split(|c: char| !c.is_alphanumeric())
                .any(|w| AGENCIES.contains(&w)))
}

/// Does the sentence read as article prose: eight words or more, final punctuation, and no
/// chrome phrase?
fn article_like(sentence: &Line) -> bool {
    sentence.n() >= 8 && sentence.terminal && !sentence.has_chrome_phrase()
}

/// Block-level chrome rules. `first` is true for the first non-empty block of the page.
fn classify_block(line: &Line, first: bool) -> Option<Reason> {
    let lower = line.lower.trim();
    let n = line.n();
    if n == 0 {
        return Some(Reason::Boilerplate);
    }
    if n > LONG_LINE {
        return None;
    }
    if lower.contains('©')
        || lower.contains("all rights reserved")
        || lower.starts_with("copyright")
        || is_imprint(lower)
    {
        return Some(Reason::Footer);
    }
    // A short line without a full stop that ends in a parenthesised credit: "(Reuters)".
    let ends_in_credit = !line.terminal
        && n <= 25
        && lower.ends_with(')')
        && lower.rfind('(').is_some_and(|i| {
            let inner = lower[i + 1..lower.len() - 1].trim();
            AGENCIES.contains(&inner)
                || ["getty", "photo", "picture", "images", "epa", "shutterstock"]
                    .iter()
                    .any(|w| inner.contains(w))
        });
    // Every caption marker and credit intro ends in ':' (a test holds this), so most lines
    // skip those searches; the cheap conditions of the credit-marker test go before its search.
    let colon = lower.contains(':');
    if ends_in_credit
        || (colon && credit_tail(lower))
        || (colon && CAPTION_MARKERS.iter().any(|m| lower.starts_with(m)))
        || (n <= 40
            && (lower.contains('/') || colon || n <= 6)
            && has_credit_marker(lower)
            && !lower.contains(" - ")
            && !lower.contains(" – "))
    {
        return Some(Reason::Caption);
    }
    let stripped = lower.trim_matches(|c: char| !c.is_alphanumeric());
    if n <= 8 && !line.terminal {
        if n <= 5 && AGENCIES.contains(&stripped) {
            return Some(Reason::Byline);
        }
        if (lower.starts_with("by ")
            || lower.starts_with("words by")
            || lower.starts_with("reporting by"))
            && line.capitalised_share() >= 0.5
        {
            return Some(Reason::Byline);
        }
    }
    if (lower.starts_with("reporting by")
        || lower.starts_with("editing by")
        || lower.starts_with("additional reporting"))
        && n <= 25
    {
        return Some(Reason::Byline);
    }
    // A link label, on its own line or inside a paragraph (scraped text often flattens a
    // "Watch the report »" link into the paragraph around it).
    if n <= LINK_LABEL_WORDS && ends_in_link_arrow(lower) {
        return Some(Reason::Boilerplate);
    }
    // A cookie-consent banner, declarative as it usually is. "cookie" is a chrome phrase, so
    // the line's one chrome-phrase pass (cached, asked below anyway) rules out most lines.
    if line.has_chrome_phrase()
        && lower.contains("cookie")
        && CONSENT.iter().any(|c| lower.contains(c))
    {
        return Some(Reason::Boilerplate);
    }
    // A lone timestamp: a short line without final punctuation that opens with "Updated",
    // "Published", ... and holds a number or "ago".
    if n <= 10
        && !line.terminal
        && TIMESTAMP_WORDS.contains(&first_word(lower))
        && (scan::has_ascii_digit(lower) || lower.split_whitespace().any(|w| w == "ago"))
    {
        return Some(Reason::Byline);
    }
    if n <= 30 && line.has_chrome_phrase() {
        let imperative = IMPERATIVES.contains(&first_word(lower));
        let question = lower.ends_with('?');
        if imperative || question || !line.terminal {
            return Some(if n <= 4 && !line.terminal {
                Reason::SectionLabel
            } else {
                Reason::Boilerplate
            });
        }
    }
    // A short line made only of label words ("Most Read", "Related", "More from us").
    if !first
        && n <= 4
        && !line.terminal
        && lower
            .split(|c: char| !(c.is_alphanumeric() || c == '\''))
            .filter(|w| !w.is_empty())
            .all(|w| LABEL_WORDS.contains(&w))
    {
        return Some(Reason::SectionLabel);
    }
    None
}

/// Could the sentence `st` be a prompt, a credit or a footer: a question, one of `©:/(`, or an
/// imperative first word (followed by something)? The cheap test before the rules.
fn shows_signs(st: &str) -> bool {
    let b = st.as_bytes();
    // The first word, as the run of ASCII letters and digits it must be to match (every
    // imperative is ASCII letters; a test holds this).
    let run = b
        .iter()
        .position(|x| !x.is_ascii_alphanumeric())
        .unwrap_or(b.len());
    st.ends_with('?')
        || b.iter().any(|x| matches!(x, b':' | b'/' | b'('))
        || st.contains('©')
        || (run < b.len()
            && IMPERATIVES
                .iter()
                .any(|w| w.len() == run && b[..run].eq_ignore_ascii_case(w.as_bytes())))
}

/// The rules' verdict on each line: block-level chrome rules, then runs of related headlines.
fn rule_verdicts(lines: &[Line]) -> Vec<Option<Reason>> {
    let mut verdict: Vec<Option<Reason>> = lines
        .iter()
        .enumerate()
        .map(|(i, l)| classify_block(l, i == 0))
        .collect();

    // Runs of headline-like lines right after a removed label or chrome line, or at the end of
    // the page (nothing but chrome after them). Lines in the middle of an article (lists of
    // nominees, bullet points) are content, however headline-like. The first block (the page's
    // own headline) never starts a run.
    // Right after a label, short headlines count too ("England 17-18 France").
    let mut i = 1;
    while i < lines.len() {
        let after_chrome = matches!(
            verdict[i - 1],
            Some(Reason::SectionLabel | Reason::Boilerplate)
        );
        let min_words = if after_chrome { 3 } else { 5 };
        let candidate = |k: usize| {
            verdict[k].is_none() && lines[k].headline_like(min_words) && !lines[k].is_list_item()
        };
        if !candidate(i) {
            i += 1;
            continue;
        }
        let mut j = i;
        while j < lines.len() && candidate(j) {
            j += 1;
        }
        let at_end = verdict[j..].iter().all(|v| v.is_some());
        if after_chrome || (at_end && j - i >= 2) {
            for v in verdict.iter_mut().take(j).skip(i) {
                *v = Some(Reason::RelatedHeadlines);
            }
        }
        i = j.max(i + 1);
    }

    verdict
}

/// What the rules said about each line, and the line features the classifier reads.
fn page_features(
    text: &str,
    blocks: &[Block],
    lines: &[Line],
    keys: &[(u64, usize)],
    verdict: &[Option<Reason>],
    shapes: &[lines::Shape],
) -> Vec<[f64; lines::N_FEATURES]> {
    let mut seen: HashSet<u64> = HashSet::default();
    let signs: Vec<lines::RuleSigns> = lines
        .iter()
        .zip(keys)
        .zip(verdict)
        .map(|((l, &(key, len)), v)| lines::RuleSigns {
            removed: v.is_some(),
            duplicate: len > 0 && !seen.insert(key),
            chrome_phrase: l.has_chrome_phrase(),
        })
        .collect();
    let starts: Vec<usize> = blocks.iter().map(|b| b.span.start).collect();
    lines::features(text, &starts, lines, &signs, shapes)
}

/// The blocks of `text` and the line features of each (for fitting the classifier): exactly
/// what [`clean_with`] gives the classifier.
pub fn line_features(text: &str) -> (Vec<Block>, Vec<[f64; lines::N_FEATURES]>) {
    let blocks = segment(text);
    let texts: Vec<&str> = blocks
        .iter()
        .map(|b| &text[b.span.start..b.span.end])
        .collect();
    let shapes: Vec<lines::Shape> = texts.iter().map(|t| lines::shape(t)).collect();
    let mut arena = String::with_capacity(text.len());
    let lines = page_lines(&texts, &mut arena, Some(&shapes));
    let verdict = rule_verdicts(&lines);
    let keys: Vec<(u64, usize)> = lines.iter().map(|l| dedup_key(l.text)).collect();
    let x = page_features(text, &blocks, &lines, &keys, &verdict, &shapes);
    (blocks, x)
}

/// Cleans `text` with the rules alone. `title`, if given, is used to drop copies of the
/// headline inside the text.
pub fn clean(text: &str, title: Option<&str>) -> Cleaned {
    clean_with(text, title, None)
}

/// Cleans `text` with the rules and, if given, a learned line classifier: a line is removed
/// when a rule removes it or the classifier does not keep it (reason [`Reason::Chrome`]).
/// Duplicates and the sentence-level rules apply after both.
pub fn clean_with(text: &str, title: Option<&str>, classifier: Option<&LineClassifier>) -> Cleaned {
    let blocks = segment(text);
    let texts: Vec<&str> = blocks
        .iter()
        .map(|b| &text[b.span.start..b.span.end])
        .collect();
    // The line shapes only if there is a classifier to read them.
    let shapes: Vec<lines::Shape> = match classifier {
        Some(_) => texts.iter().map(|t| lines::shape(t)).collect(),
        None => Vec::new(),
    };
    let mut arena = String::with_capacity(text.len());
    let lines = page_lines(&texts, &mut arena, classifier.map(|_| &shapes[..]));
    let mut verdict = rule_verdicts(&lines);
    // Each line's duplicate key, computed once for the classifier's features and the
    // duplicate-block rule below, and in the same pass each sentence's (for the
    // duplicate-sentence rule; `sentence_keys` follows the blocks' sentences in order).
    let mut sentence_keys = Vec::with_capacity(blocks.iter().map(|b| b.sentences.len()).sum());
    let keys: Vec<(u64, usize)> = blocks
        .iter()
        .map(|b| scan::dedup_keys(text, &b.sentences, &mut sentence_keys))
        .collect();
    // The classifier removes lines the rules kept (reason "chrome").
    if let Some(c) = classifier {
        let x = page_features(text, &blocks, &lines, &keys, &verdict, &shapes);
        for (v, keep) in verdict.iter_mut().zip(c.keep(&x)) {
            if v.is_none() && !keep {
                *v = Some(Reason::Chrome);
            }
        }
    }

    let mut removed = Vec::new();
    let mut kept = Vec::new();
    let mut seen_blocks: HashSet<u64> = HashSet::default();
    let mut seen_sentences: HashSet<u64> = HashSet::default();
    let mut scratch = String::new();
    if let Some(t) = title {
        let (k, n) = dedup_key(t);
        if n > 0 {
            seen_blocks.insert(k);
            seen_sentences.insert(k);
        }
    }
    let mut first_sentence = 0;
    for ((block, &(key, len)), v) in blocks.into_iter().zip(&keys).zip(verdict) {
        let n_sentences = block.sentences.len();
        let block_sentence_keys = &sentence_keys[first_sentence..first_sentence + n_sentences];
        first_sentence += n_sentences;
        // A short paragraph judged boilerplate as a whole may still carry an article sentence
        // after its prompt ("Sign up for our briefing. The death toll is expected to rise, the
        // ministry said."): then each sentence is judged on its own instead, so article text
        // is never dropped for the prompt beside it.
        let mixed = v == Some(Reason::Boilerplate)
            && n_sentences > 1
            && block
                .sentences
                .iter()
                .any(|s| article_like(&Line::new(&text[s.start..s.end], &mut scratch)));
        let v = if mixed { None } else { v };
        if let Some(reason) = v {
            removed.push(Removed {
                span: block.span,
                reason,
            });
            continue;
        }
        if len > 0 && !seen_blocks.insert(key) {
            removed.push(Removed {
                span: block.span,
                reason: Reason::Duplicate,
            });
            continue;
        }
        let mut sentences = Vec::with_capacity(block.sentences.len());
        for (s, &(key, len)) in block.sentences.iter().zip(block_sentence_keys) {
            let st = &text[s.start..s.end];
            // Short sentences ("Yes.", "No.") may legitimately repeat.
            if len >= 16 && !seen_sentences.insert(key) {
                removed.push(Removed {
                    span: *s,
                    reason: Reason::Duplicate,
                });
                continue;
            }
            // Inside a paragraph only clear prompts (an imperative or a question) and credit or
            // footer lines count; most sentences show none of their signs, so skip them cheaply.
            if mixed {
                if let Some(reason) = classify_block(&Line::new(st, &mut scratch), false) {
                    removed.push(Removed { span: *s, reason });
                    continue;
                }
                sentences.push(*s);
                continue;
            }
            let several = block.sentences.len() > 1;
            let link = several && ends_in_link_arrow(st);
            if several && (link || shows_signs(st)) {
                let sl = Line::new(st, &mut scratch);
                let lower = sl.lower.trim();
                let prompt =
                    link || IMPERATIVES.contains(&first_word(lower)) || lower.ends_with('?');
                if let Some(reason) = classify_block(&sl, false)
                    .filter(|r| *r != Reason::SectionLabel && (prompt || *r != Reason::Boilerplate))
                {
                    removed.push(Removed { span: *s, reason });
                    continue;
                }
            }
            sentences.push(*s);
        }
        if !sentences.is_empty() {
            kept.push(Block {
                span: block.span,
                sentences,
            });
        }
    }
    Cleaned {
        blocks: kept,
        removed,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn reasons(text: &str) -> Vec<(&str, &'static str)> {
        clean(text, None)
            .removed
            .iter()
            .map(|r| (&text[r.span.start..r.span.end], r.reason.as_str()))
            .collect()
    }

    #[test]
    fn chrome_table() {
        let body = "The minister said on Monday that the plan would cost $2bn. Critics called it reckless.";
        let cases: &[(&str, &str)] = &[
            ("Would you like to comment on this article?", "boilerplate"),
            (
                "Sign up (it's quick and free) or sign in now.",
                "boilerplate",
            ),
            (
                "Please read our Comment Policy before commenting.",
                "boilerplate",
            ),
            ("Most Read", "section-label"),
            ("© 2024 Example Media Ltd. All rights reserved.", "footer"),
            ("Reuters", "byline"),
            ("By Jane Smith", "byline"),
            ("Picture: John Doe/Getty Images", "caption"),
            (
                "The minister speaks in London. Photograph: Jane Doe/AP",
                "caption",
            ),
            ("Subscribe to our daily newsletter", "boilerplate"),
            ("Watch the minister's statement »", "boilerplate"),
            ("Full coverage of the budget ›", "boilerplate"),
            (
                "We use cookies to improve your experience. By continuing you agree to our cookie policy.",
                "boilerplate",
            ),
            ("Updated 3 hours ago", "byline"),
            ("Published 12 May 2024, 10:42 BST", "byline"),
            ("Listen to this article", "section-label"),
            ("5 min read", "section-label"),
            ("Have your say", "section-label"),
        ];
        for (chrome, want) in cases {
            let text =
                format!("{body}\n{chrome}\nMore details came later in the day, officials said.");
            let got = reasons(&text);
            assert_eq!(got, vec![(*chrome, *want)], "chrome {chrome:?}");
        }
    }

    #[test]
    fn caption_markers_and_credit_intros_end_in_a_colon() {
        // `classify_block` skips their searches on lines without one.
        assert!(CAPTION_MARKERS
            .iter()
            .chain(CREDIT_INTROS)
            .all(|m| m.ends_with(':')));
    }

    #[test]
    fn signs_of_a_sentence_as_defined() {
        // `shows_signs` looks for an imperative as a run of ASCII letters.
        assert!(IMPERATIVES
            .iter()
            .all(|w| w.bytes().all(|b| b.is_ascii_lowercase())));
        let reference = |st: &str| {
            st.ends_with('?')
                || st.contains(['©', ':', '/', '('])
                || IMPERATIVES.iter().any(|w| {
                    st.len() > w.len()
                        && st.as_bytes()[..w.len()].eq_ignore_ascii_case(w.as_bytes())
                        && !st.as_bytes()[w.len()].is_ascii_alphanumeric()
                })
        };
        for st in [
            "Sign up now.",
            "Signature deal.",
            "SIGN",
            "Sign",
            "Signé ici.",
            "Read: more",
            "He said (again).",
            "© Ltd",
            "Why?",
            "Back2back wins.",
            "Tell-tale signs.",
            "",
            "Visit.",
        ] {
            assert_eq!(shows_signs(st), reference(st), "{st:?}");
        }
    }

    #[test]
    fn a_prompt_paragraph_keeps_its_article_sentence() {
        let text = "Rescue teams searched the rubble overnight.\nSign up for our morning briefing. The death toll is expected to rise, the ministry said.\nMore details came later in the day, officials said.";
        assert_eq!(
            reasons(text),
            vec![("Sign up for our morning briefing.", "boilerplate")]
        );
        // A paragraph of prompts alone still goes whole.
        let text = "Rescue teams searched the rubble overnight.\nSign up (it's quick and free) or sign in now. Already a member? Log in.\nMore details came later in the day, officials said.";
        let got = reasons(text);
        assert_eq!(got.len(), 1, "{got:?}");
        assert!(got[0].0.starts_with("Sign up") && got[0].0.ends_with("Log in."));
    }

    #[test]
    fn cookies_timestamps_and_reading_times_in_article_prose_stay() {
        for text in [
            "The bakery sold 500 cookies on Saturday, its owner said. Queues formed early.",
            "Posted on social media by the analysts, the clip drew 2 million views. Critics were unmoved.",
            "Updated figures published on Monday show growth of 2%. Markets rose.",
            "He said the inquiry would take a ten min read of every file. Few believed him.",
        ] {
            assert!(reasons(text).is_empty(), "{text:?}: {:?}", reasons(text));
        }
    }

    #[test]
    fn link_labels_inside_a_paragraph_go_and_closing_guillemets_stay() {
        // A link flattened into its paragraph by the scraper, arrow and stray full stop kept.
        let text = "The minister resigned on Monday after a week of pressure. Watch the announcement about the minister leaving » . He will stay until September, aides said.";
        assert_eq!(
            reasons(text),
            vec![(
                "Watch the announcement about the minister leaving » .",
                "boilerplate"
            )]
        );
        // Timelines and galleries too: the arrow, not an imperative, marks the link.
        let text = "Police closed the street on Friday. Timeline: the city's troubles » . Shops reopened later.";
        assert_eq!(reasons(text).len(), 1);
        // « ... » and ‹ ... › are quotations, and a long sentence is prose whatever it ends in.
        for text in [
            "Le ministre a parlé lundi. « Nous partons demain. » Les syndicats ont réagi.",
            "Er sagte es am Montag. ‹Wir gehen morgen.› Die Gewerkschaften reagierten.",
            "Line one of the story is here. It went on and on for many many words about the plan and the vote and the people who came to see it all happen in the city »",
        ] {
            assert!(reasons(text).is_empty(), "{text:?}: {:?}", reasons(text));
        }
        assert!(ends_in_link_arrow("More →"));
        assert!(!ends_in_link_arrow("« Oui »"));
        assert!(!ends_in_link_arrow("A plain sentence."));
    }

    #[test]
    fn body_pasted_twice_ends_up_once() {
        let body =
            "Oil prices rose sharply on Tuesday.\nTraders blamed supply worries in the Gulf.";
        let text = format!("{body}\n{body}");
        let c = clean(&text, None);
        assert_eq!(c.sentences().count(), 2);
        assert_eq!(c.removed.len(), 2);
        assert!(c.removed.iter().all(|r| r.reason == Reason::Duplicate));
        assert!(c.removed[0].span.start > body.len());
    }

    #[test]
    fn dedup_key_normalises_case_space_punctuation() {
        let (a, na) = dedup_key("He said “it’s over” for the CLUB.");
        let (b, nb) = dedup_key("he said \"it's   over\" for the club");
        assert_eq!((a, na), (b, nb));
        assert_ne!(dedup_key("Zürich ÉTÉ").0, dedup_key("zurich ete").0);
        assert_eq!(dedup_key("Zürich ÉTÉ").0, dedup_key("zürich été").0);
        let long = "word ".repeat(200);
        assert_eq!(dedup_key(&long), dedup_key(&long.to_uppercase()));
        assert_eq!(dedup_key("...").1, 0);
    }

    #[test]
    fn near_duplicates_by_quote_case_space() {
        let text = "He said “it’s over” for the club.\n\nHE SAID \"it's   over\" for the club.";
        let c = clean(text, None);
        assert_eq!(c.sentences().count(), 1);
    }

    #[test]
    fn related_headlines_run_is_removed() {
        let text = "The central bank held rates at 5% on Thursday. Markets were calm.\nRelated\nBank of England warns on inflation outlook\nHouse prices fall for third month in a row\nWhy the pound is weaker than it looks";
        let got = reasons(text);
        assert_eq!(got.len(), 4, "{got:?}");
        assert_eq!(got[1].1, "related-headlines");
    }

    #[test]
    fn title_copy_is_dropped_but_clean_text_is_kept() {
        let text = "Ad sales boost Time Warner profit\nQuarterly profits at TimeWarner jumped 76% to $1.13bn. The firm is big.";
        let c = clean(text, Some("Ad sales boost Time Warner profit"));
        assert_eq!(c.sentences().count(), 2);
        assert_eq!(c.removed[0].reason, Reason::Duplicate);
        let plain =
            "He declined to comment. The comments were made on Monday. Sign language is used.";
        assert!(clean(plain, None).removed.is_empty());
    }
}
