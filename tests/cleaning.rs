//! Cleaning of scraped pages end to end through the model: chrome must not sway a
//! classification, and a body pasted twice ends up once.

use crate::util::{self, KENYA};

#[test]
fn chrome_does_not_sway_classification() {
    let m = util::model();
    let body = "Shares in the bank rose 5% after quarterly profits beat forecasts, and investors cheered the higher dividend.";
    let chrome = "\nSign up for our sport newsletter\nMost Read\nChampions League final: fans, football, goals and the match report\nPremier League striker scores twice in the derby\nWould you like to comment on this article?";
    let clean = m.analyze("", body, &Default::default());
    let dirty = m.analyze("", &format!("{body}{chrome}"), &Default::default());
    assert_eq!(clean.heads[0].labels[0].label, "business");
    assert_eq!(dirty.heads[0].labels[0].label, "business");
    let p_clean = clean.heads[0].labels[0].probability;
    let p_dirty = dirty.heads[0].labels[0].probability;
    assert!((p_clean - p_dirty).abs() < 1e-9, "{p_clean} vs {p_dirty}");
}

#[test]
fn scraped_page_keeps_article_sentences_once() {
    let m = util::model();
    let a = m.analyze("", KENYA, &Default::default());
    assert_eq!(a.sentences, 4, "headline + 3 body sentences");
    assert!(a.removed.len() >= 5);
}

/// What each removal of the rules-only cleaner took, as (text, reason).
fn removals(text: &str) -> Vec<(&str, &'static str)> {
    lede::text::clean(text, None)
        .removed
        .iter()
        .map(|r| (&text[r.span.start..r.span.end], r.reason.as_str()))
        .collect()
}

const BODY: &str = "Rescue teams searched through the night for survivors after the quake struck the coastal town on Monday, officials said.\nThe government said it would send more troops and medical supplies to the region by Wednesday.";

#[test]
fn issue_11_caption_with_credit_on_the_same_line_is_one_caption() {
    let caption = "Rescuers carry a survivor out of a collapsed building in this still image taken from video released on November 18, 2019. Picture: Agency/Handout via Reuters";
    let text = format!("{BODY}\n{caption}\nAid groups said they were ready to help if asked.");
    assert_eq!(removals(&text), vec![(caption, "caption")]);
    let kept = lede::text::clean(&text, None).kept_text(&text);
    assert!(!kept.contains("still image"), "{kept}");
    assert!(kept.contains("Aid groups said"));
}

#[test]
fn issue_11_related_headlines_after_the_byline_are_chrome() {
    let related = [
        "Earthquake survivors describe night of terror in coastal town",
        "Why the region keeps shaking and what scientists expect next",
        "Government promises rebuilding fund for flattened villages",
    ];
    let text = format!(
        "{BODY}\nReporting by Jane Doe; Editing by John Smith\n{}",
        related.join("\n")
    );
    let got = removals(&text);
    for h in related {
        assert!(
            got.contains(&(h, "related-headlines")),
            "{h:?} not removed as a related headline: {got:?}"
        );
    }
    assert!(got.contains(&("Reporting by Jane Doe; Editing by John Smith", "byline")));
    // The article's own sentences stay.
    assert_eq!(lede::text::clean(&text, None).sentences().count(), 2);
}

#[test]
fn issue_11_publisher_imprint_is_a_footer() {
    let imprint = "Published by Example Media Ltd and distributed with the Sunday Example. Registered in England No. 123456.";
    let text = format!("{BODY}\n{imprint}");
    assert_eq!(removals(&text), vec![(imprint, "footer")]);
    // An article sentence that merely starts the same way stays.
    let book =
        "Published by a small press in 1962, the novel sold only a few hundred copies at first.";
    assert!(removals(&format!("{BODY}\n{book}")).is_empty());
}

/// Hand-made pages in the shape of real ones: a menu, the article, a list of links.
fn menu_page(article: &[&str]) -> (String, String) {
    let menu = "  * Home\n  * World\n  * Business\n  * Sport\n  * Culture\n  * Contact us";
    let links = "  * Privacy\n  * Terms\n  * Advertise with us\n  * Careers";
    let body: Vec<String> = article.iter().map(|p| format!("      {p}")).collect();
    (
        format!("{menu}\n{}\n{links}", body.join("\n")),
        article.join("\n"),
    )
}

#[test]
fn learned_cleaner_from_the_bundle_removes_menus_and_rules_only_bundles_do_not() {
    use lede::train::cleaner::{fit, label_lines, PageLines};
    let articles = [
        [
            "The city council voted on Tuesday to expand the bus network, adding six routes by next summer.",
            "Officials said the plan would cost about four million pounds and be paid for by a parking levy.",
            "Residents in the north of the city have long complained that buses there are slow and rare.",
        ],
        [
            "Farmers in the valley say this year's harvest is the worst in a decade after months of drought.",
            "The regional government has promised emergency payments, but many say the money comes too late.",
            "Some have already sold part of their herds to pay for feed brought in from other provinces.",
        ],
        [
            "A new museum devoted to the history of printing opened its doors to the public on Saturday.",
            "Its collection includes presses from the fifteenth century and thousands of early books.",
            "The director said she hoped schools would use it to teach how ideas spread across Europe.",
        ],
    ];
    let training: Vec<PageLines> = articles
        .iter()
        .enumerate()
        .map(|(i, a)| {
            let (rendered, truth) = menu_page(a);
            let page = lede::eval::aeb::Page {
                id: i.to_string(),
                url: format!("https://site{i}.example/a"),
                site: format!("site{i}.example"),
                rendered,
                truth,
            };
            let (blocks, x) = lede::text::clean::line_features(&page.rendered);
            PageLines {
                site: page.site.clone(),
                y: label_lines(&page, &blocks, 0.5),
                x,
            }
        })
        .collect();
    let refs: Vec<&PageLines> = training.iter().collect();
    let classifier = fit(&refs, 0.1, 200).expect("fits");
    classifier.check().expect("consistent");

    // The shipped model's heads with no line classifier (rules only), and with the one fitted
    // here on the team's pages.
    let shipped = util::model();
    let rules_only = lede::model::Extras {
        cleaner: None,
        ..shipped.extras.clone()
    };
    let base =
        lede::model::Model::with_extras(shipped.meta.clone(), shipped.heads.clone(), rules_only);
    let extras = lede::model::Extras {
        cleaner: Some(classifier),
        ..base.extras.clone()
    };
    let learned = lede::model::Model::with_extras(base.meta.clone(), base.heads.clone(), extras);
    // Saved and loaded back (format 2), the classifier is the same.
    let dir = tempfile::tempdir().unwrap();
    learned.save(dir.path()).unwrap();
    let loaded = lede::model::Model::load(dir.path()).unwrap();
    assert_eq!(loaded.extras.cleaner, learned.extras.cleaner);

    let (page, _) = menu_page(&[
        "The hospital said on Friday it would open a new children's ward next month after a long delay.",
        "Doctors had warned for years that the old ward was too small for the number of patients.",
        "The building work was paid for by a local charity that raised the money over three years.",
    ]);
    let with = loaded.analyze("", &page, &Default::default());
    let chrome: Vec<&str> = with
        .removed
        .iter()
        .filter(|r| r.reason.as_str() == "chrome")
        .map(|r| page[r.span.start..r.span.end].trim())
        .collect();
    assert!(chrome.contains(&"* Home"), "{chrome:?}");
    assert!(chrome.contains(&"* Careers"), "{chrome:?}");
    assert_eq!(
        with.sentences, 3,
        "the article's sentences stay: {chrome:?}"
    );
    let without = base.analyze("", &page, &Default::default());
    assert!(without
        .removed
        .iter()
        .all(|r| r.reason.as_str() != "chrome"));
    assert!(without.sentences > 3, "rules alone keep the menu");
}

/// A summary of the page with three sentences, in document order.
fn summary_of(m: &lede::model::Model, text: &str) -> Vec<String> {
    use lede::model::{AnalyzeOptions, SummaryOptions};
    let opts = AnalyzeOptions {
        classify: false,
        summary: Some(SummaryOptions {
            length: lede::summarize::Length::Sentences(3),
            order: lede::summarize::Order::Document,
            scoring: Default::default(),
        }),
        ..Default::default()
    };
    let a = m.analyze("", text, &opts);
    let kept: Vec<_> = lede::text::clean_with(text, None, m.extras.cleaner.as_ref())
        .sentences()
        .collect();
    a.summary
        .unwrap()
        .iter()
        .map(|s| {
            // `index` counts every kept sentence, candidates or not.
            assert_eq!(kept[s.index], s.span, "{text:?}");
            text[s.span.start..s.span.end].to_owned()
        })
        .collect()
}

#[test]
fn a_summary_of_a_scraped_page_is_made_of_sentences() {
    // What cleaning may keep at the top of a rendered page (a headline, a byline, a date, a
    // share label) is no summary sentence, however near the top it stands.
    let m = util::model();
    let top = "Quake survivors pulled from rubble in coastal town\nBy Jane Doe, Science Writer\n18 NOV 2019\nShare this";
    let text = format!("{top}\n{BODY}\nAid groups said they were ready to help if asked.");
    let got = summary_of(&m, &text);
    assert_eq!(got.len(), 3, "{got:?}");
    for s in &got {
        assert!(lede::text::reads_as_sentence(s), "{s:?} in {got:?}");
        assert!(!top.contains(s.as_str()), "{s:?} in {got:?}");
    }
    // A text without any sentence still gets a summary of its pieces.
    let fragments = "Quake survivors pulled from rubble\nRescue teams search through the night";
    assert!(!summary_of(&m, fragments).is_empty());
}

#[test]
fn an_inline_photo_caption_is_no_summary_sentence() {
    // Agency captions flattened into the story (as news-wire pages and CNN/DailyMail hold them)
    // stay in the text the classifier reads but are never picked for the summary.
    let m = util::model();
    let caption = "Rescuers, left, carry a survivor from a collapsed building, Tuesday, Nov. 19, 2019, in the coastal town.";
    let text = format!("{BODY}\n{caption}\nAid groups said they were ready to help if asked.");
    assert!(lede::text::is_photo_caption(caption));
    let got = summary_of(&m, &text);
    assert_eq!(got.len(), 3, "{got:?}");
    assert!(!got.iter().any(|s| s == caption), "{got:?}");
}

#[test]
fn a_summary_never_repeats_a_sentence_the_vocabulary_cannot_see() {
    // Short repeats may survive cleaning, and a sentence without any term of the model's
    // vocabulary has no TF-IDF vector for redundancy control to compare: it is picked once.
    let m = util::model();
    let repeat = "商品の改造が商標法違反に！？";
    // As on a page of the Article Extraction Benchmark: a numbered breadcrumb, then the title.
    let text = format!("3. {repeat}\n{repeat}\nAid groups said they were ready to help if asked.");
    let kept = lede::text::clean_with(&text, None, m.extras.cleaner.as_ref());
    let copies = kept
        .sentences()
        .filter(|s| &text[s.start..s.end] == repeat)
        .count();
    assert_eq!(
        copies, 2,
        "cleaning keeps the short repeat; the summary must not"
    );
    let got = summary_of(&m, &text);
    // Three candidates asked for, two different ones there.
    assert_eq!(got.iter().filter(|s| *s == repeat).count(), 1, "{got:?}");
    assert_eq!(got.len(), 2, "{got:?}");
}
