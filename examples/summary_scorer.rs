//! Refits only the learned summary scorer of a model bundle (heads, cleaner and idf kept), for
//! experiments with the scorer's recipe without retraining the whole model:
//!
//! ```sh
//! cargo run --release --example summary_scorer -- models/default SUMMARY.json OUT_DIR
//! ```
//!
//! `SUMMARY.json` is a recipe's `summary` section (paths relative to that file). Then
//! `lede-eval --model OUT_DIR summarize --cv-folds 5 ...` measures it.

use std::path::Path;

use anyhow::Context;
use lede::model::Model;
use lede::train::summary::{self, SummaryRecipe};

fn main() -> anyhow::Result<()> {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let [model_dir, recipe_path, out] = args.as_slice() else {
        anyhow::bail!("usage: summary_scorer MODEL_DIR SUMMARY.json OUT_DIR");
    };
    let model = Model::load(Path::new(model_dir)).context("load the model")?;
    let mut recipe: SummaryRecipe = serde_json::from_str(
        &std::fs::read_to_string(recipe_path).context("read the summary recipe")?,
    )
    .context("parse the summary recipe")?;
    recipe.resolve(Path::new(recipe_path).parent().unwrap_or(Path::new(".")));
    let (scorer, component) = summary::train(&model, &recipe)?;
    let cfg = |k: &str| {
        component
            .config
            .get(k)
            .map_or("-".into(), |v| v.to_string())
    };
    eprintln!(
        "band edges {} penalties {} lead priors {}: CV ROUGE-1/2/L {:.1} / {:.1} / {:.1}",
        cfg("band_edges"),
        cfg("alphas"),
        cfg("lead_priors"),
        100.0 * component.metrics["cv_rouge1"],
        100.0 * component.metrics["cv_rouge2"],
        100.0 * component.metrics["cv_rougeL"]
    );
    let mut meta = model.meta.clone();
    meta.summary_scorer = Some(component);
    // `lede-eval summarize --cv-folds` refits the folds from the bundle's recipe.
    meta.recipe["summary"] = serde_json::to_value(&recipe)?;
    let mut extras = model.extras.clone();
    extras.scorer = Some(scorer);
    let refit = Model::with_extras(meta, model.heads.clone(), extras);
    refit.save(Path::new(out))?;
    Ok(())
}
