//! Photo captions written inline, as a sentence among the article's: the news-agency caption
//! conventions that article prose does not use.
//!
//! - a position marker naming who stands where, set off by commas after a name ("Mark Esper,
//!   left, and Ngo Xuan Lich shake hands") or in brackets ("Vanessa (left)", "(l-r)",
//!   "Alien (pictured)");
//! - the caption dateline, weekday then full date ("... during a campaign stop, Tuesday, Nov.
//!   19, 2019, in Columbia, S.C."): prose writes "on Tuesday".
//!
//! Cleaning keeps them (a caption is about the story, and the classifier may read it); the
//! summariser does not pick them (`summarize::is_candidate`).
//!
//! Captions by tense (present tense with a day, "Iraqis gather at the site on Wednesday") were
//! tried and left out: British prose uses the same form for what is to come ("Radcliffe faces
//! her biggest test on Sunday"), often in the lead.

use std::sync::LazyLock;

use memchr::memmem::Finder;

/// Position words set off by commas after a name (each follows ", " and ends in ",").
const BETWEEN_COMMAS: &[&str] = &[
    "left,",
    "right,",
    "center,",
    "centre,",
    "second left,",
    "second right,",
    "second from left,",
    "second from right,",
    "far left,",
    "far right,",
    "front row,",
    "back row,",
];

/// Position words in brackets (each follows "("; ASCII case ignored).
const IN_BRACKETS: &[&str] = &[
    "left)",
    "right)",
    "center)",
    "centre)",
    "l-r)",
    "r-l)",
    "from left)",
    "pictured)",
    "file photo)",
];

/// Weekdays without their common "day" ending (the date search looks for "day, ").
const WEEKDAYS: &[&str] = &["Mon", "Tues", "Wednes", "Thurs", "Fri", "Satur", "Sun"];

/// Months as the agencies write them in a date (abbreviated with a full stop, or short).
const MONTHS: &[&str] = &[
    "Jan.",
    "Feb.",
    "March",
    "April",
    "May",
    "June",
    "July",
    "Aug.",
    "Sept.",
    "Oct.",
    "Nov.",
    "Dec.",
    "January",
    "February",
    "August",
    "September",
    "October",
    "November",
    "December",
];

static DAY_COMMA: LazyLock<Finder<'static>> = LazyLock::new(|| Finder::new("day, "));

/// Is the word ending just before byte `end` of `s` capitalised (a name)?
fn name_before(s: &str, end: usize) -> bool {
    let word = s[..end]
        .rsplit(|c: char| c.is_whitespace())
        .next()
        .unwrap_or("");
    word.chars()
        .find(|c| c.is_alphabetic())
        .is_some_and(char::is_uppercase)
}

/// Does `rest` start with a month, a day and a year ("Nov. 19, 2019")?
fn full_date(rest: &str) -> bool {
    let Some(after) = MONTHS.iter().find_map(|m| rest.strip_prefix(m)) else {
        return false;
    };
    let Some(after) = after.strip_prefix(' ') else {
        return false;
    };
    let day = after.bytes().take_while(u8::is_ascii_digit).count();
    if !(1..=2).contains(&day) {
        return false;
    }
    let Some(year) = after[day..].strip_prefix(", ") else {
        return false;
    };
    year.bytes().take_while(u8::is_ascii_digit).count() == 4
}

fn starts_with_ignore_ascii_case(s: &[u8], prefix: &str) -> bool {
    s.len() >= prefix.len() && s[..prefix.len()].eq_ignore_ascii_case(prefix.as_bytes())
}

/// Does `sentence` follow a photo caption's conventions (see the module docs)?
///
/// Hand-rolled over memchr's searches rather than one Aho-Corasick pass over every phrase: it
/// runs on every kept sentence of every summarised text, and the phrases hang on three rare
/// bytes or strings ("(", ", " before a position word, "day, "), so looking there alone costs
/// a tenth of the automaton.
pub fn is_photo_caption(sentence: &str) -> bool {
    let b = sentence.as_bytes();
    let bracket = memchr::memchr_iter(b'(', b).any(|i| {
        IN_BRACKETS
            .iter()
            .any(|p| starts_with_ignore_ascii_case(&b[i + 1..], p))
    });
    // Case matters here: a lower-case position word after a name.
    let commas = || {
        memchr::memchr_iter(b',', b).any(|i| {
            b[i + 1..].starts_with(b" ")
                && BETWEEN_COMMAS
                    .iter()
                    .any(|p| b[i + 2..].starts_with(p.as_bytes()))
                && name_before(sentence, i)
        })
    };
    let dated = || {
        DAY_COMMA.find_iter(b).any(|i| {
            WEEKDAYS.iter().any(|w| {
                sentence[..i].ends_with(w)
                    && sentence[..i - w.len()]
                        .chars()
                        .next_back()
                        .is_none_or(|c| !c.is_alphanumeric())
            }) && full_date(&sentence[i + 5..])
        })
    };
    bracket || commas() || dated()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn agency_captions_and_article_prose() {
        for caption in [
            "U.S. Defense Secretary Mark Esper, left, and Vietnamese Defense Minister Ngo Xuan Lich shake hands in Hanoi.",
            "Former Massachusetts Gov. Deval Patrick speaks with a business owner during a campaign stop, Tuesday, Nov. 19, 2019, in Columbia, S.C.",
            "Susana Clar, with daughters Vanessa (left) and Virna (center), says the labels are limiting.",
            "Larry King poses with (l-r) Paul McCartney and Ringo Starr in Las Vegas.",
            "Once the preserve of science fiction, through films such as Alien (pictured), hibernation is being studied.",
            "Augustin Binya, right, lunges towards Celtic midfielder Scott Brown.",
        ] {
            assert!(is_photo_caption(caption), "{caption:?}");
        }
        for prose in [
            "Sound seems to come from the left, right, and behind a listener.",
            "A poster pictured the prime minister and Mr Brown.",
            "Paula Radcliffe faces the biggest test of her career on Sunday.",
            "The vote is on Tuesday, and results follow on Wednesday, officials said.",
            "The company was founded on Monday, March 3, officials said.",
            "Turn left, then right, at the station.",
        ] {
            assert!(!is_photo_caption(prose), "{prose:?}");
        }
    }
}
