//! `lede-server`: serves lede.v1 over gRPC. `lede-server healthcheck` probes a running server
//! (used by the container's HEALTHCHECK: no extra tools in the image).

use std::net::SocketAddr;
use std::path::PathBuf;
use std::time::Duration;

use anyhow::{bail, Context, Result};
use clap::{Parser, Subcommand, ValueEnum};
use lede::server::{self, ServerConfig};

#[derive(Parser, Debug)]
#[command(
    version,
    about = "Lede: topic, region and summaries of news articles over gRPC"
)]
struct Args {
    #[command(subcommand)]
    command: Option<Command>,
    /// Address to listen on.
    #[arg(long, env = "LEDE_ADDR", default_value = "0.0.0.0:50051")]
    addr: String,
    /// A model to serve: NAME=PATH, or a bare PATH (a bundle directory or model.lede file)
    /// served under its bundle's name. Repeat it to serve several; the one named "default",
    /// else the first, answers requests that name no model. With neither --model nor
    /// --model-dir: models/default relative to the working directory, then to the binary
    /// (../../models/default), then /models/default.
    #[arg(long, env = "LEDE_MODEL", value_name = "[NAME=]PATH")]
    model: Vec<String>,
    /// Serve every bundle DIR/NAME/model.lede under its directory name NAME (after any
    /// --model, sorted by name).
    #[arg(long, env = "LEDE_MODEL_DIR", value_name = "DIR")]
    model_dir: Option<PathBuf>,
    /// Largest gRPC request message, bytes (bigger: OUT_OF_RANGE). The default leaves room for
    /// a page of --max-html-bytes plus title and framing; keep it above --max-html-bytes.
    #[arg(long, env = "LEDE_MAX_REQUEST_BYTES", default_value_t = 5 << 20)]
    max_request_bytes: usize,
    /// Largest article text, bytes (bigger: RESOURCE_EXHAUSTED).
    #[arg(long, env = "LEDE_MAX_TEXT_BYTES", default_value_t = 1 << 20)]
    max_text_bytes: usize,
    /// Largest raw HTML page (the `html` field), bytes (bigger: RESOURCE_EXHAUSTED).
    #[arg(long, env = "LEDE_MAX_HTML_BYTES", default_value_t = 4 << 20)]
    max_html_bytes: usize,
    /// Most items in one AnalyzeStream call.
    #[arg(long, env = "LEDE_MAX_STREAM_ITEMS", default_value_t = 100_000)]
    max_stream_items: usize,
    /// Most calls in flight; beyond it calls are shed with RESOURCE_EXHAUSTED.
    #[arg(long, env = "LEDE_MAX_CONCURRENT_CALLS", default_value_t = 256)]
    max_concurrent_calls: usize,
    /// Threads that run analyses (0: one per CPU core). Analyses are CPU-bound, so more
    /// threads than cores only add memory (each keeps its own token caches); calls beyond them
    /// wait their turn within --max-concurrent-calls.
    #[arg(long, env = "LEDE_ANALYSIS_THREADS", default_value_t = 0)]
    analysis_threads: usize,
    /// Deadline for calls that carry none, seconds.
    #[arg(long, env = "LEDE_DEFAULT_DEADLINE_SECS", default_value_t = 30.0)]
    default_deadline_secs: f64,
    /// How long shutdown waits for in-flight calls, seconds.
    #[arg(long, env = "LEDE_SHUTDOWN_GRACE_SECS", default_value_t = 10.0)]
    shutdown_grace_secs: f64,
    /// TLS certificate chain (PEM). With --tls-key, the server speaks only TLS.
    #[arg(long, env = "LEDE_TLS_CERT", requires = "tls_key")]
    tls_cert: Option<PathBuf>,
    /// TLS private key (PEM).
    #[arg(long, env = "LEDE_TLS_KEY", requires = "tls_cert")]
    tls_key: Option<PathBuf>,
    /// CA (PEM) that client certificates must chain to: enables mutual TLS.
    #[arg(long, env = "LEDE_TLS_CLIENT_CA", requires = "tls_cert")]
    tls_client_ca: Option<PathBuf>,
    /// Address for Prometheus metrics (GET /metrics over HTTP/1), or "off" for no metrics.
    #[arg(long, env = "LEDE_METRICS_ADDR", default_value = "0.0.0.0:9100")]
    metrics_addr: String,
    /// Log format.
    #[arg(long, env = "LEDE_LOG_FORMAT", value_enum, default_value_t = LogFormat::Text)]
    log_format: LogFormat,
    /// Export spans to this OpenTelemetry collector (OTLP over gRPC), e.g. http://127.0.0.1:4317.
    /// Default: no export (log lines still carry each call's trace id).
    #[arg(long, env = "LEDE_OTLP_ENDPOINT")]
    otlp_endpoint: Option<String>,
}

#[derive(Subcommand, Debug)]
enum Command {
    /// Ask a running server's grpc.health.v1 service; exit 0 if SERVING, 1 otherwise.
    Healthcheck {
        /// Server address.
        #[arg(long, default_value = "127.0.0.1:50051")]
        addr: String,
        /// Give up after this many seconds.
        #[arg(long, default_value_t = 3.0)]
        timeout_secs: f64,
    },
}

#[derive(Clone, Copy, Debug, ValueEnum)]
enum LogFormat {
    Text,
    Json,
}

/// Logs to stderr, filtered by `RUST_LOG`; spans to the collector if `otlp` is set (filtered
/// on their own, so a quieter `RUST_LOG` does not thin the traces).
fn init_tracing(format: LogFormat, otlp: Option<&server::trace::Otlp>) {
    use tracing_subscriber::{layer::SubscriberExt, util::SubscriberInitExt, Layer};
    let filter = tracing_subscriber::EnvFilter::try_from_default_env()
        .unwrap_or_else(|_| "info,h2=warn,tower=warn,hyper=warn".into());
    let logs = tracing_subscriber::fmt::layer()
        .with_ansi(std::io::IsTerminal::is_terminal(&std::io::stderr()))
        .with_writer(std::io::stderr);
    let logs = match format {
        LogFormat::Text => logs.boxed(),
        LogFormat::Json => logs.json().flatten_event(true).boxed(),
    };
    tracing_subscriber::registry()
        .with(logs.with_filter(filter))
        .with(otlp.map(|o| o.layer()))
        .init();
}

/// The default model: working directory, next to the binary (target/*/ -> repo), container path.
fn default_model() -> Result<PathBuf> {
    let mut candidates = vec![PathBuf::from("models/default")];
    if let Ok(exe) = std::env::current_exe() {
        if let Some(dir) = exe.parent() {
            candidates.push(dir.join("models/default"));
            candidates.push(dir.join("../../models/default"));
        }
    }
    candidates.push(PathBuf::from("/models/default"));
    for c in &candidates {
        if c.join(lede::model::MODEL_FILE).is_file() {
            return Ok(c.clone());
        }
    }
    bail!(
        "no model found (looked in {}); pass --model DIR or --model-dir DIR",
        candidates
            .iter()
            .map(|c| c.display().to_string())
            .collect::<Vec<_>>()
            .join(", ")
    )
}

fn secs(v: f64, flag: &str) -> Result<Duration> {
    if !(v.is_finite() && v > 0.0 && v < 1e7) {
        bail!("--{flag} must be a positive number of seconds, got {v}");
    }
    Ok(Duration::from_secs_f64(v))
}

fn config(a: &Args) -> Result<(SocketAddr, ServerConfig)> {
    let addr: SocketAddr = a.addr.parse().with_context(|| {
        format!(
            "--addr {:?} is not a socket address like 0.0.0.0:50051",
            a.addr
        )
    })?;
    let metrics_addr = match a.metrics_addr.as_str() {
        "off" => None,
        s => Some(s.parse::<SocketAddr>().with_context(|| {
            format!("--metrics-addr {s:?} is not a socket address like 0.0.0.0:9100 or \"off\"")
        })?),
    };
    let mut models: Vec<server::ModelSpec> = a
        .model
        .iter()
        .map(|s| server::ModelSpec::parse(s))
        .collect();
    if let Some(dir) = &a.model_dir {
        models.extend(server::models::discover(dir)?);
    }
    if models.is_empty() {
        models.push(server::ModelSpec::path(default_model()?));
    }
    // Fail fast on an obviously missing model (the full validation happens at load).
    for m in &models {
        lede::model::model_file(&m.path)?;
    }
    for (v, flag) in [
        (a.max_request_bytes, "max-request-bytes"),
        (a.max_text_bytes, "max-text-bytes"),
        (a.max_html_bytes, "max-html-bytes"),
        (a.max_stream_items, "max-stream-items"),
        (a.max_concurrent_calls, "max-concurrent-calls"),
    ] {
        if v == 0 {
            bail!("--{flag} must be at least 1");
        }
    }
    if a.max_html_bytes >= a.max_request_bytes {
        tracing::warn!(
            "--max-html-bytes ({}) is not below --max-request-bytes ({}): pages near the HTML limit will be refused as too-large messages (OUT_OF_RANGE)",
            a.max_html_bytes,
            a.max_request_bytes
        );
    }
    let read = |p: &PathBuf, what: &str| {
        std::fs::read(p).with_context(|| format!("cannot read the TLS {what} {}", p.display()))
    };
    let tls = match (&a.tls_cert, &a.tls_key) {
        (Some(c), Some(k)) => Some(server::TlsConfig {
            cert_pem: read(c, "certificate")?,
            key_pem: read(k, "key")?,
            client_ca_pem: a
                .tls_client_ca
                .as_ref()
                .map(|p| read(p, "client CA"))
                .transpose()?,
        }),
        _ => None,
    };
    Ok((
        addr,
        ServerConfig {
            tls,
            metrics_addr,
            models,
            max_request_bytes: a.max_request_bytes,
            max_text_bytes: a.max_text_bytes,
            max_html_bytes: a.max_html_bytes,
            max_stream_items: a.max_stream_items,
            max_concurrent_calls: a.max_concurrent_calls,
            default_deadline: secs(a.default_deadline_secs, "default-deadline-secs")?,
            shutdown_grace: secs(a.shutdown_grace_secs, "shutdown-grace-secs")?,
        },
    ))
}

async fn healthcheck(addr: &str, timeout: Duration) -> Result<()> {
    use tonic_health::pb::{
        health_check_response::ServingStatus, health_client::HealthClient, HealthCheckRequest,
    };
    let uri = format!("http://{addr}");
    let channel = tonic::transport::Endpoint::from_shared(uri)?
        .connect_timeout(timeout)
        .timeout(timeout)
        .connect()
        .await
        .with_context(|| format!("cannot connect to {addr}"))?;
    let resp = HealthClient::new(channel)
        .check(HealthCheckRequest {
            service: String::new(),
        })
        .await
        .context("health check failed")?;
    let status = resp.into_inner().status();
    if status != ServingStatus::Serving {
        bail!("server reports {status:?}");
    }
    println!("SERVING");
    Ok(())
}

async fn shutdown_signal() {
    use tokio::signal::unix::{signal, SignalKind};
    let mut term = signal(SignalKind::terminate()).expect("install SIGTERM handler");
    let mut int = signal(SignalKind::interrupt()).expect("install SIGINT handler");
    tokio::select! {
        _ = term.recv() => tracing::info!("SIGTERM received"),
        _ = int.recv() => tracing::info!("SIGINT received"),
    }
}

async fn run(args: Args) -> Result<()> {
    if let Some(Command::Healthcheck { addr, timeout_secs }) = &args.command {
        return healthcheck(addr, secs(*timeout_secs, "timeout-secs")?).await;
    }
    // Before anything logs: a bad endpoint is a configuration error like the others.
    let otlp = args
        .otlp_endpoint
        .as_deref()
        .map(server::trace::Otlp::new)
        .transpose()?;
    init_tracing(args.log_format, otlp.as_ref());
    if let Some(endpoint) = &args.otlp_endpoint {
        tracing::info!(%endpoint, "exporting spans over OTLP");
    }
    let (addr, cfg) = config(&args)?;
    let listener = tokio::net::TcpListener::bind(addr)
        .await
        .with_context(|| format!("cannot listen on {addr}"))?;
    tracing::info!(addr = %listener.local_addr()?, models = cfg.models.len(), "listening");
    let mut hup = tokio::signal::unix::signal(tokio::signal::unix::SignalKind::hangup())
        .context("installing the SIGHUP handler")?;
    let served = server::serve(cfg, listener, shutdown_signal(), move |handle| {
        tokio::spawn(async move {
            while hup.recv().await.is_some() {
                tracing::info!("SIGHUP received: reloading every model");
                let _ = handle.state.reload().await;
            }
        });
    })
    .await;
    // Spans of the last calls are still queued: send them before exiting, even on an error.
    if let Some(otlp) = otlp {
        otlp.shutdown().await;
    }
    served?;
    Ok(())
}

fn main() {
    let args = Args::parse();
    let analysis_threads = match args.analysis_threads {
        0 => std::thread::available_parallelism().map_or(2, |n| n.get()),
        n => n,
    };
    // Analyses run on tokio's blocking pool. Its default (up to 512 threads, each dropped after
    // 10 s idle) let memory creep under load: every new thread grew fresh caches and malloc
    // arenas. A fixed, long-lived set keeps RSS flat after warm-up (bench/soak.sh).
    let rt = match tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .max_blocking_threads(analysis_threads)
        .thread_keep_alive(std::time::Duration::from_secs(24 * 3600))
        .build()
    {
        Ok(rt) => rt,
        Err(e) => {
            eprintln!("lede-server: error: cannot start the runtime: {e}");
            std::process::exit(1);
        }
    };
    if let Err(e) = rt.block_on(run(args)) {
        eprintln!("lede-server: error: {e:#}");
        std::process::exit(1);
    }
}
