//! Raw HTML in: bytes -> characters -> main content -> plain text + page metadata.
//!
//! Stages, each a function of its own:
//! 1. [`decode`]: the character encoding comes from a byte-order mark, else a `<meta charset>`
//!    or `http-equiv="Content-Type"` declaration in the first [`PRESCAN_BYTES`] bytes (the
//!    HTML standard's prescan, simplified), else detection (chardetng; valid UTF-8 wins).
//!    Bytes that are invalid in that encoding become U+FFFD: decoding never fails.
//! 2. [`extract`]: the main content, found by dom_smoothie (a port of Mozilla's Readability),
//!    rendered as plain text with one block (paragraph, heading, list item) per line and a blank
//!    line between blocks, so that sentence segmentation and cleaning see the page's blocks.
//!    Readability's metadata (headline, byline, site name, published time, language) comes
//!    with it.
//!
//! This module knows nothing of models: the caller runs Lede's cleaning on the returned text
//! ([`clean`]: it removes what Readability keeps, such as captions, credits, calls to action and
//! repeats), and every offset it reports refers to that text.
//!
//! Bad input: markup nested deeper than [`MAX_DEPTH`] elements is refused before the tree is
//! built (html5ever's tree construction is quadratic in nesting depth, and Readability's
//! passes walk the tree recursively); a page where Readability finds no article text, script-
//! and style-only pages included, is [`HtmlError::NoArticle`].

use std::borrow::Cow;

use dom_smoothie::{Config, Readability, ReadabilityError, TextMode};
use encoding_rs::Encoding;

use super::clean::{Cleaned, Reason, Removed};
use super::sentences::{segment, Block};
use super::tokenize::Span;

/// How far into the page a charset declaration is looked for. The standard says 1024 bytes;
/// real pages put long `<script>` and `<link>` runs first, so look a little further.
pub const PRESCAN_BYTES: usize = 4096;

/// Deepest element nesting accepted. Browsers stop nesting at 512 (Chromium) to 200 (Firefox's
/// old limit); real article pages stay below 100. Deeper pages are refused with
/// [`HtmlError::TooDeep`], which keeps parse time and stack use bounded on hostile input.
pub const MAX_DEPTH: usize = 512;

/// Page metadata found by Readability (JSON-LD, OpenGraph and `<meta>` tags, then the page).
/// Empty strings where the page says nothing.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct PageMeta {
    /// The article's headline (JSON-LD / og:title / `<title>` cleaned of the site suffix).
    pub headline: String,
    /// The author(s) as the page names them.
    pub byline: String,
    /// The publication's name.
    pub site_name: String,
    /// Publication time as the page writes it (usually ISO 8601).
    pub published_time: String,
    /// The page's declared language (`<html lang>`), e.g. "en" or "en-GB".
    pub language: String,
}

/// The main content of a page.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Page {
    /// The article as plain text: one block per line, blocks separated by a blank line.
    pub text: String,
    pub meta: PageMeta,
    /// The encoding the bytes were decoded with (WHATWG name, e.g. "windows-1252").
    pub encoding: &'static str,
}

/// Why a page gave no text.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum HtmlError {
    /// Readability found no article (an empty, script-only or navigation-only page).
    #[error("no article text found in the html")]
    NoArticle,
    /// Elements nested deeper than the limit.
    #[error("html elements are nested more than {limit} deep; such markup is refused (no article page needs it)")]
    TooDeep { limit: usize },
}

/// Decodes page bytes: byte-order mark, then a charset declaration, then detection.
/// Returns the text (without the BOM) and the encoding used.
pub fn decode(bytes: &[u8]) -> (Cow<'_, str>, &'static Encoding) {
    let (encoding, body) = match Encoding::for_bom(bytes) {
        Some((enc, bom)) => (enc, &bytes[bom..]),
        None => (declared(bytes).unwrap_or_else(|| detect(bytes)), bytes),
    };
    let (text, _had_errors) = encoding.decode_without_bom_handling(body);
    (text, encoding)
}

/// The encoding declared by a `<meta charset=...>` or `<meta http-equiv="Content-Type"
/// content="...; charset=...">` in the first [`PRESCAN_BYTES`] bytes. As the standard asks, a
/// declared UTF-16 means UTF-8 (the bytes were readable as ASCII to find it) and
/// x-user-defined means windows-1252.
pub fn declared(bytes: &[u8]) -> Option<&'static Encoding> {
    let head = &bytes[..bytes.len().min(PRESCAN_BYTES)];
    let mut i = 0;
    while let Some(at) = find(&head[i..], b"<meta") {
        let start = i + at + 5;
        let end = head[start..]
            .iter()
            .position(|&b| b == b'>')
            .map_or(head.len(), |p| start + p);
        let tag = &head[start..end];
        if let Some(enc) = charset_in(tag) {
            return Some(match enc.name() {
                "UTF-16LE" | "UTF-16BE" => encoding_rs::UTF_8,
                "x-user-defined" => encoding_rs::WINDOWS_1252,
                _ => enc,
            });
        }
        i = end;
    }
    None
}

/// Case-insensitive (ASCII) search.
fn find(hay: &[u8], needle: &[u8]) -> Option<usize> {
    hay.windows(needle.len())
        .position(|w| w.eq_ignore_ascii_case(needle))
}

/// The encoding named by `charset=` inside one meta tag's attributes (a `charset` attribute or
/// the charset parameter of a `content` attribute; both read the same way).
fn charset_in(tag: &[u8]) -> Option<&'static Encoding> {
    let at = find(tag, b"charset")? + "charset".len();
    let rest = &tag[at..];
    let rest = &rest[rest.iter().position(|b| !b.is_ascii_whitespace())?..];
    let rest = rest.strip_prefix(b"=")?;
    let rest = &rest[rest.iter().position(|b| !b.is_ascii_whitespace())?..];
    let rest = rest
        .strip_prefix(b"\"")
        .or_else(|| rest.strip_prefix(b"'"))
        .unwrap_or(rest);
    let len = rest
        .iter()
        .position(|&b| matches!(b, b'"' | b'\'' | b';' | b'/' | b'>') || b.is_ascii_whitespace())
        .unwrap_or(rest.len());
    Encoding::for_label(&rest[..len])
}

/// Undeclared pages: valid UTF-8 is UTF-8; anything else is chardetng's guess.
fn detect(bytes: &[u8]) -> &'static Encoding {
    if std::str::from_utf8(bytes).is_ok() {
        return encoding_rs::UTF_8;
    }
    let mut d = chardetng::EncodingDetector::new(chardetng::Iso2022JpDetection::Deny);
    d.feed(bytes, true);
    d.guess(None, chardetng::Utf8Detection::Allow)
}

/// The deepest element nesting a tag scan of `html` can produce: start tags of elements that
/// may contain others, minus their end tags. An upper bound of the parsed tree's depth for
/// ordinary markup (html5ever closes some elements implicitly, never opens more), so checking
/// it before parsing is enough.
pub fn nesting_bound(html: &str) -> usize {
    let b = html.as_bytes();
    let (mut depth, mut max) = (0usize, 0usize);
    let mut i = 0;
    while let Some(p) = b[i..].iter().position(|&c| c == b'<') {
        i += p + 1;
        let closing = b.get(i) == Some(&b'/');
        let name_start = i + usize::from(closing);
        let name_len = b[name_start..]
            .iter()
            .position(|c| !c.is_ascii_alphanumeric())
            .unwrap_or(b.len() - name_start);
        if name_len == 0 {
            continue;
        }
        let name = &b[name_start..name_start + name_len];
        if VOID.iter().any(|v| v.eq_ignore_ascii_case(name))
            || IMPLIED_END.iter().any(|v| v.eq_ignore_ascii_case(name))
        {
            continue;
        }
        // Skip the contents of raw-text elements: their "<" are not tags.
        if !closing && RAW_TEXT.iter().any(|v| v.eq_ignore_ascii_case(name)) {
            let mut close = Vec::with_capacity(name.len() + 2);
            close.extend_from_slice(b"</");
            close.extend_from_slice(name);
            i = find(&b[i..], &close).map_or(b.len(), |p| i + p + close.len());
            continue;
        }
        let tag_end = b[i..].iter().position(|&c| c == b'>').map(|p| i + p);
        let self_closing = tag_end.is_some_and(|e| e > 0 && b[e - 1] == b'/');
        if closing {
            depth = depth.saturating_sub(1);
        } else if !self_closing {
            depth += 1;
            max = max.max(depth);
        }
    }
    max
}

/// Elements without content (no end tag).
const VOID: &[&[u8]] = &[
    b"area", b"base", b"br", b"col", b"embed", b"hr", b"img", b"input", b"link", b"meta",
    b"source", b"track", b"wbr", b"param", b"keygen",
];
/// Elements a parser closes by itself when a sibling starts (`<li>a<li>b`): pages often leave
/// their end tags out, so they are not counted (their nesting shows in `ul`, `table`, ...).
const IMPLIED_END: &[&[u8]] = &[
    b"p",
    b"li",
    b"dt",
    b"dd",
    b"tr",
    b"td",
    b"th",
    b"option",
    b"optgroup",
    b"thead",
    b"tbody",
    b"tfoot",
    b"rb",
    b"rt",
    b"rp",
    b"rtc",
    b"colgroup",
    b"caption",
];
/// Elements whose content is not markup.
const RAW_TEXT: &[&[u8]] = &[
    b"script",
    b"style",
    b"textarea",
    b"title",
    b"xmp",
    b"noembed",
    b"iframe",
    b"plaintext",
];

/// How [`extract`] finds the main content.
#[derive(Debug, Clone)]
pub struct ExtractConfig {
    /// dom_smoothie's configuration.
    pub readability: Config,
    /// Elements removed before Readability runs (a CSS selector; empty = none).
    pub drop: &'static str,
    /// Blocks (a CSS selector; empty = none) removed before Readability runs when nearly all
    /// their text is link text (see `max_link_share`): lists of related stories, tag clouds,
    /// "read more" lines. Inside an article, lists of facts (dates, ingredients) carry no links.
    pub link_blocks: &'static str,
    /// Share of a block's (non-white-space) characters inside links at or above which
    /// `link_blocks` removes it (0 < share <= 1).
    pub max_link_share: f64,
}

impl Default for ExtractConfig {
    /// What Lede serves with: formatted text (block elements end lines, which [`extract`] turns
    /// into Lede's blocks); `<figure>` (images with their captions and credits) and `<aside>`
    /// (pull quotes, boxes of links) dropped; list items, paragraphs and headings that are
    /// nearly all link text dropped; dom_smoothie's defaults otherwise (they follow
    /// Readability.js). Chosen by `lede-eval aeb-html --cv`, 5-fold cross-validation grouped by
    /// site: 4 of 5 folds picked exactly this, the fifth the same with links dropped in list
    /// items only (see README, "HTML in").
    fn default() -> Self {
        ExtractConfig {
            readability: Config {
                text_mode: TextMode::Formatted,
                ..Config::default()
            },
            drop: "figure, aside",
            link_blocks: "li, p, h2, h3, h4, h5, h6",
            max_link_share: 0.8,
        }
    }
}

/// Decodes `bytes` and extracts the main content with its metadata (served configuration).
pub fn extract(bytes: &[u8]) -> Result<Page, HtmlError> {
    extract_with(bytes, &ExtractConfig::default())
}

/// [`extract`] with another configuration (for evaluation).
pub fn extract_with(bytes: &[u8], cfg: &ExtractConfig) -> Result<Page, HtmlError> {
    let (html, encoding) = decode(bytes);
    extract_str(&html, cfg).map(|(text, meta)| Page {
        text,
        meta,
        encoding: encoding.name(),
    })
}

/// [`extract_with`] on already-decoded markup: the article text and the page metadata.
pub fn extract_str(html: &str, cfg: &ExtractConfig) -> Result<(String, PageMeta), HtmlError> {
    if nesting_bound(html) > MAX_DEPTH {
        return Err(HtmlError::TooDeep { limit: MAX_DEPTH });
    }
    let mut r = Readability::new(html, None, Some(cfg.readability.clone())).map_err(no_article)?;
    if !cfg.drop.is_empty() {
        r.doc.select(cfg.drop).remove();
    }
    if !cfg.link_blocks.is_empty() {
        let chars = |t: &str| t.chars().filter(|c| !c.is_whitespace()).count();
        for block in r.doc.select(cfg.link_blocks).iter() {
            let all = chars(&block.text());
            let linked = chars(&block.select("a").text());
            if all > 0 && linked as f64 >= cfg.max_link_share * all as f64 {
                block.remove();
            }
        }
    }
    let a = r.parse().map_err(no_article)?;
    let text = blocks(&a.text_content);
    if text.is_empty() {
        return Err(HtmlError::NoArticle);
    }
    let one_line = |s: Option<String>| s.map(|s| squeeze(&s)).unwrap_or_default();
    let meta = PageMeta {
        headline: squeeze(&a.title),
        byline: one_line(a.byline),
        site_name: one_line(a.site_name),
        published_time: one_line(a.published_time),
        language: one_line(a.lang),
    };
    Ok((text, meta))
}

/// Lede's cleaning ([`crate::text::clean`]) for text that [`extract`] returned: the same rules,
/// except that runs of headline-like lines are kept. On a whole page such a run is a list of
/// related stories; inside the article Readability picked it is mostly the article's own list
/// (tour dates, ingredients, bullet points). Measured on the benchmark pages, with grouped
/// cross-validation choosing it in every fold (`lede-eval aeb-html --cv`).
pub fn clean(text: &str, title: Option<&str>) -> Cleaned {
    let mut c = super::clean::clean(text, title);
    let (restore, removed): (Vec<Removed>, Vec<Removed>) = std::mem::take(&mut c.removed)
        .into_iter()
        .partition(|r| r.reason == Reason::RelatedHeadlines);
    c.removed = removed;
    if restore.is_empty() {
        return c;
    }
    // The rule removes whole blocks: segment each again and put it back in text order.
    for r in restore {
        let shift = |s: Span| Span {
            start: s.start + r.span.start,
            end: s.end + r.span.start,
        };
        for b in segment(&text[r.span.start..r.span.end]) {
            c.blocks.push(Block {
                span: shift(b.span),
                sentences: b.sentences.into_iter().map(shift).collect(),
            });
        }
    }
    c.blocks.sort_by_key(|b| b.span.start);
    c
}

/// Every dom_smoothie failure on a document without a URL means "no article here".
fn no_article(e: ReadabilityError) -> HtmlError {
    match e {
        ReadabilityError::GrabFailed
        | ReadabilityError::BadDocumentURL
        | ReadabilityError::TooManyElements(..) => HtmlError::NoArticle,
    }
}

/// White space runs (any Unicode white space, non-breaking spaces included) to one space,
/// trimmed.
fn squeeze(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for w in s.split_whitespace() {
        if !out.is_empty() {
            out.push(' ');
        }
        out.push_str(w);
    }
    out
}

/// Readability's formatted text to Lede's block layout: each non-empty line squeezed, one block
/// per line, a blank line between blocks.
fn blocks(formatted: &str) -> String {
    let mut out = String::with_capacity(formatted.len());
    for line in formatted.lines() {
        let line = squeeze(line);
        if line.is_empty() {
            continue;
        }
        if !out.is_empty() {
            out.push_str("\n\n");
        }
        out.push_str(&line);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    const ARTICLE: &str = "<p>The city council voted on Tuesday to expand the tram network \
        across the river, a project that has been debated for more than a decade.</p>\
        <p>Supporters said the new line would cut commuting times by a third and relieve the \
        crowded bridges, while opponents questioned the cost of the plan.</p>\
        <p>Construction is expected to start next spring and to last three years, the mayor \
        told reporters after the vote.</p>";

    fn page(head: &str, body: &str) -> String {
        format!("<!doctype html><html lang=\"en\"><head>{head}<title>Trams approved - The Daily</title></head><body><nav><a href=\"/\">Home</a> <a href=\"/news\">News</a></nav><article><h1>Trams approved</h1>{body}</article><footer>Copyright The Daily</footer></body></html>")
    }

    #[test]
    fn declared_charsets() {
        for (head, want) in [
            (&b"<meta charset=\"iso-8859-1\">"[..], "windows-1252"),
            (b"<META CHARSET=utf-8>", "UTF-8"),
            (
                b"<meta http-equiv=\"Content-Type\" content=\"text/html; charset=Shift_JIS\">",
                "Shift_JIS",
            ),
            (
                b"<meta content='text/html;charset=koi8-r' http-equiv=content-type>",
                "KOI8-R",
            ),
            (b"<meta charset=\"utf-16\">", "UTF-8"),
        ] {
            assert_eq!(declared(head).map(|e| e.name()), Some(want), "{head:?}");
        }
        assert_eq!(declared(b"<meta name=viewport content=x>"), None);
        assert_eq!(declared(b"<meta charset=\"no-such-thing\">"), None);
    }

    #[test]
    fn decodes_bom_meta_and_detected_bytes() {
        let (t, e) = decode(b"\xEF\xBB\xBFcaf\xC3\xA9");
        assert_eq!((t.as_ref(), e.name()), ("café", "UTF-8"));
        let (t, e) = decode(b"<meta charset=windows-1252>caf\xE9 \x93q\x94");
        assert_eq!(e.name(), "windows-1252");
        assert!(t.ends_with("café \u{201C}q\u{201D}"));
        let (t, e) = decode("déjà vu".as_bytes());
        assert_eq!((t.as_ref(), e.name()), ("déjà vu", "UTF-8"));
        // Undeclared, not UTF-8: a guess, and never a failure.
        let (t, _) = decode(b"Le caf\xE9 de la gare \xE9tait ferm\xE9 \xE0 midi.");
        assert!(t.contains("café"), "{t}");
    }

    #[test]
    fn extracts_paragraphs_as_blocks_with_metadata() {
        let html = page(
            "<meta property=\"og:site_name\" content=\"The Daily\"><meta name=\"author\" content=\"Jo Smith\">",
            ARTICLE,
        );
        let p = extract(html.as_bytes()).unwrap();
        assert!(p.text.starts_with("The city council voted"), "{}", p.text);
        assert_eq!(p.text.split("\n\n").count(), 3, "{}", p.text);
        assert!(!p.text.contains("Copyright"));
        assert_eq!(p.meta.site_name, "The Daily");
        assert_eq!(p.meta.byline, "Jo Smith");
        assert_eq!(p.meta.language, "en");
        assert!(p.meta.headline.contains("Trams approved"));
    }

    #[test]
    fn link_lists_go_and_fact_lists_stay() {
        let body = format!(
            "{ARTICLE}<ul><li>June 17 -- Bridgestone Arena, Nashville</li><li>June 19 -- PNC Pavilion, Charlotte</li></ul>\
             <ul><li><a href=\"/a\">Markets close higher on Friday</a></li><li><a href=\"/b\">Bank raises rates again</a></li></ul>\
             <p>Read more: <a href=\"/c\">the full council report on the tram network and its costs</a></p>"
        );
        let p = extract(page("", &body).as_bytes()).unwrap();
        assert!(p.text.contains("June 19 -- PNC Pavilion"), "{}", p.text);
        assert!(!p.text.contains("Markets close higher"), "{}", p.text);
        assert!(!p.text.contains("Read more"), "{}", p.text);
    }

    #[test]
    fn cleaning_keeps_lists_inside_the_article() {
        let text = "The band announced a tour of twelve cities on Monday, starting in June.\n\nJune 17 -- Bridgestone Arena, Nashville\n\nJune 19 -- PNC Music Pavilion, Charlotte\n\nJune 20 -- Walnut Creek Park, Raleigh";
        let all = crate::text::clean(text, None);
        let ours = clean(text, None);
        assert!(all
            .removed
            .iter()
            .any(|r| r.reason == Reason::RelatedHeadlines));
        assert!(ours.removed.is_empty(), "{:?}", ours.removed);
        let sentences: Vec<&str> = ours.sentences().map(|s| &text[s.start..s.end]).collect();
        assert_eq!(sentences.len(), 4, "{sentences:?}");
        assert!(sentences[3].starts_with("June 20"));
    }

    #[test]
    fn pages_without_an_article() {
        for html in [
            "",
            "<html><head><script>var a = '<p>' + 1;</script></head><body><script>document.write('x')</script></body></html>",
            "<style>p { color: red }</style>",
            "\u{0}\u{0}\u{0}",
        ] {
            assert_eq!(extract(html.as_bytes()), Err(HtmlError::NoArticle), "{html:?}");
        }
    }

    #[test]
    fn deep_nesting_is_refused_quickly() {
        let n = 100_000;
        let html = format!("{}{}{}", "<div>".repeat(n), ARTICLE, "</div>".repeat(n));
        let t0 = std::time::Instant::now();
        assert_eq!(
            extract(html.as_bytes()),
            Err(HtmlError::TooDeep { limit: MAX_DEPTH })
        );
        assert!(t0.elapsed().as_secs() < 2);
        // Within the limit it is an ordinary page.
        let html = format!("{}{}{}", "<div>".repeat(100), ARTICLE, "</div>".repeat(100));
        assert!(extract(html.as_bytes()).is_ok());
    }

    #[test]
    fn nesting_bound_counts_containers_only() {
        assert_eq!(nesting_bound("<div><p>a<br>b<img src=x/></p></div>"), 1);
        assert_eq!(nesting_bound("<div><span>a</span><div>b</div></div>"), 2);
        assert_eq!(
            nesting_bound("<script>if (a<b) { '<div><div>' }</script><b>x</b>"),
            1
        );
        assert_eq!(nesting_bound("</div></div><div/>"), 0);
        assert_eq!(nesting_bound("<ul><li>a<li>b<li>c</ul><p>x<p>y"), 1);
        assert_eq!(nesting_bound("a < b <"), 0);
    }
}
