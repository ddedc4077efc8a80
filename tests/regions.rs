//! The region head on today's news: articles written for this test (2020s places and people the
//! 1987 Reuters corpus never mentions).

use crate::util;

fn region(text: &str) -> String {
    let m = util::model();
    let a = m.analyze("", text, &Default::default());
    a.heads.iter().find(|h| h.head == "region").unwrap().labels[0]
        .label
        .clone()
}

#[test]
fn modern_articles_land_on_the_right_desk() {
    let cases = [
        ("Kyiv was hit by drones overnight, Ukrainian officials said, as Zelensky urged allies to send more air defence systems to Ukraine.", "europe"),
        ("Nairobi commuters faced long delays after Kenyan bus drivers went on strike over fuel prices.", "africa"),
        ("Fighting in South Sudan forced thousands to flee towards Juba, aid agencies warned.", "africa"),
        ("Brazil's president Lula met farmers in Brasilia to discuss soy exports and protection of the Amazon.", "latin-america"),
        ("Voters in Jakarta queued for hours as Indonesia held its election.", "asia"),
        ("Canberra announced new visa rules, and Australian universities warned of lost income.", "oceania"),
        ("Qatar and Saudi Arabia signed a gas deal in Doha on Sunday.", "middle-east"),
        ("The Federal Reserve in Washington kept rates unchanged, and Wall Street stocks rose.", "north-america"),
        ("Hanoi said Vietnamese exports of electronics grew 20% last year.", "asia"),
        ("Protests spread across Lagos as Nigerian unions demanded higher wages.", "africa"),
    ];
    let mut wrong = Vec::new();
    for (text, want) in cases {
        let got = region(text);
        if got != want {
            wrong.push(format!("{want} -> {got}: {text}"));
        }
    }
    assert!(wrong.is_empty(), "{wrong:#?}");
}
