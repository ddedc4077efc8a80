//! The lede.v1 Analyzer service: thin handlers (validate -> convert -> library -> convert back).

use std::pin::Pin;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::Arc;
use std::time::Instant;

use tokio::sync::mpsc;
use tokio_stream::{wrappers::ReceiverStream, Stream, StreamExt};
use tonic::{Code, Request, Response, Status, Streaming};
use tracing::{info, warn, Instrument};

use crate::model::{Analysis, Model};

use super::convert::{self, DocRequest, Limits};
use super::error::ServiceError;
use super::proto;
use super::proto::analyzer_server::Analyzer;
use super::trace;
use super::State;

/// The service; cheap to clone (shares [`State`]).
#[derive(Clone)]
pub struct Service {
    state: Arc<State>,
}

static REQUEST_SEQ: AtomicU64 = AtomicU64::new(1);

/// The caller's `x-request-id` (printable ASCII, at most 64 bytes) or a server-made one.
fn request_id<T>(r: &Request<T>) -> String {
    r.metadata()
        .get("x-request-id")
        .and_then(|v| v.to_str().ok())
        .filter(|s| s.len() <= 64 && s.bytes().all(|b| b.is_ascii_graphic()))
        .map(str::to_owned)
        .unwrap_or_else(|| format!("s{}", REQUEST_SEQ.fetch_add(1, Ordering::Relaxed)))
}

/// What a call's span and log line take from its metadata: the request id and the caller's
/// trace context (see [`trace::parent`]).
fn call_context<T>(r: &Request<T>) -> (String, opentelemetry::Context) {
    (request_id(r), trace::parent(r.metadata()))
}

impl Service {
    pub fn new(state: Arc<State>) -> Self {
        Service { state }
    }

    fn limits(&self) -> Limits {
        Limits {
            max_text_bytes: self.state.config.max_text_bytes,
            max_html_bytes: self.state.config.max_html_bytes,
        }
    }

    /// Runs one analysis on the blocking pool, so long texts never stall the async runtime.
    /// HTML is extracted there too (parsing a page is CPU work like the rest).
    async fn run(
        &self,
        mut req: DocRequest,
    ) -> Result<(Arc<Model>, DocRequest, Analysis), ServiceError> {
        let model = self.state.models().get(&req.model)?;
        model.check_allowed_labels(&req.options.allowed_labels)?;
        // The analysis threads are few (one per core) and their queue is not: if this call is
        // dropped (deadline, client gone) before its analysis starts, the analysis is skipped
        // instead of spending CPU on an answer nobody will read.
        let abandoned = Arc::new(AtomicBool::new(false));
        let _guard = SetOnDrop(abandoned.clone());
        let limits = self.limits();
        tokio::task::spawn_blocking(move || {
            if abandoned.load(Ordering::Relaxed) {
                return None;
            }
            if let Err(e) = req.extract(limits) {
                return Some(Err(e));
            }
            let a = model.analyze(&req.title, &req.text, &req.options);
            Some(Ok((model, req, a)))
        })
        .await
        .map_err(|e| ServiceError::Internal(format!("analysis task failed: {e}")))?
        .ok_or_else(|| ServiceError::Internal("analysis skipped after the call ended".into()))?
        .inspect(|(_, _, a)| {
            if let Some(m) = &self.state.metrics {
                m.removals(a.removed.iter().map(|r| r.reason));
            }
        })
    }

    /// Wraps a unary handler body with a span and one log line with latency and outcome.
    async fn unary<T, F>(
        &self,
        method: &'static str,
        id: String,
        parent: opentelemetry::Context,
        bytes: usize,
        f: F,
    ) -> Result<Response<T>, Status>
    where
        F: std::future::Future<Output = Result<T, ServiceError>>,
    {
        if let Some(m) = &self.state.metrics {
            m.document(method, bytes);
        }
        let span = trace::call_span(method, &id, Some(bytes), parent);
        async move {
            let t0 = Instant::now();
            let out = f.await;
            let ms = t0.elapsed().as_secs_f64() * 1e3;
            trace::record_status(out.as_ref().map_or_else(ServiceError::code, |_| Code::Ok));
            match out {
                Ok(v) => {
                    info!(latency_ms = ms, outcome = "ok");
                    Ok(Response::new(v))
                }
                Err(e) => {
                    if matches!(e, ServiceError::Internal(_)) {
                        warn!(latency_ms = ms, outcome = ?e.code(), error = %e);
                    } else {
                        info!(latency_ms = ms, outcome = ?e.code(), error = %e);
                    }
                    Err(e.into())
                }
            }
        }
        .instrument(span)
        .await
    }
}

type AnalyzeStreamOut =
    Pin<Box<dyn Stream<Item = Result<proto::AnalyzeResponse, Status>> + Send + 'static>>;

#[tonic::async_trait]
impl Analyzer for Service {
    async fn classify(
        &self,
        request: Request<proto::ClassifyRequest>,
    ) -> Result<Response<proto::ClassifyResponse>, Status> {
        let (id, parent) = call_context(&request);
        let r = request.into_inner();
        let bytes = r.text.len() + r.title.len() + r.html.len();
        self.unary("Classify", id, parent, bytes, async {
            let req = DocRequest::from_classify(r, self.limits())?;
            let (model, req, a) = self.run(req).await?;
            Ok(convert::classify_response(&req, &a, &model.meta.version))
        })
        .await
    }

    async fn summarize(
        &self,
        request: Request<proto::SummarizeRequest>,
    ) -> Result<Response<proto::SummarizeResponse>, Status> {
        let (id, parent) = call_context(&request);
        let r = request.into_inner();
        let bytes = r.text.len() + r.title.len() + r.html.len();
        self.unary("Summarize", id, parent, bytes, async {
            let req = DocRequest::from_summarize(r, self.limits())?;
            let (model, req, a) = self.run(req).await?;
            Ok(convert::summarize_response(
                &req,
                &a,
                &model.meta.version,
                true,
            ))
        })
        .await
    }

    async fn analyze(
        &self,
        request: Request<proto::AnalyzeRequest>,
    ) -> Result<Response<proto::AnalyzeResponse>, Status> {
        let (id, parent) = call_context(&request);
        let r = request.into_inner();
        let bytes = r.text.len() + r.title.len() + r.html.len();
        self.unary("Analyze", id, parent, bytes, async {
            let req = DocRequest::from_analyze(r, self.limits())?;
            let (model, req, a) = self.run(req).await?;
            Ok(convert::analyze_response(&req, &a, &model.meta.version))
        })
        .await
    }

    type AnalyzeStreamStream = AnalyzeStreamOut;

    async fn analyze_stream(
        &self,
        request: Request<Streaming<proto::AnalyzeRequest>>,
    ) -> Result<Response<Self::AnalyzeStreamStream>, Status> {
        let (id, parent) = call_context(&request);
        if self.state.model().is_none() {
            return Err(ServiceError::NoModel.into());
        }
        let mut input = request.into_inner();
        // A small buffer: a client that stops reading stops the server reading its requests
        // (backpressure), so it holds at most this many responses, not a whole batch.
        let (tx, rx) = mpsc::channel(16);
        let svc = self.clone();
        let limit = self.state.config.max_stream_items;
        let span = trace::call_span("AnalyzeStream", &id, None, parent);
        tokio::spawn(
            async move {
                let t0 = Instant::now();
                let (mut items, mut errors) = (0usize, 0usize);
                while let Some(next) = input.next().await {
                    let item = match next {
                        Ok(item) => item,
                        Err(status) => {
                            // The client's stream broke (bad frame, disconnect): nothing to answer.
                            info!(error = %status, "request stream ended with an error");
                            break;
                        }
                    };
                    items += 1;
                    if items > limit {
                        let e = ServiceError::TooManyItems { limit };
                        let _ = tx.send(Err(e.into())).await;
                        break;
                    }
                    if let Some(m) = &svc.state.metrics {
                        m.document(
                            "AnalyzeStream",
                            item.text.len() + item.title.len() + item.html.len(),
                        );
                    }
                    let item_id = item.id.clone();
                    let out = match DocRequest::from_analyze(item, svc.limits()) {
                        Ok(req) => match svc.run(req).await {
                            Ok((model, req, a)) => {
                                convert::analyze_response(&req, &a, &model.meta.version)
                            }
                            Err(e) => {
                                errors += 1;
                                convert::error_item(item_id, &e)
                            }
                        },
                        Err(e) => {
                            errors += 1;
                            convert::error_item(item_id, &e)
                        }
                    };
                    if let Some(m) = &svc.state.metrics {
                        m.stream_item(out.error.is_none());
                    }
                    if tx.send(Ok(out)).await.is_err() {
                        info!("client went away");
                        break;
                    }
                }
                info!(
                    latency_ms = t0.elapsed().as_secs_f64() * 1e3,
                    items,
                    errors,
                    outcome = "ok"
                );
            }
            .instrument(span),
        );
        Ok(Response::new(
            Box::pin(ReceiverStream::new(rx)) as AnalyzeStreamOut
        ))
    }

    async fn get_model_info(
        &self,
        request: Request<proto::GetModelInfoRequest>,
    ) -> Result<Response<proto::ModelInfo>, Status> {
        let (id, parent) = call_context(&request);
        self.unary("GetModelInfo", id, parent, 0, async {
            let name = convert::model_info_request(request.into_inner())?;
            let entry = self.state.models().find(&name)?;
            let model = entry.get().ok_or(ServiceError::NoModel)?;
            Ok(convert::model_info(entry.name(), &model.meta))
        })
        .await
    }

    async fn list_models(
        &self,
        request: Request<proto::ListModelsRequest>,
    ) -> Result<Response<proto::ListModelsResponse>, Status> {
        let (id, parent) = call_context(&request);
        self.unary("ListModels", id, parent, 0, async {
            let proto::ListModelsRequest {} = request.into_inner();
            // Before the default is loaded the service is not ready, as for every other call.
            self.state.model().ok_or(ServiceError::NoModel)?;
            Ok(convert::list_models(self.state.models()))
        })
        .await
    }
}

/// Sets its flag when dropped: tells queued work that its call has ended.
struct SetOnDrop(Arc<AtomicBool>);

impl Drop for SetOnDrop {
    fn drop(&mut self) {
        self.0.store(true, Ordering::Relaxed);
    }
}
