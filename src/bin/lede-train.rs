//! `lede-train`: labelled JSONL/CSV files -> a model bundle directory.
//!
//! Without a recipe: `lede-train --out DIR --topic-data FILE --region-data FILE` (either may be
//! left out). With `--recipe FILE` (JSON, see models/default/recipe.json) everything comes from
//! the recipe, which is how the shipped default model is reproduced.

use std::path::PathBuf;

use anyhow::{bail, Context, Result};
use clap::Parser;
use lede::classify::{NbKind, NbParams};
use lede::features::TfidfConfig;
use lede::text::{AnalyzerConfig, Language};
use lede::train::summary::{SummaryData, SummaryFields, SummaryRecipe};
use lede::train::{self, Fields, Gazetteer, HeadRecipe, MultiLabel, Recipe};

#[derive(Parser, Debug)]
#[command(
    version,
    about = "Train Lede's TF-IDF + naive Bayes heads and write a model bundle"
)]
struct Args {
    /// Output bundle directory (created; model.lede, metrics.json and MODEL_CARD.md are written).
    #[arg(long)]
    out: PathBuf,
    /// A JSON recipe with every setting; the other training flags are then not allowed.
    #[arg(long, conflicts_with_all = ["topic_data", "region_data", "summary_data"])]
    recipe: Option<PathBuf>,
    /// Topic training data (.jsonl or .csv) with fields text, optional title, and the topic label.
    #[arg(long)]
    topic_data: Option<PathBuf>,
    /// Region training data (.jsonl or .csv); the region field may be a string or a list.
    #[arg(long)]
    region_data: Option<PathBuf>,
    /// Articles with reference summaries (.jsonl or .csv: text, optional title, summary) to fit
    /// the learned sentence scorer on; repeatable. Without it summaries use hand-set weights.
    #[arg(long)]
    summary_data: Vec<PathBuf>,
    /// Field holding the reference summary (with --summary-data).
    #[arg(long, default_value = "summary")]
    summary_field: String,
    /// With --summary-data: also train the scorer on each titled article with its headline
    /// as a one-sentence reference (the title withheld from that copy's features), so that a
    /// scorer fitted on long reference summaries still learns what a very short one keeps.
    #[arg(long)]
    summary_headlines: bool,
    /// Model name (the served version is NAME@hash).
    #[arg(long, default_value = "custom")]
    name: String,
    /// Field holding the article body.
    #[arg(long, default_value = "text")]
    text_field: String,
    /// Field holding the headline (optional in the data).
    #[arg(long, default_value = "title")]
    title_field: String,
    /// Field holding the topic label.
    #[arg(long, default_value = "topic")]
    topic_field: String,
    /// Field holding the region label(s); `regions` (list) and `region` (string) both work.
    #[arg(long, default_value = "regions")]
    region_field: String,
    /// Field marking rows as train/test.
    #[arg(long, default_value = "split")]
    split_field: String,
    /// Fraction held out for evaluation when the data has no split field.
    #[arg(long, default_value_t = 0.1)]
    holdout: f64,
    /// Seed of the holdout draw.
    #[arg(long, default_value_t = 42)]
    seed: u64,
    /// Count and skip malformed rows instead of stopping at the first.
    #[arg(long)]
    skip_bad_rows: bool,
    /// Gazetteer JSONL (`name`, optional `official_name`, `demonyms[]`, `capitals[]`, and
    /// `region`) added to the region head as prior evidence; repeatable.
    #[arg(long)]
    gazetteer: Vec<PathBuf>,
    /// Naive Bayes smoothing.
    #[arg(long, default_value_t = 0.03)]
    alpha: f64,
    /// Choose alpha by k-fold cross-validation on the training rows from --alphas.
    #[arg(long, default_value_t = 0)]
    cv_folds: u32,
    /// Candidate alphas for --cv-folds, comma-separated.
    #[arg(
        long,
        value_delimiter = ',',
        default_value = "0.003,0.01,0.03,0.1,0.3,1"
    )]
    alphas: Vec<f64>,
    /// Use complement naive Bayes for the region head.
    #[arg(long)]
    region_complement: bool,
    /// Add word bigrams to the features.
    #[arg(long)]
    bigrams: bool,
    /// Minimum document frequency of a term.
    #[arg(long, default_value_t = 2)]
    min_df: u32,
    /// Maximum vocabulary size per head.
    #[arg(long, default_value_t = 100_000)]
    max_features: usize,
    /// Snowball stemmer language (stop words follow it).
    #[arg(long, default_value = "english")]
    language: String,
}

fn recipe_from_flags(a: &Args) -> Result<Recipe> {
    let language: Language =
        serde_json::from_value(serde_json::Value::String(a.language.to_lowercase()))
            .with_context(|| format!("unknown --language {:?}", a.language))?;
    let tfidf = TfidfConfig {
        min_df: a.min_df,
        max_features: Some(a.max_features),
        bigrams: a.bigrams,
        ..TfidfConfig::default()
    };
    let head = |name: &str, data: &PathBuf, label: &str, kind: NbKind| HeadRecipe {
        name: name.into(),
        data: data.clone(),
        fields: Fields {
            text: a.text_field.clone(),
            title: a.title_field.clone(),
            label: label.into(),
            split: a.split_field.clone(),
        },
        tfidf: tfidf.clone(),
        nb: NbParams {
            kind,
            alpha: a.alpha,
            fit_prior: true,
        },
        multi_label: MultiLabel::SingleOnly,
        holdout: a.holdout,
        seed: a.seed,
        min_examples: 5,
        gazetteers: Vec::new(),
        skip_bad_rows: a.skip_bad_rows,
        cv_folds: a.cv_folds,
        cv_repeats: 1,
        alpha_grid: if a.cv_folds > 1 {
            a.alphas.clone()
        } else {
            Vec::new()
        },
        extra_data: Vec::new(),
        source_weight_grid: Vec::new(),
        cv_metric: Default::default(),
        nb_grid: Vec::new(),
        blend_share_grid: Vec::new(),
        prior_weight_grid: Vec::new(),
        min_df_grid: Vec::new(),
        sublinear_tf_grid: Vec::new(),
        gazetteer_weight_grid: Vec::new(),
        calibrate: true,
        weight: 1.0,
        source_name: None,
    };
    let mut heads = Vec::new();
    if let Some(p) = &a.topic_data {
        heads.push(head("topic", p, &a.topic_field, NbKind::Multinomial));
    }
    if let Some(p) = &a.region_data {
        let kind = if a.region_complement {
            NbKind::Complement
        } else {
            NbKind::Multinomial
        };
        let mut h = head("region", p, &a.region_field, kind);
        h.gazetteers = a
            .gazetteer
            .iter()
            .map(|path| Gazetteer {
                path: path.clone(),
                label_field: "region".into(),
                weight: 10.0,
            })
            .collect();
        heads.push(h);
    } else if !a.gazetteer.is_empty() {
        bail!("--gazetteer needs --region-data");
    }
    if heads.is_empty() {
        bail!(
            "nothing to train: give --topic-data FILE and/or --region-data FILE, or --recipe FILE"
        );
    }
    Ok(Recipe {
        name: a.name.clone(),
        description: String::new(),
        analyzer: AnalyzerConfig::for_language(language),
        summary_idf_head: None,
        card_appendix: None,
        heads,
        cleaner: None,
        summary: (!a.summary_data.is_empty()).then(|| {
            let mut recipe = SummaryRecipe::for_files(
                a.summary_data
                    .iter()
                    .map(|path| SummaryData {
                        path: path.clone(),
                        fields: SummaryFields {
                            text: a.text_field.clone(),
                            title: a.title_field.clone(),
                            summary: a.summary_field.clone(),
                            split: a.split_field.clone(),
                        },
                        skip_bad_rows: a.skip_bad_rows,
                        headline_references: a.summary_headlines,
                    })
                    .collect(),
            );
            if a.summary_headlines {
                // The headline copies are summaries of one sentence of many: offer the
                // cross-validation a separate model for such high compressions.
                recipe.band_edges_grid = vec![vec![], vec![0.75], vec![0.8]];
            }
            recipe
        }),
    })
}

fn main() {
    tracing_subscriber::fmt()
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_default_env().unwrap_or_else(|_| "info".into()),
        )
        .with_ansi(std::io::IsTerminal::is_terminal(&std::io::stderr()))
        .with_writer(std::io::stderr)
        .init();
    if let Err(e) = run() {
        eprintln!("lede-train: error: {e:#}");
        std::process::exit(1);
    }
}

fn run() -> Result<()> {
    let args = Args::parse();
    let recipe = match &args.recipe {
        Some(p) => Recipe::load(p)?,
        None => recipe_from_flags(&args)?,
    };
    let command = std::env::args().collect::<Vec<_>>().join(" ");
    let appendix =
        train::card::read_appendix(&recipe).context("reading the recipe's card_appendix")?;
    let trained = train::train(&recipe)?;
    let path = trained
        .model
        .save(&args.out)
        .with_context(|| format!("writing the model to {}", args.out.display()))?;
    let reports: serde_json::Map<String, serde_json::Value> = trained
        .evaluations
        .iter()
        .map(|(k, e)| {
            (
                k.clone(),
                serde_json::to_value(e.report()).unwrap_or_default(),
            )
        })
        .collect();
    let metrics = serde_json::json!({
        "version": trained.model.meta.version,
        "training_seconds": trained.seconds,
        "heads": reports,
        "summary_scorer": trained.model.meta.summary_scorer.as_ref().map(|c| &c.metrics),
    });
    std::fs::write(
        args.out.join("metrics.json"),
        serde_json::to_string_pretty(&metrics)? + "\n",
    )
    .context("writing metrics.json")?;
    std::fs::write(
        args.out.join("MODEL_CARD.md"),
        train::card::model_card(&recipe, &trained, &command, appendix.as_deref()),
    )
    .context("writing MODEL_CARD.md")?;
    for (name, ev) in &trained.evaluations {
        eprintln!("== head {name}\n{}", ev.report().to_text());
    }
    eprintln!(
        "wrote {} ({}) in {:.1} s",
        path.display(),
        trained.model.meta.version,
        trained.seconds
    );
    Ok(())
}
