//! lede-train as a user runs it: the real binary on fixture files.

use std::process::Command;

use crate::util;

fn train(args: &[&str]) -> std::process::Output {
    Command::new(env!("CARGO_BIN_EXE_lede-train"))
        .args(args)
        .output()
        .expect("run lede-train")
}

#[test]
fn trains_a_topic_only_model_from_jsonl_and_csv() {
    for file in ["tiny_topics.jsonl", "tiny_topics.csv"] {
        let dir = tempfile::tempdir().unwrap();
        let out = dir.path().join("m");
        let data = util::fixture(file);
        let o = train(&[
            "--out",
            out.to_str().unwrap(),
            "--topic-data",
            data.to_str().unwrap(),
            "--name",
            "t",
        ]);
        let err = String::from_utf8_lossy(&o.stderr);
        assert!(o.status.success(), "{err}");
        assert!(
            !err.contains("class_info"),
            "linfa's dbg! output leaked: {err}"
        );
        let m = lede::model::Model::load(&out).unwrap();
        assert_eq!(m.heads.len(), 1);
        assert!(out.join("metrics.json").is_file() && out.join("MODEL_CARD.md").is_file());
        assert!(err.contains("accuracy"), "{err}");
    }
}

#[test]
fn bad_input_fails_with_file_and_line() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("bad.jsonl");
    let mut content = std::fs::read_to_string(util::fixture("tiny_topics.jsonl")).unwrap();
    content.push_str("{\"text\": \"no label here\"}\n");
    std::fs::write(&data, &content).unwrap();
    let out = dir.path().join("m");
    let o = train(&[
        "--out",
        out.to_str().unwrap(),
        "--topic-data",
        data.to_str().unwrap(),
    ]);
    assert!(!o.status.success());
    let err = String::from_utf8_lossy(&o.stderr);
    assert!(
        err.contains("bad.jsonl:37: missing field \"topic\""),
        "{err}"
    );
    // --skip-bad-rows counts and goes on.
    let o = train(&[
        "--out",
        out.to_str().unwrap(),
        "--topic-data",
        data.to_str().unwrap(),
        "--skip-bad-rows",
    ]);
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));

    for (content, want) in [
        (&b""[..], "no rows: the file is empty"),
        (&b"{\"text\": \"\xff\", \"topic\": \"a\"}\n"[..], "empty.jsonl:1: not valid UTF-8"),
        (&b"{\"text\": \"market news\", \"topic\": \"a\"}\n{\"text\": \"market report\", \"topic\": \"b\"}\n"[..], "at least 5 are needed"),
    ] {
        let p = dir.path().join("empty.jsonl");
        std::fs::write(&p, content).unwrap();
        let o = train(&["--out", out.to_str().unwrap(), "--topic-data", p.to_str().unwrap(), "--holdout", "0"]);
        assert!(!o.status.success());
        let err = String::from_utf8_lossy(&o.stderr);
        assert!(err.contains(want), "{want:?} not in {err}");
        assert!(!err.contains("panicked"), "{err}");
    }
    let o = train(&["--out", out.to_str().unwrap()]);
    assert!(!o.status.success());
    assert!(String::from_utf8_lossy(&o.stderr).contains("nothing to train"));
}
