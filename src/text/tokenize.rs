//! Word tokenisation with byte offsets into the caller's original text.
//!
//! The tokenizer works on the text exactly as the caller sent it, so every token carries a
//! `start..end` byte range that can be used to highlight it in that text. Normalisation (NFKC,
//! lowercasing, quote folding) happens per token afterwards, in [`super::analyzer`], and never
//! moves an offset.
//!
//! What counts as one token, on purpose, for news text:
//! - letters and digits, with inner apostrophes (`Russia’s`, `don't`), inner hyphens (`30-day`,
//!   `Jean-Claude`), inner dots and commas between digits (`1.13`, `10,000`), inner dots in
//!   dotted abbreviations (`U.S.`, `U.N.`: the final dot is kept so that `U.S.` never looks
//!   like the word `us`);
//! - a currency sign directly before a digit (`$1.13bn`, `£600m`) and a percent sign directly
//!   after one (`3.5%`);
//! - superscripts and other numeric symbols are letters-or-digits (`km²` stays one token).

use super::scan::ASCII_ALNUM;

/// One token: a byte range into the original text.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Span {
    /// Byte offset of the first byte of the token.
    pub start: usize,
    /// Byte offset one past the last byte of the token.
    pub end: usize,
}

fn is_word_char(c: char) -> bool {
    c.is_alphanumeric()
}

fn is_currency(c: char) -> bool {
    matches!(c, '$' | '£' | '€' | '¥')
}

/// Characters that may join two word characters into one token.
fn is_joiner(c: char) -> bool {
    matches!(
        c,
        '\'' | '’' | 'ʼ' | '-' | '‐' | '‑' | '.' | ',' | '&' | '/'
    )
}

/// ASCII bytes after a run of ASCII letters and digits that end the token there: anything but
/// a letter or digit, a joiner (see [`is_joiner`]) and `%`. (Bytes of other chars are false.)
static ENDS_PLAIN: [bool; 256] = {
    let mut t = [false; 256];
    let mut b = 0;
    while b < 0x80 {
        let c = b as u8;
        t[b] = !c.is_ascii_alphanumeric()
            && !matches!(c, b'\'' | b'-' | b'.' | b',' | b'&' | b'/' | b'%');
        b += 1;
    }
    t
};

/// True if `s` is a dotted abbreviation without its final dot: single letters separated by
/// dots, e.g. `U.S` or `U.K` or `p.m`.
fn is_dotted_abbreviation(s: &str) -> bool {
    let mut parts = 0;
    for part in s.split('.') {
        let mut chars = part.chars();
        match (chars.next(), chars.next()) {
            (Some(c), None) if c.is_alphabetic() => parts += 1,
            _ => return false,
        }
    }
    parts >= 2
}

/// Splits `text` into word tokens. Never fails, never allocates per token, linear in the input.
pub fn tokenize(text: &str) -> Vec<Span> {
    let mut out = Vec::with_capacity(text.len() / 6);
    tokenize_into(text, &mut out);
    out
}

/// The char starting at byte `i` (ASCII without decoding).
#[inline]
fn char_at(text: &str, i: usize) -> Option<char> {
    let b = *text.as_bytes().get(i)?;
    if b < 0x80 {
        Some(b as char)
    } else {
        text[i..].chars().next()
    }
}

/// [`tokenize`] into a reusable buffer (cleared first).
///
/// Scans bytes and decodes a char only where the byte is not ASCII: English news is almost all
/// ASCII, and this loop is the first stage of every request.
pub fn tokenize_into(text: &str, out: &mut Vec<Span>) {
    out.clear();
    let bytes = text.as_bytes();
    let n = bytes.len();
    let mut i = 0;
    while i < n {
        // ASCII that cannot start a token (spaces, punctuation other than `$`) is skipped
        // without decoding: most of the bytes of an English article.
        let b = bytes[i];
        if b < 0x80 && !ASCII_ALNUM[b as usize] && b != b'$' {
            i += 1;
            continue;
        }
        // Most tokens: ASCII letters and digits up to a byte that can neither join, nor extend,
        // nor end a dotted abbreviation or a percentage (see `ENDS_PLAIN`). The loop below
        // would find the same end.
        if ASCII_ALNUM[b as usize] {
            let mut end = i + 1;
            while end < n && ASCII_ALNUM[bytes[end] as usize] {
                end += 1;
            }
            if end == n || ENDS_PLAIN[bytes[end] as usize] {
                out.push(Span { start: i, end });
                i = end;
                continue;
            }
        }
        let Some(c) = char_at(text, i) else { break };
        let clen = c.len_utf8();
        let starts = is_word_char(c)
            || (is_currency(c) && matches!(char_at(text, i + clen), Some(d) if d.is_ascii_digit()));
        if !starts {
            i += clen;
            continue;
        }
        let start = i;
        let mut end = i + clen;
        let mut prev = c;
        loop {
            // The common case, a run of ASCII letters and digits, byte by byte.
            let run = end;
            while end < n && ASCII_ALNUM[bytes[end] as usize] {
                end += 1;
            }
            if end > run {
                prev = bytes[end - 1] as char;
            }
            let Some(d) = char_at(text, end) else { break };
            let dlen = d.len_utf8();
            if is_word_char(d) {
                end += dlen;
                prev = d;
                continue;
            }
            if is_joiner(d) {
                // A joiner continues the token only when a word character follows it; `.` and
                // `,` only between digits, or `.` inside a dotted abbreviation.
                let joins = match (d, char_at(text, end + dlen)) {
                    (_, None) => false,
                    ('.', Some(a)) => {
                        (prev.is_ascii_digit() && a.is_ascii_digit())
                            || (prev.is_alphabetic()
                                && a.is_alphabetic()
                                && is_single_letter_before(text, start, end)
                                && is_single_letter_after(text, end + 1))
                    }
                    (',', Some(a)) => prev.is_ascii_digit() && a.is_ascii_digit(),
                    ('&' | '/', Some(a)) => {
                        prev.is_alphanumeric() && a.is_alphanumeric() && prev.is_uppercase()
                    }
                    (_, Some(a)) => is_word_char(a),
                };
                if joins {
                    // The next char is a word char (every rule above asks for one), so the
                    // token's end moves past the joiner on the next round.
                    end += dlen;
                    prev = d;
                    continue;
                }
            }
            if d == '%' && prev.is_ascii_digit() {
                end += 1;
            }
            break;
        }
        // Keep the final dot of a dotted abbreviation ("U.S." not "U.S").
        if bytes.get(end) == Some(&b'.') && is_dotted_abbreviation(&text[start..end]) {
            end += 1;
        }
        out.push(Span { start, end });
        i = end;
    }
}

/// The letter just before the dot at `dot` is a one-letter segment of the token.
fn is_single_letter_before(text: &str, token_start: usize, dot: usize) -> bool {
    let seg = &text[token_start..dot];
    let seg = seg.rsplit('.').next().unwrap_or(seg);
    seg.chars().count() == 1
}

/// The segment starting at `pos` is a single letter followed by a dot or a non-word char.
fn is_single_letter_after(text: &str, pos: usize) -> bool {
    let mut chars = text[pos..].chars();
    match (chars.next(), chars.next()) {
        (Some(a), Some(b)) => a.is_alphabetic() && !is_word_char(b),
        (Some(a), None) => a.is_alphabetic(),
        _ => false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn words(text: &str) -> Vec<&str> {
        tokenize(text)
            .iter()
            .map(|s| &text[s.start..s.end])
            .collect()
    }

    #[test]
    fn table() {
        let cases: &[(&str, &[&str])] = &[
            ("Hello world", &["Hello", "world"]),
            (
                "The U.S. and U.N. met.",
                &["The", "U.S.", "and", "U.N.", "met"],
            ),
            ("in the U.S.", &["in", "the", "U.S."]),
            (
                "profit of $1.13bn (£600m)",
                &["profit", "of", "$1.13bn", "£600m"],
            ),
            ("a 30-day window", &["a", "30-day", "window"]),
            ("area of 5 km² today", &["area", "of", "5", "km²", "today"]),
            ("Russia’s army", &["Russia’s", "army"]),
            ("the players' union", &["the", "players", "union"]),
            ("Jean-Claude Juncker", &["Jean-Claude", "Juncker"]),
            ("rose 3.5% to 10,000", &["rose", "3.5%", "to", "10,000"]),
            (
                "“It’s up to Russia now.”",
                &["It’s", "up", "to", "Russia", "now"],
            ),
            ("end.Next", &["end", "Next"]),
            ("AT&T and M&S", &["AT&T", "and", "M&S"]),
            ("at 3 p.m. on", &["at", "3", "p.m.", "on"]),
            ("-- dashes -- only", &["dashes", "only"]),
            ("", &[]),
            ("日本の経済", &["日本の経済"]),
            ("a.b.c.d.", &["a.b.c.d."]),
            ("e.g. this", &["e.g.", "this"]),
            ("Mr. Smith", &["Mr", "Smith"]),
        ];
        for (input, want) in cases {
            assert_eq!(&words(input), want, "input {input:?}");
        }
    }

    #[test]
    fn plain_ends_are_no_joiners() {
        for b in 0..0x80u8 {
            let c = b as char;
            if ENDS_PLAIN[b as usize] {
                assert!(!is_word_char(c) && !is_joiner(c) && c != '%', "{c:?}");
            }
        }
    }

    #[test]
    fn offsets_are_char_boundaries() {
        let text = "Zürich’s “best” café — 5 km² of $3bn";
        for s in tokenize(text) {
            assert!(text.is_char_boundary(s.start) && text.is_char_boundary(s.end));
            assert!(s.start < s.end);
        }
    }
}
