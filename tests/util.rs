//! Shared helpers: paths, a server on an ephemeral port, clients.

use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;

use lede::server::proto::{self, analyzer_client::AnalyzerClient};
use lede::server::{self, Handle, ServerConfig};
use tonic::transport::Channel;

pub fn repo() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

pub fn default_model() -> PathBuf {
    repo().join("models/default")
}

/// lede-train on `recipe` into `dir/m`: its output and the model directory.
pub fn train_recipe(dir: &Path, recipe: &Path) -> (std::process::Output, PathBuf) {
    let out = dir.join("m");
    let o = std::process::Command::new(env!("CARGO_BIN_EXE_lede-train"))
        .arg("--recipe")
        .arg(recipe)
        .arg("--out")
        .arg(&out)
        .output()
        .expect("run lede-train");
    (o, out)
}

pub fn fixture(name: &str) -> PathBuf {
    repo().join("tests/fixtures").join(name)
}

/// A bundle directory in a temp dir holding a copy of the compat fixture model, for tests that
/// replace the model file (reload). Keep the TempDir alive as long as the path is used.
pub fn fixture_bundle() -> (tempfile::TempDir, PathBuf) {
    let dir = tempfile::tempdir().unwrap();
    let bundle = dir.path().join("m");
    std::fs::create_dir(&bundle).unwrap();
    std::fs::copy(fixture("compat-v1/model.lede"), bundle.join("model.lede")).unwrap();
    (dir, bundle)
}

/// The bundled default model, loaded once per test binary.
pub fn model() -> Arc<lede::model::Model> {
    static M: std::sync::OnceLock<Arc<lede::model::Model>> = std::sync::OnceLock::new();
    M.get_or_init(|| {
        Arc::new(lede::model::Model::load(&default_model()).expect("bundled model loads"))
    })
    .clone()
}

/// The Analyzer client the tests use.
pub type Client = AnalyzerClient<Channel>;

/// A running test server.
pub struct TestServer {
    pub addr: std::net::SocketAddr,
    pub handle: Handle,
    stop: Option<tokio::sync::oneshot::Sender<()>>,
    pub done: Option<tokio::task::JoinHandle<Result<(), server::ServerError>>>,
}

impl TestServer {
    pub async fn start(config: ServerConfig) -> TestServer {
        Self::start_with(config, |_| {}).await
    }

    /// Starts a server; `on_ready` runs when it accepts calls, before the model is loaded.
    pub async fn start_with(
        config: ServerConfig,
        on_ready: impl FnOnce(std::net::SocketAddr) + Send + 'static,
    ) -> TestServer {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        let (stop, stop_rx) = tokio::sync::oneshot::channel::<()>();
        let (htx, hrx) = tokio::sync::oneshot::channel();
        let done = tokio::spawn(async move {
            server::serve(
                config,
                listener,
                async {
                    let _ = stop_rx.await;
                },
                move |h| {
                    on_ready(addr);
                    let _ = htx.send(h);
                },
            )
            .await
        });
        let handle = hrx.await.expect("server became ready");
        let s = TestServer {
            addr,
            handle,
            stop: Some(stop),
            done: Some(done),
        };
        s.wait_serving().await;
        s
    }

    pub async fn wait_serving(&self) {
        for _ in 0..500 {
            let models = self.handle.state.models().entries();
            if models.iter().all(|m| m.get().is_some()) {
                return;
            }
            tokio::time::sleep(Duration::from_millis(10)).await;
        }
        panic!("models did not load");
    }

    pub async fn channel(&self) -> Channel {
        tonic::transport::Endpoint::from_shared(format!("http://{}", self.addr))
            .unwrap()
            .connect()
            .await
            .unwrap()
    }

    pub async fn client(&self) -> AnalyzerClient<Channel> {
        AnalyzerClient::new(self.channel().await).max_decoding_message_size(64 << 20)
    }

    /// Triggers graceful shutdown and waits for the server to return.
    pub async fn stop(mut self) -> Result<(), server::ServerError> {
        let _ = self.stop.take().unwrap().send(());
        self.done.take().unwrap().await.unwrap()
    }
}

pub fn config_with_model(path: &Path) -> ServerConfig {
    ServerConfig {
        models: vec![server::ModelSpec::path(path)],
        ..ServerConfig::default()
    }
}

/// Reloads a server that serves one model: that model's new version, or why it was refused.
pub async fn reload_one(s: &TestServer) -> Result<String, lede::model::ModelError> {
    let mut all = s.handle.state.reload().await;
    assert_eq!(all.len(), 1, "{all:?}");
    all.remove(0).version
}

/// A scraped-looking page around a clean article (used by several modules).
pub const KENYA: &str = "Kenya floods: Nairobi residents count the cost\n\
Heavy rains have killed at least 40 people in Nairobi, Kenyan officials said on Tuesday, as rivers burst their banks across the capital.\n\
The Kenya Red Cross said thousands of families had been moved to schools and churches. President William Ruto ordered the army to help with rescues.\n\
Most Read\n\
Sign up (it's quick and free) or sign in now.\n\
Would you like to comment on this article?\n\
Heavy rains have killed at least 40 people in Nairobi, Kenyan officials said on Tuesday, as rivers burst their banks across the capital.\n\
© 2026 Example News Group. All rights reserved.";

/// Sends `items` in one AnalyzeStream call and collects every response or status, in order.
pub async fn analyze_all(
    c: &mut AnalyzerClient<Channel>,
    items: Vec<proto::AnalyzeRequest>,
) -> Vec<Result<proto::AnalyzeResponse, tonic::Status>> {
    use tokio_stream::StreamExt;
    let mut out = c
        .analyze_stream(tokio_stream::iter(items))
        .await
        .unwrap()
        .into_inner();
    let mut all = Vec::new();
    while let Some(r) = out.next().await {
        all.push(r);
    }
    all
}
