//! The learned summary scorer: trained by lede-train, stored in the bundle, reported by
//! GetModelInfo; version-1 bundles keep the hand-set scorer (issue #13).

use lede::model::{AnalyzeOptions, Model, SummaryOptions};
use lede::server::proto;
use lede::summarize::{Length, Order};
use lede::train::summary::{SummaryData, SummaryRecipe};

use crate::util::{self, TestServer};

fn trained() -> (tempfile::TempDir, std::path::PathBuf) {
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
