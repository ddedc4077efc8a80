//! Prometheus metrics (issue #14): a real server with metrics on 127.0.0.1:0, real gRPC calls,
//! `GET /metrics` over real HTTP (a plain TCP client), counters checked before, while and after
//! calls run.

use std::net::SocketAddr;
use std::time::Duration;

use lede::server::proto;
use lede::server::ServerConfig;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tonic::Code;

use crate::util::{self, TestServer, KENYA};

fn config(model: &std::path::Path) -> ServerConfig {
    ServerConfig {
        metrics_addr: Some("127.0.0.1:0".parse().unwrap()),
        ..util::config_with_model(model)
    }
}

/// One HTTP/1.1 GET; returns (status line, headers, body).
async fn get(addr: SocketAddr, path: &str) -> (String, String, String) {
    let mut s = tokio::net::TcpStream::connect(addr).await.unwrap();
    let req = format!("GET {path} HTTP/1.1\r\nHost: {addr}\r\nConnection: close\r\n\r\n");
    s.write_all(req.as_bytes()).await.unwrap();
    let mut buf = Vec::new();
    s.read_to_end(&mut buf).await.unwrap();
    let text = String::from_utf8(buf).unwrap();
    let (head, body) = text.split_once("\r\n\r\n").unwrap();
    let (status, headers) = head.split_once("\r\n").unwrap();
    (status.to_owned(), headers.to_lowercase(), body.to_owned())
}

pub async fn scrape(s: &TestServer) -> String {
    let (status, headers, body) = get(s.handle.metrics_addr.unwrap(), "/metrics").await;
    assert_eq!(status, "HTTP/1.1 200 OK");
    assert!(headers.contains("content-type: text/plain; version=0.0.4"));
    body
}

/// The value of one series (`name{labels}` exactly as exposed), or None if absent.
fn value(text: &str, series: &str) -> Option<f64> {
    text.lines().find_map(|l| {
        let (s, v) = l.rsplit_once(' ')?;
        (s == series).then(|| v.parse().unwrap())
    })
}

/// The `lede_model_info` lines of a scrape, sorted (a Family's order is a hash map's).
pub fn model_info(text: &str) -> Vec<&str> {
    let mut info: Vec<&str> = text
        .lines()
        .filter(|l| l.starts_with("lede_model_info{"))
        .collect();
    info.sort();
    info
}

pub fn must(text: &str, series: &str) -> f64 {
    value(text, series).unwrap_or_else(|| panic!("no series {series} in\n{text}"))
}

fn classify(text: &str) -> proto::ClassifyRequest {
    proto::ClassifyRequest {
        text: text.into(),
        ..Default::default()
    }
}

const CALLS: &str = "lede_grpc_calls_total";

/// Scrapes until no call is in flight (a call is recorded a moment after its client is done).
async fn scrape_when_idle(s: &TestServer) -> String {
    let t0 = std::time::Instant::now();
    let mut t = scrape(s).await;
    while must(&t, "lede_grpc_calls_in_flight") > 0.0 {
        assert!(
            t0.elapsed() < Duration::from_secs(20),
            "call never left:\n{t}"
        );
        tokio::time::sleep(Duration::from_millis(10)).await;
        t = scrape(s).await;
    }
    t
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn calls_documents_and_removals_are_counted() {
    let s = TestServer::start(config(&util::default_model())).await;
    let before = scrape(&s).await;
    assert_eq!(
        must(
            &before,
            r#"lede_grpc_calls_total{method="Classify",code="OK"}"#
        ),
        0.0
    );
    assert!(must(&before, "process_resident_memory_bytes") > 1e6);
    assert!(must(&before, "process_open_fds") > 0.0);
    assert!(must(&before, "process_cpu_seconds_total") > 0.0);
    assert!(must(&before, "process_start_time_seconds") > 1.7e9);

    // Calls keep running in the background while we scrape.
    let mut c = s.client().await;
    let busy = {
        let mut c = c.clone();
        tokio::spawn(async move {
            for _ in 0..40 {
                c.classify(classify("Shares rose after profits beat forecasts."))
                    .await
                    .unwrap();
            }
        })
    };
    let mut seen = Vec::new();
    while !busy.is_finished() {
        let t = scrape(&s).await;
        seen.push(must(
            &t,
            r#"lede_grpc_calls_total{method="Classify",code="OK"}"#,
        ));
        tokio::time::sleep(Duration::from_millis(5)).await;
    }
    busy.await.unwrap();
    assert!(seen.windows(2).all(|w| w[0] <= w[1]), "{seen:?}");

    // A failing call, a cleaned summary, a stream with a bad item, model info.
    let bad = c
        .classify(proto::ClassifyRequest {
            top_k: 10_000,
            ..classify("text")
        })
        .await
        .unwrap_err();
    assert_eq!(bad.code(), Code::InvalidArgument);
    c.summarize(proto::SummarizeRequest {
        text: KENYA.into(),
        ..Default::default()
    })
    .await
    .unwrap();
    let item = |text: &str| proto::AnalyzeRequest {
        text: text.into(),
        ..Default::default()
    };
    let mut bad_item = item("x");
    bad_item.summary = Some(proto::SummaryOptions {
        ratio: 7.0,
        ..Default::default()
    });
    let out = util::analyze_all(
        &mut c,
        vec![item("Markets fell."), bad_item, item("Rain in Kenya.")],
    )
    .await;
    assert_eq!(out.len(), 3);
    c.get_model_info(proto::GetModelInfoRequest::default())
        .await
        .unwrap();

    let t = scrape(&s).await;
    let series = |labels: &str| must(&t, &format!("{CALLS}{{{labels}}}"));
    assert_eq!(series(r#"method="Classify",code="OK""#), 40.0);
    assert_eq!(series(r#"method="Classify",code="INVALID_ARGUMENT""#), 1.0);
    assert_eq!(series(r#"method="Summarize",code="OK""#), 1.0);
    assert_eq!(series(r#"method="AnalyzeStream",code="OK""#), 1.0);
    assert_eq!(series(r#"method="GetModelInfo",code="OK""#), 1.0);
    assert_eq!(
        must(
            &t,
            r#"lede_grpc_call_duration_seconds_count{method="Classify"}"#
        ),
        41.0
    );
    assert_eq!(
        must(
            &t,
            r#"lede_grpc_call_duration_seconds_bucket{method="Classify",le="+Inf"}"#
        ),
        41.0
    );
    assert_eq!(must(&t, "lede_grpc_calls_in_flight"), 0.0);
    assert_eq!(must(&t, r#"lede_documents_total{method="Classify"}"#), 41.0);
    assert_eq!(
        must(&t, r#"lede_input_bytes_total{method="Summarize"}"#),
        KENYA.len() as f64
    );
    assert_eq!(
        must(&t, r#"lede_documents_total{method="AnalyzeStream"}"#),
        3.0
    );
    assert_eq!(must(&t, r#"lede_stream_items_total{outcome="ok"}"#), 2.0);
    assert_eq!(must(&t, r#"lede_stream_items_total{outcome="error"}"#), 1.0);
    // KENYA repeats its lead sentence and ends in a copyright line.
    assert!(must(&t, r#"lede_cleaning_removals_total{reason="duplicate"}"#) >= 1.0);
    assert!(must(&t, r#"lede_cleaning_removals_total{reason="footer"}"#) >= 1.0);
    let model = util::model();
    assert_eq!(
        must(
            &t,
            &format!(
                "lede_model_info{{model=\"{0}\",name=\"{0}\",version=\"{1}\"}}",
                model.meta.name, model.meta.version
            )
        ),
        1.0
    );
    assert!(
        must(
            &t,
            r#"lede_model_last_load_timestamp_seconds{model="default"}"#
        ) > 1.7e9
    );
    // No request text or ids in any label.
    assert!(!t.contains("Shares rose") && !t.contains("Kenya"));
    s.stop().await.unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn shed_calls_are_counted_as_resource_exhausted() {
    let s = TestServer::start(ServerConfig {
        max_concurrent_calls: 1,
        ..config(&util::default_model())
    })
    .await;
    let c = s.client().await;
    let long: String = (0..400)
        .map(|i| format!("Sentence {i} is about banks, markets and the economy. "))
        .collect();
    let calls = (0..16).map(|_| {
        let mut c = c.clone();
        let long = long.clone();
        tokio::spawn(async move {
            c.summarize(proto::SummarizeRequest {
                text: long,
                ..Default::default()
            })
            .await
            .map(|_| ())
            .map_err(|e| e.code())
        })
    });
    let mut shed = 0.0;
    for call in calls.collect::<Vec<_>>() {
        match call.await.unwrap() {
            Ok(()) => {}
            Err(Code::ResourceExhausted) => shed += 1.0,
            Err(other) => panic!("unexpected {other:?}"),
        }
    }
    assert!(shed >= 1.0, "nothing was shed");
    let t = scrape(&s).await;
    assert_eq!(must(&t, "lede_grpc_shed_calls_total"), shed);
    assert_eq!(
        must(
            &t,
            r#"lede_grpc_calls_total{method="Summarize",code="RESOURCE_EXHAUSTED"}"#
        ),
        shed
    );
    assert_eq!(
        must(&t, r#"lede_grpc_calls_total{method="Summarize",code="OK"}"#),
        16.0 - shed
    );
    s.stop().await.unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn reloads_replace_the_model_info_series() {
    let (_dir, bundle) = util::fixture_bundle();
    let s = TestServer::start(config(&bundle)).await;
    let old = s.handle.state.model().unwrap().meta.version.clone();
    let t = scrape(&s).await;
    assert_eq!(
        must(
            &t,
            &format!("lede_model_info{{model=\"fixture\",name=\"fixture\",version=\"{old}\"}}")
        ),
        1.0
    );

    std::fs::write(bundle.join("model.lede"), b"LEDEMODL garbage").unwrap();
    assert!(util::reload_one(&s).await.is_err());
    std::fs::copy(
        util::default_model().join("model.lede"),
        bundle.join("model.lede"),
    )
    .unwrap();
    let new = util::reload_one(&s).await.unwrap();

    let t = scrape(&s).await;
    for outcome in ["ok", "error"] {
        let series = format!("lede_model_reloads_total{{model=\"fixture\",outcome=\"{outcome}\"}}");
        assert_eq!(must(&t, &series), 1.0, "{series}");
    }
    assert!(!t.contains(&old), "old model still listed:\n{t}");
    assert_eq!(
        model_info(&t),
        [format!(
            "lede_model_info{{model=\"fixture\",name=\"default\",version=\"{new}\"}} 1"
        )]
    );
    s.stop().await.unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn endpoint_serves_only_metrics_and_can_be_off() {
    let s = TestServer::start(config(&util::default_model())).await;
    let addr = s.handle.metrics_addr.unwrap();
    let (status, _, _) = get(addr, "/").await;
    assert_eq!(status, "HTTP/1.1 404 Not Found");
    // OpenMetrics when asked for it (as Prometheus does), ending in # EOF.
    let mut c = tokio::net::TcpStream::connect(addr).await.unwrap();
    c.write_all(
        b"GET /metrics HTTP/1.1\r\nHost: x\r\nAccept: application/openmetrics-text;version=1.0.0\r\nConnection: close\r\n\r\n",
    )
    .await
    .unwrap();
    let mut buf = String::new();
    c.read_to_string(&mut buf).await.unwrap();
    assert!(buf
        .to_lowercase()
        .contains("content-type: application/openmetrics-text; version=1.0.0"));
    assert!(buf.ends_with("# EOF\n"));
    s.stop().await.unwrap();

    let off = TestServer::start(util::config_with_model(&util::default_model())).await;
    assert!(off.handle.metrics_addr.is_none());
    assert!(off.handle.state.metrics.is_none());
    off.stop().await.unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn in_flight_and_deadline_cancelled_calls() {
    let s = TestServer::start(config(&util::default_model())).await;
    let mut c = s.client().await;

    // An AnalyzeStream whose client keeps its request stream open is in flight until it closes.
    let (tx, rx) = tokio::sync::mpsc::channel::<proto::AnalyzeRequest>(1);
    let mut out = c
        .analyze_stream(tokio_stream::wrappers::ReceiverStream::new(rx))
        .await
        .unwrap()
        .into_inner();
    assert_eq!(must(&scrape(&s).await, "lede_grpc_calls_in_flight"), 1.0);
    drop(tx);
    assert!(out.message().await.unwrap().is_none());
    let series = format!(r#"{CALLS}{{method="AnalyzeStream",code="OK"}}"#);
    assert_eq!(must(&scrape_when_idle(&s).await, &series), 1.0);

    // A call whose deadline expires is abandoned by the server: counted as CANCELLED, the code
    // the client gets. The deadline here is the server's default (the client sends none), so
    // its timer starts when the server has the call: with a client-side deadline the client's
    // timer starts first, and on a loaded machine it can reset the stream before the server
    // ever sees the call (which is then rightly not counted at all). A text near the 1 MiB
    // limit takes far longer than 10 ms (about 30 ms in a release build, 200 ms in debug).
    // The call may be recorded a moment after the client has its answer: wait for it to leave.
    s.stop().await.unwrap();
    let s = TestServer::start(ServerConfig {
        default_deadline: Duration::from_millis(10),
        ..config(&util::default_model())
    })
    .await;
    let mut c = s.client().await;
    let long: String = (0..17_000)
        .map(|i| format!("Sentence {i} talks about markets, banks and the economy. "))
        .collect();
    assert!(long.len() < 1 << 20);
    let req = tonic::Request::new(proto::SummarizeRequest {
        text: long,
        ..Default::default()
    });
    assert_eq!(c.summarize(req).await.unwrap_err().code(), Code::Cancelled);
    let series = format!(r#"{CALLS}{{method="Summarize",code="CANCELLED"}}"#);
    assert_eq!(must(&scrape_when_idle(&s).await, &series), 1.0);
    s.stop().await.unwrap();
}
