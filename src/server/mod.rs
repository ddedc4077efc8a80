//! The gRPC server: lede.v1 Analyzer, grpc.health.v1, server reflection (v1 and v1alpha).
//!
//! Startup: the model names are resolved (a duplicate is an error before anything is served);
//! the listener is bound first and health reports NOT_SERVING; the models are loaded on the
//! blocking pool, the default first; each model's health (`lede.v1.Analyzer/<name>`) turns
//! SERVING when it is loaded, the whole service's ("" and `lede.v1.Analyzer`) when the default
//! is. A model that fails to load at startup is a fatal error (the caller exits with one clear
//! line). Later reloads ([`State::reload`], wired to SIGHUP by the binary) reload every model
//! and swap each atomically on its own (see [`models`]); a model whose new bundle fails
//! validation keeps its old version serving, the failure is logged and counted, and the other
//! models still reload. Shutdown stops accepting, lets in-flight calls finish within the grace
//! period, then returns.

pub mod convert;
pub mod error;
pub mod metrics;
pub mod models;
pub mod proto;
mod service;
pub mod trace;

use std::future::Future;
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use tokio::net::TcpListener;
use tonic::transport::Server;
use tracing::{error, info};

use crate::model::{Model, ModelError};

pub use error::ServiceError;
pub use models::{ModelSpec, Models, ModelsError};
pub use service::Service;

/// Server limits and behaviour. Every field has a documented default ([`Default`]).
#[derive(Debug, Clone)]
pub struct ServerConfig {
    /// The models to serve, in order: the one named "default", else the first, answers
    /// requests that name none. Default: the bundle `models/default` under its own name.
    pub models: Vec<ModelSpec>,
    /// Largest accepted gRPC message (decoded), bytes. Default 5 MiB: room for a page of
    /// `max_html_bytes` (4 MiB) plus the title (at most 64 KiB), id and framing.
    pub max_request_bytes: usize,
    /// Largest accepted `text`, bytes. Default 1 MiB.
    pub max_text_bytes: usize,
    /// Largest accepted `html` page, bytes. Default 4 MiB. Requests are also bounded by
    /// `max_request_bytes`: keep it above this.
    pub max_html_bytes: usize,
    /// Most items in one AnalyzeStream call. Default 100,000.
    pub max_stream_items: usize,
    /// Most calls in flight; more are shed with RESOURCE_EXHAUSTED. Default 256.
    pub max_concurrent_calls: usize,
    /// Deadline applied when the client sends none. Default 30 s.
    pub default_deadline: Duration,
    /// How long shutdown waits for in-flight calls. Default 10 s.
    pub shutdown_grace: Duration,
    /// Serve TLS (and require client certificates if `client_ca_pem` is set). Default: none.
    pub tls: Option<TlsConfig>,
    /// Serve Prometheus metrics (`GET /metrics`) on this address; None: no metrics at all.
    /// Default: none here (the binary's default is 0.0.0.0:9100).
    pub metrics_addr: Option<SocketAddr>,
}

/// PEM material for TLS (rustls through tonic). The binary reads the files; the library never
/// touches the filesystem for it.
#[derive(Clone)]
pub struct TlsConfig {
    pub cert_pem: Vec<u8>,
    pub key_pem: Vec<u8>,
    /// With a client CA, only clients presenting a certificate it signed are accepted (mTLS).
    pub client_ca_pem: Option<Vec<u8>>,
}

impl std::fmt::Debug for TlsConfig {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        // Never print key material.
        f.debug_struct("TlsConfig")
            .field("mutual", &self.client_ca_pem.is_some())
            .finish_non_exhaustive()
    }
}

impl Default for ServerConfig {
    fn default() -> Self {
        ServerConfig {
            models: vec![ModelSpec::path("models/default")],
            max_request_bytes: 5 << 20,
            max_text_bytes: 1 << 20,
            max_html_bytes: 4 << 20,
            max_stream_items: 100_000,
            max_concurrent_calls: 256,
            default_deadline: Duration::from_secs(30),
            shutdown_grace: Duration::from_secs(10),
            tls: None,
            metrics_addr: None,
        }
    }
}

/// Errors that stop the server.
#[derive(Debug, thiserror::Error)]
pub enum ServerError {
    #[error(transparent)]
    Models(#[from] ModelsError),
    #[error("model {name:?}: {source}")]
    Model { name: String, source: ModelError },
    #[error(transparent)]
    Transport(#[from] tonic::transport::Error),
    #[error(transparent)]
    Reflection(#[from] tonic_reflection::server::Error),
    #[error("model loading task failed: {0}")]
    Task(String),
    #[error("cannot listen for metrics on {addr}: {source}")]
    MetricsListen {
        addr: SocketAddr,
        source: std::io::Error,
    },
}

/// Shared state: configuration and the served models.
pub struct State {
    pub config: ServerConfig,
    models: Models,
    health: tonic_health::server::HealthReporter,
    /// None when metrics are off.
    pub metrics: Option<Arc<metrics::Metrics>>,
}

/// What reloading one model did.
#[derive(Debug)]
pub struct Reloaded {
    /// The model's served name.
    pub model: String,
    /// The version serving now, or why the new bundle was refused (the old version serves on).
    pub version: Result<String, ModelError>,
}

impl State {
    /// The default model serving now (None until its first load finished).
    pub fn model(&self) -> Option<Arc<Model>> {
        self.models.default_entry().get()
    }

    /// Every served model.
    pub fn models(&self) -> &Models {
        &self.models
    }

    async fn load(entry: &models::Entry) -> Result<Arc<Model>, ModelError> {
        let path = entry.path().to_path_buf();
        let t0 = std::time::Instant::now();
        let model = tokio::task::spawn_blocking(move || Model::load(&path))
            .await
            .map_err(|e| ModelError::Corrupt {
                path: entry.path().to_path_buf(),
                what: format!("loader task failed: {e}"),
            })??;
        info!(
            model = entry.name(),
            version = %model.meta.version,
            ms = t0.elapsed().as_millis() as u64,
            path = %entry.path().display(),
            "model loaded"
        );
        Ok(Arc::new(model))
    }

    /// Puts `m` in service under `entry`'s name (and in the metrics' model info).
    fn store(&self, entry: &models::Entry, m: Arc<Model>) {
        if let Some(metrics) = &self.metrics {
            metrics.model_loaded(entry.name(), &m.meta.name, &m.meta.version);
        }
        entry.store(m);
    }

    /// Loads every model again from its path and swaps each in on its own. A model whose new
    /// bundle fails keeps its old version serving; the error is logged, counted and returned in
    /// its [`Reloaded`]; the models after it still reload. One model at a time, so a reload
    /// holds at most one model's weights beyond those serving.
    pub async fn reload(&self) -> Vec<Reloaded> {
        let mut out = Vec::with_capacity(self.models.entries().len());
        for entry in self.models.entries() {
            let version = match Self::load(entry).await {
                Ok(m) => {
                    let v = m.meta.version.clone();
                    self.store(entry, m);
                    info!(model = entry.name(), version = %v, "model reloaded");
                    Ok(v)
                }
                Err(e) => {
                    error!(
                        model = entry.name(),
                        error = %e,
                        "model reload failed; its previous version keeps serving"
                    );
                    Err(e)
                }
            };
            if let Some(metrics) = &self.metrics {
                metrics.reload(entry.name(), version.is_ok());
            }
            out.push(Reloaded {
                model: entry.name().to_owned(),
                version,
            });
        }
        out
    }
}

/// The health name of one model: `lede.v1.Analyzer/<name>`.
pub fn health_name(model: &str) -> String {
    format!("{ANALYZER}/{model}")
}

const ANALYZER: &str =
    <proto::analyzer_server::AnalyzerServer<Service> as tonic::server::NamedService>::NAME;

fn serving_status(serving: bool) -> tonic_health::ServingStatus {
    if serving {
        tonic_health::ServingStatus::Serving
    } else {
        tonic_health::ServingStatus::NotServing
    }
}

/// Sets the health of both the Analyzer service and the whole server ("").
async fn set_health(h: &tonic_health::server::HealthReporter, serving: bool) {
    let status = serving_status(serving);
    h.set_service_status(ANALYZER, status).await;
    h.set_service_status("", status).await;
}

/// Sets the health of every model (`lede.v1.Analyzer/<name>`) and of the whole service.
async fn set_all_health(h: &tonic_health::server::HealthReporter, models: &Models, serving: bool) {
    for e in models.entries() {
        h.set_service_status(health_name(e.name()), serving_status(serving))
            .await;
    }
    set_health(h, serving).await;
}

/// A running server's handle for the embedding program (tests, the binary).
#[derive(Clone)]
pub struct Handle {
    pub state: Arc<State>,
    /// Where `GET /metrics` is served (the bound address: port 0 resolved), if metrics are on.
    pub metrics_addr: Option<SocketAddr>,
}

/// Serves on `listener` until `shutdown` resolves. `ready` receives the handle once the
/// service accepts calls (before the model is loaded: health says NOT_SERVING until then).
pub async fn serve(
    config: ServerConfig,
    listener: TcpListener,
    shutdown: impl Future<Output = ()> + Send + 'static,
    ready: impl FnOnce(Handle) + Send,
) -> Result<(), ServerError> {
    // Names first: a duplicate name or a missing bundle fails before anything is served.
    let models = Models::new(&config.models)?;
    // Metrics first: a busy or bad metrics address fails before anything is served.
    let metrics_listener = match config.metrics_addr {
        Some(addr) => Some(
            TcpListener::bind(addr)
                .await
                .map_err(|source| ServerError::MetricsListen { addr, source })?,
        ),
        None => None,
    };
    let metrics_addr = metrics_listener.as_ref().and_then(|l| l.local_addr().ok());
    let metrics = metrics_listener
        .as_ref()
        .map(|_| Arc::new(metrics::Metrics::new()));
    // Dropping this handle (when `serve` returns) stops the endpoint.
    let _metrics_task = metrics_listener.zip(metrics.clone()).map(|(l, m)| {
        info!(addr = ?metrics_addr, "metrics on GET /metrics");
        AbortOnDrop(tokio::spawn(metrics::serve_http(l, m)))
    });
    let (health, health_service) = tonic_health::server::health_reporter();
    set_all_health(&health, &models, false).await;
    let state = Arc::new(State {
        config: config.clone(),
        models,
        health: health.clone(),
        metrics: metrics.clone(),
    });

    let reflection_v1 = tonic_reflection::server::Builder::configure()
        .register_encoded_file_descriptor_set(proto::FILE_DESCRIPTOR_SET)
        .register_encoded_file_descriptor_set(tonic_health::pb::FILE_DESCRIPTOR_SET)
        .build_v1()?;
    let reflection_v1alpha = tonic_reflection::server::Builder::configure()
        .register_encoded_file_descriptor_set(proto::FILE_DESCRIPTOR_SET)
        .register_encoded_file_descriptor_set(tonic_health::pb::FILE_DESCRIPTOR_SET)
        .build_v1alpha()?;

    let analyzer = proto::analyzer_server::AnalyzerServer::new(Service::new(state.clone()))
        .max_decoding_message_size(config.max_request_bytes)
        .accept_compressed(tonic::codec::CompressionEncoding::Gzip)
        .send_compressed(tonic::codec::CompressionEncoding::Gzip);

    let (stop_tx, stop_rx) = tokio::sync::oneshot::channel::<()>();
    // Small request/response pairs must not wait for Nagle's algorithm (40 ms with delayed ACKs).
    let incoming = tonic::transport::server::TcpIncoming::from(listener).with_nodelay(Some(true));
    let layer = tower::ServiceBuilder::new()
        // Outermost, so it sees shed calls and times the queueing behind the limit too.
        .layer(metrics::MetricsLayer::new(metrics))
        .load_shed()
        .concurrency_limit(config.max_concurrent_calls)
        .into_inner();
    let mut builder = Server::builder();
    if let Some(tls) = &config.tls {
        let mut t = tonic::transport::ServerTlsConfig::new().identity(
            tonic::transport::Identity::from_pem(&tls.cert_pem, &tls.key_pem),
        );
        if let Some(ca) = &tls.client_ca_pem {
            t = t.client_ca_root(tonic::transport::Certificate::from_pem(ca));
        }
        builder = builder.tls_config(t)?;
    }
    let server = builder
        .timeout(config.default_deadline)
        .layer(layer)
        .add_service(health_service)
        .add_service(reflection_v1)
        .add_service(reflection_v1alpha)
        .add_service(analyzer)
        .serve_with_incoming_shutdown(incoming, async {
            let _ = stop_rx.await;
        });
    let mut server = tokio::spawn(server);
    // Let the server task start on its own before `ready` runs: a `ready` that blocks its
    // thread must not hold the freshly spawned task in this worker's LIFO slot.
    tokio::task::yield_now().await;
    ready(Handle {
        state: state.clone(),
        metrics_addr,
    });

    // Load the models, the default first (the service is SERVING once it is); a failure here
    // is fatal. One at a time, as on reload: a load's transient buffers come on top of the
    // models already loaded, and there is one of them at a time.
    let default = state.models.default_entry();
    let order = std::iter::once(default).chain(
        state
            .models
            .entries()
            .iter()
            .filter(|e| !std::ptr::eq(*e, default)),
    );
    for entry in order {
        match State::load(entry).await {
            Ok(m) => state.store(entry, m),
            Err(source) => {
                let _ = stop_tx.send(());
                let _ = server.await;
                return Err(ServerError::Model {
                    name: entry.name().to_owned(),
                    source,
                });
            }
        }
        state
            .health
            .set_service_status(health_name(entry.name()), serving_status(true))
            .await;
        if std::ptr::eq(entry, default) {
            set_health(&state.health, true).await;
        }
    }
    info!(models = state.models.entries().len(), "serving");

    tokio::select! {
        r = &mut server => {
            return r.map_err(|e| ServerError::Task(e.to_string()))?.map_err(Into::into);
        }
        _ = shutdown => {}
    }
    info!(
        grace_s = config.shutdown_grace.as_secs_f64(),
        "shutting down: draining in-flight calls"
    );
    set_all_health(&state.health, &state.models, false).await;
    let _ = stop_tx.send(());
    match tokio::time::timeout(config.shutdown_grace, &mut server).await {
        Ok(r) => r.map_err(|e| ServerError::Task(e.to_string()))??,
        Err(_) => {
            error!("grace period over: closing remaining calls");
            server.abort();
        }
    }
    info!("stopped");
    Ok(())
}

/// Aborts a spawned task when dropped (the metrics endpoint lives exactly as long as `serve`).
struct AbortOnDrop(tokio::task::JoinHandle<()>);

impl Drop for AbortOnDrop {
    fn drop(&mut self) {
        self.0.abort();
    }
}
