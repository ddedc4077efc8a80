//! Raw HTML in (issue #11, part 2) against the real server: charsets, exactly one of text/html,
//! limits, hostile markup, pages without an article, and AnalyzeStream with HTML items.

use std::time::{Duration, Instant};

use lede::server::proto;
use lede::server::ServerConfig;
use tonic::Code;

use crate::util::{self, TestServer};

type Client = proto::analyzer_client::AnalyzerClient<tonic::transport::Channel>;

/// Article paragraphs (business news) with a few non-ASCII characters.
const PARAGRAPHS: [&str; 5] = [
    "Shares in the French café chain Brioché rose 12% on Tuesday after the company said quarterly profits had doubled to €45m.",
    "The firm, which runs more than 900 cafés across Europe, said sales of coffee and pastries had recovered strongly since the spring.",
    "Its chief executive told investors that the company would open another 150 outlets next year and pay a special dividend to shareholders.",
    "Analysts at the bank Société Générale said the results were well ahead of forecasts and raised their target for the share price.",
    "The company also said it expected profits to rise again next year, helped by lower prices for coffee beans and dairy products.",
];

/// A page around the article: navigation, a figure with a caption, a related list, a footer.
fn page(head: &str) -> String {
    let body: String = PARAGRAPHS.iter().map(|p| format!("<p>{p}</p>\n")).collect();
    page_with(head, &body)
}

/// [`page`] with another article body.
fn page_with(head: &str, body: &str) -> String {
    format!(
        "<!DOCTYPE html>\n<html lang=\"fr\"><head>{head}<title>Café chain profits double | Example News</title>\
         <meta property=\"og:site_name\" content=\"Example News\"><meta name=\"author\" content=\"Jeanne Dupré\">\
         <script>var tracking = '<div>' + 1;</script></head><body>\
         <nav><ul><li><a href=\"/\">Home</a></li><li><a href=\"/business\">Business</a></li></ul></nav>\
         <article><h1>Café chain profits double</h1>\
         <figure><img src=\"a.jpg\"><figcaption>A Brioché café in Lyon. Photo: Agency</figcaption></figure>\n{body}</article>\
         <aside><h3>Related</h3><ul><li><a href=\"/x\">Markets close higher</a></li></ul></aside>\
         <footer>© 2026 Example News. All rights reserved.</footer></body></html>"
    )
}

fn analyze_html(html: Vec<u8>) -> proto::AnalyzeRequest {
    proto::AnalyzeRequest {
        id: "page".into(),
        html,
        ..Default::default()
    }
}

/// The error of a call that must fail: never INTERNAL/UNKNOWN, always a message.
fn status<T: std::fmt::Debug>(r: Result<tonic::Response<T>, tonic::Status>) -> tonic::Status {
    let s = r.expect_err("the call should fail");
    assert!(!matches!(s.code(), Code::Internal | Code::Unknown), "{s:?}");
    assert!(!s.message().is_empty());
    s
}

/// Checks what every HTML response promises: the extracted text is the article, and every
/// offset is a slice of it.
fn check_article(r: &proto::AnalyzeResponse) {
    let text = &r.extracted_text;
    assert!(text.contains("Société Générale"), "{text}");
    assert!(text.contains("€45m"), "{text}");
    for chrome in [
        "Home",
        "Photo: Agency",
        "Markets close higher",
        "All rights reserved",
    ] {
        assert!(!text.contains(chrome), "{chrome:?} in {text}");
    }
    let summary = r.summary.as_ref().unwrap();
    assert!(!summary.sentences.is_empty());
    for s in &summary.sentences {
        let (o, l) = (s.byte_offset as usize, s.byte_length as usize);
        assert_eq!(&text[o..o + l], s.text);
    }
    for rm in &r.cleaning.as_ref().unwrap().removed {
        let (o, l) = (rm.byte_offset as usize, rm.byte_length as usize);
        assert!(text.get(o..o + l).is_some());
    }
    assert_eq!(r.topics[0].label, "business", "{:?}", r.topics);
    let page = r.page.as_ref().unwrap();
    assert!(
        page.headline.contains("Café chain profits double"),
        "{page:?}"
    );
    assert_eq!(page.site_name, "Example News");
    assert_eq!(page.byline, "Jeanne Dupré");
    assert_eq!(page.language, "fr");
}

async fn server(config: ServerConfig) -> (TestServer, Client) {
    let s = TestServer::start(config).await;
    let c = s.client().await;
    (s, c)
}

fn default_config() -> ServerConfig {
    util::config_with_model(&util::default_model())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn windows_1252_page_with_meta_charset() {
    let (s, mut c) = server(default_config()).await;
    let html = page("<meta charset=\"iso-8859-1\">");
    let (bytes, _, unmappable) = encoding_rs::WINDOWS_1252.encode(&html);
    assert!(!unmappable);
    assert!(
        std::str::from_utf8(&bytes).is_err(),
        "the page must not be UTF-8"
    );
    let r = c
        .analyze(analyze_html(bytes.into_owned()))
        .await
        .unwrap()
        .into_inner();
    check_article(&r);
    assert_eq!(r.page.as_ref().unwrap().encoding, "windows-1252");
    // The headline stands in for the missing title, and its repeat in the text is not kept.
    assert!(!r.extracted_text.starts_with("Café chain profits double\n"));
    s.stop().await.unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn utf8_bom_page_in_classify_and_summarize() {
    let (s, mut c) = server(default_config()).await;
    let mut bytes = b"\xEF\xBB\xBF".to_vec();
    bytes.extend_from_slice(page("").as_bytes());
    let r = c
        .classify(proto::ClassifyRequest {
            html: bytes.clone(),
            ..Default::default()
        })
        .await
        .unwrap()
        .into_inner();
    assert_eq!(r.topics[0].label, "business");
    assert!(r.extracted_text.contains("Brioché"));
    assert_eq!(r.page.unwrap().encoding, "UTF-8");
    let r = c
        .summarize(proto::SummarizeRequest {
            html: bytes,
            ..Default::default()
        })
        .await
        .unwrap()
        .into_inner();
    assert!(!r.sentences.is_empty());
    for sent in &r.sentences {
        let (o, l) = (sent.byte_offset as usize, sent.byte_length as usize);
        assert_eq!(&r.extracted_text[o..o + l], sent.text);
    }
    assert!(r.page.is_some() && r.cleaning.is_some());
    // Plain-text requests carry neither.
    let r = c
        .classify(proto::ClassifyRequest {
            text: PARAGRAPHS.join(" "),
            ..Default::default()
        })
        .await
        .unwrap()
        .into_inner();
    assert!(r.extracted_text.is_empty() && r.page.is_none());
    s.stop().await.unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn exactly_one_of_text_and_html() {
    let (s, mut c) = server(default_config()).await;
    let both = status(
        c.classify(proto::ClassifyRequest {
            text: "Some text.".into(),
            html: page("").into_bytes(),
            ..Default::default()
        })
        .await,
    );
    assert_eq!(both.code(), Code::InvalidArgument);
    assert!(both.message().contains("not both"), "{}", both.message());
    let neither = status(c.summarize(proto::SummarizeRequest::default()).await);
    assert_eq!(neither.code(), Code::InvalidArgument);
    assert!(neither.message().contains("html"), "{}", neither.message());
    s.stop().await.unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn oversize_deep_script_only_and_binary_pages() {
    let (s, mut c) = server(ServerConfig {
        max_html_bytes: 200_000,
        ..default_config()
    })
    .await;
    let big = format!("<p>{}</p>", "word ".repeat(50_000)).into_bytes();
    let e = status(c.analyze(analyze_html(big)).await);
    assert_eq!(e.code(), Code::ResourceExhausted);
    assert!(e.message().contains("--max-html-bytes"), "{}", e.message());

    // A page within --max-html-bytes whose article text is over --max-text-bytes.
    let (s3, mut c3) = server(ServerConfig {
        max_text_bytes: 10_000,
        ..default_config()
    })
    .await;
    let long: String = (0..200)
        .map(|i| format!("<p>{} {i}</p>", PARAGRAPHS[i % 5]))
        .collect();
    let e = status(
        c3.analyze(analyze_html(page_with("", &long).into_bytes()))
            .await,
    );
    assert_eq!(e.code(), Code::ResourceExhausted);
    assert!(e.message().contains("article text"), "{}", e.message());
    s3.stop().await.unwrap();

    // 100k nested divs (0.6 MB): refused quickly, no stack overflow.
    let n = 100_000;
    let deep = format!("{}{}{}", "<div>".repeat(n), page(""), "</div>".repeat(n));
    let (s2, mut c2) = server(default_config()).await;
    let t0 = Instant::now();
    let e = status(c2.analyze(analyze_html(deep.into_bytes())).await);
    assert_eq!(e.code(), Code::InvalidArgument);
    assert!(e.message().contains("nested"), "{}", e.message());
    assert!(t0.elapsed() < Duration::from_secs(10), "{:?}", t0.elapsed());
    s2.stop().await.unwrap();

    for (name, html) in [
        ("script only", b"<html><head><script>document.write('<p>hi</p>')</script></head><body><script src=a.js></script></body></html>".to_vec()),
        ("style only", b"<style>body { color: red }</style>".to_vec()),
        ("white space", b" \n\t ".to_vec()),
    ] {
        let e = status(c.analyze(analyze_html(html)).await);
        assert_eq!(e.code(), Code::InvalidArgument, "{name}");
        assert!(e.message().contains("no article text"), "{name}: {}", e.message());
    }
    // Undeclared non-UTF-8 bytes and malformed markup: an answer or a precise status.
    let binary: Vec<u8> = (0..20_000u32)
        .map(|i| (i.wrapping_mul(2_654_435_761) >> 13) as u8)
        .collect();
    let mut malformed = b"<p>Unclosed <b><i>tags <table><td>cell</p></b>".to_vec();
    malformed.extend_from_slice(PARAGRAPHS.join("<p><div></span>").as_bytes());
    for html in [binary, malformed] {
        match c.analyze(analyze_html(html)).await {
            Ok(r) => assert!(r.into_inner().page.is_some()),
            Err(e) => assert_eq!(e.code(), Code::InvalidArgument, "{e:?}"),
        }
    }
    // The server keeps serving.
    c.analyze(analyze_html(page("").into_bytes()))
        .await
        .unwrap();
    s.stop().await.unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn analyze_stream_with_html_items() {
    let (s, mut c) = server(default_config()).await;
    let items = vec![
        analyze_html(page("").into_bytes()),
        proto::AnalyzeRequest {
            id: "text".into(),
            text: PARAGRAPHS.join(" "),
            ..Default::default()
        },
        proto::AnalyzeRequest {
            id: "empty-page".into(),
            html: b"<script>x()</script>".to_vec(),
            ..Default::default()
        },
    ];
    let out = util::analyze_all(&mut c, items).await;
    assert_eq!(out.len(), 3);
    let r: Vec<proto::AnalyzeResponse> = out.into_iter().map(|r| r.unwrap()).collect();
    assert_eq!(r[0].id, "page");
    check_article(&r[0]);
    assert_eq!(r[1].id, "text");
    assert!(r[1].page.is_none() && r[1].error.is_none());
    assert_eq!(r[2].id, "empty-page");
    let e = r[2].error.as_ref().unwrap();
    assert_eq!(e.code, Code::InvalidArgument as i32);
    assert!(e.message.contains("no article text"), "{}", e.message);
    s.stop().await.unwrap();
}
