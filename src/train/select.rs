//! Choosing a head's configuration by k-fold cross-validation on its training rows: the naive
//! Bayes variant (kind and prior), alpha and the source weights, or a blend of the best
//! multinomial and complement heads; then the softmax temperature on out-of-fold predictions.
//! Every row is scored over its own source's labels. The transfer metric also scores each
//! source with a head fitted on the other sources only (a publisher never seen).

use std::collections::BTreeMap;

use indicatif::{ProgressBar, ProgressStyle};

use super::{classify_err, CvMetric, Evaluation, HeadRecipe, NbVariant, TrainError};
use crate::classify::{argmax_among, fit_temperature, NbHead, NbKind, NbParams, NbStats};
use crate::features::SparseVec;
use crate::model::BlendMeta;

/// A training document kept in memory for cross-validation.
pub(super) struct CvDoc {
    /// The document's fold in each repeat of the cross-validation.
    pub folds: Vec<usize>,
    pub source: usize,
    pub x: SparseVec,
    pub labels: Vec<String>,
}

/// What the counts pass gathers.
pub(super) struct Counts {
    /// Class sums per source.
    pub per_source: Vec<NbStats>,
    /// Class sums per repeat, fold and source (cross-validation only).
    pub per_fold: Vec<Vec<Vec<NbStats>>>,
    pub docs: Vec<CvDoc>,
    pub rows_used: Vec<u64>,
}

/// One configuration tried by cross-validation.
#[derive(Debug, Clone)]
pub(super) struct Candidate {
    /// Kind, prior and alpha.
    pub params: NbParams,
    pub weights: Vec<f64>,
}

/// `base` plus each part times its weight.
pub(super) fn combine(parts: &[&NbStats], weights: &[f64], base: &NbStats) -> NbStats {
    let mut out = base.clone();
    for (p, &w) in parts.iter().zip(weights) {
        out.add_scaled(p, w);
    }
    out
}

/// The training part of fold `f` of repeat `rep` (every fold but `f`), sources combined with
/// `weights`.
fn fold_training(
    counts: &Counts,
    (rep, f): (usize, usize),
    weights: &[f64],
    base: &NbStats,
) -> NbStats {
    let parts: Vec<NbStats> = counts
        .per_source
        .iter()
        .zip(&counts.per_fold[rep][f])
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

/// A blend chosen by [`Cv::select_blend`].
pub(super) struct Blend {
    /// The multinomial head (first) and the complement head (second).
    first: Candidate,
    second: Candidate,
    first_temperature: f64,
    second_temperature: f64,
    share: f64,
    /// Weight of the desks' log shares added to the mix (`HeadRecipe::prior_weight_grid`).
    prior_weight: f64,
}

impl Blend {
    /// The two heads' coefficients in the blend at `share`.
    fn coefficients(share: f64, t1: f64, t2: f64) -> (f64, f64) {
        (share / t1, (1.0 - share) / t2)
    }
}

/// The Laplace-smoothed log share of each label among the documents of `stats` (the prior a
/// blend's `prior_weight` scales).
fn log_shares<'a>(stats: impl IntoIterator<Item = &'a NbStats>, c: usize) -> Vec<f64> {
    let mut n = vec![0.0f64; c];
    for st in stats {
        for (k, &x) in st.counts().iter().enumerate() {
            n[k] += x as f64;
        }
    }
    let total: f64 = n.iter().sum();
    n.iter()
        .map(|x| ((x + 1.0) / (total + c as f64)).ln())
        .collect()
}

/// Adds `weight * prior` to a head's log priors.
fn add_prior(head: &mut NbHead, weight: f64, prior: &[f64]) {
    for (lp, p) in head.log_prior.iter_mut().zip(prior) {
        *lp += (weight * p) as f32;
    }
}

/// `w1 * a + w2 * b`, element by element: two heads' joint log-likelihoods mixed as
/// [`NbHead::blend`] mixes their weights.
fn mix(a: &[f64], w1: f64, b: &[f64], w2: f64) -> Vec<f64> {
    a.iter().zip(b).map(|(x, y)| w1 * x + w2 * y).collect()
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
pub(super) struct Cv<'a> {
    pub h: &'a HeadRecipe,
    pub labels: &'a [String],
    pub allowed: &'a [Vec<usize>],
    pub counts: &'a Counts,
    pub base: &'a NbStats,
    pub k: usize,
}

impl Cv<'_> {
    /// Every (repeat, fold) of the cross-validation, repeat by repeat.
    fn folds(&self) -> impl Iterator<Item = (usize, usize)> {
        let k = self.k;
        (0..self.counts.per_fold.len()).flat_map(move |rep| (0..k).map(move |f| (rep, f)))
    }

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
            .map_err(classify_err(&h.name))
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
        for (held, own) in allowed.iter().enumerate() {
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
    fn select(
        &self,
        grid: &Grid,
    ) -> Result<(Candidate, super::eval::Report, (f64, f64)), TrainError> {
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
            // The training part of each fold of each repeat for these weights (all folds but
            // one), built once per weight vector and reused for every variant and alpha.
            let train_parts: Vec<((usize, usize), NbStats)> = self
                .folds()
                .map(|rf| (rf, fold_training(counts, rf, weights, base)))
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
                // Repeats pool: each document is scored once per repeat.
                for ((rep, f), part) in &train_parts {
                    let head = part.fit_direct(&p, 1).map_err(classify_err(&h.name))?;
                    for d in counts.docs.iter().filter(|d| d.folds[*rep] == *f) {
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
                tracing::info!(head = %h.name, kind = ?p.kind, fit_prior = p.fit_prior, alpha, ?weights, cv = key.0, accuracy = r.accuracy, macro_f1 = r.macro_f1, ?source_acc, ?transfer, "{k}-fold CV");

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
        Ok(best.expect("non-empty grids"))
    }

    /// Chooses a blend (see `HeadRecipe::blend_share_grid`, checked by the recipe): each kind's
    /// best configuration by cross-validation, each one's temperature on its out-of-fold
    /// predictions, then the share and the prior weight by the recipe's metric on the
    /// out-of-fold predictions of the mix (and, for the transfer metric, on heads fitted
    /// without each source). Also returns the mix's out-of-fold predictions, for its own
    /// temperature.
    fn select_blend(
        &self,
        grid: &Grid,
    ) -> Result<(Blend, super::eval::Report, OutOfFold, (f64, f64)), TrainError> {
        let Cv {
            h, labels, allowed, ..
        } = *self;
        let mut parts = Vec::new();
        for kind in [NbKind::Multinomial, NbKind::Complement] {
            let variants = [h.variant_of(kind).expect("checked by Recipe::check")];
            let (c, _, _) = self.select(&Grid {
                variants: &variants,
                ..*grid
            })?;
            let oof = self.out_of_fold(&c)?;
            let t = fit_temperature(&oof.jlls, &oof.truth);
            parts.push((c, oof, t));
        }
        let (second, oof2, t2) = parts.pop().expect("two heads");
        let (first, oof1, t1) = parts.pop().expect("two heads");
        // The two heads without each source (transfer metric), fitted once for every share.
        let without: Vec<(NbHead, NbHead)> = if h.cv_metric == CvMetric::SourceAndTransferAccuracy {
            (0..self.counts.per_source.len())
                .map(|held| {
                    Ok((
                        self.fit_without(held, &first.weights, &first.params)?,
                        self.fit_without(held, &second.weights, &second.params)?,
                    ))
                })
                .collect::<Result<_, TrainError>>()?
        } else {
            Vec::new()
        };
        // The best share so far: its key, share, report and out-of-fold mix.
        struct Best {
            key: (f64, f64),
            share: f64,
            prior_weight: f64,
            report: super::eval::Report,
            jlls: Vec<Vec<f64>>,
        }
        let mut best: Option<Best> = None;
        let prior_weights = if h.prior_weight_grid.is_empty() {
            vec![0.0]
        } else {
            h.prior_weight_grid.clone()
        };
        let c = labels.len();
        // The desks' shares over all training rows (the out-of-fold mix: a fold's own rows
        // barely move them) and over the sources each transfer head is fitted on.
        let prior = log_shares(&self.counts.per_source, c);
        let transfer_prior: Vec<Vec<f64>> = (0..self.counts.per_source.len())
            .map(|held| {
                let others = self.counts.per_source.iter().enumerate();
                log_shares(others.filter(|(s, _)| *s != held).map(|(_, st)| st), c)
            })
            .collect();
        let grid: Vec<(f64, f64)> = prior_weights
            .iter()
            .flat_map(|&p| h.blend_share_grid.iter().map(move |&s| (p, s)))
            .collect();
        for (prior_weight, share) in grid {
            let (w1, w2) = Blend::coefficients(share, t1, t2);
            let jlls: Vec<Vec<f64>> = oof1
                .jlls
                .iter()
                .zip(&oof2.jlls)
                .map(|(a, b)| {
                    let mut m = mix(a, w1, b, w2);
                    m.iter_mut()
                        .zip(&prior)
                        .for_each(|(x, p)| *x += prior_weight * p);
                    m
                })
                .collect();
            let mut ev = Evaluation::new(labels.to_vec());
            let mut per_source: Vec<(u64, u64)> = vec![(0, 0); allowed.len()];
            for ((jll, &src), &y) in jlls.iter().zip(&oof1.source).zip(&oof1.truth) {
                let top = argmax_among(jll, Some(&allowed[src]));
                ev.add(&labels[top], std::slice::from_ref(&labels[y]));
                per_source[src].0 += (top == y) as u64;
                per_source[src].1 += 1;
            }
            let r = ev.report();
            let (key, source_acc, transfer) = self.score(&r, &per_source, |held| {
                let (a, b) = &without[held];
                let mut head = NbHead::blend(a, w1, b, w2).map_err(classify_err(&h.name))?;
                add_prior(&mut head, prior_weight, &transfer_prior[held]);
                Ok(head)
            })?;
            tracing::info!(head = %h.name, prior_weight, share, cv = key.0, accuracy = r.accuracy, ?source_acc, ?transfer, "blend CV");
            if best.as_ref().is_none_or(|b| key > b.key) {
                best = Some(Best {
                    key,
                    share,
                    prior_weight,
                    report: r,
                    jlls,
                });
            }
        }
        let Best {
            key,
            share,
            prior_weight,
            report,
            jlls,
        } = best.expect("non-empty grid, checked by Recipe::check");
        let oof = OutOfFold {
            jlls,
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
                prior_weight,
            },
            report,
            oof,
            key,
        ))
    }

    /// Out-of-fold predictions of `chosen` (for the temperature fit and the blend).
    fn out_of_fold(&self, chosen: &Candidate) -> Result<OutOfFold, TrainError> {
        let Cv {
            h,
            labels,
            counts,
            base,
            ..
        } = *self;
        let mut out = OutOfFold::default();
        for (rep, f) in self.folds() {
            let head = fold_training(counts, (rep, f), &chosen.weights, base)
                .fit_direct(&chosen.params, 1)
                .map_err(classify_err(&h.name))?;
            for d in counts.docs.iter().filter(|d| d.folds[rep] == f) {
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

/// What cross-validation chose, and what the model card reports of it.
pub(super) struct Selection {
    /// The head (the blend's first head when there is a blend).
    pub chosen: Candidate,
    pub blend: Option<Blend>,
    /// Softmax temperature of the final head (1 without calibration).
    pub temperature: f64,
    /// cv_macro_f1, cv_accuracy, cv_folds, cv_score, temperature.
    pub metrics: BTreeMap<String, f64>,
    /// The figure cross-validation maximised and its tie-break (see [`CvMetric`]); `None`
    /// without cross-validation.
    pub key: Option<(f64, f64)>,
}

/// Chooses the head's configuration by cross-validation (`h.cv_folds` > 1), or takes the
/// recipe's own (`h.nb`, the sources' `own_weights`) without it.
pub(super) fn choose(cv: &Cv, own_weights: &[f64]) -> Result<Selection, TrainError> {
    let h = cv.h;
    let mut out = Selection {
        chosen: Candidate {
            params: h.nb.clone(),
            weights: own_weights.to_vec(),
        },
        blend: None,
        temperature: 1.0,
        metrics: BTreeMap::new(),
        key: None,
    };
    if cv.k < 2 {
        return Ok(out);
    }
    for (i, w) in h.source_weight_grid.iter().enumerate() {
        if w.len() != own_weights.len() || w.iter().any(|x| !(x.is_finite() && *x > 0.0)) {
            return Err(TrainError::Recipe(format!(
                "head {:?}: source_weight_grid[{i}] needs {} positive weights (data, then each extra_data)",
                h.name,
                own_weights.len()
            )));
        }
    }
    let alphas = if h.alpha_grid.is_empty() {
        vec![h.nb.alpha]
    } else {
        h.alpha_grid.clone()
    };
    let weight_grid = if h.source_weight_grid.is_empty() {
        vec![own_weights.to_vec()]
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
    let grid = Grid {
        variants: &variants,
        alphas: &alphas,
        weights: &weight_grid,
    };
    let (report, oof) = if h.blend_share_grid.is_empty() {
        let (best, report, key) = cv.select(&grid)?;
        let oof = if h.calibrate {
            Some(cv.out_of_fold(&best)?)
        } else {
            None
        };
        out.chosen = best;
        out.key = Some(key);
        (report, oof)
    } else {
        let (b, report, oof, key) = cv.select_blend(&grid)?;
        out.chosen = b.first.clone();
        out.blend = Some(b);
        out.key = Some(key);
        (report, Some(oof))
    };
    if let Some((score, _)) = out.key {
        out.metrics.insert("cv_score".to_owned(), score);
    }
    out.metrics
        .insert("cv_macro_f1".to_owned(), report.macro_f1);
    out.metrics
        .insert("cv_accuracy".to_owned(), report.accuracy);
    out.metrics.insert("cv_folds".to_owned(), cv.k as f64);
    if h.cv_repeats > 1 {
        out.metrics
            .insert("cv_repeats".to_owned(), f64::from(h.cv_repeats));
    }
    if let Some(oof) = oof.filter(|_| h.calibrate) {
        out.temperature = fit_temperature(&oof.jlls, &oof.truth);
        out.metrics
            .insert("temperature".to_owned(), out.temperature);
        tracing::info!(head = %h.name, temperature = out.temperature, "softmax temperature fitted on out-of-fold predictions");
    }
    Ok(out)
}

/// The final head of a selection, fitted on all training rows (through linfa), and the blend's
/// description when there is one.
pub(super) fn fit_chosen(
    h: &HeadRecipe,
    sel: &Selection,
    per_source: &[NbStats],
    base: &NbStats,
) -> Result<(NbHead, Option<BlendMeta>), TrainError> {
    let classify_err = classify_err(&h.name);
    let parts: Vec<&NbStats> = per_source.iter().collect();
    let first = combine(&parts, &sel.chosen.weights, base)
        .fit(&sel.chosen.params, h.min_examples)
        .map_err(classify_err)?;
    let Some(b) = &sel.blend else {
        return Ok((first, None));
    };
    let second = combine(&parts, &b.second.weights, base)
        .fit(&b.second.params, h.min_examples)
        .map_err(classify_err)?;
    let (w1, w2) = Blend::coefficients(b.share, b.first_temperature, b.second_temperature);
    let mut nb = NbHead::blend(&first, w1, &second, w2).map_err(classify_err)?;
    let prior = log_shares(per_source, nb.n_classes());
    add_prior(&mut nb, b.prior_weight, &prior);
    Ok((
        nb,
        Some(BlendMeta {
            second: b.second.params.clone(),
            share: b.share,
            nb_temperature: b.first_temperature,
            second_temperature: b.second_temperature,
            nb_source_weights: b.first.weights.clone(),
            second_source_weights: b.second.weights.clone(),
            prior_weight: b.prior_weight,
        }),
    ))
}
