//! Training one head, in passes over its sources (files), streaming:
//!
//! 1. **vocabulary**: document frequencies and labels of the training rows of every source;
//! 2. **counts**: per-source class sums of TF-IDF vectors (and per fold, for cross-validation);
//! 3. **selection**: alpha and the source weights by k-fold cross-validation, each row scored
//!    over its own source's labels ("label-set aware": a 2005 BBC row, whose desks have no
//!    world or health, is judged over its five); then a softmax temperature fitted on the
//!    out-of-fold predictions of the chosen configuration;
//! 4. one linfa fit of the weighted sums;
//! 5. **evaluation** of the held-out rows of every source, again over that source's labels.
//!
//! Sources differ in label sets and in style (full articles against headline + standfirst).
//! Style is handled by the vectoriser's L2 norm (every document has unit mass, whatever its
//! length) and by per-source weights; label sets by the restriction above.

use std::collections::{BTreeMap, BTreeSet};
use std::ops::ControlFlow;
use std::path::PathBuf;
use std::time::Duration;

use indicatif::{ProgressBar, ProgressStyle};

use super::{data, gazetteer_entries, CvMetric, Evaluation, Fields, HeadRecipe, Row, TrainError};
use super::{MultiLabel, SourceRecipe};
use crate::classify::{argmax_among, fit_temperature, NbParams, NbStats};
use crate::features::{SparseVec, TfidfFitter};
use crate::model::{DataFile, Head, HeadMeta};
use crate::text::clean::learned::LineClassifier;
use crate::text::{self, Analyzer};

/// One training file of a head, resolved.
struct Source {
    name: String,
    path: PathBuf,
    fields: Fields,
    weight: f64,
    /// Whether the file has a split field (else rows are held out by a seeded hash).
    has_split: bool,
}

fn stem(path: &std::path::Path) -> String {
    path.file_stem()
        .map(|s| s.to_string_lossy().into_owned())
        .unwrap_or_else(|| "data".into())
}

fn sources(h: &HeadRecipe) -> Result<Vec<Source>, TrainError> {
    let first = SourceRecipe {
        data: h.data.clone(),
        fields: Some(h.fields.clone()),
        weight: h.weight,
        name: h.source_name.clone(),
    };
    let mut out: Vec<Source> = Vec::new();
    for s in std::iter::once(&first).chain(&h.extra_data) {
        let fields = s.fields.clone().unwrap_or_else(|| h.fields.clone());
        // Is there a split field at all? Read until the first row that has one (usually the
        // first row; the whole file only when there is none).
        let mut has_split = false;
        data::read_rows_until(&s.data, &fields, h.skip_bad_rows, |r| {
            has_split = r.split.is_some();
            Ok(if has_split {
                ControlFlow::Break(())
            } else {
                ControlFlow::Continue(())
            })
        })?;
        let name = s.name.clone().unwrap_or_else(|| stem(&s.data));
        if out.iter().any(|o| o.name == name) {
            return Err(TrainError::Recipe(format!(
                "head {:?}: two sources are named {name:?}; give them distinct names",
                h.name
            )));
        }
        out.push(Source {
            name,
            path: s.data.clone(),
            fields,
            weight: s.weight,
            has_split,
        });
    }
    Ok(out)
}

/// A row-count spinner with rate, on stderr (hidden when stderr is not a terminal).
fn spinner(head: &str, pass: &str) -> ProgressBar {
    let bar = ProgressBar::new_spinner().with_style(
        ProgressStyle::with_template(
            "{spinner} {prefix}: {msg}: {human_pos} rows ({per_sec}, {elapsed})",
        )
        .unwrap_or_else(|_| ProgressStyle::default_spinner()),
    );
    bar.set_prefix(head.to_owned());
    bar.set_message(pass.to_owned());
    bar.enable_steady_tick(Duration::from_millis(200));
    bar
}

/// The terms of a row, cleaned as the server cleans plain text (with the model's line
/// classifier when it has one).
fn doc_terms(analyzer: &Analyzer, cleaner: Option<&LineClassifier>, row: &Row) -> Vec<String> {
    let cleaned = text::clean_with(
        &row.text,
        Some(row.title.as_str()).filter(|t| !t.is_empty()),
        cleaner,
    );
    text::document_terms(analyzer, &row.title, &row.text, &cleaned)
}

fn is_heldout(row: &Row, h: &HeadRecipe, has_split: bool) -> bool {
    if has_split {
        return row.split.as_deref() == Some("test");
    }
    if h.holdout <= 0.0 {
        return false;
    }
    // SplitMix64 of (seed, line): a stable pseudo-random draw per row.
    let mut z = h
        .seed
        .wrapping_add(row.line.wrapping_mul(0x9E37_79B9_7F4A_7C15));
    z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    z ^= z >> 31;
    (z as f64 / u64::MAX as f64) < h.holdout
}

/// The cross-validation fold of a row: the trainer's line hash ([`super::fold_of`]) with the
/// source mixed into the seed, so that equal line numbers of different files land apart.
fn fold_of(source: usize, line: u64, seed: u64, k: usize) -> usize {
    super::fold_of(
        line,
        seed ^ (source as u64).wrapping_mul(0xD6E8_FEB8_6659_FD93),
        k,
    )
}

/// A training document kept in memory for cross-validation.
struct CvDoc {
    fold: usize,
    source: usize,
    x: SparseVec,
    labels: Vec<String>,
}

/// What the counts pass gathers.
struct Counts {
    /// Class sums per source.
    per_source: Vec<NbStats>,
    /// Class sums per fold and source (cross-validation only).
    per_fold: Vec<Vec<NbStats>>,
    docs: Vec<CvDoc>,
    rows_used: Vec<u64>,
}

/// One configuration tried by cross-validation.
#[derive(Debug, Clone)]
struct Candidate {
    alpha: f64,
    weights: Vec<f64>,
}

fn combine(parts: &[&NbStats], weights: &[f64], base: &NbStats) -> NbStats {
    let mut out = base.clone();
    for (p, &w) in parts.iter().zip(weights) {
        out.add_scaled(p, w);
    }
    out
}

pub(super) fn train_head(
    analyzer: &Analyzer,
    cleaner: Option<&LineClassifier>,
    h: &HeadRecipe,
) -> Result<(Head, HeadMeta, Option<Evaluation>), TrainError> {
    let srcs = sources(h)?;
    let feat_err = |error| TrainError::Features {
        head: h.name.clone(),
        error,
    };
    let classify_err = |error| TrainError::Classify {
        head: h.name.clone(),
        error,
    };
    // Which rows train the head: labelled, not held out, and (single-only) one label. The
    // vocabulary pass and the counts pass must agree on this.
    let trains_on = |r: &Row, s: &Source| {
        let multi_skipped = h.multi_label == MultiLabel::SingleOnly && r.labels.len() > 1;
        !(is_heldout(r, h, s.has_split) || r.labels.is_empty() || multi_skipped)
    };

    // Pass 1: labels and document frequencies of training rows.
    let mut fitter = TfidfFitter::new(h.tfidf.clone()).map_err(feat_err)?;
    let mut label_sets: Vec<BTreeSet<String>> = vec![BTreeSet::new(); srcs.len()];
    let mut label_counts: BTreeMap<String, u64> = BTreeMap::new();
    let bar = spinner(&h.name, "vocabulary");
    for (si, s) in srcs.iter().enumerate() {
        let stats = data::read_rows(&s.path, &s.fields, h.skip_bad_rows, |r| {
            bar.inc(1);
            if !trains_on(&r, s) {
                return Ok(());
            }
            for l in &r.labels {
                *label_counts.entry(l.clone()).or_default() += 1;
                label_sets[si].insert(l.clone());
            }
            fitter.add(&doc_terms(analyzer, cleaner, &r));
            Ok(())
        })?;
        if stats.rows == 0 {
            return Err(TrainError::Input {
                path: s.path.clone(),
                what: "no rows: the file is empty".into(),
            });
        }
        if label_sets[si].is_empty() {
            return Err(TrainError::Input {
                path: s.path.clone(),
                what: format!("no labelled training rows (field {:?})", s.fields.label),
            });
        }
    }
    bar.finish_and_clear();
    let mut gaz = Vec::new();
    for g in &h.gazetteers {
        for (label, names) in gazetteer_entries(g)? {
            gaz.push((label, names, g.weight));
        }
    }
    for (_, names, _) in &gaz {
        let terms: Vec<String> = analyzer
            .analyze(names)
            .into_iter()
            .map(|t| t.text)
            .collect();
        fitter.add_forced(&terms);
    }
    let vectorizer = fitter.finish().map_err(feat_err)?;
    let labels: Vec<String> = label_counts.keys().cloned().collect();
    let label_index = |l: &str| labels.iter().position(|x| x == l);
    // Each source is scored over the labels it has.
    let allowed: Vec<Vec<usize>> = label_sets
        .iter()
        .map(|set| set.iter().filter_map(|l| label_index(l)).collect())
        .collect();

    // Pass 2: per-source (and per-fold) class sums.
    let k = h.cv_folds as usize;
    let cv = k > 1;
    let empty = NbStats::new(labels.clone(), vectorizer.len());
    let mut counts = Counts {
        per_source: vec![empty.clone(); srcs.len()],
        per_fold: if cv {
            vec![vec![empty.clone(); srcs.len()]; k]
        } else {
            Vec::new()
        },
        docs: Vec::new(),
        rows_used: vec![0; srcs.len()],
    };
    let bar = spinner(&h.name, "counts");
    for (si, s) in srcs.iter().enumerate() {
        data::read_rows(&s.path, &s.fields, h.skip_bad_rows, |r| {
            bar.inc(1);
            if !trains_on(&r, s) {
                return Ok(());
            }
            let x = vectorizer.transform(&doc_terms(analyzer, cleaner, &r));
            let w = 1.0 / r.labels.len() as f64;
            let fold = cv.then(|| fold_of(si, r.line, h.seed, k));
            for l in &r.labels {
                if let Some(c) = label_index(l) {
                    counts.per_source[si].add(c, &x, w);
                    if let Some(f) = fold {
                        counts.per_fold[f][si].add(c, &x, w);
                    }
                }
            }
            if let Some(fold) = fold {
                counts.docs.push(CvDoc {
                    fold,
                    source: si,
                    x,
                    labels: r.labels,
                });
            }
            counts.rows_used[si] += 1;
            Ok(())
        })?;
    }
    bar.finish_and_clear();
    // Gazetteer entries: prior evidence, always at weight 1 relative to their own setting.
    let mut base = empty.clone();
    for (label, names, weight) in &gaz {
        if let Some(k) = label_index(label) {
            let terms: Vec<String> = analyzer
                .analyze(names)
                .into_iter()
                .map(|t| t.text)
                .collect();
            base.add_evidence(k, &vectorizer.transform(&terms), *weight);
        }
    }

    // Selection by cross-validation.
    let own_weights: Vec<f64> = srcs.iter().map(|s| s.weight).collect();
    let mut chosen = Candidate {
        alpha: h.nb.alpha,
        weights: own_weights.clone(),
    };
    let mut cv_metrics = BTreeMap::new();
    let mut temperature = 1.0;
    if cv {
        for (i, w) in h.source_weight_grid.iter().enumerate() {
            if w.len() != srcs.len() || w.iter().any(|x| !(x.is_finite() && *x > 0.0)) {
                return Err(TrainError::Recipe(format!(
                    "head {:?}: source_weight_grid[{i}] needs {} positive weights (data, then each extra_data)",
                    h.name,
                    srcs.len()
                )));
            }
        }
        let alphas = if h.alpha_grid.is_empty() {
            vec![h.nb.alpha]
        } else {
            h.alpha_grid.clone()
        };
        let weight_grid = if h.source_weight_grid.is_empty() {
            vec![own_weights.clone()]
        } else {
            h.source_weight_grid.clone()
        };
        let (best, report) = select(
            h,
            &labels,
            &allowed,
            &counts,
            &base,
            &alphas,
            &weight_grid,
            k,
        )?;
        chosen = best;
        cv_metrics.insert("cv_macro_f1".to_owned(), report.macro_f1);
        cv_metrics.insert("cv_accuracy".to_owned(), report.accuracy);
        cv_metrics.insert("cv_folds".to_owned(), k as f64);
        if h.calibrate {
            let params = NbParams {
                alpha: chosen.alpha,
                ..h.nb.clone()
            };
            let (jlls, truth) = out_of_fold(h, &labels, &counts, &base, &params, &chosen, k)?;
            temperature = fit_temperature(&jlls, &truth);
            cv_metrics.insert("temperature".to_owned(), temperature);
            tracing::info!(head = %h.name, temperature, "softmax temperature fitted on out-of-fold predictions");
        }
    }
    drop(counts.docs);
    drop(counts.per_fold);
    let params = NbParams {
        alpha: chosen.alpha,
        ..h.nb.clone()
    };
    let parts: Vec<&NbStats> = counts.per_source.iter().collect();
    let stats = combine(&parts, &chosen.weights, &base);
    let nb = stats.fit(&params, h.min_examples).map_err(classify_err)?;

    // Pass 3: evaluation on held-out rows, each source over its own labels.
    let mut ev = Evaluation::new(labels.clone());
    let mut per_source_metrics = BTreeMap::new();
    let bar = spinner(&h.name, "evaluation");
    for (si, s) in srcs.iter().enumerate() {
        let mut src_ev = Evaluation::new(label_sets[si].iter().cloned().collect());
        data::read_rows(&s.path, &s.fields, h.skip_bad_rows, |r| {
            bar.inc(1);
            if !is_heldout(&r, h, s.has_split) || r.labels.is_empty() {
                return Ok(());
            }
            let x = vectorizer.transform(&doc_terms(analyzer, cleaner, &r));
            let top = argmax_among(&nb.jll(&x), Some(&allowed[si]));
            ev.add(&labels[top], &r.labels);
            src_ev.add(&labels[top], &r.labels);
            Ok(())
        })?;
        if srcs.len() > 1 && src_ev.total() > 0 {
            for (key, v) in src_ev.summary() {
                per_source_metrics.insert(format!("{}.{key}", s.name), v);
            }
        }
    }
    bar.finish_and_clear();

    let mut files = Vec::new();
    for (si, s) in srcs.iter().enumerate() {
        let (bytes, sha256) = data::fingerprint(&s.path)?;
        files.push(DataFile {
            path: data::display(&s.path),
            bytes,
            sha256,
            rows_used: counts.rows_used[si],
        });
    }
    for g in &h.gazetteers {
        let (bytes, sha256) = data::fingerprint(&g.path)?;
        files.push(DataFile {
            path: data::display(&g.path),
            bytes,
            sha256,
            rows_used: gaz.len() as u64,
        });
    }
    if srcs.len() > 1 {
        for (s, w) in srcs.iter().zip(&chosen.weights) {
            cv_metrics.insert(format!("{}.weight", s.name), *w);
        }
    }
    let ev = (ev.total() > 0).then_some(ev);
    let meta = HeadMeta {
        name: h.name.clone(),
        labels: labels.clone(),
        tfidf: h.tfidf.clone(),
        nb: params,
        vocabulary_size: vectorizer.len(),
        training_rows: counts.rows_used.iter().sum(),
        metrics: {
            let mut m = ev.as_ref().map(|e| e.summary()).unwrap_or_default();
            m.extend(cv_metrics);
            m.extend(per_source_metrics);
            m
        },
        data: files,
    };
    Ok((
        Head {
            name: h.name.clone(),
            vectorizer,
            nb,
            temperature,
        },
        meta,
        ev,
    ))
}

/// The training part of fold `f` (every fold but `f`), sources combined with `weights`.
fn fold_training(counts: &Counts, f: usize, weights: &[f64], base: &NbStats) -> NbStats {
    let parts: Vec<NbStats> = counts
        .per_source
        .iter()
        .zip(&counts.per_fold[f])
        .map(|(all, fold)| all.minus(fold))
        .collect();
    let refs: Vec<&NbStats> = parts.iter().collect();
    combine(&refs, weights, base)
}

/// Tries every (alpha, source weights) pair by k-fold cross-validation; returns the best by
/// the recipe's metric and its cross-validated report.
#[allow(clippy::too_many_arguments)]
fn select(
    h: &HeadRecipe,
    labels: &[String],
    allowed: &[Vec<usize>],
    counts: &Counts,
    base: &NbStats,
    alphas: &[f64],
    weight_grid: &[Vec<f64>],
    k: usize,
) -> Result<(Candidate, super::eval::Report), TrainError> {
    let mut best: Option<(Candidate, super::eval::Report, (f64, f64))> = None;
    let bar = ProgressBar::new((alphas.len() * weight_grid.len()) as u64).with_style(
        ProgressStyle::with_template("{prefix}: cross-validation {bar:30} {pos}/{len} ({eta})")
            .unwrap_or_else(|_| ProgressStyle::default_bar()),
    );
    bar.set_prefix(h.name.clone());
    for weights in weight_grid {
        // The training part of each fold for these weights (all folds but one), built once per
        // weight vector and reused for every alpha.
        let train_parts: Vec<NbStats> = (0..k)
            .map(|f| fold_training(counts, f, weights, base))
            .collect();
        for &alpha in alphas {
            let p = NbParams {
                alpha,
                ..h.nb.clone()
            };
            let mut ev = Evaluation::new(labels.to_vec());
            let mut per_source: Vec<(u64, u64)> = vec![(0, 0); allowed.len()];
            for (f, part) in train_parts.iter().enumerate() {
                let head = part
                    .fit_direct(&p, 1)
                    .map_err(|error| TrainError::Classify {
                        head: h.name.clone(),
                        error,
                    })?;
                for d in counts.docs.iter().filter(|d| d.fold == f) {
                    let top = argmax_among(&head.jll(&d.x), Some(&allowed[d.source]));
                    ev.add(&labels[top], &d.labels);
                    let s = &mut per_source[d.source];
                    s.0 += d.labels.iter().any(|l| *l == labels[top]) as u64;
                    s.1 += 1;
                }
            }
            let r = ev.report();
            let source_acc: Vec<f64> = per_source
                .iter()
                .map(|&(ok, n)| ok as f64 / n.max(1) as f64)
                .collect();
            let mean_source = source_acc.iter().sum::<f64>() / source_acc.len().max(1) as f64;
            tracing::info!(head = %h.name, alpha, ?weights, accuracy = r.accuracy, macro_f1 = r.macro_f1, ?source_acc, "{k}-fold CV");
            let key = match h.cv_metric {
                CvMetric::MacroF1 => (r.macro_f1, r.accuracy),
                CvMetric::Accuracy => (r.accuracy, r.macro_f1),
                CvMetric::SourceMeanAccuracy => (mean_source, r.accuracy),
            };
            if best.as_ref().is_none_or(|(_, _, b)| key > *b) {
                best = Some((
                    Candidate {
                        alpha,
                        weights: weights.clone(),
                    },
                    r,
                    key,
                ));
            }
            bar.inc(1);
        }
    }
    bar.finish_and_clear();
    let (c, r, _) = best.expect("non-empty grids");
    Ok((c, r))
}

/// Out-of-fold joint log-likelihoods (all labels) and true label of every single-label
/// training document, for the temperature fit.
fn out_of_fold(
    h: &HeadRecipe,
    labels: &[String],
    counts: &Counts,
    base: &NbStats,
    params: &NbParams,
    chosen: &Candidate,
    k: usize,
) -> Result<(Vec<Vec<f64>>, Vec<usize>), TrainError> {
    let mut jlls = Vec::new();
    let mut truth = Vec::new();
    for f in 0..k {
        let head = fold_training(counts, f, &chosen.weights, base)
            .fit_direct(params, 1)
            .map_err(|error| TrainError::Classify {
                head: h.name.clone(),
                error,
            })?;
        for d in counts.docs.iter().filter(|d| d.fold == f) {
            if let [l] = d.labels.as_slice() {
                if let Some(y) = labels.iter().position(|x| x == l) {
                    jlls.push(head.jll(&d.x));
                    truth.push(y);
                }
            }
        }
    }
    Ok((jlls, truth))
}
