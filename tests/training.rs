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

/// A recipe named `name` with one topic head over `data` (the fixtures' field names, at least two
/// rows per label), the head's other settings from `head`, written to `dir/recipe.json`.
fn topic_recipe(
    dir: &std::path::Path,
    name: &str,
    data: &std::path::Path,
    head: serde_json::Value,
    top: serde_json::Value,
) -> std::path::PathBuf {
    let mut h = serde_json::json!({
        "name": "topic",
        "data": data,
        "fields": {"text": "text", "title": "title", "label": "topic", "split": "split"},
        "min_examples": 2
    });
    h.as_object_mut()
        .unwrap()
        .extend(head.as_object().unwrap().clone());
    let mut recipe = serde_json::json!({"name": name, "heads": [h]});
    recipe
        .as_object_mut()
        .unwrap()
        .extend(top.as_object().unwrap().clone());
    let path = dir.join("recipe.json");
    std::fs::write(&path, recipe.to_string()).unwrap();
    path
}

/// [`topic_recipe`] trained into `dir/m`, which must succeed: the model directory.
fn train_topic_head(
    dir: &std::path::Path,
    name: &str,
    data: &std::path::Path,
    head: serde_json::Value,
) -> std::path::PathBuf {
    let path = topic_recipe(dir, name, data, head, serde_json::json!({}));
    let (o, out) = util::train_recipe(dir, &path);
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    out
}

/// A recipe whose topic head blends a multinomial and a complement head over two sources, the
/// blend chosen by the transfer-aware cross-validation (issue #12's default topic head).
fn blend_recipe(dir: &std::path::Path, cv_folds: u32) -> std::path::PathBuf {
    // The fixture's rows, alternately into two "publishers".
    let rows = std::fs::read_to_string(util::fixture("tiny_topics.jsonl")).unwrap();
    let (mut a, mut b) = (String::new(), String::new());
    for (i, line) in rows.lines().enumerate() {
        let part = if i % 2 == 0 { &mut a } else { &mut b };
        part.push_str(line);
        part.push('\n');
    }
    std::fs::write(dir.join("a.jsonl"), a).unwrap();
    std::fs::write(dir.join("b.jsonl"), b).unwrap();
    let head = serde_json::json!({
        "extra_data": [{"data": dir.join("b.jsonl"), "name": "b"}],
        "nb": {"kind": "complement", "alpha": 0.3, "fit_prior": true},
        "nb_grid": [{"kind": "multinomial", "fit_prior": false}, {"kind": "complement"}],
        "alpha_grid": [0.1, 1.0],
        "blend_share_grid": [0.0, 0.5, 1.0],
        "cv_metric": "source-and-transfer-accuracy",
        "cv_folds": cv_folds
    });
    topic_recipe(
        dir,
        "blend",
        &dir.join("a.jsonl"),
        head,
        serde_json::json!({}),
    )
}

/// lede-train on [`blend_recipe`] into `dir/m`: its output and the model directory.
fn train_blend(dir: &std::path::Path, cv_folds: u32) -> (std::process::Output, std::path::PathBuf) {
    util::train_recipe(dir, &blend_recipe(dir, cv_folds))
}

#[test]
fn a_blended_topic_head_trains_records_its_mix_and_classifies() {
    let dir = tempfile::tempdir().unwrap();
    let (o, out) = train_blend(dir.path(), 3);
    let err = String::from_utf8_lossy(&o.stderr);
    assert!(o.status.success(), "{err}");
    let meta = lede::model::read_meta(&out.join("model.lede")).unwrap();
    let head = &meta.heads[0];
    let blend = head.blend.as_ref().expect("the head records its blend");
    assert_eq!(head.nb.kind, lede::classify::NbKind::Multinomial);
    assert!(!head.nb.fit_prior);
    assert_eq!(blend.second.kind, lede::classify::NbKind::Complement);
    assert!([0.0, 0.5, 1.0].contains(&blend.share), "{blend:?}");
    assert!(blend.nb_temperature > 0.0 && blend.second_temperature > 0.0);
    let card = std::fs::read_to_string(out.join("MODEL_CARD.md")).unwrap();
    assert!(
        card.contains("Blended with a second naive Bayes head"),
        "{card}"
    );
    let top = topic_labels(
        &out,
        "The striker scored twice as the club won the league match.",
    );
    assert_eq!(top[0].0, "sport", "{top:?}");
}

#[test]
fn a_blend_prior_weight_adds_the_weighted_log_shares_of_the_training_desks() {
    // Source a without its business rows, so the desks' shares differ; the share is fixed so
    // that the two models differ in the prior weight alone.
    let train = |dir: &std::path::Path, weight: f64| {
        let path = blend_recipe(dir, 3);
        let a: String = std::fs::read_to_string(dir.join("a.jsonl"))
            .unwrap()
            .lines()
            .filter(|l| !l.contains("\"topic\": \"business\""))
            .map(|l| format!("{l}\n"))
            .collect();
        std::fs::write(dir.join("a.jsonl"), a).unwrap();
        let mut recipe: serde_json::Value =
            serde_json::from_str(&std::fs::read_to_string(&path).unwrap()).unwrap();
        recipe["heads"][0]["blend_share_grid"] = serde_json::json!([0.5]);
        recipe["heads"][0]["prior_weight_grid"] = serde_json::json!([weight]);
        std::fs::write(&path, recipe.to_string()).unwrap();
        let (o, out) = util::train_recipe(dir, &path);
        assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
        out
    };
    let (d0, d1) = (tempfile::tempdir().unwrap(), tempfile::tempdir().unwrap());
    let (plain, weighted) = (train(d0.path(), 0.0), train(d1.path(), -0.5));
    let meta = lede::model::read_meta(&weighted.join("model.lede")).unwrap();
    assert_eq!(meta.heads[0].blend.as_ref().unwrap().prior_weight, -0.5);
    let card = std::fs::read_to_string(weighted.join("MODEL_CARD.md")).unwrap();
    assert!(card.contains("Prior weight -0.5"), "{card}");
    // Training rows per desk, from the two files the recipe reads.
    let mut count = std::collections::BTreeMap::<String, f64>::new();
    for f in ["a.jsonl", "b.jsonl"] {
        for l in std::fs::read_to_string(d1.path().join(f)).unwrap().lines() {
            let r: serde_json::Value = serde_json::from_str(l).unwrap();
            if r["split"] != "test" {
                *count
                    .entry(r["topic"].as_str().unwrap().into())
                    .or_default() += 1.0;
            }
        }
    }
    let total: f64 = count.values().sum();
    let (p, w) = (
        lede::model::Model::load(&plain).unwrap(),
        lede::model::Model::load(&weighted).unwrap(),
    );
    let (p, w) = (&p.heads[0].nb, &w.heads[0].nb);
    assert_eq!(
        p.weights, w.weights,
        "the prior weight moves the priors only"
    );
    for (k, label) in p.labels.iter().enumerate() {
        let share = (count[label] + 1.0) / (total + count.len() as f64);
        let want = p.log_prior[k] as f64 - 0.5 * share.ln();
        assert!((w.log_prior[k] as f64 - want).abs() < 1e-5, "{label}");
    }
    assert!(count["business"] < count["sport"], "{count:?}");
}

/// The topic head's top three labels and probabilities (best first) for `text` under the title
/// "Cup final", from the model in `dir`.
fn topic_labels(dir: &std::path::Path, text: &str) -> Vec<(String, f64)> {
    let model = lede::model::Model::load(dir).unwrap();
    let opts = lede::model::AnalyzeOptions {
        top_k: 3,
        ..Default::default()
    };
    let a = model.analyze("Cup final", text, &opts);
    a.heads[0]
        .labels
        .iter()
        .map(|l| (l.label.clone(), l.probability))
        .collect()
}

#[test]
fn a_blend_without_cross_validation_is_a_recipe_error() {
    let dir = tempfile::tempdir().unwrap();
    let (o, _) = train_blend(dir.path(), 0);
    assert!(!o.status.success());
    let err = String::from_utf8_lossy(&o.stderr);
    assert!(err.contains("blend_share_grid needs cv_folds > 1"), "{err}");
}

#[test]
fn a_prior_weight_grid_without_a_blend_is_a_recipe_error() {
    let err = blend_recipe_error(3, serde_json::json!({"prior_weight_grid": [-0.2]}));
    assert!(
        err.contains("prior_weight_grid needs blend_share_grid"),
        "{err}"
    );
}

/// lede-train on [`blend_recipe`] without its blend (a blend without CV fails its own check
/// first) and with the head settings `edits`, into `dir/m`.
fn train_without_blend(
    dir: &std::path::Path,
    cv_folds: u32,
    edits: serde_json::Value,
) -> (std::process::Output, std::path::PathBuf) {
    std::fs::create_dir_all(dir).unwrap();
    let path = blend_recipe(dir, cv_folds);
    let mut recipe: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(&path).unwrap()).unwrap();
    let head = recipe["heads"][0].as_object_mut().unwrap();
    head.insert("blend_share_grid".into(), serde_json::json!([]));
    head.extend(edits.as_object().unwrap().clone());
    std::fs::write(&path, recipe.to_string()).unwrap();
    util::train_recipe(dir, &path)
}

/// [`train_without_blend`], which must fail: its stderr.
fn blend_recipe_error(cv_folds: u32, edits: serde_json::Value) -> String {
    let dir = tempfile::tempdir().unwrap();
    let (o, _) = train_without_blend(dir.path(), cv_folds, edits);
    assert!(!o.status.success());
    String::from_utf8_lossy(&o.stderr).into_owned()
}

/// [`train_without_blend`] with the vocabulary grid `field` (`min_df_grid`,
/// `sublinear_tf_grid`) set to `grid`.
fn train_vocabulary_grid(
    dir: &std::path::Path,
    cv_folds: u32,
    field: &str,
    grid: serde_json::Value,
) -> (std::process::Output, std::path::PathBuf) {
    train_without_blend(dir, cv_folds, serde_json::json!({ field: grid }))
}

fn train_min_df_grid(
    dir: &std::path::Path,
    cv_folds: u32,
    grid: &[u32],
) -> (std::process::Output, std::path::PathBuf) {
    train_vocabulary_grid(dir, cv_folds, "min_df_grid", serde_json::json!(grid))
}

#[test]
fn min_df_is_chosen_by_cross_validation_and_recorded() {
    let dir = tempfile::tempdir().unwrap();
    let (o, out) = train_min_df_grid(dir.path(), 3, &[1, 2]);
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    let meta = lede::model::read_meta(&out.join("model.lede")).unwrap();
    let head = &meta.heads[0];
    let chosen = head.metrics["min_df"];
    assert!(chosen == 1.0 || chosen == 2.0, "{chosen}");
    // The stored analyzer configuration is the chosen one, so serving vectorises as CV did.
    assert_eq!(f64::from(head.tfidf.min_df), chosen);
    assert!(head.metrics["cv_score"] > 0.0);
    let card = std::fs::read_to_string(out.join("MODEL_CARD.md")).unwrap();
    assert!(
        card.contains(&format!("TF-IDF min_df {chosen} chosen from [1, 2]")),
        "{card}"
    );
    // A smaller min_df keeps at least as many terms: the grid really refits the vocabulary.
    let (o1, out1) = train_min_df_grid(&dir.path().join("one"), 3, &[1]);
    assert!(
        o1.status.success(),
        "{}",
        String::from_utf8_lossy(&o1.stderr)
    );
    let one = lede::model::read_meta(&out1.join("model.lede")).unwrap();
    assert_eq!(one.heads[0].tfidf.min_df, 1);
    assert!(one.heads[0].vocabulary_size >= head.vocabulary_size);
}

#[test]
fn sublinear_tf_is_chosen_by_cross_validation_and_recorded() {
    let dir = tempfile::tempdir().unwrap();
    let grid = serde_json::json!([true, false]);
    let (o, out) = train_vocabulary_grid(dir.path(), 3, "sublinear_tf_grid", grid);
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    let meta = lede::model::read_meta(&out.join("model.lede")).unwrap();
    let head = &meta.heads[0];
    let chosen = head.metrics["sublinear_tf"] == 1.0;
    // The stored configuration is the chosen one, so serving weighs terms as CV did.
    assert_eq!(head.tfidf.sublinear_tf, chosen);
    let card = std::fs::read_to_string(out.join("MODEL_CARD.md")).unwrap();
    assert!(
        card.contains(&format!(
            "TF-IDF sublinear tf {chosen} chosen from [true, false]"
        )),
        "{card}"
    );
    // The grid shares one vocabulary pass between its values: the head it chose is the head a
    // one-value grid of that choice trains on its own.
    let (o, alone) = train_vocabulary_grid(
        &dir.path().join("alone"),
        3,
        "sublinear_tf_grid",
        serde_json::json!([chosen]),
    );
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    let text = "The striker scored twice in the league.";
    assert_eq!(topic_labels(&out, text), topic_labels(&alone, text));
    // A one-value grid overrides `tfidf.sublinear_tf` (true by default): the grid is applied.
    let (o, out) = train_vocabulary_grid(
        &dir.path().join("off"),
        3,
        "sublinear_tf_grid",
        serde_json::json!([false]),
    );
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    let meta = lede::model::read_meta(&out.join("model.lede")).unwrap();
    assert!(!meta.heads[0].tfidf.sublinear_tf);
    // Without cross-validation there is nothing to choose by.
    let (o, _) = train_vocabulary_grid(
        &dir.path().join("no-cv"),
        0,
        "sublinear_tf_grid",
        serde_json::json!([true, false]),
    );
    assert!(!o.status.success());
    let err = String::from_utf8_lossy(&o.stderr);
    assert!(
        err.contains("sublinear_tf_grid needs cv_folds > 1"),
        "{err}"
    );
}

#[test]
fn a_min_df_grid_needs_cross_validation_and_positive_values() {
    let dir = tempfile::tempdir().unwrap();
    for (folds, grid) in [(0, vec![1, 2]), (3, vec![0, 2])] {
        let (o, _) = train_min_df_grid(dir.path(), folds, &grid);
        assert!(!o.status.success());
        let err = String::from_utf8_lossy(&o.stderr);
        assert!(
            err.contains("min_df_grid needs cv_folds > 1 and values >= 1"),
            "{err}"
        );
    }
}

/// A recipe with a topic head over `tiny_topics.jsonl` and the given `card_appendix`.
fn appendix_recipe(dir: &std::path::Path, appendix: &str) -> std::path::PathBuf {
    let head = serde_json::json!({"nb": {"kind": "complement", "alpha": 0.3, "fit_prior": true}});
    let top = serde_json::json!({"card_appendix": appendix});
    topic_recipe(
        dir,
        "carded",
        &util::fixture("tiny_topics.jsonl"),
        head,
        top,
    )
}

#[test]
fn a_card_appendix_beside_the_recipe_ends_the_generated_model_card() {
    let dir = tempfile::tempdir().unwrap();
    let text = "## Evaluation against peers\n\nHand-written figures, kept across retrains.\n";
    std::fs::write(dir.path().join("EVALUATION.md"), text).unwrap();
    let (o, out) = util::train_recipe(dir.path(), &appendix_recipe(dir.path(), "EVALUATION.md"));
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    let card = std::fs::read_to_string(out.join("MODEL_CARD.md")).unwrap();
    assert!(card.starts_with("# Model card: carded@"), "{card}");
    assert!(card.ends_with(&format!("\n{text}")), "{card}");
    assert!(card.contains("## Head `topic`"), "{card}");
}

#[test]
fn a_missing_card_appendix_fails_before_training_and_names_the_file() {
    let dir = tempfile::tempdir().unwrap();
    let (o, out) = util::train_recipe(dir.path(), &appendix_recipe(dir.path(), "NOPE.md"));
    let err = String::from_utf8_lossy(&o.stderr);
    assert!(!o.status.success());
    assert!(
        err.contains("card_appendix") && err.contains("NOPE.md"),
        "{err}"
    );
    assert!(!err.contains("accuracy"), "it trained first: {err}");
    assert!(!out.join("model.lede").exists());
}

/// A one-configuration topic head over `tiny_topics.jsonl` (one alpha, no grid) with 3-fold CV
/// under fold seed `seed` and `repeats` repeats, trained into `dir/m`: its cv_accuracy.
fn cv_accuracy_of(dir: &std::path::Path, seed: u64, repeats: u32) -> f64 {
    std::fs::create_dir_all(dir).unwrap();
    // Two desks sharing most of their words, so that which fold a row lands in matters.
    let words = [
        "market", "report", "team", "season", "bank", "match", "price", "coach", "trade", "goal",
        "share", "league",
    ];
    let mut state = 7u64;
    let mut next = |n: u64| {
        state = state
            .wrapping_mul(6364136223846793005)
            .wrapping_add(1442695040888963407);
        (state >> 33) % n
    };
    let mut rows = String::new();
    for i in 0..40 {
        let label = if i % 2 == 0 { "business" } else { "sport" };
        let mut text: Vec<&str> = (0..6).map(|_| words[next(12) as usize]).collect();
        // The desk's own word in half the rows, the other desk's in a fifth.
        let (own, other) = if i % 2 == 0 {
            ("profits", "stadium")
        } else {
            ("stadium", "profits")
        };
        match next(10) {
            0..5 => text.push(own),
            5..7 => text.push(other),
            _ => {}
        }
        rows += &serde_json::json!({"text": text.join(" "), "topic": label, "split": "train"})
            .to_string();
        rows.push('\n');
    }
    std::fs::write(dir.join("noisy.jsonl"), rows).unwrap();
    let head = serde_json::json!({
        "nb": {"kind": "multinomial", "alpha": 0.3, "fit_prior": true},
        "cv_folds": 3,
        "cv_repeats": repeats,
        "alpha_grid": [0.3],
        "seed": seed
    });
    let out = train_topic_head(dir, "repeats", &dir.join("noisy.jsonl"), head);
    let meta = lede::model::read_meta(&out.join("model.lede")).unwrap();
    if repeats > 1 {
        assert_eq!(meta.heads[0].metrics["cv_repeats"], f64::from(repeats));
        let card = std::fs::read_to_string(out.join("MODEL_CARD.md")).unwrap();
        assert!(
            card.contains(&format!("({repeats} repeats, fold seeds {seed} to ")),
            "{card}"
        );
    }
    meta.heads[0].metrics["cv_accuracy"]
}

#[test]
fn repeated_cross_validation_pools_the_fold_assignments_of_consecutive_seeds() {
    let dir = tempfile::tempdir().unwrap();
    let a = cv_accuracy_of(&dir.path().join("a"), 42, 1);
    let b = cv_accuracy_of(&dir.path().join("b"), 43, 1);
    let pooled = cv_accuracy_of(&dir.path().join("ab"), 42, 2);
    // The two assignments differ in what they score, so the check below is not vacuous.
    assert!((a - b).abs() > 1e-6, "{a} {b}");
    // Every row is scored once per repeat, so the pooled accuracy is the mean of the two.
    // (The report keeps f32 accuracies.)
    assert!((pooled - (a + b) / 2.0).abs() < 1e-6, "{a} {b} {pooled}");
}

#[test]
fn cv_repeats_needs_cross_validation_and_at_least_one_repeat() {
    for (folds, repeats) in [(3, 0), (0, 2)] {
        let err = blend_recipe_error(folds, serde_json::json!({"cv_repeats": repeats}));
        assert!(
            err.contains("cv_repeats must be >= 1, and above 1 needs cv_folds > 1"),
            "{err}"
        );
    }
}

/// A region-like head trained into `dir/m`: market stories that are mostly north-american, a
/// few european ones naming their country, and a gazetteer of two countries, at the weights of
/// `grid`. Returns the model directory.
fn train_gazetteer_grid(dir: &std::path::Path, grid: &[f64]) -> std::path::PathBuf {
    std::fs::create_dir_all(dir).unwrap();
    let mut rows = String::new();
    for i in 0..30 {
        let (label, text) = if i % 5 == 0 {
            (
                "europe",
                "Shares rose in Paris as France reported quarterly profits.",
            )
        } else if i % 5 == 1 {
            (
                "europe",
                "Berlin said Germany will hold talks on the budget.",
            )
        } else {
            (
                "north-america",
                "Shares rose as the company reported quarterly profits and a dividend.",
            )
        };
        rows += &serde_json::json!({"text": text, "topic": label, "split": "train"}).to_string();
        rows.push('\n');
    }
    std::fs::write(dir.join("wire.jsonl"), rows).unwrap();
    let places = [
        ("France", "French", "Paris", "europe"),
        ("Canada", "Canadian", "Ottawa", "north-america"),
    ]
    .map(|(n, d, c, r)| {
        serde_json::json!({"name": n, "demonyms": [d], "capitals": [c], "region": r}).to_string()
    })
    .join("\n");
    std::fs::write(dir.join("places.jsonl"), places).unwrap();
    let head = serde_json::json!({
        "nb": {"kind": "complement", "alpha": 0.3, "fit_prior": true},
        "cv_folds": 3,
        "alpha_grid": [0.3],
        "gazetteers": [{"path": dir.join("places.jsonl")}],
        "gazetteer_weight_grid": grid
    });
    train_topic_head(dir, "wire", &dir.join("wire.jsonl"), head)
}

#[test]
fn the_gazetteer_weight_is_chosen_by_cross_validation_and_moves_place_evidence() {
    let dir = tempfile::tempdir().unwrap();
    let out = train_gazetteer_grid(&dir.path().join("grid"), &[1.0, 50.0]);
    let meta = lede::model::read_meta(&out.join("model.lede")).unwrap();
    let chosen = meta.heads[0].metrics["gazetteer_weight"];
    assert!(chosen == 1.0 || chosen == 50.0, "{chosen}");
    let card = std::fs::read_to_string(out.join("MODEL_CARD.md")).unwrap();
    assert!(
        card.contains(&format!(
            "weight {chosen} documents per entry (chosen by the cross-validation from [1.0, 50.0])"
        )),
        "{card}"
    );
    // A market story naming a french city: the heavier gazetteer says europe more firmly.
    let text = "Shares rose in Lyon as the French company reported quarterly profits.";
    let europe = |grid: &[f64], name: &str| {
        let out = train_gazetteer_grid(&dir.path().join(name), grid);
        let labels = topic_labels(&out, text);
        labels
            .iter()
            .find(|(l, _)| l == "europe")
            .map_or(0.0, |(_, p)| *p)
    };
    let (light, heavy) = (europe(&[1.0], "light"), europe(&[50.0], "heavy"));
    assert!(heavy > light, "{light} {heavy}");
}

#[test]
fn a_gazetteer_weight_grid_without_gazetteers_is_a_recipe_error() {
    let err = blend_recipe_error(3, serde_json::json!({"gazetteer_weight_grid": [10.0]}));
    assert!(
        err.contains("gazetteer_weight_grid needs cv_folds > 1, gazetteers"),
        "{err}"
    );
}
