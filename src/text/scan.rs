//! Byte-level scans behind cleaning and the summary features: word counts, lowercasing,
//! duplicate keys, word lookups.
//!
//! Cleaning runs on every call and these run over every line or sentence of every page, so
//! they loop over bytes: a table answers for ASCII (nearly all of an English page) and only
//! other characters are decoded and asked through `char`'s Unicode methods. Each function
//! gives exactly what its `char`-based definition gives (the tests hold the definitions).

/// White space (as `char::is_whitespace`).
pub(crate) const WS: u8 = 1;
/// A letter (`char::is_alphabetic`).
pub(crate) const ALPHA: u8 = 2;
/// An upper-case letter (`char::is_uppercase`).
pub(crate) const UPPER: u8 = 4;
/// A digit (`char::is_numeric`; for ASCII the same as `is_ascii_digit`).
pub(crate) const DIGIT: u8 = 8;
/// A separator of menus and breadcrumbs: `| / • · » ›`.
pub(crate) const SEP: u8 = 16;

/// The classes of each ASCII byte.
pub(crate) static ASCII: [u8; 128] = {
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

/// Whether each byte is an ASCII letter or digit (a lookup is cheaper than the three range
/// tests of `u8::is_ascii_alphanumeric` in the hottest loops).
pub(crate) static ASCII_ALNUM: [bool; 256] = {
    let mut t = [false; 256];
    let mut b = 0;
    while b < 256 {
        t[b] = (b as u8).is_ascii_alphanumeric();
        b += 1;
    }
    t
};

/// The classes of any char (the table for ASCII).
#[inline]
pub(crate) fn class(c: char) -> u8 {
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
pub(crate) fn char_at(s: &str, i: usize) -> char {
    s[i..].chars().next().expect("char boundary")
}

// Eight bytes at a time ("SIMD within a register"): each function below sets the high bit of
// every byte of a little-endian word that is of its kind (never a byte >= 0x80). A byte `x`
// below 0x80 with its high bit set, minus a constant below 0x80, borrows from no other byte
// and keeps its high bit exactly when `x` is at least the constant.
const LO: u64 = 0x0101_0101_0101_0101;
const HI: u64 = 0x8080_8080_8080_8080;

/// Bytes in `lo..=hi` (ASCII; `hi` < 0x7f).
#[inline]
fn bytes_in(x: u64, lo: u8, hi: u8) -> u64 {
    let y = (x & !HI) | HI;
    (y - LO * lo as u64) & !(y - LO * (hi as u64 + 1)) & !x & HI
}

/// ASCII digits.
#[inline]
fn digit_bytes(x: u64) -> u64 {
    bytes_in(x, b'0', b'9')
}

/// ASCII letters and digits.
#[inline]
fn alnum_bytes(x: u64) -> u64 {
    // `| 0x20` lowercases a letter and maps no other byte into `a..=z`.
    bytes_in(x | (LO * 0x20), b'a', b'z') | digit_bytes(x)
}

/// ASCII white space (space and `\t` to `\r`).
#[inline]
fn ws_bytes(x: u64) -> u64 {
    bytes_in(x, b' ', b' ') | bytes_in(x, b'\t', b'\r')
}

/// The eight bytes of `bytes` from `i`, if there are eight.
#[inline]
fn word_at(bytes: &[u8], i: usize) -> Option<u64> {
    Some(u64::from_le_bytes(bytes.get(i..i + 8)?.try_into().ok()?))
}

/// How many bytes of a mask of high bits are set (a multiply sums the bytes into the top one;
/// x86-64 without a `popcnt` target feature would count bits the long way).
#[inline]
fn count_hi(m: u64) -> usize {
    (((m >> 7).wrapping_mul(LO)) >> 56) as usize
}

/// Does `text` hold an ASCII digit? (Eight bytes at a time.)
pub fn has_ascii_digit(text: &str) -> bool {
    let bytes = text.as_bytes();
    let mut chunks = bytes.chunks_exact(8);
    chunks
        .by_ref()
        .any(|c| digit_bytes(u64::from_le_bytes(c.try_into().expect("8 bytes"))) != 0)
        || chunks.remainder().iter().any(u8::is_ascii_digit)
}

/// Does `text` hold a quotation mark: `"`, `“`, `”`, or `'` right after a space? As
/// `text.contains('"') || text.contains('“') || text.contains('”') || text.contains(" '")`, in
/// one pass instead of four (this runs for every summary candidate): memchr finds the bytes that
/// may start one (`"`, `'` and 0xE2, the lead byte of both curly quotes), each checked in place.
pub fn has_quote(text: &str) -> bool {
    let bytes = text.as_bytes();
    memchr::memchr3_iter(b'"', b'\'', 0xE2, bytes).any(|k| match bytes[k] {
        b'"' => true,
        b'\'' => k > 0 && bytes[k - 1] == b' ',
        // `“` is E2 80 9C, `”` E2 80 9D.
        _ => matches!(bytes.get(k + 1..k + 3), Some([0x80, 0x9C | 0x9D])),
    })
}

/// The first byte of `bytes[i..to]` that can start a sentence terminal: `.`, `!`, `?` or
/// 0xE2 (the lead byte of `…`, shared with curly quotes): eight bytes at a time.
pub(crate) fn find_terminal(bytes: &[u8], mut i: usize, to: usize) -> Option<usize> {
    while i + 8 <= to {
        let x = word_at(bytes, i)?;
        // Any byte that is not ASCII is a candidate, checked one by one.
        let mut m = bytes_in(x, b'.', b'.') | bytes_in(x, b'!', b'!') | bytes_in(x, b'?', b'?');
        m |= x & HI;
        while m != 0 {
            let k = i + m.trailing_zeros() as usize / 8;
            if bytes[k] < 0x80 || bytes[k] == 0xE2 {
                return Some(k);
            }
            m &= m - 1;
        }
        i += 8;
    }
    (i..to).find(|&k| matches!(bytes[k], b'.' | b'!' | b'?' | 0xE2))
}

/// A white-space separated word of ASCII bytes that ends within eight bytes of its start (most
/// words), as [`short_word`] finds it.
pub(crate) struct ShortWord {
    /// Bytes of the word.
    pub len: usize,
    /// Its core: from its first to past its last letter or digit, if it has one.
    pub core: Option<(usize, usize)>,
    /// Its first letter is upper case.
    pub capitalised: bool,
    /// The eight bytes from its start (for [`WordSet::contains_low_bytes`]).
    pub chunk: u64,
}

/// The word that starts at byte `i` (not white space) if it is a [`ShortWord`]: one 8-byte
/// load and masks find its end, core and first letter.
#[inline]
pub(crate) fn short_word(bytes: &[u8], i: usize) -> Option<ShortWord> {
    let x = word_at(bytes, i)?;
    if x & HI != 0 {
        return None;
    }
    let ws = ws_bytes(x);
    let len = if ws != 0 {
        ws.trailing_zeros() as usize / 8
    } else if i + 8 == bytes.len() {
        8
    } else {
        return None;
    };
    debug_assert!(len > 0, "a word starts at a byte that is not white space");
    let keep = HI & (!0u64 >> (64 - 8 * len));
    let alnum = alnum_bytes(x) & keep;
    let alpha = bytes_in(x | (LO * 0x20), b'a', b'z') & keep;
    Some(ShortWord {
        len,
        core: (alnum != 0).then(|| {
            (
                alnum.trailing_zeros() as usize / 8,
                (63 - alnum.leading_zeros() as usize) / 8 + 1,
            )
        }),
        capitalised: alpha != 0
            && ((x >> (alpha.trailing_zeros() & !7)) as u8).is_ascii_uppercase(),
        chunk: x,
    })
}

/// Chars of a line by kind (see [`char_counts`]).
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub(crate) struct CharCounts {
    /// Not white space.
    pub visible: usize,
    /// Alphabetic.
    pub letters: usize,
    /// Numeric and not alphabetic.
    pub digits: usize,
    /// [`SEP`] chars.
    pub separators: usize,
}

/// Counts the chars of `text` by kind: pure ASCII stretches eight bytes at a time (the rare
/// ASCII separators `|` and `/` counted on their own), other chars by their class.
pub(crate) fn char_counts(text: &str) -> CharCounts {
    let bytes = text.as_bytes();
    let mut c = CharCounts {
        // One vectorised pass (memchr) over a line that seldom holds either.
        separators: memchr::memchr2_iter(b'|', b'/', bytes).count(),
        ..CharCounts::default()
    };
    let mut i = 0;
    while i < bytes.len() {
        if let Some(x) = word_at(bytes, i).filter(|x| x & HI == 0) {
            c.visible += 8 - count_hi(ws_bytes(x));
            c.letters += count_hi(bytes_in(x | (LO * 0x20), b'a', b'z'));
            c.digits += count_hi(digit_bytes(x));
            i += 8;
            continue;
        }
        let (k, ascii, len) = if bytes[i] < 0x80 {
            (ASCII[bytes[i] as usize], true, 1)
        } else {
            let ch = char_at(text, i);
            (class(ch), false, ch.len_utf8())
        };
        i += len;
        if k & WS != 0 {
            continue;
        }
        c.visible += 1;
        if k & ALPHA != 0 {
            c.letters += 1;
        } else if k & DIGIT != 0 {
            c.digits += 1;
        } else if k & SEP != 0 && !ascii {
            c.separators += 1;
        }
    }
    c
}

/// The end of the white-space separated word that starts at byte `i` (the next white-space
/// char or the end), and whether the word is all ASCII.
pub(crate) fn word_end(text: &str, mut i: usize) -> (usize, bool) {
    let bytes = text.as_bytes();
    let mut ascii = true;
    while i < bytes.len() {
        if let Some(x) = word_at(bytes, i) {
            let stop = ws_bytes(x) | (x & HI);
            if stop == 0 {
                i += 8;
                continue;
            }
            i += stop.trailing_zeros() as usize / 8;
        }
        let b = bytes[i];
        if b < 0x80 {
            if ASCII[b as usize] & WS != 0 {
                break;
            }
            i += 1;
            continue;
        }
        let c = char_at(text, i);
        if c.is_whitespace() {
            break;
        }
        ascii = false;
        i += c.len_utf8();
    }
    (i, ascii)
}

/// Number of white-space separated words of `text` holding a letter or digit (as
/// `text.split_whitespace().filter(|w| w.chars().any(char::is_alphanumeric)).count()`).
pub(crate) fn count_words(text: &str) -> usize {
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

/// Number of white-space separated words of `text` (as `text.split_whitespace().count()`):
/// the word starts, eight ASCII bytes at a time.
pub fn word_count(text: &str) -> usize {
    let bytes = text.as_bytes();
    let (mut n, mut in_word) = (0, false);
    let mut i = 0;
    while i < bytes.len() {
        if let Some(x) = word_at(bytes, i).filter(|x| x & HI == 0) {
            let inside = !ws_bytes(x) & HI;
            let before = (inside << 8) | if in_word { 0x80 } else { 0 };
            n += count_hi(inside & !before);
            in_word = inside >> 63 != 0;
            i += 8;
            continue;
        }
        let b = bytes[i];
        let ws = if b < 0x80 {
            i += 1;
            ASCII[b as usize] & WS != 0
        } else {
            let c = char_at(text, i);
            i += c.len_utf8();
            c.is_whitespace()
        };
        n += (!ws && !in_word) as usize;
        in_word = !ws;
    }
    n
}

/// Is one of the words (runs of alphanumeric chars) of `text` one of `words` (ASCII), ignoring
/// ASCII case? As `text.split(|c: char| !c.is_alphanumeric()).any(|w| words.iter().any(|a|
/// w.eq_ignore_ascii_case(a)))`, with the words of ASCII letters and digits taken in a byte
/// loop (a word with any other char cannot match).
pub fn has_word(text: &str, words: &[&str]) -> bool {
    debug_assert!(words.iter().all(|w| !w.is_empty() && w.is_ascii()));
    // The lengths and first letters of `words`, to pass over most words at a glance.
    let (lengths, firsts) = words.iter().fold((0u64, 0u32), |(l, f), w| {
        (l | 1 << w.len().min(63), f | 1 << (w.as_bytes()[0] & 31))
    });
    let bytes = text.as_bytes();
    alnum_words(text, |a, b, ascii| {
        let w = &bytes[a..b];
        ascii
            && lengths >> w.len().min(63) & 1 != 0
            && firsts >> (w[0] & 31) & 1 != 0
            && words.iter().any(|x| w.eq_ignore_ascii_case(x.as_bytes()))
    })
}

/// A set of short ASCII words (at most 7 bytes each, at most 64 of them), ASCII case ignored:
/// each word is packed into an integer with its length and membership is a binary search
/// over the sorted keys, without allocation. Built at compile time.
pub(crate) struct WordSet {
    keys: [u64; 64],
    len: usize,
    /// The longest word's length.
    longest: usize,
}

impl WordSet {
    /// The key of `w` (lowercased), or `None` if it is empty or longer than 7 bytes: the bytes
    /// little-endian, the length in the top byte.
    const fn key(w: &[u8]) -> Option<u64> {
        if w.is_empty() || w.len() > 7 {
            return None;
        }
        let mut key = (w.len() as u64) << 56;
        let mut i = 0;
        while i < w.len() {
            key |= (w[i].to_ascii_lowercase() as u64) << (8 * i);
            i += 1;
        }
        Some(key)
    }

    pub(crate) const fn new(words: &[&str]) -> WordSet {
        assert!(words.len() <= 64, "at most 64 words");
        let mut keys = [u64::MAX; 64];
        let mut longest = 0;
        let mut i = 0;
        while i < words.len() {
            let b = words[i].as_bytes();
            if b.len() > longest {
                longest = b.len();
            }
            let mut k = 0;
            while k < b.len() {
                assert!(
                    b[k].is_ascii() && !b[k].is_ascii_uppercase(),
                    "lowercase ASCII"
                );
                k += 1;
            }
            keys[i] = match WordSet::key(b) {
                Some(key) => key,
                None => panic!("words of 1 to 7 bytes"),
            };
            i += 1;
        }
        // Insertion sort (const context).
        let mut i = 1;
        while i < words.len() {
            let mut j = i;
            while j > 0 && keys[j - 1] > keys[j] {
                let t = keys[j];
                keys[j] = keys[j - 1];
                keys[j - 1] = t;
                j -= 1;
            }
            i += 1;
        }
        WordSet {
            keys,
            len: words.len(),
            longest,
        }
    }

    /// Is `w`, ASCII-lowercased, one of the words?
    #[inline]
    pub(crate) fn contains(&self, w: &[u8]) -> bool {
        w.len() <= self.longest
            && WordSet::key(w).is_some_and(|k| self.keys[..self.len].binary_search(&k).is_ok())
    }

    /// [`WordSet::contains`] of the `len` low bytes of `x` (ASCII), without a byte loop.
    #[inline]
    pub(crate) fn contains_low_bytes(&self, x: u64, len: usize) -> bool {
        if len == 0 || len > self.longest.min(7) {
            return false;
        }
        // Lowercase: an upper-case letter's high-bit mark, shifted to 0x20.
        let lower = x | (bytes_in(x, b'A', b'Z') >> 2);
        let key = (lower & (!0u64 >> (64 - 8 * len))) | (len as u64) << 56;
        self.keys[..self.len].binary_search(&key).is_ok()
    }
}

/// Appends `text` lowercased, with curly quotes and the modifier apostrophe made straight, to
/// `out`. ASCII runs are copied and lowercased in place; other chars go through
/// `char::to_lowercase`.
pub(crate) fn push_lower(text: &str, out: &mut String) {
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

/// Streaming hash of one word's normalised bytes: eight bytes (little-endian) per step, then
/// the length. [`ascii_word_hash`] hashes an ASCII word the same way, a chunk at a time.
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

/// Calls `f(start, end, ascii)` with the byte range of every word of `text` (maximal run of
/// alphanumeric chars), in order; `ascii`: the word is all ASCII. Stops as soon as `f` returns
/// true, and then returns true. Pure ASCII stretches go eight bytes at a time: a mask of the
/// chunk's letters and digits gives the word ends at once.
#[inline]
pub(crate) fn alnum_words(text: &str, mut f: impl FnMut(usize, usize, bool) -> bool) -> bool {
    let bytes = text.as_bytes();
    // The start of the word being read, or MAX between words.
    let mut start = usize::MAX;
    let mut ascii = true;
    let mut i = 0;
    while i < bytes.len() {
        if let Some(x) = word_at(bytes, i).filter(|x| x & HI == 0) {
            let alnum = alnum_bytes(x);
            let mut p = 0;
            loop {
                if start == usize::MAX {
                    let next = alnum & (!0u64 << (8 * p));
                    if next == 0 {
                        break;
                    }
                    p = next.trailing_zeros() / 8;
                    start = i + p as usize;
                    ascii = true;
                }
                let stop = !alnum & HI & (!0u64 << (8 * p));
                if stop == 0 {
                    break;
                }
                p = stop.trailing_zeros() / 8;
                if f(start, i + p as usize, ascii) {
                    return true;
                }
                start = usize::MAX;
            }
            i += 8;
            continue;
        }
        let c = if bytes[i] < 0x80 {
            bytes[i] as char
        } else {
            char_at(text, i)
        };
        if c.is_alphanumeric() {
            if start == usize::MAX {
                start = i;
                ascii = true;
            }
            ascii &= c.is_ascii();
        } else if start != usize::MAX {
            if f(start, i, ascii) {
                return true;
            }
            start = usize::MAX;
        }
        i += c.len_utf8();
    }
    start != usize::MAX && f(start, bytes.len(), ascii)
}

/// [`WordHash`] of an ASCII word (letters and digits), lowercased, eight bytes at a time.
#[inline]
fn ascii_word_hash(w: &[u8]) -> u64 {
    use std::hash::Hasher;
    let mut h = rustc_hash::FxHasher::default();
    let mut chunks = w.chunks_exact(8);
    for c in &mut chunks {
        h.write_u64(u64::from_le_bytes(c.try_into().expect("8 bytes")) | (LO * 0x20));
    }
    let mut word = 0u64;
    for (k, &b) in chunks.remainder().iter().enumerate() {
        word |= ((b | 0x20) as u64) << (8 * k);
    }
    h.write_u64(word);
    h.write_u64(w.len() as u64);
    h.finish()
}

/// Calls `f` with the [`WordHash`] of every word of `s` (run of alphanumeric chars,
/// lowercased) in order; returns how many alphanumeric chars there were.
#[inline]
fn for_each_word_hash(s: &str, mut f: impl FnMut(u64)) -> usize {
    let bytes = s.as_bytes();
    let mut n = 0;
    alnum_words(s, |a, b, ascii| {
        if ascii {
            n += b - a;
            f(ascii_word_hash(&bytes[a..b]));
            return false;
        }
        let mut w = WordHash::new();
        for c in s[a..b].chars() {
            n += 1;
            for l in c.to_lowercase() {
                let mut tmp = [0u8; 4];
                for &e in l.encode_utf8(&mut tmp).as_bytes() {
                    w.push(e);
                }
            }
        }
        f(w.finish());
        false
    });
    n
}

/// Key for duplicate detection: a hash of the lowercase letters and digits with single spaces
/// between words, and how many letters and digits there were (0 = nothing to compare).
///
/// The normalised text is never built: each word (run of letters and digits) is hashed as it
/// is found and the key hashes the sequence of word hashes, so it is a function of the
/// normalised text alone and costs one pass without allocation. A 64-bit collision between
/// two lines of one article is not a practical risk.
pub(crate) fn dedup_key(s: &str) -> (u64, usize) {
    use std::hash::Hasher;
    let mut key = rustc_hash::FxHasher::default();
    let n = for_each_word_hash(s, |w| key.write_u64(w));
    (key.finish(), n)
}

/// [`dedup_key`] of a block and of each of its sentences (pushed to `out`), in one pass over
/// the sentences: only white space lies between a block's sentences (see
/// [`crate::text::sentences`]), so the block's words are its sentences' words in order.
pub(crate) fn dedup_keys(
    text: &str,
    sentences: &[crate::text::Span],
    out: &mut Vec<(u64, usize)>,
) -> (u64, usize) {
    use std::hash::Hasher;
    let mut block = rustc_hash::FxHasher::default();
    let mut total = 0;
    for s in sentences {
        let mut key = rustc_hash::FxHasher::default();
        let n = for_each_word_hash(&text[s.start..s.end], |w| {
            key.write_u64(w);
            block.write_u64(w);
        });
        out.push((key.finish(), n));
        total += n;
    }
    (block.finish(), total)
}

/// Random short texts over pieces that reach every branch of the scans (ASCII letters,
/// digits, white space and punctuation; letters, digits and spaces that are not ASCII; curly
/// quotes, ellipses, separators, CJK), to compare a scan with its definition.
#[cfg(test)]
pub(crate) fn random_texts(n: usize) -> Vec<String> {
    const PIECES: &[&str] = &[
        "a",
        "b",
        "e",
        "s",
        "t",
        "the",
        "said",
        "Said",
        "A",
        "T",
        "Z",
        "0",
        "7",
        " ",
        "  ",
        "\t",
        "\n",
        "\u{b}",
        ".",
        ",",
        ":",
        "/",
        "|",
        "'",
        "\"",
        "(",
        ")",
        "-",
        "!",
        "?",
        "@",
        "%",
        "é",
        "İ",
        "\u{212a}",
        "\u{a0}",
        "\u{2003}",
        "’",
        "“",
        "”",
        "…",
        "•",
        "»",
        "中",
        "ǅ",
        "½",
        "٣",
        "http",
        "www.",
        "10:30",
        "Mr",
        "U.S",
        "abcdefghij",
    ];
    // xorshift64: reproducible, no dependency.
    let mut state = 0x2545_f491_4f6c_dd1du64;
    let mut next = move || {
        state ^= state << 13;
        state ^= state >> 7;
        state ^= state << 17;
        state as usize
    };
    (0..n)
        .map(|_| {
            let len = next() % 24;
            (0..len).map(|_| PIECES[next() % PIECES.len()]).collect()
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn scans_as_defined_on_random_texts() {
        let mut by_text = std::collections::HashMap::new();
        let mut by_key = std::collections::HashMap::new();
        for t in random_texts(3000) {
            let t = t.as_str();
            let runs: Vec<&str> = t
                .split(|c: char| !c.is_alphanumeric())
                .filter(|w| !w.is_empty())
                .collect();
            let mut found = Vec::new();
            alnum_words(t, |a, b, _| {
                found.push(&t[a..b]);
                false
            });
            assert_eq!(found, runs, "{t:?}");
            for list in [
                &["the", "said"][..],
                &["a", "t", "www"],
                &["abcdefghij", "0"],
            ] {
                let want = runs
                    .iter()
                    .any(|w| list.iter().any(|a| w.eq_ignore_ascii_case(a)));
                assert_eq!(has_word(t, list), want, "{t:?} {list:?}");
            }
            let b = t.as_bytes();
            for i in 0..=b.len() {
                let want = (i..b.len()).find(|&k| matches!(b[k], b'.' | b'!' | b'?' | 0xE2));
                assert_eq!(find_terminal(b, i, b.len()), want, "{t:?} {i}");
            }
            // Duplicate keys: equal exactly when the normalised texts are.
            let normalised = runs
                .iter()
                .map(|w| w.chars().flat_map(char::to_lowercase).collect::<String>())
                .collect::<Vec<_>>()
                .join(" ");
            let (key, n) = dedup_key(t);
            assert_eq!(n, runs.iter().map(|w| w.chars().count()).sum::<usize>());
            assert_eq!(
                *by_text.entry(normalised.clone()).or_insert(key),
                key,
                "{t:?}"
            );
            assert_eq!(*by_key.entry(key).or_insert(normalised.clone()), normalised);
        }
    }

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
        "SAID, he saidé çsaid said2 Said",
        "été va-t-il ÉTÉ",
        "  The\tquick  brown\n\nfox jumps\u{b}over the\u{c}lazy dog, 10,000 times (again)!  x",
        "abcdefghijklmnopqrstuvwxyz0123456789 ABCDEFGHIJKLMNOPQRSTUVWXYZ ...a...b...c...d.e",
        "Home | News / Sport | Weather » Science › Tech • More · Less // a|b/c 12/05/2024 x",
        "averyveryverylongwordwithoutspacesé continuing\u{a0}after\u{2003}the spaces\u{3000}x",
        "Wait… what?! “Yes.” he said. It’s 3.5% — fine? No! End…",
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
    fn word_set_as_a_list() {
        const LIST: &[&str] = &["the", "a", "mr", "u.s.a", "approx", "x1", "abcdefg"];
        const SET: WordSet = WordSet::new(LIST);
        for w in [
            "the", "THE", "tHe", "a", "A", "mr", "Mr.", "u.s.a", "U.S.A", "approx", "APPROX", "x1",
            "abcdefg", "abcdefgh", "", "th", "thee", "é", "thé", "m\u{0}", "approxi",
        ] {
            let listed = LIST
                .iter()
                .any(|l| l.as_bytes().eq_ignore_ascii_case(w.as_bytes()));
            assert_eq!(SET.contains(w.as_bytes()), listed, "{w:?}");
            if w.is_ascii() && w.len() <= 8 {
                let mut chunk = [b'#'; 8];
                chunk[..w.len()].copy_from_slice(w.as_bytes());
                let x = u64::from_le_bytes(chunk);
                assert_eq!(SET.contains_low_bytes(x, w.len()), listed, "{w:?}");
            }
        }
    }

    #[test]
    fn eight_bytes_at_a_time_as_one_at_a_time() {
        for b in 0..=255u8 {
            for k in 0..8 {
                let mut w = [b'x'; 8];
                w[k] = b;
                let x = u64::from_le_bytes(w);
                let bit = |m: u64| m >> (8 * k + 7) & 1 == 1;
                assert_eq!(bit(digit_bytes(x)), b.is_ascii_digit(), "{b}");
                assert_eq!(bit(alnum_bytes(x)), b.is_ascii_alphanumeric(), "{b}");
                assert_eq!(
                    bit(ws_bytes(x)),
                    b < 0x80 && (b as char).is_whitespace(),
                    "{b}"
                );
                // The other bytes are untouched by a neighbour.
                assert_eq!(alnum_bytes(x) & !(0x80 << (8 * k)), HI & !(0x80 << (8 * k)));
            }
        }
        for t in TEXTS {
            let b = t.as_bytes();
            for i in 0..=b.len() {
                for to in i..=b.len() {
                    let want = (i..to).find(|&k| matches!(b[k], b'.' | b'!' | b'?' | 0xE2));
                    assert_eq!(find_terminal(b, i, to), want, "{t:?} {i} {to}");
                }
            }
        }
        for t in TEXTS {
            let mut words = Vec::new();
            alnum_words(t, |a, b, ascii| {
                words.push((&t[a..b], ascii));
                false
            });
            let want: Vec<(&str, bool)> = t
                .split(|c: char| !c.is_alphanumeric())
                .filter(|w| !w.is_empty())
                .map(|w| (w, w.is_ascii()))
                .collect();
            assert_eq!(words, want, "{t:?}");
        }
    }

    #[test]
    fn words_and_lowercase_as_defined() {
        let random = random_texts(3000);
        for t in TEXTS
            .iter()
            .copied()
            .chain(random.iter().map(String::as_str))
        {
            let words = t
                .split_whitespace()
                .filter(|w| w.chars().any(char::is_alphanumeric))
                .count();
            assert_eq!(count_words(t), words, "{t:?}");
            assert_eq!(word_count(t), t.split_whitespace().count(), "{t:?}");
            assert_eq!(has_ascii_digit(t), t.bytes().any(|b| b.is_ascii_digit()));
            assert_eq!(
                has_quote(t),
                t.contains('"') || t.contains('“') || t.contains('”') || t.contains(" '"),
                "{t:?}"
            );
            // `char_counts` is checked through `Line::shape` (clean/lines.rs).
            let mut words = Vec::new();
            let mut i = 0;
            while i < t.len() {
                let c = char_at(t, i);
                if c.is_whitespace() {
                    i += c.len_utf8();
                    continue;
                }
                let (end, ascii) = word_end(t, i);
                assert_eq!(ascii, t[i..end].is_ascii());
                words.push(&t[i..end]);
                i = end;
            }
            assert_eq!(words, t.split_whitespace().collect::<Vec<_>>(), "{t:?}");
            for list in [
                &["the", "said"][..],
                &["it", "s", "over"],
                &["ete", "va"],
                &["zurich", "met"],
            ] {
                let reference = t
                    .split(|c: char| !c.is_alphanumeric())
                    .any(|w| !w.is_empty() && list.iter().any(|a| w.eq_ignore_ascii_case(a)));
                assert_eq!(has_word(t, list), reference, "{t:?} {list:?}");
            }
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
        // The keys of a block's sentences and of the block in one pass, as one by one.
        let random = random_texts(1000);
        for t in TEXTS
            .iter()
            .chain(&[
                "He said so. She said (again) it's over!  \"Yes.\" Then x.y.z 10.5% more… fell.",
                "Mr. Smith went to Zürich.\nIt was ÉTÉ. Done",
            ])
            .copied()
            .chain(random.iter().map(String::as_str))
        {
            for b in crate::text::segment(t) {
                let mut out = Vec::new();
                let block = dedup_keys(t, &b.sentences, &mut out);
                assert_eq!(block, dedup_key(&t[b.span.start..b.span.end]), "{t:?}");
                let each: Vec<_> = b
                    .sentences
                    .iter()
                    .map(|s| dedup_key(&t[s.start..s.end]))
                    .collect();
                assert_eq!(out, each, "{t:?}");
            }
        }
    }
}
