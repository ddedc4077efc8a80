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
use super::{MultiLabel, NbVariant, SourceRecipe};
use crate::classify::{argmax_among, fit_temperature, NbHead, NbKind, NbParams, NbStats};
use crate::features::{SparseVec, TfidfFitter};
use crate::model::{BlendMeta, DataFile, Head, HeadMeta};
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
    /// Kind, prior and alpha.
    params: NbParams,
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
        params: h.nb.clone(),
        weights: own_weights.clone(),
    };
    let mut cv_metrics = BTreeMap::new();
    let mut temperature = 1.0;
    let mut blend: Option<Blend> = None;
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
        let variants = if h.nb_grid.is_empty() {
            vec![NbVariant {
                kind: h.nb.kind,
                fit_prior: h.nb.fit_prior,
            }]
        } else {
            h.nb_grid.clone()
        };
        let cv = Cv {
            h,
            labels: &labels,
            allowed: &allowed,
            counts: &counts,
            base: &base,
            k,
        };
        let grid = Grid {
            variants: &variants,
            alphas: &alphas,
            weights: &weight_grid,
        };
        let (report, oof) = if h.blend_share_grid.is_empty() {
            let (best, report) = cv.select(&grid)?;
            chosen = best;
            let oof = if h.calibrate {
                Some(cv.out_of_fold(&chosen)?)
            } else {
                None
            };
            (report, oof)
        } else {
            let (b, report) = cv.select_blend(&grid)?;
            chosen = b.first.clone();
            let oof = std::mem::take(&mut blend.insert(b).oof);
            (report, Some(oof))
        };
        cv_metrics.insert("cv_macro_f1".to_owned(), report.macro_f1);
        cv_metrics.insert("cv_accuracy".to_owned(), report.accuracy);
        cv_metrics.insert("cv_folds".to_owned(), k as f64);
        if let Some(oof) = oof.filter(|_| h.calibrate) {
            temperature = fit_temperature(&oof.jlls, &oof.truth);
            cv_metrics.insert("temperature".to_owned(), temperature);
            tracing::info!(head = %h.name, temperature, "softmax temperature fitted on out-of-fold predictions");
        }
    } else if !h.blend_share_grid.is_empty() {
        return Err(TrainError::Recipe(format!(
            "head {:?}: blend_share_grid needs cv_folds > 1",
            h.name
        )));
    }
    drop(counts.docs);
    drop(counts.per_fold);
    let params = chosen.params.clone();
    let parts: Vec<&NbStats> = counts.per_source.iter().collect();
    let stats = combine(&parts, &chosen.weights, &base);
    let mut nb = stats.fit(&params, h.min_examples).map_err(classify_err)?;
    let blend_meta = match &blend {
        None => None,
        Some(b) => {
            let second = combine(&parts, &b.second.weights, &base)
                .fit(&b.second.params, h.min_examples)
                .map_err(classify_err)?;
            let (w1, w2) = Blend::coefficients(b.share, b.first_temperature, b.second_temperature);
            nb = NbHead::blend(&nb, w1, &second, w2).map_err(classify_err)?;
            Some(BlendMeta {
                second: b.second.params.clone(),
                share: b.share,
                nb_temperature: b.first_temperature,
                second_temperature: b.second_temperature,
                nb_source_weights: b.first.weights.clone(),
                second_source_weights: b.second.weights.clone(),
            })
        }
    };

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
        blend: blend_meta,
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

/// The configurations cross-validation tries: every variant x alpha x source weights.
#[derive(Clone, Copy)]
struct Grid<'a> {
    variants: &'a [NbVariant],
    alphas: &'a [f64],
    weights: &'a [Vec<f64>],
}

/// The figure `metric` maximises, from the report, each source's accuracy and the transfer
/// accuracies (empty when not computed).
fn cv_key(
    metric: CvMetric,
    r: &super::eval::Report,
    source_acc: &[f64],
    transfer: &[f64],
) -> (f64, f64) {
    let mean = |v: &[f64]| v.iter().sum::<f64>() / v.len().max(1) as f64;
    match metric {
        CvMetric::MacroF1 => (r.macro_f1, r.accuracy),
        CvMetric::Accuracy => (r.accuracy, r.macro_f1),
        CvMetric::SourceAndTransferAccuracy if !transfer.is_empty() => {
            ((mean(source_acc) + mean(transfer)) / 2.0, r.accuracy)
        }
        CvMetric::SourceMeanAccuracy | CvMetric::SourceAndTransferAccuracy => {
            (mean(source_acc), r.accuracy)
        }
    }
}

/// A blend chosen by [`select_blend`].
struct Blend {
    /// The multinomial head (first) and the complement head (second).
    first: Candidate,
    second: Candidate,
    first_temperature: f64,
    second_temperature: f64,
    share: f64,
    /// Out-of-fold joint log-likelihoods of the blend, for its own temperature.
    oof: OutOfFold,
}

impl Blend {
    /// The two heads' coefficients in the blend at `share`.
    fn coefficients(share: f64, t1: f64, t2: f64) -> (f64, f64) {
        (share / t1, (1.0 - share) / t2)
    }
}

/// Out-of-fold predictions of every single-label training document.
#[derive(Default)]
struct OutOfFold {
    /// Joint log-likelihoods over all labels.
    jlls: Vec<Vec<f64>>,
    /// True label.
    truth: Vec<usize>,
    /// Source index.
    source: Vec<usize>,
}

/// What every cross-validation step reads: the head's recipe, its labels, each source's
/// allowed labels (indices into `labels`), the per-source and per-fold counts, the prior
/// evidence every fit starts from, and the number of folds.
#[derive(Clone, Copy)]
struct Cv<'a> {
    h: &'a HeadRecipe,
    labels: &'a [String],
    allowed: &'a [Vec<usize>],
    counts: &'a Counts,
    base: &'a NbStats,
    k: usize,
}

impl Cv<'_> {
    /// The figure the recipe's metric maximises for a configuration with this cross-validated
    /// report and per-source (correct, rows), `fit` giving its head without a source for the
    /// transfer metric; also each source's accuracy and the transfer accuracies (for the log).
    #[allow(clippy::type_complexity)]
    fn score(
        &self,
        r: &super::eval::Report,
        per_source: &[(u64, u64)],
        fit: impl Fn(usize) -> Result<NbHead, TrainError>,
    ) -> Result<((f64, f64), Vec<f64>, Vec<f64>), TrainError> {
        let source_acc: Vec<f64> = per_source
            .iter()
            .map(|&(ok, n)| ok as f64 / n.max(1) as f64)
            .collect();
        let transfer = if self.h.cv_metric == CvMetric::SourceAndTransferAccuracy {
            self.transfer_accuracy(fit)?
        } else {
            Vec::new()
        };
        let key = cv_key(self.h.cv_metric, r, &source_acc, &transfer);
        Ok((key, source_acc, transfer))
    }

    /// A head fitted on every source but `held` (`weights` per source, `held`'s ignored), without
    /// the per-label minimum: labels only `held` has get no rows, and [`Cv::transfer_accuracy`] never
    /// predicts them.
    fn fit_without(
        &self,
        held: usize,
        weights: &[f64],
        params: &NbParams,
    ) -> Result<NbHead, TrainError> {
        let Cv {
            h, counts, base, ..
        } = *self;
        let (parts, w): (Vec<&NbStats>, Vec<f64>) = counts
            .per_source
            .iter()
            .zip(weights)
            .enumerate()
            .filter(|(s, _)| *s != held)
            .map(|(_, (p, w))| (p, *w))
            .unzip();
        combine(&parts, &w, base)
            .fit_direct(params, 0)
            .map_err(|error| TrainError::Classify {
                head: h.name.clone(),
                error,
            })
    }

    /// Accuracy on each source's training rows of a head fitted on the other sources alone (`fit`
    /// of the held-out source; see [`CvMetric::SourceAndTransferAccuracy`]); empty with fewer than
    /// two sources. A row is scored over its source's labels that the other sources have; a row
    /// whose own label they lack counts as a miss (the same for every configuration, so it does not
    /// move the choice).
    fn transfer_accuracy(
        &self,
        fit: impl Fn(usize) -> Result<NbHead, TrainError>,
    ) -> Result<Vec<f64>, TrainError> {
        let Cv {
            labels,
            allowed,
            counts,
            ..
        } = *self;
        let n = counts.per_source.len();
        if n < 2 {
            return Ok(Vec::new());
        }
        let mut out = Vec::with_capacity(n);
        for (held, own) in allowed.iter().enumerate().take(n) {
            let shared: Vec<usize> = own
                .iter()
                .copied()
                .filter(|&l| (0..n).any(|s| s != held && counts.per_source[s].counts()[l] > 0))
                .collect();
            let head = fit(held)?;
            let (mut ok, mut total) = (0u64, 0u64);
            for d in counts.docs.iter().filter(|d| d.source == held) {
                total += 1;
                if shared.is_empty() {
                    continue;
                }
                let top = argmax_among(&head.jll(&d.x), Some(&shared));
                ok += d.labels.iter().any(|l| *l == labels[top]) as u64;
            }
            out.push(ok as f64 / total.max(1) as f64);
        }
        Ok(out)
    }

    /// Tries every configuration of `grid` by k-fold cross-validation; returns the best by the
    /// recipe's metric and its cross-validated report.
    fn select(&self, grid: &Grid) -> Result<(Candidate, super::eval::Report), TrainError> {
        let Cv {
            h,
            labels,
            allowed,
            counts,
            base,
            k,
        } = *self;
        let mut best: Option<(Candidate, super::eval::Report, (f64, f64))> = None;
        let bar =
            ProgressBar::new((grid.variants.len() * grid.alphas.len() * grid.weights.len()) as u64)
                .with_style(
                    ProgressStyle::with_template(
                        "{prefix}: cross-validation {bar:30} {pos}/{len} ({eta})",
                    )
                    .unwrap_or_else(|_| ProgressStyle::default_bar()),
                );
        bar.set_prefix(h.name.clone());
        for weights in grid.weights {
            // The training part of each fold for these weights (all folds but one), built once per
            // weight vector and reused for every variant and alpha.
            let train_parts: Vec<NbStats> = (0..k)
                .map(|f| fold_training(counts, f, weights, base))
                .collect();
            for (variant, &alpha) in grid
                .variants
                .iter()
                .flat_map(|v| grid.alphas.iter().map(move |a| (v, a)))
            {
                let p = NbParams {
                    kind: variant.kind,
                    fit_prior: variant.fit_prior,
                    alpha,
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
                let (key, source_acc, transfer) =
                    self.score(&r, &per_source, |held| self.fit_without(held, weights, &p))?;
                tracing::info!(head = %h.name, kind = ?p.kind, fit_prior = p.fit_prior, alpha, ?weights, accuracy = r.accuracy, macro_f1 = r.macro_f1, ?source_acc, ?transfer, "{k}-fold CV");

                if best.as_ref().is_none_or(|(_, _, b)| key > *b) {
                    best = Some((
                        Candidate {
                            params: p,
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

    /// Chooses a blend (see `HeadRecipe::blend_share_grid`): each kind's best configuration by
    /// cross-validation, each one's temperature on its out-of-fold predictions, then the share by
    /// the recipe's metric on the out-of-fold predictions of the mix (and, for the transfer metric,
    /// on heads fitted without each source).
    fn select_blend(&self, grid: &Grid) -> Result<(Blend, super::eval::Report), TrainError> {
        let Cv {
            h, labels, allowed, ..
        } = *self;
        let of_kind = |kind: NbKind| {
            grid.variants
                .iter()
                .copied()
                .find(|v| v.kind == kind)
                .ok_or_else(|| {
                    TrainError::Recipe(format!(
                        "head {:?}: blend_share_grid needs one multinomial and one complement variant in nb_grid",
                        h.name
                    ))
                })
        };
        let mut parts = Vec::new();
        for kind in [NbKind::Multinomial, NbKind::Complement] {
            let variants = [of_kind(kind)?];
            let (c, _) = self.select(&Grid {
                variants: &variants,
                ..*grid
            })?;
            let oof = self.out_of_fold(&c)?;
            let t = fit_temperature(&oof.jlls, &oof.truth);
            parts.push((c, oof, t));
        }
        let (second, oof2, t2) = parts.pop().expect("two heads");
        let (first, oof1, t1) = parts.pop().expect("two heads");
        let mut best: Option<(f64, super::eval::Report, (f64, f64))> = None;
        for &share in &h.blend_share_grid {
            if !(0.0..=1.0).contains(&share) {
                return Err(TrainError::Recipe(format!(
                    "head {:?}: blend shares must be in [0, 1], got {share}",
                    h.name
                )));
            }
            let (w1, w2) = Blend::coefficients(share, t1, t2);
            let mut ev = Evaluation::new(labels.to_vec());
            let mut per_source: Vec<(u64, u64)> = vec![(0, 0); allowed.len()];
            for i in 0..oof1.truth.len() {
                let jll: Vec<f64> = oof1.jlls[i]
                    .iter()
                    .zip(&oof2.jlls[i])
                    .map(|(a, b)| w1 * a + w2 * b)
                    .collect();
                let src = oof1.source[i];
                let top = argmax_among(&jll, Some(&allowed[src]));
                let y = oof1.truth[i];
                ev.add(&labels[top], std::slice::from_ref(&labels[y]));
                per_source[src].0 += (top == y) as u64;
                per_source[src].1 += 1;
            }
            let r = ev.report();
            let (key, source_acc, transfer) = self.score(&r, &per_source, |held| {
                let a = self.fit_without(held, &first.weights, &first.params)?;
                let b = self.fit_without(held, &second.weights, &second.params)?;
                NbHead::blend(&a, w1, &b, w2).map_err(|error| TrainError::Classify {
                    head: h.name.clone(),
                    error,
                })
            })?;
            tracing::info!(head = %h.name, share, accuracy = r.accuracy, ?source_acc, ?transfer, "blend CV");
            if best.as_ref().is_none_or(|(_, _, b)| key > *b) {
                best = Some((share, r, key));
            }
        }
        let (share, report, _) = best.ok_or_else(|| {
            TrainError::Recipe(format!("head {:?}: blend_share_grid is empty", h.name))
        })?;
        let (w1, w2) = Blend::coefficients(share, t1, t2);
        let oof = OutOfFold {
            jlls: oof1
                .jlls
                .iter()
                .zip(&oof2.jlls)
                .map(|(a, b)| a.iter().zip(b).map(|(x, y)| w1 * x + w2 * y).collect())
                .collect(),
            truth: oof1.truth,
            source: oof1.source,
        };
        Ok((
            Blend {
                first,
                second,
                first_temperature: t1,
                second_temperature: t2,
                share,
                oof,
            },
            report,
        ))
    }

    /// Out-of-fold predictions of `chosen` (for the temperature fit and the blend).
    fn out_of_fold(&self, chosen: &Candidate) -> Result<OutOfFold, TrainError> {
        let Cv {
            h,
            labels,
            counts,
            base,
            k,
            ..
        } = *self;
        let mut out = OutOfFold::default();
        for f in 0..k {
            let head = fold_training(counts, f, &chosen.weights, base)
                .fit_direct(&chosen.params, 1)
                .map_err(|error| TrainError::Classify {
                    head: h.name.clone(),
                    error,
                })?;
            for d in counts.docs.iter().filter(|d| d.fold == f) {
                if let [l] = d.labels.as_slice() {
                    if let Some(y) = labels.iter().position(|x| x == l) {
                        out.jlls.push(head.jll(&d.x));
                        out.truth.push(y);
                        out.source.push(d.source);
                    }
                }
            }
        }
        Ok(out)
    }
}
