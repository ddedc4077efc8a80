//! A synthetic test set of scraped-looking pages built from clean articles, with ground truth
//! for every line, to measure cleaning's precision and recall of removal (`lede-eval scraped`).
//!
//! Each page: the headline, sometimes a byline, the body paragraphs with a photo caption and a
//! call to action inserted, the headline repeated mid-text, sometimes the whole body pasted again
//! (page template + AMP copy), a "Most Read"-style label with related headlines taken from other
//! articles, and a publisher footer. The chrome phrasings deliberately include wordings that
//! appear nowhere in the cleaner's rules, so the figure is not a test of a phrase list.

/// One line of a generated page and whether cleaning should remove it.
pub struct Line {
    pub text: String,
    pub remove: bool,
}

/// A tiny deterministic generator (SplitMix64), so the test set is the same on every run.
pub struct Rng(u64);

impl Rng {
    pub fn new(seed: u64) -> Self {
        Rng(seed)
    }
    pub fn next_u64(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }
    pub fn pick<'a>(&mut self, xs: &[&'a str]) -> &'a str {
        xs[(self.next_u64() % xs.len() as u64) as usize]
    }
    pub fn chance(&mut self, p: f64) -> bool {
        (self.next_u64() as f64 / u64::MAX as f64) < p
    }
}

const PROMPTS: &[&str] = &[
    "Sign up (it's quick and free) or sign in now.",
    "Would you like to comment on this article?",
    "Please read our Comment Policy before commenting.",
    "Get our morning briefing delivered straight to your inbox",
    "Subscribe for unlimited access to award-winning journalism.",
    "Click here to download our free app.",
    "Share this article on Facebook, Twitter or WhatsApp",
    "Follow us on Instagram for the latest updates.",
    "Advertisement",
    "Continue reading below",
    "Enjoying our coverage? Support independent journalism today.",
    "Register now to keep reading – it takes less than a minute",
];
const LABELS: &[&str] = &[
    "Most Read",
    "Related",
    "More from News",
    "Top Stories",
    "Trending",
    "You may also like",
    "Recommended for you",
];
const BYLINES: &[&str] = &[
    "By Staff Reporter",
    "Reuters",
    "By Jane Smith and Tom Brown",
    "AFP",
    "Associated Press",
    "PA Media",
];
const FOOTERS: &[&str] = &[
    "© 2026 Example Media Group. All rights reserved.",
    "Copyright 2026 The Daily Example Ltd. Registered in England No. 1234567.",
    "© Example Newspapers Limited 2026",
];
const CAPTIONS: &[&str] = &[
    "Picture: John Doe/Getty Images",
    "The scene in the city centre on Tuesday. Photograph: Anna Lee/AP",
    "Photo: Reuters",
    "File photo of the building in London (Reuters)",
];

/// Builds one page from an article; `others` supplies related headlines.
pub fn page(title: &str, text: &str, others: &[&str], rng: &mut Rng) -> Vec<Line> {
    let keep = |t: &str| Line {
        text: t.to_owned(),
        remove: false,
    };
    let drop = |t: &str| Line {
        text: t.to_owned(),
        remove: true,
    };
    let paras: Vec<&str> = text
        .split("\n\n")
        .map(str::trim)
        .filter(|p| !p.is_empty())
        .collect();
    let mut out = vec![keep(title)];
    if rng.chance(0.5) {
        out.push(drop(rng.pick(BYLINES)));
    }
    for (i, p) in paras.iter().enumerate() {
        out.push(keep(p));
        if i == 1 {
            out.push(drop(rng.pick(CAPTIONS)));
        }
        if i == 2 {
            out.push(drop(rng.pick(PROMPTS)));
        }
        if i == paras.len() / 2 && paras.len() > 3 {
            out.push(drop(title));
        }
    }
    if rng.chance(0.5) {
        for p in &paras {
            out.push(drop(p));
        }
    }
    out.push(drop(rng.pick(PROMPTS)));
    out.push(drop(rng.pick(LABELS)));
    let n = 3 + (rng.next_u64() % 3) as usize;
    for _ in 0..n {
        out.push(drop(
            others[(rng.next_u64() % others.len() as u64) as usize],
        ));
    }
    out.push(drop(rng.pick(FOOTERS)));
    out
}
