//! The real `lede-server` binary as an operator runs it: config errors, SIGHUP reload, SIGTERM.

use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use lede::server::proto::{self, analyzer_client::AnalyzerClient};

use crate::util;

pub(crate) fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

pub(crate) fn server() -> Command {
    let mut c = Command::new(env!("CARGO_BIN_EXE_lede-server"));
    // Tests run in parallel (and beside other checkouts): never the fixed default port 9100.
    c.env("LEDE_METRICS_ADDR", "127.0.0.1:0");
    c
}

#[test]
fn bad_configuration_fails_fast_with_one_line() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("model.lede"), b"LEDEMODL\x09\0\0\0").unwrap();
    let cases: Vec<(Vec<String>, &str)> = vec![
        (
            vec!["--addr".into(), "nonsense".into()],
            "is not a socket address",
        ),
        (
            vec!["--model".into(), "/nonexistent/model".into()],
            "no model here",
        ),
        (
            vec![
                "--model".into(),
                dir.path().display().to_string(),
                "--addr".into(),
                "127.0.0.1:0".into(),
            ],
            "format version 9 is not supported",
        ),
        (
            vec!["--max-text-bytes".into(), "0".into()],
            "must be at least 1",
        ),
        (
            vec!["--metrics-addr".into(), "nonsense".into()],
            "--metrics-addr \"nonsense\" is not a socket address",
        ),
        (
            vec![
                "--model".into(),
                format!("x={}", util::fixture("compat-v1").display()),
                "--model".into(),
                format!("x={}", util::default_model().display()),
                "--addr".into(),
                "127.0.0.1:0".into(),
            ],
            "two models are named \"x\"",
        ),
        (
            vec!["--model-dir".into(), dir.path().display().to_string()],
            "no model bundles in it",
        ),
    ];
    for (args, want) in cases {
        let o = server()
            .args(&args)
            .env_remove("LEDE_MODEL")
            .output()
            .unwrap();
        assert_eq!(o.status.code(), Some(1), "{args:?}");
        let err = String::from_utf8_lossy(&o.stderr);
        let last = err.lines().last().unwrap_or("");
        assert!(
            last.starts_with("lede-server: error:") && last.contains(want),
            "{args:?}: {err}"
        );
    }
}

async fn client(addr: &str) -> Option<AnalyzerClient<tonic::transport::Channel>> {
    let ch = tonic::transport::Endpoint::from_shared(format!("http://{addr}"))
        .ok()?
        .connect()
        .await
        .ok()?;
    Some(AnalyzerClient::new(ch))
}

async fn version(addr: &str) -> Option<String> {
    let info = client(addr)
        .await?
        .get_model_info(proto::GetModelInfoRequest::default())
        .await
        .ok()?;
    Some(info.into_inner().version)
}

pub(crate) async fn wait_for(addr: &str, want: impl Fn(&str) -> bool) -> String {
    let t0 = Instant::now();
    loop {
        if let Some(v) = version(addr).await {
            if want(&v) {
                return v;
            }
        }
        assert!(
            t0.elapsed() < Duration::from_secs(20),
            "timed out waiting on {addr}"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sighup_reloads_and_sigterm_exits_zero() {
    let (_dir, bundle) = util::fixture_bundle();
    let addr = format!("127.0.0.1:{}", free_port());
    let mut child = server()
        .args(["--addr", &addr, "--model", bundle.to_str().unwrap()])
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let pid = child.id() as i32;
    let v1 = wait_for(&addr, |v| v.starts_with("fixture@")).await;

    // A corrupt model: SIGHUP keeps the old one serving.
    std::fs::write(bundle.join("model.lede"), b"garbage").unwrap();
    unsafe { libc::kill(pid, libc::SIGHUP) };
    tokio::time::sleep(Duration::from_millis(300)).await;
    assert_eq!(version(&addr).await.as_deref(), Some(v1.as_str()));
    // Health stays SERVING after a failed reload.
    let health = server()
        .args(["healthcheck", "--addr", &addr])
        .output()
        .unwrap();
    assert!(
        health.status.success(),
        "{}",
        String::from_utf8_lossy(&health.stderr)
    );

    // A good one: swapped in.
    std::fs::copy(
        util::default_model().join("model.lede"),
        bundle.join("model.lede"),
    )
    .unwrap();
    unsafe { libc::kill(pid, libc::SIGHUP) };
    wait_for(&addr, |v| v.starts_with("default@")).await;

    unsafe { libc::kill(pid, libc::SIGTERM) };
    let status = child.wait().unwrap();
    assert_eq!(status.code(), Some(0));
}

/// The served models' (name, version), once every one is loaded.
async fn models(addr: &str) -> Option<Vec<(String, String)>> {
    let list = client(addr)
        .await?
        .list_models(proto::ListModelsRequest {})
        .await
        .ok()?;
    Some(
        list.into_inner()
            .models
            .into_iter()
            .map(|m| (m.name, m.version))
            .collect(),
    )
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn model_dir_serves_each_bundle_and_sighup_reloads_each_on_its_own() {
    let dir = tempfile::tempdir().unwrap();
    for name in ["a", "b"] {
        std::fs::create_dir(dir.path().join(name)).unwrap();
        std::fs::copy(
            util::fixture("compat-v1/model.lede"),
            dir.path().join(name).join("model.lede"),
        )
        .unwrap();
    }
    let addr = format!("127.0.0.1:{}", free_port());
    let mut child = server()
        .args(["--addr", &addr, "--model-dir", dir.path().to_str().unwrap()])
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let pid = child.id() as i32;
    let t0 = Instant::now();
    let before = loop {
        match models(&addr).await {
            Some(m) if m.len() == 2 => break m,
            _ => {}
        }
        assert!(
            t0.elapsed() < Duration::from_secs(20),
            "server did not start"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    };
    let names: Vec<&str> = before.iter().map(|(n, _)| n.as_str()).collect();
    assert_eq!(names, ["a", "b"]);
    let old = before[0].1.clone();
    assert!(old.starts_with("fixture@"));

    // a breaks, b gets the shipped model: after SIGHUP b serves it and a keeps the old one.
    std::fs::write(dir.path().join("a/model.lede"), b"garbage").unwrap();
    std::fs::copy(
        util::default_model().join("model.lede"),
        dir.path().join("b/model.lede"),
    )
    .unwrap();
    unsafe { libc::kill(pid, libc::SIGHUP) };
    let t0 = Instant::now();
    let after = loop {
        let m = models(&addr).await.unwrap();
        if m[1].1.starts_with("default@") {
            break m;
        }
        assert!(t0.elapsed() < Duration::from_secs(20), "b was not reloaded");
        tokio::time::sleep(Duration::from_millis(50)).await;
    };
    assert_eq!(after[0], ("a".to_owned(), old));

    unsafe { libc::kill(pid, libc::SIGTERM) };
    assert_eq!(child.wait().unwrap().code(), Some(0));
}
