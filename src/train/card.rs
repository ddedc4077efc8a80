//! The model card (`MODEL_CARD.md`) a training run writes beside the bundle: human-readable,
//! generated from the model header and the recipe, so it cannot drift from the weights.

use super::{Recipe, TrainError, Trained};
use crate::model::{ComponentMeta, DataFile};

/// The bundle's `MODEL_CARD.md`: what was trained, on which files (sizes and hashes), how the
/// configuration was chosen, and the held-out evaluation. `command` is the command line that
/// reproduces it. `appendix` (the recipe's `card_appendix`, read by [`read_appendix`]) is
/// appended as written.
pub fn model_card(
    recipe: &Recipe,
    trained: &Trained,
    command: &str,
    appendix: Option<&str>,
) -> String {
    let m = &trained.model.meta;
    let mut s = format!("# Model card: {}\n\n", m.version);
    if !recipe.description.is_empty() {
        s += &format!("{}\n\n", recipe.description.trim());
    }
    s += &format!(
        "- Format version: {}\n- Created: {}\n- lede {} (git {})\n- Training time: {:.1} s\n- Reproduce: `{}`\n\n",
        m.format_version,
        m.created_at,
        m.crate_version,
        m.git_commit.as_deref().unwrap_or("unknown"),
        trained.seconds,
        command
    );
    s += "Quality on the test splits, with peers, comes from `bench/eval.sh` (see README \"Quality\").\n\n";
    for h in &m.heads {
        let recipe_head = recipe.heads.iter().find(|r| r.name == h.name);
        s += &format!("## Head `{}`\n\n", h.name);
        s += &format!(
            "- Labels: {}\n- Vocabulary: {} features (TF-IDF: sublinear tf {}, min_df {}, bigrams {})\n- Naive Bayes: {:?}, alpha {}, fitted priors {}\n- Training rows: {}\n",
            h.labels.join(", "),
            h.vocabulary_size,
            h.tfidf.sublinear_tf,
            h.tfidf.min_df,
            h.tfidf.bigrams,
            h.nb.kind,
            h.nb.alpha,
            h.nb.fit_prior,
            h.training_rows
        );
        if let Some(b) = &h.blend {
            s += &format!(
                "- Blended with a second naive Bayes head: {:?}, alpha {}, fitted priors {}. The head is `{} * jll_first / {:.4} + {} * jll_second / {:.4}`: each head's log-posterior at its own out-of-fold softmax temperature, mixed with the first's share {} (chosen by the cross-validation below from {:?}). Source weights: first {:?}, second {:?}\n",
                b.second.kind,
                b.second.alpha,
                b.second.fit_prior,
                b.share,
                b.nb_temperature,
                1.0 - b.share,
                b.second_temperature,
                b.share,
                recipe_head
                    .map(|r| r.blend_share_grid.clone())
                    .unwrap_or_default(),
                b.nb_source_weights,
                b.second_source_weights
            );
            let grid = recipe_head
                .map(|r| r.prior_weight_grid.clone())
                .unwrap_or_default();
            if b.prior_weight != 0.0 || !grid.is_empty() {
                s += &format!(
                    "- Prior weight {} (chosen by the same cross-validation from {:?}): the mix adds `{} * ln p(label)`, `p` the labels' Laplace-smoothed shares of the training rows; a negative weight leans against the desks the training publishers file most\n",
                    b.prior_weight, grid, b.prior_weight
                );
            }
        }
        if let Some(hr) = recipe_head {
            s += &format!("- Multi-label rows: {:?}\n", hr.multi_label);
            if hr.cv_folds > 1 {
                let weights = if hr.source_weight_grid.is_empty() {
                    String::new()
                } else {
                    format!(
                        " and source weights from {:?} ({} candidates)",
                        hr.source_weight_grid,
                        hr.source_weight_grid.len()
                    )
                };
                let variants = if hr.nb_grid.is_empty() {
                    String::new()
                } else {
                    let names: Vec<String> = hr.nb_grid.iter().map(|v| v.to_string()).collect();
                    format!(", the naive Bayes variant from [{}]", names.join(", "))
                };
                let repeats = if hr.cv_repeats > 1 {
                    format!(
                        " ({} repeats, fold seeds {} to {}, pooled)",
                        hr.cv_repeats,
                        hr.seed,
                        // As the fold seeds are made (`train::head`): wrapping.
                        hr.seed.wrapping_add(u64::from(hr.cv_repeats - 1))
                    )
                } else {
                    String::new()
                };
                s += &format!(
                    "- Alpha chosen by {}-fold cross-validation{repeats} on the training rows from {:?}{variants}{weights}, maximising {:?} (macro-F1 {:.4}, accuracy {:.4}; each source's rows scored over that source's labels)\n",
                    hr.cv_folds,
                    hr.alpha_grid,
                    hr.cv_metric,
                    h.metrics.get("cv_macro_f1").copied().unwrap_or(f64::NAN),
                    h.metrics.get("cv_accuracy").copied().unwrap_or(f64::NAN)
                );
            }
            if h.metrics.contains_key("min_df") {
                s += &format!(
                    "- TF-IDF min_df {} chosen from {:?} by the same cross-validation\n",
                    h.tfidf.min_df, hr.min_df_grid
                );
            }
            if h.metrics.contains_key("sublinear_tf") {
                s += &format!(
                    "- TF-IDF sublinear tf {} chosen from {:?} by the same cross-validation\n",
                    h.tfidf.sublinear_tf, hr.sublinear_tf_grid
                );
            }
            if let Some(t) = h.metrics.get("temperature") {
                s += &format!(
                    "- Probabilities calibrated: softmax temperature {t:.4}, fitted on the out-of-fold predictions of that cross-validation (`lede-eval topics` reports the expected calibration error)\n"
                );
            }
            let sourced: Vec<(&String, &f64)> = h
                .metrics
                .iter()
                .filter(|(k, _)| k.ends_with(".weight"))
                .collect();
            for (k, w) in sourced {
                let name = k.trim_end_matches(".weight");
                let get = |m: &str| {
                    h.metrics
                        .get(&format!("{name}.{m}"))
                        .copied()
                        .unwrap_or(f64::NAN)
                };
                s += &format!(
                    "- Source `{name}`: weight {w}; held-out accuracy {:.2}%, macro-F1 {:.2} over its own labels\n",
                    100.0 * get("accuracy"),
                    100.0 * get("macro_f1")
                );
            }
            let chosen = h.metrics.get("gazetteer_weight").map(|w| {
                format!(
                    "weight {w} documents per entry (chosen by the cross-validation from {:?})",
                    hr.gazetteer_weight_grid
                )
            });
            for g in &hr.gazetteers {
                let weight = chosen
                    .clone()
                    .unwrap_or_else(|| format!("weight {} documents per entry", g.weight));
                s += &format!(
                    "- Gazetteer: `{}` as prior evidence, {weight}\n",
                    g.path.display()
                );
            }
        }
        for d in &h.data {
            s += &data_line(d, "rows");
        }
        if let Some(ev) = trained.evaluations.get(&h.name) {
            s += &format!(
                "\nHeld-out evaluation:\n\n```\n{}```\n\n",
                ev.report().to_text()
            );
        } else {
            s += "\nNo held-out rows: no evaluation.\n\n";
        }
    }
    s += &summary_card(m.summary_scorer.as_ref());
    if let Some(a) = appendix {
        s += "\n";
        s += a.trim_end();
        s += "\n";
    }
    s
}

/// Reads the recipe's `card_appendix`, if it names one. Call it before training, so a missing
/// file fails at once rather than after a long run.
pub fn read_appendix(recipe: &Recipe) -> Result<Option<String>, TrainError> {
    let Some(path) = &recipe.card_appendix else {
        return Ok(None);
    };
    std::fs::read_to_string(path)
        .map(Some)
        .map_err(|error| TrainError::Io {
            path: path.clone(),
            error,
        })
}

/// One training file of the model card: path, size, hash prefix and how many `unit` it gave.
fn data_line(d: &DataFile, unit: &str) -> String {
    format!(
        "- Data: `{}` ({} bytes, sha256 {}, {} {unit} used)\n",
        d.path,
        d.bytes,
        &d.sha256[..16],
        d.rows_used
    )
}

/// The summary scorer's section of the card.
fn summary_card(c: Option<&ComponentMeta>) -> String {
    let Some(c) = c else {
        return "## Summaries\n\n- Scorer: hand-set weights (no --summary-data)\n".into();
    };
    let m = |k: &str| c.metrics.get(k).copied().unwrap_or(f64::NAN);
    // Bands and their penalties (a scorer trained before bands records one alpha).
    let bands = match c.config.get("bands").and_then(|b| b.as_array()) {
        Some(bands) => bands
            .iter()
            .map(|b| {
                format!(
                    "compression >= {} (L2 penalty {}, lead prior {}, {} articles)",
                    b["min_compression"],
                    b["alpha"],
                    b.get("lead_prior").unwrap_or(&serde_json::json!(0.0)),
                    b["articles"]
                )
            })
            .collect::<Vec<_>>()
            .join("; "),
        None => format!("one model (L2 penalty {})", m("alpha")),
    };
    let mut s = format!(
        "## Summaries\n\n- Scorer: {} over the sentence features {}\n- Compression bands (one linear model each; bands, penalties and lead priors chosen by {}-fold cross-validation over articles{}): {}\n- CV ROUGE-1/2/L (Rust approximation, mean per file then over files) {:.1} / {:.1} / {:.1}\n- Training: {} articles, {} sentences, {} labelled by the greedy ROUGE oracle\n",
        c.kind,
        c.config["features"],
        m("cv_folds"),
        match c.metrics.get("cv_repeats") {
            Some(r) if *r > 1.0 => format!(", repeated {r} times with different folds"),
            _ => String::new(),
        },
        bands,
        100.0 * m("cv_rouge1"),
        100.0 * m("cv_rouge2"),
        100.0 * m("cv_rougeL"),
        m("articles"),
        m("sentences"),
        m("oracle_sentences"),
    );
    if let Some(n) = c.metrics.get("headline_references").filter(|n| **n > 0.0) {
        s += &format!(
            "- Headline references: {n} titled training articles also trained with their headline as a one-sentence reference (title withheld from that copy's features); a group of their own in the CV figure above\n"
        );
    }
    for d in &c.data {
        s += &data_line(d, "articles");
    }
    s
}
