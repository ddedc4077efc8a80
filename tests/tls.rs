//! TLS and mutual TLS with a CA made in the test (rcgen): the right clients get in, others not.

use lede::server::proto::{self, analyzer_client::AnalyzerClient};
use lede::server::{ServerConfig, TlsConfig};
use rcgen::{BasicConstraints, CertificateParams, CertifiedIssuer, IsCa, KeyPair};
use tonic::transport::{Certificate, ClientTlsConfig, Endpoint, Identity};

use crate::util::{self, TestServer};

struct Pki {
    ca: String,
    server: (String, String),
    client: (String, String),
    stranger: (String, String),
}

fn pki() -> Pki {
    let mut ca_params = CertificateParams::new(Vec::<String>::new()).unwrap();
    ca_params.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
    let ca = CertifiedIssuer::self_signed(ca_params, KeyPair::generate().unwrap()).unwrap();
    let leaf = |name: &str, issuer: &CertifiedIssuer<'_, KeyPair>| {
        let key = KeyPair::generate().unwrap();
        let cert = CertificateParams::new(vec![name.to_owned()])
            .unwrap()
            .signed_by(&key, issuer)
            .unwrap();
        (cert.pem(), key.serialize_pem())
    };
    let mut other_params = CertificateParams::new(Vec::<String>::new()).unwrap();
    other_params.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
    let other_ca =
        CertifiedIssuer::self_signed(other_params, KeyPair::generate().unwrap()).unwrap();
    Pki {
        ca: ca.pem(),
        server: leaf("localhost", &ca),
        client: leaf("client", &ca),
        stranger: leaf("client", &other_ca),
    }
}

async fn classify(
    addr: std::net::SocketAddr,
    tls: Option<ClientTlsConfig>,
) -> Result<String, String> {
    let scheme = if tls.is_some() { "https" } else { "http" };
    let mut ep = Endpoint::from_shared(format!("{scheme}://localhost:{}", addr.port())).unwrap();
    if let Some(t) = tls {
        ep = ep.tls_config(t).map_err(|e| e.to_string())?;
    }
    let ch = ep.connect().await.map_err(|e| format!("connect: {e}"))?;
    AnalyzerClient::new(ch)
        .classify(proto::ClassifyRequest {
            text: "Shares in the bank rose after profits beat forecasts.".into(),
            ..Default::default()
        })
        .await
        .map(|r| r.into_inner().topics[0].label.clone())
        .map_err(|s| format!("{s:?}"))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn mutual_tls_accepts_only_clients_of_the_ca() {
    let p = pki();
    let s = TestServer::start(ServerConfig {
        tls: Some(TlsConfig {
            cert_pem: p.server.0.clone().into(),
            key_pem: p.server.1.clone().into(),
            client_ca_pem: Some(p.ca.clone().into()),
        }),
        ..util::config_with_model(&util::default_model())
    })
    .await;
    let base = ClientTlsConfig::new()
        .ca_certificate(Certificate::from_pem(&p.ca))
        .domain_name("localhost");
    let ok = classify(
        s.addr,
        Some(
            base.clone()
                .identity(Identity::from_pem(&p.client.0, &p.client.1)),
        ),
    )
    .await;
    assert_eq!(ok.as_deref(), Ok("business"));
    assert!(
        classify(s.addr, Some(base.clone())).await.is_err(),
        "no client certificate"
    );
    let stranger = base.identity(Identity::from_pem(&p.stranger.0, &p.stranger.1));
    assert!(
        classify(s.addr, Some(stranger)).await.is_err(),
        "certificate from another CA"
    );
    assert!(classify(s.addr, None).await.is_err(), "plaintext");
    s.stop().await.unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn server_only_tls() {
    let p = pki();
    let s = TestServer::start(ServerConfig {
        tls: Some(TlsConfig {
            cert_pem: p.server.0.clone().into(),
            key_pem: p.server.1.clone().into(),
            client_ca_pem: None,
        }),
        ..util::config_with_model(&util::default_model())
    })
    .await;
    let t = ClientTlsConfig::new()
        .ca_certificate(Certificate::from_pem(&p.ca))
        .domain_name("localhost");
    assert_eq!(classify(s.addr, Some(t)).await.as_deref(), Ok("business"));
    assert!(classify(s.addr, None).await.is_err(), "plaintext");
    s.stop().await.unwrap();
}
