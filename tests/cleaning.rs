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
