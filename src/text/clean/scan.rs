//! Byte-level scans behind the line rules and features: word counts, lowercasing, duplicate
//! keys.
//!
//! Cleaning runs on every call and each of these runs over every line of every page, so
//! they loop over bytes: a table answers for ASCII (nearly all of an English page) and only
//! other characters are decoded and asked through `char`'s Unicode methods. Each function
//! gives exactly what its `char`-based definition gives (the tests hold the definitions).

/// White space (as `char::is_whitespace`).
pub(super) const WS: u8 = 1;
/// A letter (`char::is_alphabetic`).
pub(super) const ALPHA: u8 = 2;
/// An upper-case letter (`char::is_uppercase`).
pub(super) const UPPER: u8 = 4;
/// A digit (`char::is_numeric`; for ASCII the same as `is_ascii_digit`).
pub(super) const DIGIT: u8 = 8;
/// A separator of menus and breadcrumbs: `| / • · » ›`.
pub(super) const SEP: u8 = 16;

/// The classes of each ASCII byte.
pub(super) static ASCII: [u8; 128] = {
    let mut t = [0u8; 128];
    let mut b = 0;
    while b < 128 {
        let c = b as u8;
        t[b] = match c {
            b' ' | b'\t' | b'\n' | 0x0b | 0x0c | b'\r' => WS,
            b'a'..=b'z' => ALPHA,
            b'A'..=b'Z' => ALPHA | UPPER,
            b'0'..=b'9' => DIGIT,
            b'|' | b'/' => SEP,
            _ => 0,
        };
        b += 1;
    }
    t
};

/// The classes of any char (the table for ASCII).
#[inline]
pub(super) fn class(c: char) -> u8 {
    if c.is_ascii() {
        return ASCII[c as usize];
    }
    let mut k = 0;
    if c.is_whitespace() {
        k |= WS;
    }
    if c.is_alphabetic() {
        k |= ALPHA;
        if c.is_uppercase() {
            k |= UPPER;
        }
    } else if c.is_numeric() {
        k |= DIGIT;
    } else if matches!(c, '•' | '·' | '»' | '›') {
        k |= SEP;
    }
    k
}

/// The char starting at byte `i` of `s` (a char boundary).
#[inline]
pub(super) fn char_at(s: &str, i: usize) -> char {
    s[i..].chars().next().expect("char boundary")
}

/// Number of white-space separated words of `text` holding a letter or digit (as
/// `text.split_whitespace().filter(|w| w.chars().any(char::is_alphanumeric)).count()`).
pub(super) fn count_words(text: &str) -> usize {
    let bytes = text.as_bytes();
    let (mut n, mut alnum) = (0, false);
    let mut i = 0;
    while i < bytes.len() {
        let b = bytes[i];
        let k = if b < 0x80 {
            i += 1;
            ASCII[b as usize]
        } else {
            let c = char_at(text, i);
            i += c.len_utf8();
            class(c)
        };
        if k & WS != 0 {
            n += alnum as usize;
            alnum = false;
        } else if k & (ALPHA | DIGIT) != 0 {
            alnum = true;
        }
    }
    n + alnum as usize
}

/// Appends `text` lowercased, with curly quotes and the modifier apostrophe made straight, to
/// `out`. ASCII runs are copied and lowercased in place; other chars go through
/// `char::to_lowercase`.
pub(super) fn push_lower(text: &str, out: &mut String) {
    let mut rest = text;
    loop {
        let ascii = rest.bytes().position(|b| b >= 0x80).unwrap_or(rest.len());
        let at = out.len();
        out.push_str(&rest[..ascii]);
        out[at..].make_ascii_lowercase();
        rest = &rest[ascii..];
        let Some(c) = rest.chars().next() else { break };
        rest = &rest[c.len_utf8()..];
        match c {
            '’' | '‘' | 'ʼ' => out.push('\''),
            '“' | '”' => out.push('"'),
            c => out.extend(c.to_lowercase()),
        }
    }
}

/// Is the byte an ASCII letter or digit? (Lowercased, such a byte is `b | 0x20`: digits
/// already have that bit.)
#[inline]
fn ascii_alnum(b: u8) -> bool {
    b < 0x80 && ASCII[b as usize] & (ALPHA | DIGIT) != 0
}

/// Streaming hash of one word's normalised bytes: eight bytes (little-endian) per step, then
/// the length. [`dedup_key`]'s fast path hashes whole ASCII words the same way.
struct WordHash {
    h: rustc_hash::FxHasher,
    word: u64,
    len: u32,
    total: u64,
}

impl WordHash {
    fn new() -> Self {
        WordHash {
            h: rustc_hash::FxHasher::default(),
            word: 0,
            len: 0,
            total: 0,
        }
    }

    fn push(&mut self, b: u8) {
        use std::hash::Hasher;
        self.word |= (b as u64) << (8 * self.len);
        self.len += 1;
        self.total += 1;
        if self.len == 8 {
            self.h.write_u64(self.word);
            self.word = 0;
            self.len = 0;
        }
    }

    fn finish(mut self) -> u64 {
        use std::hash::Hasher;
        self.h.write_u64(self.word);
        self.h.write_u64(self.total);
        self.h.finish()
    }
}

/// [`WordHash`] of an ASCII word `w` (letters and digits), lowercased, eight bytes at a time.
#[inline]
fn ascii_word_hash(w: &[u8]) -> u64 {
    use std::hash::Hasher;
    const LOWER: u64 = 0x2020_2020_2020_2020;
    let mut h = rustc_hash::FxHasher::default();
    let mut chunks = w.chunks_exact(8);
    for c in &mut chunks {
        h.write_u64(u64::from_le_bytes(c.try_into().expect("8 bytes")) | LOWER);
    }
    let mut word = 0u64;
    for (k, &b) in chunks.remainder().iter().enumerate() {
        word |= ((b | 0x20) as u64) << (8 * k);
    }
    h.write_u64(word);
    h.write_u64(w.len() as u64);
    h.finish()
}

/// Key for duplicate detection: a hash of the lowercase letters and digits with single spaces
/// between words, and how many letters and digits there were (0 = nothing to compare).
///
/// The normalised text is never built: each word (run of letters and digits) is hashed as it
/// is found (an ASCII word in 8-byte steps) and the key hashes the sequence of word hashes,
/// so it is a function of the normalised text alone and costs one pass without allocation.
/// A 64-bit collision between two lines of one article is not a practical risk.
pub(super) fn dedup_key(s: &str) -> (u64, usize) {
    use std::hash::Hasher;
    let mut key = rustc_hash::FxHasher::default();
    let mut n = 0;
    let bytes = s.as_bytes();
    let mut i = 0;
    while i < bytes.len() {
        let b = bytes[i];
        if ascii_alnum(b) {
            let start = i;
            i += 1;
            while i < bytes.len() && ascii_alnum(bytes[i]) {
                i += 1;
            }
            if i == bytes.len() || bytes[i] < 0x80 || !char_at(s, i).is_alphanumeric() {
                key.write_u64(ascii_word_hash(&bytes[start..i]));
                n += i - start;
                continue;
            }
            // The word goes on with a char that is not ASCII: hash it char by char.
            i = start;
        } else if b < 0x80 {
            i += 1;
            continue;
        } else {
            let c = char_at(s, i);
            if !c.is_alphanumeric() {
                i += c.len_utf8();
                continue;
            }
        }
        let mut w = WordHash::new();
        while i < bytes.len() {
            let c = char_at(s, i);
            if !c.is_alphanumeric() {
                break;
            }
            i += c.len_utf8();
            n += 1;
            for l in c.to_lowercase() {
                let mut tmp = [0u8; 4];
                for &e in l.encode_utf8(&mut tmp).as_bytes() {
                    w.push(e);
                }
            }
        }
        key.write_u64(w.finish());
    }
    (key.finish(), n)
}

#[cfg(test)]
mod tests {
    use super::*;

    const TEXTS: &[&str] = &[
        "",
        " ",
        "  * Home",
        "\"The ministers, who met at 10:30 in Zürich, said (again) it's over.\"",
        "Follow us @lede | News / Sport » More › www.example.com 1:2 12:345",
        "«Ça va», dit-il — ÉTÉ 2019… 3½ 。中文 测试 İstanbul ǅ",
        "...  --  ,, a.b.c THE The the 'the' (the)\u{a0}x\u{2003}y\u{85}z\u{b}w\u{c}v",
        "He said “it’s over” for the CLUB.",
        "٣ ٤ numbers ² ½ Ⅻ x",
    ];

    #[test]
    fn classes_are_chars_own() {
        for c in (0..=0x10ffffu32).filter_map(char::from_u32) {
            let k = class(c);
            assert_eq!(k & WS != 0, c.is_whitespace(), "{c:?}");
            assert_eq!(k & ALPHA != 0, c.is_alphabetic(), "{c:?}");
            assert_eq!(
                k & UPPER != 0,
                c.is_alphabetic() && c.is_uppercase(),
                "{c:?}"
            );
            assert_eq!(
                k & DIGIT != 0,
                !c.is_alphabetic() && c.is_numeric(),
                "{c:?}"
            );
            assert_eq!(
                k & SEP != 0,
                matches!(c, '|' | '•' | '·' | '/' | '»' | '›'),
                "{c:?}"
            );
        }
    }

    #[test]
    fn words_and_lowercase_as_defined() {
        for t in TEXTS {
            let words = t
                .split_whitespace()
                .filter(|w| w.chars().any(char::is_alphanumeric))
                .count();
            assert_eq!(count_words(t), words, "{t:?}");
            let lower: String = t
                .chars()
                .map(|c| match c {
                    '’' | '‘' | 'ʼ' => '\'',
                    '“' | '”' => '"',
                    c => c,
                })
                .flat_map(|c| c.to_lowercase())
                .collect();
            let mut out = String::from("x");
            push_lower(t, &mut out);
            assert_eq!(out, format!("x{lower}"), "{t:?}");
        }
    }

    #[test]
    fn dedup_key_is_a_hash_of_the_normalised_text() {
        // The definition: lowercase letters and digits, single spaces between their runs.
        fn normalised(s: &str) -> (String, usize) {
            let mut out = String::new();
            let mut n = 0;
            for w in s.split(|c: char| !c.is_alphanumeric()) {
                if w.is_empty() {
                    continue;
                }
                if !out.is_empty() {
                    out.push(' ');
                }
                n += w.chars().count();
                out.extend(w.chars().flat_map(char::to_lowercase));
            }
            (out, n)
        }
        for a in TEXTS {
            for b in TEXTS {
                let (na, nb) = (normalised(a), normalised(b));
                assert_eq!(dedup_key(a).1, na.1, "{a:?}");
                assert_eq!(
                    dedup_key(a).0 == dedup_key(b).0,
                    na.0 == nb.0,
                    "{a:?} {b:?}"
                );
            }
        }
        let long = "word ".repeat(200);
        assert_eq!(dedup_key(&long), dedup_key(&long.to_uppercase()));
        assert_ne!(dedup_key("a"), dedup_key("a a"));
        assert_ne!(dedup_key("abcdefgh").0, dedup_key("abcdefgh a").0);
        // A word hashed char by char and one hashed in 8-byte steps: same normalised word.
        assert_eq!(
            dedup_key("\u{212a}elvin-ABCDEFGHIJ"),
            dedup_key("kelvin abcdefghij")
        );
        assert_eq!(dedup_key("Zürich ÉTÉ").0, dedup_key("zürich été").0);
    }
}
