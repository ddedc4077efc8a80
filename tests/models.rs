//! Several models in one server (issue #14): names, routing by the `model` field, NOT_FOUND,
//! ListModels, per-model health, reloads that swap each model on its own, `--model-dir`
//! discovery and duplicate names. Real server on 127.0.0.1:0, real client. The two bundles
//! differ: the shipped default model ("default@...") and the small compat fixture
//! ("fixture@...").

use std::path::{Path, PathBuf};

use lede::server::proto;
use lede::server::{models, ModelSpec, ServerConfig};
use tonic::Code;
use tonic_health::pb::{
    health_check_response::ServingStatus, health_client::HealthClient, HealthCheckRequest,
};

use crate::util::{self, TestServer, KENYA};

fn config(models: Vec<ModelSpec>) -> ServerConfig {
    ServerConfig {
        models,
        metrics_addr: Some("127.0.0.1:0".parse().unwrap()),
        ..ServerConfig::default()
    }
}

/// The shipped model as "default" and the fixture as "small".
async fn two_models() -> TestServer {
    TestServer::start(config(vec![
        ModelSpec::path(util::default_model()),
        ModelSpec::named("small", util::fixture("compat-v1")),
    ]))
    .await
}

fn classify(model: &str) -> proto::ClassifyRequest {
    proto::ClassifyRequest {
        text: KENYA.into(),
        model: model.into(),
        ..Default::default()
    }
}

async fn version_of(c: &mut util::Client, model: &str) -> Result<String, tonic::Status> {
    c.classify(classify(model))
        .await
        .map(|r| r.into_inner().model_version)
}

/// Asserts which bundle answers for each (model, version prefix).
async fn assert_serves(c: &mut util::Client, want: &[(&str, &str)]) {
    for (model, prefix) in want {
        let v = version_of(c, model).await.unwrap();
        assert!(v.starts_with(prefix), "{model:?} is served by {v}");
    }
}

async fn info(c: &mut util::Client, model: &str) -> Result<proto::ModelInfo, tonic::Status> {
    c.get_model_info(proto::GetModelInfoRequest {
        model: model.into(),
    })
    .await
    .map(|r| r.into_inner())
}

/// A bundle directory `dir/name` holding a copy of `from`'s model file.
fn bundle(dir: &Path, name: &str, from: &Path) -> PathBuf {
    let b = dir.join(name);
    std::fs::create_dir_all(&b).unwrap();
    std::fs::copy(from.join("model.lede"), b.join("model.lede")).unwrap();
    b
}

async fn health(s: &TestServer, service: &str) -> Result<ServingStatus, Code> {
    HealthClient::new(s.channel().await)
        .check(HealthCheckRequest {
            service: service.into(),
        })
        .await
        .map(|r| r.into_inner().status())
        .map_err(|e| e.code())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_model_field_routes_each_call_to_its_model() {
    let s = two_models().await;
    let mut c = s.client().await;
    let default = version_of(&mut c, "").await.unwrap();
    let small = version_of(&mut c, "small").await.unwrap();
    assert!(default.starts_with("default@"), "{default}");
    assert!(small.starts_with("fixture@"), "{small}");
    assert_eq!(version_of(&mut c, "default").await.unwrap(), default);

    let summary = c
        .summarize(proto::SummarizeRequest {
            text: KENYA.into(),
            model: "small".into(),
            ..Default::default()
        })
        .await
        .unwrap();
    assert_eq!(summary.into_inner().model_version, small);
    // Analyze, and AnalyzeStream where each item picks its model; an unknown one is that
    // item's error only.
    let item = |id: &str, model: &str| proto::AnalyzeRequest {
        id: id.into(),
        text: KENYA.into(),
        model: model.into(),
        ..Default::default()
    };
    let analysis = c.analyze(item("0", "small")).await.unwrap();
    assert_eq!(analysis.into_inner().model_version, small);
    let got: Vec<proto::AnalyzeResponse> = util::analyze_all(
        &mut c,
        vec![
            item("1", "small"),
            item("2", ""),
            item("3", "nope"),
            item("4", "default"),
        ],
    )
    .await
    .into_iter()
    .map(Result::unwrap)
    .collect();
    let versions: Vec<&str> = got.iter().map(|r| r.model_version.as_str()).collect();
    assert_eq!(versions, [small.as_str(), &default, "", &default]);
    let e = got[2].error.as_ref().unwrap();
    assert_eq!(e.code, Code::NotFound as i32);
    assert!(e.message.contains("\"nope\""), "{}", e.message);

    for (asked, name, version) in [("small", "small", &small), ("", "default", &default)] {
        let i = info(&mut c, asked).await.unwrap();
        assert_eq!((i.name.as_str(), &i.version), (name, version), "{asked:?}");
    }
    s.stop().await.unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_unknown_model_is_not_found_and_the_message_lists_the_served_names() {
    let s = two_models().await;
    let mut c = s.client().await;
    let e = c.classify(classify("newsroom")).await.unwrap_err();
    assert_eq!(e.code(), Code::NotFound, "{e:?}");
    assert_eq!(
        e.message(),
        "model: \"newsroom\" is not served here; the served models are default, small (an empty model means the default, \"default\")"
    );
    let e = info(&mut c, "Small").await.unwrap_err();
    assert_eq!(e.code(), Code::NotFound, "{e:?}");
    assert!(e.message().contains("default, small"), "{}", e.message());
    // A name longer than any model name is refused before it is repeated in a message.
    let e = c.classify(classify(&"x".repeat(10_000))).await.unwrap_err();
    assert_eq!(e.code(), Code::InvalidArgument, "{e:?}");
    assert!(
        e.message().starts_with("model: 10000 bytes"),
        "{}",
        e.message()
    );
    s.stop().await.unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn list_models_shows_heads_labels_metrics_and_versions() {
    let s = two_models().await;
    let mut c = s.client().await;
    let list = c
        .list_models(proto::ListModelsRequest {})
        .await
        .unwrap()
        .into_inner();
    assert_eq!(list.default_model, "default");
    let names: Vec<&str> = list.models.iter().map(|m| m.name.as_str()).collect();
    assert_eq!(names, ["default", "small"]);
    let (default, small) = (&list.models[0], &list.models[1]);
    assert!(default.version.starts_with("default@"));
    assert!(small.version.starts_with("fixture@"));
    assert_eq!(default.heads["topic"].labels.len(), 7);
    assert!(default.heads["topic"].metrics["accuracy"] > 0.8);
    assert!(!small.heads.is_empty());
    // The same description as GetModelInfo gives for that name.
    assert_eq!(&info(&mut c, "small").await.unwrap(), small);
    s.stop().await.unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn without_a_model_named_default_the_first_is_the_default() {
    let s = TestServer::start(config(vec![
        ModelSpec::named("small", util::fixture("compat-v1")),
        ModelSpec::named("big", util::default_model()),
    ]))
    .await;
    let mut c = s.client().await;
    assert_serves(&mut c, &[("", "fixture@"), ("big", "default@")]).await;
    let list = c
        .list_models(proto::ListModelsRequest {})
        .await
        .unwrap()
        .into_inner();
    assert_eq!(list.default_model, "small");
    s.stop().await.unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn health_has_a_name_per_model() {
    let s = two_models().await;
    for service in [
        "",
        "lede.v1.Analyzer",
        "lede.v1.Analyzer/default",
        "lede.v1.Analyzer/small",
    ] {
        assert_eq!(
            health(&s, service).await,
            Ok(ServingStatus::Serving),
            "{service:?}"
        );
    }
    assert_eq!(
        health(&s, "lede.v1.Analyzer/nope").await,
        Err(Code::NotFound)
    );
    s.stop().await.unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_reload_swaps_each_model_on_its_own_and_a_broken_bundle_keeps_its_old_version() {
    let dir = tempfile::tempdir().unwrap();
    let fixture = util::fixture("compat-v1");
    let a = bundle(dir.path(), "a", &fixture);
    let b = bundle(dir.path(), "b", &fixture);
    let s = TestServer::start(config(vec![
        ModelSpec::named("a", &a),
        ModelSpec::named("b", &b),
    ]))
    .await;
    let mut c = s.client().await;
    let old = version_of(&mut c, "a").await.unwrap();
    assert_eq!(version_of(&mut c, "b").await.unwrap(), old);

    // a's new bundle is corrupt, b's is the shipped model.
    std::fs::write(a.join("model.lede"), b"LEDEMODL garbage").unwrap();
    std::fs::copy(
        util::default_model().join("model.lede"),
        b.join("model.lede"),
    )
    .unwrap();
    let r = s.handle.state.reload().await;
    let names: Vec<&str> = r.iter().map(|r| r.model.as_str()).collect();
    assert_eq!(names, ["a", "b"]);
    assert!(r[0].version.is_err(), "{r:?}");
    let new = r[1].version.as_ref().unwrap().clone();
    assert!(new.starts_with("default@"), "{new}");

    assert_eq!(version_of(&mut c, "a").await.unwrap(), old);
    assert_eq!(version_of(&mut c, "b").await.unwrap(), new);
    for service in ["", "lede.v1.Analyzer/a", "lede.v1.Analyzer/b"] {
        assert_eq!(health(&s, service).await, Ok(ServingStatus::Serving));
    }

    // Counted per model, and the info series shows what each name serves now.
    let t = crate::metrics::scrape(&s).await;
    for (series, want) in [
        (
            r#"lede_model_reloads_total{model="a",outcome="error"}"#,
            1.0,
        ),
        (r#"lede_model_reloads_total{model="a",outcome="ok"}"#, 0.0),
        (r#"lede_model_reloads_total{model="b",outcome="ok"}"#, 1.0),
        (
            r#"lede_model_reloads_total{model="b",outcome="error"}"#,
            0.0,
        ),
    ] {
        assert_eq!(crate::metrics::must(&t, series), want, "{series}");
    }
    assert_eq!(
        crate::metrics::model_info(&t),
        [
            format!("lede_model_info{{model=\"a\",name=\"fixture\",version=\"{old}\"}} 1"),
            format!("lede_model_info{{model=\"b\",name=\"default\",version=\"{new}\"}} 1"),
        ]
    );
    s.stop().await.unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn model_dir_serves_every_bundle_under_its_directory_name() {
    let dir = tempfile::tempdir().unwrap();
    let fixture = util::fixture("compat-v1");
    bundle(dir.path(), "newsroom", &fixture);
    bundle(dir.path(), "default", &util::default_model());
    // Not bundles: skipped.
    bundle(dir.path(), ".old", &fixture);
    std::fs::create_dir(dir.path().join("notes")).unwrap();
    std::fs::write(dir.path().join("README"), "models").unwrap();

    let specs = models::discover(dir.path()).unwrap();
    let names: Vec<Option<&str>> = specs.iter().map(|s| s.name.as_deref()).collect();
    assert_eq!(names, [Some("default"), Some("newsroom")]);
    let s = TestServer::start(config(specs)).await;
    let mut c = s.client().await;
    assert_serves(&mut c, &[("", "default@"), ("newsroom", "fixture@")]).await;
    s.stop().await.unwrap();

    // A bundle whose directory cannot be a name is an error, not silently left out.
    bundle(dir.path(), "news room", &fixture);
    let e = models::discover(dir.path()).unwrap_err().to_string();
    assert!(e.contains("\"news room\" cannot be a model name"), "{e}");
    let empty = tempfile::tempdir().unwrap();
    let e = models::discover(empty.path()).unwrap_err().to_string();
    assert!(e.contains("no model bundles in it"), "{e}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn duplicate_names_are_refused_at_startup() {
    let fixture = util::fixture("compat-v1");
    for specs in [
        vec![
            ModelSpec::named("a", &fixture),
            ModelSpec::named("a", util::default_model()),
        ],
        // A bare path takes its bundle's name: the shipped model is "default".
        vec![
            ModelSpec::path(util::default_model()),
            ModelSpec::named("default", &fixture),
        ],
    ] {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let e = lede::server::serve(config(specs), listener, std::future::pending(), |_| {
            panic!("must not start")
        })
        .await
        .unwrap_err()
        .to_string();
        assert!(e.starts_with("two models are named \""), "{e}");
        assert!(
            e.contains("give them different names with --model NAME=PATH"),
            "{e}"
        );
    }
}
