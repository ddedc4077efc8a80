//! The bad-input matrix against the real server: every input gets a result or a precise status,
//! never INTERNAL/UNKNOWN, a hang or a crash, and the server keeps serving meanwhile.

use std::time::{Duration, Instant};

use lede::server::proto;
use tonic::Code;

use crate::util::{self, TestServer};

fn analyze(text: String) -> proto::AnalyzeRequest {
    proto::AnalyzeRequest {
        id: "x".into(),
        text,
        ..Default::default()
    }
}

/// Sends one request; returns Ok(response) or the status code. Fails on INTERNAL/UNKNOWN or
/// when the call takes longer than `limit`.
async fn call(
    c: &mut proto::analyzer_client::AnalyzerClient<tonic::transport::Channel>,
    req: proto::AnalyzeRequest,
    limit: Duration,
) -> Result<proto::AnalyzeResponse, Code> {
    let t0 = Instant::now();
    let r = c.analyze(req).await;
    assert!(t0.elapsed() < limit, "took {:?}", t0.elapsed());
    match r {
        Ok(r) => Ok(r.into_inner()),
        Err(s) => {
            assert!(!matches!(s.code(), Code::Internal | Code::Unknown), "{s:?}");
            assert!(!s.message().is_empty());
            Err(s.code())
        }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn bad_input_matrix() {
    let s = TestServer::start(util::config_with_model(&util::default_model())).await;
    let mut c = s.client().await;
    let lim = Duration::from_secs(20);
    let german =
        "Die Bundesregierung in Berlin hat am Dienstag neue Hilfen für die Industrie beschlossen. \
                  Wirtschaftsminister sagte, die Energiepreise seien zu hoch.";
    let ok_cases: Vec<(&str, String)> = vec![
        ("single 1 MB token", "a".repeat(1_000_000)),
        ("NUL, control chars, ANSI", "Markets \u{0}rose\u{7} \x1b[31mred\x1b[0m today.\u{1}\u{2} Shares fell.".into()),
        ("CJK", "東京の株式市場は火曜日に上昇した。日本銀行は金利を据え置いた。".into()),
        ("RTL", "ارتفعت أسعار النفط يوم الثلاثاء. قال المسؤولون إن الإمدادات محدودة.".into()),
        ("emoji", "🚀🚀 Stocks to the moon 🌕!!! 😂😂😂 Buy now.".into()),
        ("German article", german.into()),
        ("page of chrome only", "Most Read\nSign up (it's quick and free) or sign in now.\nWould you like to comment on this article?\n© 2026 Example Media. All rights reserved.".into()),
        ("one sentence repeated 20,000 times", "The central bank held interest rates steady. ".repeat(20_000)),
        ("no sentence punctuation", "markets rose banks gained oil fell ".repeat(2_000)),
        ("20,000 distinct tiny sentences", (0..20_000).map(|i| format!("Item {i} sold. ")).collect()),
    ];
    for (name, text) in ok_cases {
        let r = call(&mut c, analyze(text.clone()), lim).await;
        let r = r.unwrap_or_else(|code| panic!("{name}: {code:?}"));
        assert_eq!(r.topics.len(), 3, "{name}");
        let sum: f64 = r.regions.iter().map(|p| p.probability).sum();
        assert!(sum <= 1.0 + 1e-9, "{name}");
        let summary = r.summary.unwrap();
        for sen in &summary.sentences {
            let (a, b) = (
                sen.byte_offset as usize,
                (sen.byte_offset + sen.byte_length) as usize,
            );
            assert_eq!(&text[a..b], sen.text, "{name}: offsets");
        }
        // Server keeps serving others.
        c.get_model_info(proto::GetModelInfoRequest::default())
            .await
            .unwrap();
    }

    // The repeated sentence ends up once.
    let r = call(
        &mut c,
        analyze("The central bank held interest rates steady. ".repeat(20_000)),
        lim,
    )
    .await
    .unwrap();
    assert_eq!(r.summary.unwrap().sentences.len(), 1);

    let status_cases: Vec<(&str, proto::AnalyzeRequest, Code)> = vec![
        ("blank", analyze("   \n\t".into()), Code::InvalidArgument),
        (
            "5 MiB text",
            analyze("x ".repeat(5 << 19)),
            Code::OutOfRange,
        ),
        (
            "top_k 4e9",
            proto::AnalyzeRequest {
                top_k: 4_000_000_000,
                ..analyze("Text.".into())
            },
            Code::InvalidArgument,
        ),
        (
            "ratio -1",
            with_summary(proto::SummaryOptions {
                ratio: -1.0,
                ..Default::default()
            }),
            Code::InvalidArgument,
        ),
        (
            "ratio 7.5",
            with_summary(proto::SummaryOptions {
                ratio: 7.5,
                ..Default::default()
            }),
            Code::InvalidArgument,
        ),
        (
            "ratio NaN",
            with_summary(proto::SummaryOptions {
                ratio: f64::NAN,
                ..Default::default()
            }),
            Code::InvalidArgument,
        ),
        (
            "max_words huge",
            with_summary(proto::SummaryOptions {
                max_words: u32::MAX,
                ..Default::default()
            }),
            Code::InvalidArgument,
        ),
    ];
    for (name, req, want) in status_cases {
        let got = call(&mut c, req, lim).await.err();
        assert!(
            got == Some(want) || (name == "5 MiB text" && got == Some(Code::ResourceExhausted)),
            "{name}: {got:?}"
        );
    }
    // top_k 0, ratio 0 and max_words 0 mean "default".
    let r = call(&mut c, with_summary(proto::SummaryOptions::default()), lim)
        .await
        .unwrap();
    assert_eq!(r.topics.len(), 3);
    assert!(!r.summary.unwrap().sentences.is_empty());
    s.stop().await.unwrap();
}

fn with_summary(o: proto::SummaryOptions) -> proto::AnalyzeRequest {
    proto::AnalyzeRequest {
        summary: Some(o),
        ..analyze("Oil prices rose on Tuesday. Traders cited supply worries. Shares in energy firms gained.".into())
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn ten_thousand_documents_in_one_stream() {
    let s = TestServer::start(util::config_with_model(&util::default_model())).await;
    let mut c = s.client().await;
    let items = (0..10_000).map(|i| proto::AnalyzeRequest {
        id: i.to_string(),
        text: if i % 1000 == 7 {
            String::new()
        } else {
            format!("Shares in bank number {i} rose after profits beat forecasts.")
        },
        ..Default::default()
    });
    let (mut n, mut errors) = (0, 0);
    for r in util::analyze_all(&mut c, items.collect()).await {
        let r = r.unwrap();
        assert_eq!(r.id, n.to_string(), "responses come in request order");
        if r.error.is_some() {
            errors += 1;
        }
        n += 1;
    }
    assert_eq!((n, errors), (10_000, 10));
    s.stop().await.unwrap();
}
