//! A synthetic test set of scraped-looking pages built from clean articles, with ground truth
//! for every line, to measure cleaning's precision and recall of removal (`lede-eval scraped`).
//!
//! Each page: the headline, sometimes a byline, the body paragraphs with a photo caption and a
//! call to action inserted, the headline repeated mid-text, sometimes the whole body pasted again
//! (page template + AMP copy), a "Most Read"-style label with related headlines taken from other
//! articles, and a publisher footer. The chrome phrasings deliberately include wordings that
//! appear nowhere in the cleaner's rules, so the figure is not a test of a phrase list.
//!
//! A page is sent without a separate title, as a scraper would, and cleaned as served (with the
//! model's line classifier when it has one); a line counts as removed when cleaning removed more
//! than half of its bytes.

use std::path::Path;

use super::in_split;
use crate::model::Model;
use crate::train::data::{read_rows, Fields};
use crate::train::TrainError;

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

/// A clean article: title and text.
#[derive(Debug, Clone, PartialEq)]
pub struct Article {
    pub title: String,
    pub text: String,
}

/// The articles of `data` in `split` (`all`: every row), in file order.
pub fn read_articles(data: &Path, split: &str) -> Result<Vec<Article>, TrainError> {
    let mut out = Vec::new();
    let fields = Fields {
        label: "id".into(),
        ..Fields::default()
    };
    read_rows(data, &fields, false, |r| {
        if in_split(split, r.split.as_deref()) {
            out.push(Article {
                title: r.title,
                text: r.text,
            });
        }
        Ok(())
    })?;
    Ok(out)
}

/// A line of a cleaned page: the truth and cleaning's verdict.
#[derive(Debug, Clone, PartialEq)]
pub struct ScoredLine {
    pub text: String,
    /// Cleaning should remove it.
    pub remove: bool,
    /// Cleaning removed (most of) it.
    pub removed: bool,
}

impl ScoredLine {
    /// A line cleaning got wrong, for `--verbose` (None when it got it right).
    pub fn mistake(&self) -> Option<String> {
        (self.remove != self.removed).then(|| {
            format!(
                "{} {:?}",
                if self.removed {
                    "FALSE REMOVAL"
                } else {
                    "MISSED"
                },
                &self.text[..self.text.len().min(100)]
            )
        })
    }
}

/// One generated page after cleaning.
#[derive(Debug, Clone, PartialEq)]
pub struct ScoredPage {
    /// The page as sent: its lines joined by newlines.
    pub text: String,
    pub lines: Vec<ScoredLine>,
}

impl ScoredPage {
    /// The page with its ground truth, for `--dump`: `{"text", "remove": [bool per line]}`.
    pub fn to_json(&self) -> serde_json::Value {
        let truth: Vec<bool> = self.lines.iter().map(|l| l.remove).collect();
        serde_json::json!({"text": self.text, "remove": truth})
    }
}

/// Lines cleaning should remove or keep, by what it did.
#[derive(Debug, Clone, Copy, Default, PartialEq)]
pub struct Removal {
    /// Pages (one per article).
    pub pages: usize,
    /// Chrome removed.
    pub true_removals: usize,
    /// Article lines removed.
    pub false_removals: usize,
    /// Chrome kept.
    pub missed: usize,
    /// Article lines kept.
    pub kept: usize,
}

impl Removal {
    /// Counts one page's lines.
    pub fn add(&mut self, page: &ScoredPage) {
        self.pages += 1;
        for l in &page.lines {
            match (l.remove, l.removed) {
                (true, true) => self.true_removals += 1,
                (false, true) => self.false_removals += 1,
                (true, false) => self.missed += 1,
                (false, false) => self.kept += 1,
            }
        }
    }

    /// Share of removed lines that were chrome (0 when nothing was removed).
    pub fn precision(&self) -> f64 {
        self.true_removals as f64 / (self.true_removals + self.false_removals).max(1) as f64
    }

    /// Share of chrome lines removed (0 when there were none).
    pub fn recall(&self) -> f64 {
        self.true_removals as f64 / (self.true_removals + self.missed).max(1) as f64
    }

    /// Share of article lines kept (0 when there were none).
    pub fn kept_share(&self) -> f64 {
        self.kept as f64 / (self.false_removals + self.kept).max(1) as f64
    }

    /// The printed report (one line); `split` and `seed` say which pages.
    pub fn to_text(&self, split: &str, seed: u64) -> String {
        format!(
            "scraped pages from {} {split} articles (seed {seed}): {} lines to remove, {} to keep; removal precision {:.2}% recall {:.2}%; article lines kept {:.2}%\n",
            self.pages,
            self.true_removals + self.missed,
            self.false_removals + self.kept,
            self.precision() * 100.0,
            self.recall() * 100.0,
            self.kept_share() * 100.0
        )
    }
}

/// Builds the page of article `i` of `articles` (related headlines from the others) and
/// cleans it with `model`'s cleaning.
fn scored_page(model: &Model, articles: &[Article], i: usize, rng: &mut Rng) -> ScoredPage {
    let others: Vec<&str> = articles
        .iter()
        .enumerate()
        .filter(|(j, _)| *j != i)
        .map(|(_, a)| a.title.as_str())
        .collect();
    let lines = page(&articles[i].title, &articles[i].text, &others, rng);
    let text: String = lines
        .iter()
        .map(|l| l.text.as_str())
        .collect::<Vec<_>>()
        .join("\n");
    let cleaned = crate::text::clean_with(&text, None, model.extras.cleaner.as_ref());
    let mut offset = 0;
    let lines = lines
        .into_iter()
        .map(|l| {
            let (a, b) = (offset, offset + l.text.len());
            offset = b + 1;
            let covered: usize = cleaned
                .removed
                .iter()
                .map(|r| r.span.end.min(b).saturating_sub(r.span.start.max(a)))
                .sum();
            ScoredLine {
                removed: covered * 2 > l.text.len(),
                text: l.text,
                remove: l.remove,
            }
        })
        .collect();
    ScoredPage { text, lines }
}

/// Generates one page per article from `seed`, cleans each with `model` and counts the lines;
/// `each` sees every page as it goes (for printing mistakes or dumping the pages) and stops the
/// run with its error.
pub fn evaluate<E>(
    model: &Model,
    articles: &[Article],
    seed: u64,
    mut each: impl FnMut(&ScoredPage) -> Result<(), E>,
) -> Result<Removal, E> {
    let mut rng = Rng::new(seed);
    let mut counts = Removal::default();
    for i in 0..articles.len() {
        let page = scored_page(model, articles, i, &mut rng);
        counts.add(&page);
        each(&page)?;
    }
    Ok(counts)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn articles() -> Vec<Article> {
        (0..4)
            .map(|i| Article {
                title: format!("Headline number {i} about the council budget"),
                text: (0..5)
                    .map(|p| {
                        format!("Paragraph {p} of article {i} says something about the budget.")
                    })
                    .collect::<Vec<_>>()
                    .join("\n\n"),
            })
            .collect()
    }

    #[test]
    fn rng_is_splitmix64() {
        // SplitMix64 from seed 0: the reference sequence's first two outputs.
        let mut r = Rng::new(0);
        assert_eq!(r.next_u64(), 0xE220_A839_7B1D_CDAF);
        assert_eq!(r.next_u64(), 0x6E78_9E6A_A1B9_65F4);
    }

    #[test]
    fn pages_keep_the_article_and_mark_the_chrome() {
        let a = articles();
        let others: Vec<&str> = a[1..].iter().map(|x| x.title.as_str()).collect();
        let lines = page(&a[0].title, &a[0].text, &others, &mut Rng::new(1));
        let kept: Vec<&str> = lines
            .iter()
            .filter(|l| !l.remove)
            .map(|l| l.text.as_str())
            .collect();
        let mut want = vec![a[0].title.as_str()];
        want.extend(a[0].text.split("\n\n"));
        assert_eq!(kept, want);
        // Caption, prompt, repeated headline, prompt, label, >= 3 related headlines, footer.
        assert!(lines.iter().filter(|l| l.remove).count() >= 9);
        // The same seed gives the same page.
        let again = page(&a[0].title, &a[0].text, &others, &mut Rng::new(1));
        let texts = |v: &[Line]| v.iter().map(|l| l.text.clone()).collect::<Vec<_>>();
        assert_eq!(texts(&lines), texts(&again));
    }

    #[test]
    fn counts_and_rates() {
        let line = |remove, removed| ScoredLine {
            text: "x".into(),
            remove,
            removed,
        };
        let page = ScoredPage {
            text: String::new(),
            lines: vec![
                line(true, true),
                line(true, true),
                line(true, false),
                line(false, true),
                line(false, false),
                line(false, false),
                line(false, false),
            ],
        };
        let mut c = Removal::default();
        c.add(&page);
        assert_eq!(
            (c.pages, c.true_removals, c.false_removals, c.missed, c.kept),
            (1, 2, 1, 1, 3)
        );
        assert!((c.precision() - 2.0 / 3.0).abs() < 1e-12);
        assert!((c.recall() - 2.0 / 3.0).abs() < 1e-12);
        assert!((c.kept_share() - 0.75).abs() < 1e-12);
        assert_eq!(
            c.to_text("test", 1),
            "scraped pages from 1 test articles (seed 1): 3 lines to remove, 4 to keep; removal precision 66.67% recall 66.67%; article lines kept 75.00%\n"
        );
        assert_eq!(line(true, true).mistake(), None);
        assert_eq!(line(false, true).mistake().unwrap(), "FALSE REMOVAL \"x\"");
        assert_eq!(line(true, false).mistake().unwrap(), "MISSED \"x\"");
        assert_eq!(Removal::default().precision(), 0.0);
    }
}
