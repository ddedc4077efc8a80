//! The learned summary scorer: trained by lede-train, stored in the bundle, reported by
//! GetModelInfo; version-1 bundles keep the hand-set scorer (issue #13).

use lede::model::{AnalyzeOptions, Model, SummaryOptions};
use lede::server::proto;
use lede::summarize::{Length, Order};
use lede::train::summary::{SummaryData, SummaryRecipe};

use crate::util::{self, TestServer};

fn trained() -> (tempfile::TempDir, std::path::PathBuf) {
    trained_with(&[])
}

/// A tiny model trained by lede-train with a learned scorer, `extra` appended to its arguments.
fn trained_with(extra: &[&str]) -> (tempfile::TempDir, std::path::PathBuf) {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("m");
    let o = std::process::Command::new(env!("CARGO_BIN_EXE_lede-train"))
        .args([
            "--out",
            out.to_str().unwrap(),
            "--name",
            "s",
            "--topic-data",
        ])
        .arg(util::fixture("tiny_topics.jsonl"))
        .arg("--summary-data")
        .arg(util::fixture("tiny_summaries.jsonl"))
        .args(extra)
        .output()
        .expect("run lede-train");
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    (dir, out)
}

fn summary(m: &Model, text: &str) -> Vec<String> {
    let opts = AnalyzeOptions {
        classify: false,
        summary: Some(SummaryOptions {
            length: Length::Sentences(1),
            order: Order::Document,
            scoring: Default::default(),
        }),
        ..Default::default()
    };
    let a = m.analyze("", text, &opts);
    a.summary
        .unwrap()
        .iter()
        .map(|s| text[s.span.start..s.span.end].to_owned())
        .collect()
}

#[test]
fn version_1_bundle_keeps_the_hand_set_scorer() {
    let m = Model::load(&util::fixture("compat-v1")).unwrap();
    assert_eq!(m.meta.format_version, 1);
    assert!(m.extras.scorer.is_none());
    assert_eq!(m.summary_scorer_kind(), "hand-set");
}

#[test]
fn version_2_bundle_loads_its_scorer_as_one_band_and_summarises_as_before() {
    let dir = util::fixture("compat-v2");
    let m = Model::load(&dir).unwrap();
    assert_eq!(m.meta.format_version, 2);
    assert_eq!(m.extras.scorer.as_ref().unwrap().bands.len(), 1);
    assert_eq!(m.summary_scorer_kind(), "learned (logistic regression)");
    // summaries-2.jsonl was written by lede-eval (2 sentences per article) with the build that
    // wrote the fixture (format 2); this build must pick the same sentences.
    let out = tempfile::tempdir().unwrap();
    let got = out.path().join("s.jsonl");
    let o = std::process::Command::new(env!("CARGO_BIN_EXE_lede-eval"))
        .arg("--model")
        .arg(&dir)
        .args(["summarize", "--split", "all", "--sentences", "2", "--data"])
        .arg(util::fixture("tiny_summaries.jsonl"))
        .arg("--out")
        .arg(&got)
        .output()
        .expect("run lede-eval");
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    let want = std::fs::read_to_string(dir.join("summaries-2.jsonl")).unwrap();
    assert_eq!(std::fs::read_to_string(&got).unwrap(), want);
}

#[test]
fn trained_scorer_round_trips_through_save_and_load() {
    let (_dir, out) = trained();
    let m = Model::load(&out).unwrap();
    let scorer = m.extras.scorer.clone().expect("a learned scorer");
    assert_eq!(m.summary_scorer_kind(), "learned (logistic regression)");
    let meta = m.meta.summary_scorer.as_ref().expect("scorer metadata");
    assert_eq!(meta.data[0].rows_used, 19, "the test row is not used");
    assert!(meta.metrics.contains_key("cv_rouge1"));
    // Save again and reload: the same weights, the same summaries.
    let dir2 = tempfile::tempdir().unwrap();
    m.save(dir2.path()).unwrap();
    let again = Model::load(dir2.path()).unwrap();
    assert_eq!(again.extras.scorer.as_ref(), Some(&scorer));
    let text = "Residents gathered outside the town hall in the afternoon. The city council approved a new budget on Monday after a long debate. A spokesman declined to comment further.";
    assert_eq!(summary(&m, text), summary(&again, text));
    let card = std::fs::read_to_string(out.join("MODEL_CARD.md")).unwrap();
    assert!(card.contains("## Summaries"), "{card}");
}

#[test]
fn summary_recipe_is_validated() {
    let mut r = SummaryRecipe::for_files(vec![SummaryData {
        path: "x.jsonl".into(),
        fields: Default::default(),
        skip_bad_rows: false,
        headline_references: false,
    }]);
    assert!(r.check().is_ok());
    r.cv_folds = 1;
    assert!(r.check().unwrap_err().to_string().contains("cv_folds"));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn model_info_says_which_scorer_the_model_has() {
    let (_dir, out) = trained();
    for (model, want) in [
        (out, "learned (logistic regression)"),
        (util::fixture("compat-v1"), "hand-set"),
    ] {
        let s = TestServer::start(util::config_with_model(&model)).await;
        let mut c = s.client().await;
        let info = c
            .get_model_info(proto::GetModelInfoRequest::default())
            .await
            .unwrap()
            .into_inner();
        assert_eq!(info.summary_scorer, want);
        s.stop().await.unwrap();
    }
}

/// A word made of letters only, different for every `n`.
fn word(n: usize) -> String {
    let mut n = n;
    let mut w = String::from("z");
    loop {
        w.push((b'a' + (n % 26) as u8) as char);
        n /= 26;
        if n == 0 {
            return w;
        }
    }
}

/// An article of `sentences` sentences of ten words that no other sentence shares.
fn article(id: usize, sentences: usize) -> Vec<String> {
    (0..sentences)
        .map(|i| {
            let words: Vec<String> = (0..10).map(|w| word((id * 100 + i) * 10 + w)).collect();
            let mut s = words.join(" ");
            s[..2].make_ascii_uppercase();
            s + "."
        })
        .collect()
}

/// Two summary styles that only the compression tells apart: half-length references made of
/// an article's second half, and one-sentence references of long articles that are the lead.
fn two_styles(dir: &std::path::Path) -> std::path::PathBuf {
    let mut rows = String::new();
    for id in 0..60 {
        let (text, summary) = if id % 2 == 0 {
            let a = article(id, 10);
            (a.join(" "), a[5..].join(" "))
        } else {
            let a = article(id, 20);
            (a.join(" "), a[0].clone())
        };
        rows += &serde_json::json!({"text": text, "summary": summary}).to_string();
        rows.push('\n');
    }
    let data = dir.join("styles.jsonl");
    std::fs::write(&data, rows).unwrap();
    let recipe = serde_json::json!({
        "name": "bands",
        "heads": [{
            "name": "topic",
            "data": util::fixture("tiny_topics.jsonl"),
            "fields": {"text": "text", "title": "title", "label": "topic", "split": "split"},
            "nb": {"kind": "multinomial", "alpha": 0.1, "fit_prior": true}
        }],
        "summary": {
            "data": [{"path": data}],
            "alpha_grid": [1.0],
            "cv_folds": 3,
            "band_edges_grid": [[0.75]]
        }
    });
    let path = dir.join("recipe.json");
    std::fs::write(&path, recipe.to_string()).unwrap();
    path
}

fn pick(m: &Model, text: &str, length: Length) -> Vec<usize> {
    let sentences: Vec<&str> = text.split_inclusive(". ").map(str::trim).collect();
    let opts = AnalyzeOptions {
        classify: false,
        summary: Some(SummaryOptions {
            length,
            order: Order::Document,
            scoring: Default::default(),
        }),
        ..Default::default()
    };
    m.analyze("", text, &opts)
        .summary
        .unwrap()
        .iter()
        .map(|s| {
            let got = text[s.span.start..s.span.end].trim();
            sentences.iter().position(|x| *x == got).expect(got)
        })
        .collect()
}

#[test]
fn compression_bands_learn_a_style_per_summary_length() {
    let dir = tempfile::tempdir().unwrap();
    let (o, out) = util::train_recipe(dir.path(), &two_styles(dir.path()));
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    let m = Model::load(&out).unwrap();
    let bands = &m.extras.scorer.as_ref().unwrap().bands;
    assert_eq!(bands.len(), 2);
    assert_eq!(bands[1].min_compression, 0.75);
    let card = std::fs::read_to_string(out.join("MODEL_CARD.md")).unwrap();
    assert!(card.contains("compression >= 0.75"), "{card}");
    // Articles the scorer never saw: a short summary of a long one is its lead, a long
    // summary of a short one its second half.
    let long = article(1001, 20).join(" ");
    assert_eq!(pick(&m, &long, Length::Sentences(1)), [0]);
    let short = article(1002, 10).join(" ");
    assert_eq!(pick(&m, &short, Length::Sentences(5)), [5, 6, 7, 8, 9]);
}

/// The recipe of [`two_styles`] with one key of its summary section set to `value`.
fn two_styles_with(
    dir: &std::path::Path,
    key: &str,
    value: serde_json::Value,
) -> std::path::PathBuf {
    let recipe = two_styles(dir);
    let mut r: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(&recipe).unwrap()).unwrap();
    r["summary"][key] = value;
    std::fs::write(&recipe, r.to_string()).unwrap();
    recipe
}

#[test]
fn band_edges_that_leave_a_band_too_few_articles_are_refused() {
    let dir = tempfile::tempdir().unwrap();
    // Every article compresses by at least 0.5: a band below 0.3 would be empty.
    let recipe = two_styles_with(dir.path(), "band_edges_grid", serde_json::json!([[0.3]]));
    let (o, _) = util::train_recipe(dir.path(), &recipe);
    assert!(!o.status.success());
    let err = String::from_utf8_lossy(&o.stderr);
    assert!(err.contains("band_edges_grid"), "{err}");
    let recipe = two_styles_with(
        dir.path(),
        "band_edges_grid",
        serde_json::json!([[0.8, 0.6]]),
    );
    let (o, _) = util::train_recipe(dir.path(), &recipe);
    assert!(!o.status.success());
    assert!(String::from_utf8_lossy(&o.stderr).contains("ascending"));
}

#[test]
fn repeated_cross_validation_is_recorded_and_zero_repeats_are_refused() {
    let dir = tempfile::tempdir().unwrap();
    let recipe = two_styles_with(dir.path(), "cv_repeats", serde_json::json!(2));
    let (o, out) = util::train_recipe(dir.path(), &recipe);
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    let m = Model::load(&out).unwrap();
    let scorer = m.meta.summary_scorer.as_ref().unwrap();
    assert_eq!(scorer.metrics["cv_repeats"], 2.0);
    let card = std::fs::read_to_string(out.join("MODEL_CARD.md")).unwrap();
    assert!(
        card.contains("repeated 2 times with different folds"),
        "{card}"
    );
    // Both styles are still learned with the choices the pooled folds made.
    let long = article(1001, 20).join(" ");
    assert_eq!(pick(&m, &long, Length::Sentences(1)), [0]);

    let recipe = two_styles_with(dir.path(), "cv_repeats", serde_json::json!(0));
    let (o, _) = util::train_recipe(dir.path(), &recipe);
    assert!(!o.status.success());
    assert!(String::from_utf8_lossy(&o.stderr).contains("cv_repeats must be >= 1"));
}

#[test]
fn headline_references_add_an_untitled_copy_of_each_titled_article() {
    let (_dir, out) = trained();
    let m = Model::load(&out).unwrap();
    let mut recipe = SummaryRecipe::for_files(vec![SummaryData {
        path: util::fixture("tiny_summaries.jsonl"),
        fields: Default::default(),
        skip_bad_rows: false,
        headline_references: true,
    }]);
    recipe.cv_folds = 2;
    let articles = lede::train::summary::load_articles(&m, &recipe).unwrap();
    let (own, copies): (Vec<_>, Vec<_>) = articles.iter().partition(|a| a.group == 0);
    // 19 train rows, each with a title: 19 articles and 19 headline copies (group files + 0).
    assert_eq!((own.len(), copies.len()), (19, 19));
    let title = lede::summarize::features::NAMES
        .iter()
        .position(|n| *n == "title_overlap")
        .unwrap();
    for c in &copies {
        assert_eq!(c.group, 1);
        // Same file and line as its article: the same cross-validation fold.
        let a = own.iter().find(|a| a.line == c.line).expect("its article");
        assert_eq!(c.file, a.file);
        // The headline is the reference, so it is not a feature of the copy.
        assert!(c.features.iter().all(|r| r[title] == 0.0));
        assert_eq!(c.reference_sentences, 1);
    }
    // The articles themselves keep their titles as evidence.
    assert!(own
        .iter()
        .any(|a| a.features.iter().any(|r| r[title] > 0.0)));

    // Titled rows with an empty summary train through their headlines alone, and only then.
    let dir = tempfile::tempdir().unwrap();
    let titles_only = dir.path().join("titles.jsonl");
    std::fs::write(
        &titles_only,
        "{\"title\": \"Council approves budget\", \"summary\": \"\", \"text\": \"The city council approved a new budget on Monday. Residents gathered outside.\"}\n",
    )
    .unwrap();
    let mut only = SummaryRecipe::for_files(vec![SummaryData {
        path: titles_only,
        fields: Default::default(),
        skip_bad_rows: false,
        headline_references: true,
    }]);
    let copies = lede::train::summary::load_articles(&m, &only).unwrap();
    assert_eq!(copies.len(), 1);
    assert_eq!(copies[0].group, 1);
    only.data[0].headline_references = false;
    let err = lede::train::summary::load_articles(&m, &only)
        .err()
        .expect("no summaries, no headline copies")
        .to_string();
    assert!(
        err.contains("no training rows with a text and a summary"),
        "{err}"
    );

    // The trainer's flag: the copies are counted in the metadata and the card, the rows once.
    let (_dir, out) = trained_with(&["--summary-headlines"]);
    let h = Model::load(&out).unwrap();
    let meta = h.meta.summary_scorer.as_ref().unwrap();
    assert_eq!(meta.metrics["headline_references"], 19.0);
    assert_eq!(meta.metrics["articles"], 19.0);
    assert_eq!(meta.data[0].rows_used, 19);
    let card = std::fs::read_to_string(out.join("MODEL_CARD.md")).unwrap();
    assert!(card.contains("Headline references: 19"), "{card}");
}
