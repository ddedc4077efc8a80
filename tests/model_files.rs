//! Model files: the compatibility fixture loads; damage is refused with a clear message.

use lede::model::{self, Model, ModelError};

use crate::util;

#[test]
fn compat_fixture_for_format_v1_loads_and_predicts() {
    let m = Model::load(&util::fixture("compat-v1")).unwrap();
    assert_eq!(m.meta.format_version, 1);
    assert_eq!(m.meta.version, "fixture@6bc2a3065755");
    let a = m.analyze(
        "",
        "The striker scored twice in the cup final.",
        &Default::default(),
    );
    assert_eq!(a.heads[0].labels[0].label, "sport");
}

#[test]
fn metadata_is_readable_without_the_weights() {
    let meta = model::read_meta(&util::default_model()).unwrap();
    assert_eq!(meta.heads.len(), 2);
    assert_eq!(meta.analyzer.language, lede::text::Language::English);
    assert!(meta
        .heads
        .iter()
        .all(|h| !h.data.is_empty() && h.data[0].sha256.len() == 64));
}

fn damaged(edit: impl FnOnce(&mut Vec<u8>)) -> String {
    let dir = tempfile::tempdir().unwrap();
    let mut bytes = std::fs::read(util::fixture("compat-v1/model.lede")).unwrap();
    edit(&mut bytes);
    let p = dir.path().join("model.lede");
    std::fs::write(&p, bytes).unwrap();
    let e = Model::load(&p).unwrap_err();
    let s = e.to_string();
    assert!(s.contains("model.lede"), "message names the file: {s}");
    s
}

#[test]
fn damage_is_refused_with_a_clear_message() {
    assert!(damaged(|b| b[0] = b'X').contains("wrong magic"));
    assert!(damaged(|b| b[8] = 9).contains("format version 9 is not supported"));
    assert!(damaged(|b| b.truncate(b.len() - 10)).contains("truncated"));
    assert!(damaged(|b| b.truncate(20)).contains("truncated"));
    assert!(damaged(|b| {
        let n = b.len();
        b[n - 5] ^= 0x40;
    })
    .contains("checksum mismatch"));
    assert!(damaged(|b| b.clear()).contains("wrong magic"));
}

#[test]
fn empty_directory_is_not_a_model() {
    let dir = tempfile::tempdir().unwrap();
    let e = Model::load(dir.path()).unwrap_err();
    assert!(matches!(e, ModelError::NotFound { .. }), "{e}");
}

#[test]
fn save_and_load_round_trip() {
    let m = Model::load(&util::fixture("compat-v1")).unwrap();
    let dir = tempfile::tempdir().unwrap();
    m.save(dir.path()).unwrap();
    let back = Model::load(dir.path()).unwrap();
    // Saving upgrades a version-1 model to the current format; nothing else changes.
    assert_eq!(back.meta.format_version, lede::model::FORMAT_VERSION);
    assert_eq!(
        back.meta,
        lede::model::ModelMeta {
            format_version: lede::model::FORMAT_VERSION,
            ..m.meta.clone()
        }
    );
    assert_eq!(back.extras, m.extras);
    assert!(back.heads.iter().all(|h| h.temperature == 1.0));
    let text = "Shares in the bank rose after profits beat forecasts.";
    assert_eq!(
        back.analyze("", text, &Default::default()).heads,
        m.analyze("", text, &Default::default()).heads
    );
}

/// The combined feature index used at serving time gives exactly the vectorisers' features.
#[test]
fn index_matches_vectorizers() {
    let m = util::model();
    let texts = [
        util::KENYA,
        "Shares in the bank rose after profits beat forecasts. The central bank held rates.",
        "The striker scored twice as the club won the league match on Saturday in Madrid.",
        "xyzzy unknown-words only 42",
    ];
    // Twice: the first pass fills the per-thread token -> id memo, the second reads it.
    for text in texts.iter().chain(&texts) {
        let a = m.analyze(
            "A title",
            text,
            &lede::model::AnalyzeOptions {
                top_k: 100,
                ..Default::default()
            },
        );
        let cleaned = lede::text::clean(text, Some("A title"));
        let terms = lede::text::document_terms(&m.analyzer, "A title", text, &cleaned);
        for (head, out) in m.heads.iter().zip(&a.heads) {
            // Served probabilities are the softmax at the head's fitted temperature.
            let jll: Vec<f64> = head
                .nb
                .jll(&head.vectorizer.transform(&terms))
                .iter()
                .map(|v| v / head.temperature)
                .collect();
            let p = lede::classify::softmax(&jll);
            for l in &out.labels {
                let i = head.nb.labels.iter().position(|x| *x == l.label).unwrap();
                assert!(
                    (p[i] - l.probability).abs() < 1e-12,
                    "{} {}: {} vs {}",
                    head.name,
                    l.label,
                    p[i],
                    l.probability
                );
            }
        }
    }
}

/// Found by `cargo fuzz run model_file` (artifact oom-977daf...): a header declaring a 4 GiB
/// payload made the loader allocate it before noticing the file is a few bytes long.
#[test]
fn fuzz_oom_declared_length_beyond_file_is_truncation() {
    let p = util::fixture("fuzz/model_file-oom-977daf.lede");
    let e = Model::load(&p).unwrap_err().to_string();
    assert!(
        e.contains("truncated") && e.contains("the header declares"),
        "{e}"
    );
}
