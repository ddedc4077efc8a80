//! Validation and conversion between lede.v1 messages and library types.
//!
//! Requests are destructured in full, so a new proto field is a compile error here until it is
//! handled, never a silent drop.

use crate::model::{Analysis, AnalyzeOptions, HeadOutput, LabelScore, SummaryOptions};
use crate::summarize::{Length, Order};
use crate::text::html::PageMeta;
use crate::text::Removed as RemovedSpan;

use super::error::ServiceError;
use super::proto;

/// Labels per head when the caller sends top_k = 0.
pub const DEFAULT_TOP_K: usize = 3;
/// Above this, top_k is an error (a typo or garbage), not "all".
pub const MAX_TOP_K: u32 = 1000;
/// Evidence terms per label with `explain`.
pub const EVIDENCE_TERMS: usize = 10;
/// Default summary length when no option is set.
pub const DEFAULT_RATIO: f64 = 0.3;
/// Largest accepted word budget.
pub const MAX_WORDS: u32 = 100_000;
/// Longest accepted title.
pub const MAX_TITLE_BYTES: usize = 64 * 1024;

/// Limits the converter checks.
#[derive(Debug, Clone, Copy)]
pub struct Limits {
    pub max_text_bytes: usize,
    pub max_html_bytes: usize,
}

/// A validated document request.
#[derive(Debug, Clone)]
pub struct DocRequest {
    pub id: String,
    /// The caller's title; for a page sent without one, its headline once extracted.
    pub title: String,
    /// The article text: as sent, or extracted from `html` (see [`DocRequest::extract`]).
    pub text: String,
    /// A raw page still to be extracted (the `html` field), until [`DocRequest::extract`].
    pub html: Option<Vec<u8>>,
    /// What the page said about itself, once extracted from `html`.
    pub page: Option<(PageMeta, &'static str)>,
    /// The served model to answer with; empty: the default.
    pub model: String,
    pub options: AnalyzeOptions,
}

/// Exactly one of `text` and `html`: returns the text, or the page bytes (not yet decoded).
fn input(
    text: String,
    html: Vec<u8>,
    limits: Limits,
) -> Result<(String, Option<Vec<u8>>), ServiceError> {
    match (text.is_empty(), html.is_empty()) {
        (false, false) => Err(ServiceError::InvalidField {
            field: "html",
            reason: "set either text (the article as plain text) or html (the raw page), not both"
                .into(),
        }),
        (true, true) => Err(ServiceError::InvalidField {
            field: "text",
            reason: "must contain at least one non-whitespace character, or set html (the raw page) instead".into(),
        }),
        (false, true) => {
            check_text(&text, limits)?;
            Ok((text, None))
        }
        (true, false) if html.len() > limits.max_html_bytes => Err(ServiceError::HtmlTooLarge {
            bytes: html.len(),
            limit: limits.max_html_bytes,
        }),
        (true, false) => Ok((text, Some(html))),
    }
}

fn check_text(text: &str, limits: Limits) -> Result<(), ServiceError> {
    if text.len() > limits.max_text_bytes {
        return Err(ServiceError::TooLarge {
            field: "text",
            bytes: text.len(),
            limit: limits.max_text_bytes,
        });
    }
    if text.trim().is_empty() {
        return Err(ServiceError::Blank { field: "text" });
    }
    Ok(())
}

fn check_title(title: &str) -> Result<(), ServiceError> {
    if title.len() > MAX_TITLE_BYTES {
        return Err(ServiceError::TooLarge {
            field: "title",
            bytes: title.len(),
            limit: MAX_TITLE_BYTES,
        });
    }
    Ok(())
}

/// A request's `model` field. Whether the name is served is checked at lookup (it can name
/// nothing here and still be valid); only its size is checked here, because the NOT_FOUND
/// message repeats it.
pub fn model_name(model: String) -> Result<String, ServiceError> {
    if model.len() > super::models::MAX_NAME_BYTES {
        return Err(ServiceError::InvalidField {
            field: "model",
            reason: format!(
                "{} bytes; model names are at most {} (ListModels shows them)",
                model.len(),
                super::models::MAX_NAME_BYTES
            ),
        });
    }
    Ok(model)
}

fn top_k(k: u32, field: &'static str) -> Result<usize, ServiceError> {
    match k {
        0 => Ok(DEFAULT_TOP_K),
        k if k > MAX_TOP_K => Err(ServiceError::InvalidField {
            field,
            reason: format!("{k} is too large; use 0 for the default ({DEFAULT_TOP_K}) or 1..={MAX_TOP_K} (values above the number of labels return all labels)"),
        }),
        k => Ok(k as usize),
    }
}

/// Converts summary options; `None` means defaults.
pub fn summary_options(
    o: Option<proto::SummaryOptions>,
    field: &'static str,
) -> Result<SummaryOptions, ServiceError> {
    let proto::SummaryOptions {
        max_sentences,
        ratio,
        max_words,
        order,
    } = o.unwrap_or_default();
    let order = match proto::summary_options::Order::try_from(order) {
        Ok(
            proto::summary_options::Order::Unspecified | proto::summary_options::Order::Document,
        ) => Order::Document,
        Ok(proto::summary_options::Order::Rank) => Order::Rank,
        Err(_) => {
            return Err(ServiceError::InvalidField {
                field,
                reason: format!("order {order} is not a known value (0, 1 or 2)"),
            })
        }
    };
    let set = [max_sentences != 0, ratio != 0.0, max_words != 0]
        .iter()
        .filter(|b| **b)
        .count();
    if set > 1 {
        return Err(ServiceError::InvalidField {
            field,
            reason: "set only one of max_sentences, ratio, max_words".into(),
        });
    }
    let length = if max_sentences != 0 {
        Length::Sentences(max_sentences as usize)
    } else if ratio != 0.0 {
        if !(ratio > 0.0 && ratio <= 1.0) {
            return Err(ServiceError::InvalidField {
                field,
                reason: format!("ratio must be in (0, 1], got {ratio}"),
            });
        }
        Length::Ratio(ratio)
    } else if max_words != 0 {
        if max_words > MAX_WORDS {
            return Err(ServiceError::InvalidField {
                field,
                reason: format!("max_words must be at most {MAX_WORDS}, got {max_words}"),
            });
        }
        Length::Words(max_words as usize)
    } else {
        Length::Ratio(DEFAULT_RATIO)
    };
    Ok(SummaryOptions {
        length,
        order,
        scoring: Default::default(),
    })
}

impl DocRequest {
    /// Checks the text fields shared by every request first, then the options.
    fn checked(
        (id, model): (String, String),
        title: String,
        (text, html): (String, Vec<u8>),
        limits: Limits,
        options: impl FnOnce() -> Result<AnalyzeOptions, ServiceError>,
    ) -> Result<Self, ServiceError> {
        let (text, html) = input(text, html, limits)?;
        check_title(&title)?;
        let model = model_name(model)?;
        let mut options = options()?;
        options.html = html.is_some();
        Ok(DocRequest {
            id,
            title,
            text,
            html,
            page: None,
            model,
            options,
        })
    }

    /// With `html`: decodes the page and extracts its article (CPU work: call it on the
    /// analysis threads). The text then replaces `text`; a missing title becomes the page's
    /// headline. The article text is held to the same limit as a plain `text` (it is returned
    /// in the response, and clients' default receive limit is 4 MiB). Without `html`, nothing
    /// to do.
    pub fn extract(&mut self, limits: Limits) -> Result<(), ServiceError> {
        let Some(bytes) = self.html.take() else {
            return Ok(());
        };
        let crate::text::html::Page {
            text,
            meta,
            encoding,
        } = crate::text::html::extract(&bytes).map_err(ServiceError::Html)?;
        if text.len() > limits.max_text_bytes {
            return Err(ServiceError::TooLarge {
                field: "html (its article text)",
                bytes: text.len(),
                limit: limits.max_text_bytes,
            });
        }
        if self.title.trim().is_empty() {
            self.title = meta.headline.clone();
        }
        self.text = text;
        self.page = Some((meta, encoding));
        Ok(())
    }

    pub fn from_classify(r: proto::ClassifyRequest, limits: Limits) -> Result<Self, ServiceError> {
        let proto::ClassifyRequest {
            title,
            text,
            top_k: k,
            explain,
            skip_cleaning,
            allowed_labels: allowed,
            html,
            model,
        } = r;
        Self::checked((String::new(), model), title, (text, html), limits, || {
            Ok(AnalyzeOptions {
                clean: !skip_cleaning,
                html: false,
                classify: true,
                top_k: top_k(k, "top_k")?,
                evidence: if explain { EVIDENCE_TERMS } else { 0 },
                summary: None,
                allowed_labels: allowed_labels(allowed)?,
            })
        })
    }

    pub fn from_summarize(
        r: proto::SummarizeRequest,
        limits: Limits,
    ) -> Result<Self, ServiceError> {
        let proto::SummarizeRequest {
            title,
            text,
            options,
            skip_cleaning,
            html,
            model,
        } = r;
        Self::checked((String::new(), model), title, (text, html), limits, || {
            Ok(AnalyzeOptions {
                clean: !skip_cleaning,
                html: false,
                classify: false,
                top_k: DEFAULT_TOP_K,
                evidence: 0,
                summary: Some(summary_options(options, "options")?),
                allowed_labels: Vec::new(),
            })
        })
    }

    pub fn from_analyze(r: proto::AnalyzeRequest, limits: Limits) -> Result<Self, ServiceError> {
        let proto::AnalyzeRequest {
            id,
            title,
            text,
            top_k: k,
            explain,
            summary,
            skip_cleaning,
            allowed_labels: allowed,
            html,
            model,
        } = r;
        if id.len() > 1024 {
            return Err(ServiceError::TooLarge {
                field: "id",
                bytes: id.len(),
                limit: 1024,
            });
        }
        Self::checked((id, model), title, (text, html), limits, || {
            Ok(AnalyzeOptions {
                clean: !skip_cleaning,
                html: false,
                classify: true,
                top_k: top_k(k, "top_k")?,
                evidence: if explain { EVIDENCE_TERMS } else { 0 },
                summary: Some(summary_options(summary, "summary")?),
                allowed_labels: allowed_labels(allowed)?,
            })
        })
    }
}

/// `allowed_labels` as (head, labels) pairs, sorted by head for a deterministic order. Whether
/// the names exist is checked against the model that answers (see `Service::run`).
fn allowed_labels(
    m: std::collections::HashMap<String, proto::LabelSet>,
) -> Result<Vec<(String, Vec<String>)>, ServiceError> {
    if m.len() > 16 {
        return Err(ServiceError::InvalidField {
            field: "allowed_labels",
            reason: format!("{} heads listed; a model has a handful", m.len()),
        });
    }
    let mut out: Vec<(String, Vec<String>)> = m
        .into_iter()
        .map(|(head, proto::LabelSet { labels })| (head, labels))
        .collect();
    if let Some((head, l)) = out.iter().find(|(_, l)| l.len() > MAX_TOP_K as usize) {
        return Err(ServiceError::InvalidField {
            field: "allowed_labels",
            reason: format!(
                "head {head:?}: {} labels listed, at most {MAX_TOP_K}",
                l.len()
            ),
        });
    }
    out.sort();
    Ok(out)
}

fn offset(v: usize) -> u32 {
    // Texts are limited far below 4 GiB (max_text_bytes), so this never saturates in practice.
    u32::try_from(v).unwrap_or(u32::MAX)
}

pub fn cleaning(removed: &[RemovedSpan]) -> proto::Cleaning {
    proto::Cleaning {
        removed: removed
            .iter()
            .map(|r| proto::Removed {
                byte_offset: offset(r.span.start),
                byte_length: offset(r.span.end - r.span.start),
                reason: r.reason.as_str().to_owned(),
            })
            .collect(),
    }
}

fn predictions(heads: &[HeadOutput], name: &str) -> Vec<proto::Prediction> {
    heads
        .iter()
        .find(|h| h.head == name)
        .map(|h| {
            h.labels
                .iter()
                .map(
                    |LabelScore {
                         label,
                         probability,
                         evidence,
                     }| proto::Prediction {
                        label: label.clone(),
                        probability: *probability,
                        evidence: evidence
                            .iter()
                            .map(|(term, weight)| proto::Evidence {
                                term: term.clone(),
                                weight: *weight,
                            })
                            .collect(),
                    },
                )
                .collect()
        })
        .unwrap_or_default()
}

/// The extracted text and page metadata of a request that sent `html` (empty otherwise).
fn page(req: &DocRequest) -> (String, Option<proto::Page>) {
    match &req.page {
        None => (String::new(), None),
        Some((meta, encoding)) => {
            let PageMeta {
                headline,
                byline,
                site_name,
                published_time,
                language,
            } = meta.clone();
            (
                req.text.clone(),
                Some(proto::Page {
                    headline,
                    byline,
                    site_name,
                    published_time,
                    language,
                    encoding: (*encoding).to_owned(),
                }),
            )
        }
    }
}

pub fn classify_response(req: &DocRequest, a: &Analysis, version: &str) -> proto::ClassifyResponse {
    let (extracted_text, page) = page(req);
    proto::ClassifyResponse {
        topics: predictions(&a.heads, "topic"),
        regions: predictions(&a.heads, "region"),
        model_version: version.to_owned(),
        cleaning: Some(cleaning(&a.removed)),
        extracted_text,
        page,
    }
}

/// The summary; `standalone` (Summarize) also carries the cleaning report and, for `html`, the
/// extracted text and page (Analyze reports those once, beside it).
pub fn summarize_response(
    req: &DocRequest,
    a: &Analysis,
    version: &str,
    standalone: bool,
) -> proto::SummarizeResponse {
    let text = &req.text;
    let sentences: Vec<proto::Sentence> = a
        .summary
        .as_deref()
        .unwrap_or_default()
        .iter()
        .map(|s| proto::Sentence {
            text: text[s.span.start..s.span.end].to_owned(),
            index: offset(s.index),
            score: s.score,
            byte_offset: offset(s.span.start),
            byte_length: offset(s.span.end - s.span.start),
        })
        .collect();
    let joined = sentences
        .iter()
        .map(|s| s.text.as_str())
        .collect::<Vec<_>>()
        .join(" ");
    let (extracted_text, page) = if standalone {
        page(req)
    } else {
        (String::new(), None)
    };
    proto::SummarizeResponse {
        sentences,
        text: joined,
        model_version: version.to_owned(),
        cleaning: standalone.then(|| cleaning(&a.removed)),
        extracted_text,
        page,
    }
}

pub fn analyze_response(req: &DocRequest, a: &Analysis, version: &str) -> proto::AnalyzeResponse {
    let (extracted_text, page) = page(req);
    proto::AnalyzeResponse {
        id: req.id.clone(),
        topics: predictions(&a.heads, "topic"),
        regions: predictions(&a.heads, "region"),
        summary: Some(summarize_response(req, a, version, false)),
        cleaning: Some(cleaning(&a.removed)),
        model_version: version.to_owned(),
        error: None,
        extracted_text,
        page,
    }
}

pub fn error_item(id: String, e: &ServiceError) -> proto::AnalyzeResponse {
    proto::AnalyzeResponse {
        id,
        error: Some(proto::Error {
            code: e.code() as i32,
            message: e.to_string(),
        }),
        ..Default::default()
    }
}

/// A served model's description; `name` is the name it is served under.
pub fn model_info(name: &str, meta: &crate::model::ModelMeta) -> proto::ModelInfo {
    proto::ModelInfo {
        name: name.to_owned(),
        version: meta.version.clone(),
        heads: meta
            .heads
            .iter()
            .map(|h| {
                (
                    h.name.clone(),
                    proto::Head {
                        labels: h.labels.clone(),
                        metrics: h.metrics.iter().map(|(k, v)| (k.clone(), *v)).collect(),
                    },
                )
            })
            .collect(),
        created_at: meta.created_at.clone(),
        format_version: meta.format_version.to_string(),
        // The trainer records a learned scorer in the metadata together with its weights.
        summary_scorer: match meta.summary_scorer {
            Some(_) => crate::summarize::learned::SentenceScorer::KIND,
            None => crate::summarize::learned::HAND_SET,
        }
        .to_owned(),
    }
}

/// The name a GetModelInfo request asks about (empty: the default).
pub fn model_info_request(r: proto::GetModelInfoRequest) -> Result<String, ServiceError> {
    let proto::GetModelInfoRequest { model } = r;
    model_name(model)
}

/// Every loaded model, in the server's order (one still loading at startup is left out).
pub fn list_models(models: &super::Models) -> proto::ListModelsResponse {
    proto::ListModelsResponse {
        models: models
            .entries()
            .iter()
            .filter_map(|e| Some(model_info(e.name(), &e.get()?.meta)))
            .collect(),
        default_model: models.default_entry().name().to_owned(),
    }
}
