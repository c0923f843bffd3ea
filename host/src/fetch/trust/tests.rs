//! The outbound client over TLS, against a server on loopback with a certificate from a
//! CA the test makes: the system's roots are read at the first certificate, not before;
//! a certificate no root vouches for is refused; one the CA signed is accepted, by its
//! names only, and from a server that holds its key only.

use std::path::Path;
use std::sync::Arc;

use rcgen::{BasicConstraints, CertificateParams, CertifiedIssuer, IsCa, KeyPair};
use rustls::pki_types::{CertificateDer, PrivateKeyDer, PrivatePkcs8KeyDer};
use rustls::server::{ClientHello, ResolvesServerCert};
use rustls::sign::CertifiedKey;
use tokio::io::{AsyncRead, AsyncReadExt, AsyncWrite, AsyncWriteExt};
use tokio::net::TcpListener;
use tokio_rustls::TlsAcceptor;

use crate::config::{Config, Overrides};
use crate::fetch::{CookieJar, EgressPolicy, FetchClient, FetchError, FetchRequest, FetchScope};

/// A CA and a certificate it signed for `localhost` and 127.0.0.1.
struct Certificates {
    ca: CertificateDer<'static>,
    server: CertificateDer<'static>,
    server_key: PrivateKeyDer<'static>,
}

fn certificates() -> Certificates {
    let mut ca_params = CertificateParams::new(Vec::<String>::new()).expect("CA params");
    ca_params.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
    ca_params
        .distinguished_name
        .push(rcgen::DnType::CommonName, "Kura test CA");
    let ca = CertifiedIssuer::self_signed(ca_params, KeyPair::generate().expect("CA key"))
        .expect("CA certificate");
    let server_key = KeyPair::generate().expect("server key");
    let server = CertificateParams::new(vec!["localhost".to_owned(), "127.0.0.1".to_owned()])
        .expect("server params")
        .signed_by(&server_key, &ca)
        .expect("server certificate");
    Certificates {
        ca: ca.der().clone(),
        server: server.der().clone(),
        server_key: PrivatePkcs8KeyDer::from(server_key.serialize_der()).into(),
    }
}

/// Answers every connection's first request with `hello`, over TLS when `tls` is given;
/// the server's address.
async fn serve(tls: Option<TlsAcceptor>) -> std::net::SocketAddr {
    let listener = TcpListener::bind("127.0.0.1:0").await.expect("bind");
    let address = listener.local_addr().expect("address");
    tokio::spawn(async move {
        while let Ok((stream, _)) = listener.accept().await {
            let tls = tls.clone();
            tokio::spawn(async move {
                match tls {
                    Some(tls) => {
                        // A client that refuses the certificate ends the handshake.
                        if let Ok(stream) = tls.accept(stream).await {
                            answer(stream).await;
                        }
                    }
                    None => answer(stream).await,
                }
            });
        }
    });
    address
}

async fn answer(mut stream: impl AsyncRead + AsyncWrite + Unpin) {
    let mut request = Vec::new();
    let mut buffer = [0; 1024];
    while !request.windows(4).any(|window| window == b"\r\n\r\n") {
        match stream.read(&mut buffer).await {
            Ok(0) | Err(_) => return,
            Ok(read) => request.extend_from_slice(&buffer[..read]),
        }
    }
    let reply = b"HTTP/1.1 200 OK\r\ncontent-length: 5\r\nconnection: close\r\n\r\nhello";
    let _ = stream.write_all(reply).await;
    let _ = stream.shutdown().await;
}

/// A TLS server's settings that present `certificate` and sign the handshake with `key`
/// (checked against nothing: a test may pair a certificate with another key).
fn acceptor(certificate: &CertificateDer<'static>, key: PrivateKeyDer<'static>) -> TlsAcceptor {
    let provider = Arc::new(rustls::crypto::aws_lc_rs::default_provider());
    let signing = provider
        .key_provider
        .load_private_key(key)
        .expect("signing key");
    let presented = CertifiedKey::new(vec![certificate.clone()], signing);
    let mut config = rustls::ServerConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .expect("versions")
        .with_no_client_auth()
        .with_cert_resolver(Arc::new(Presenting(Arc::new(presented))));
    config.alpn_protocols = vec![b"http/1.1".to_vec()];
    TlsAcceptor::from(Arc::new(config))
}

/// Always answers with its certificate and key.
#[derive(Debug)]
struct Presenting(Arc<CertifiedKey>);

impl ResolvesServerCert for Presenting {
    fn resolve(&self, _: ClientHello<'_>) -> Option<Arc<CertifiedKey>> {
        Some(self.0.clone())
    }
}

/// The trusted server of most tests: the CA's certificate and its own key.
fn genuine(certificates: &Certificates) -> TlsAcceptor {
    acceptor(&certificates.server, certificates.server_key.clone_key())
}

/// Why the client refused a fetch (panics when it did not).
fn refusal(result: Result<String, FetchError>, what: &str) -> String {
    match result {
        Err(FetchError::Network(reason)) => reason,
        other => panic!("{what} must be refused: {other:?}"),
    }
}

fn loopback_config() -> Config {
    Config::parse(
        "fetch:\n  allow_private_hosts: [\"127.0.0.1\", \"localhost\", \"other.test\"]\n  \
         resolve: {localhost: 127.0.0.1, other.test: 127.0.0.1}\n",
        Path::new("t.yaml"),
        &Overrides::default(),
    )
    .expect("valid config")
}

async fn get(client: &FetchClient, url: String) -> Result<String, FetchError> {
    let policy = EgressPolicy::any_public();
    let cookies = CookieJar::default();
    let scope = FetchScope {
        caller: "test",
        policy: &policy,
        cookies: &cookies,
        deadline: None,
    };
    let response = client.fetch(&scope, FetchRequest::get(url)).await?;
    Ok(String::from_utf8_lossy(&response.body).into_owned())
}

#[tokio::test]
async fn the_system_roots_are_read_at_the_first_certificate_and_refuse_an_unknown_issuer() {
    let certificates = certificates();
    let plain = serve(None).await;
    let secure = serve(Some(genuine(&certificates))).await;
    let client = FetchClient::new(&loopback_config().fetch).expect("client");
    assert!(!client.trust_roots_loaded(), "nothing read at start-up");
    let body = get(&client, format!("http://{plain}/"))
        .await
        .expect("plain");
    assert_eq!(body, "hello");
    assert!(
        !client.trust_roots_loaded(),
        "a plain-HTTP request reads no roots"
    );
    let reason = refusal(
        get(&client, format!("https://localhost:{}/", secure.port())).await,
        "a certificate from an unknown CA",
    );
    assert!(
        reason.contains("invalid peer certificate: UnknownIssuer"),
        "the reason names the certificate's issuer: {reason}"
    );
    assert!(client.trust_roots_loaded(), "read for the first handshake");
}

#[tokio::test]
async fn a_certificate_from_a_trusted_root_is_accepted() {
    let certificates = certificates();
    let secure = serve(Some(genuine(&certificates))).await;
    let client = FetchClient::trusting(&loopback_config().fetch, vec![certificates.ca.clone()])
        .expect("client");
    let body = get(&client, format!("https://localhost:{}/", secure.port()))
        .await
        .expect("a certificate the trusted CA signed");
    assert_eq!(body, "hello");
    // The name checked is the one asked for: the same server under a name its
    // certificate does not carry is refused.
    let reason = refusal(
        get(&client, format!("https://other.test:{}/", secure.port())).await,
        "a name the certificate does not carry",
    );
    assert!(
        reason.contains("invalid peer certificate: certificate not valid for name \"other.test\""),
        "the reason names the certificate's names: {reason}"
    );
}

#[tokio::test]
async fn a_server_without_the_certificates_key_is_refused() {
    // The handshake signature proves the server holds the certificate's key: one made
    // with another key must fail, though the certificate itself is trusted.
    let certificates = certificates();
    let other_key = PrivatePkcs8KeyDer::from(KeyPair::generate().expect("key").serialize_der());
    let secure = serve(Some(acceptor(&certificates.server, other_key.into()))).await;
    let client = FetchClient::trusting(&loopback_config().fetch, vec![certificates.ca.clone()])
        .expect("client");
    let reason = refusal(
        get(&client, format!("https://localhost:{}/", secure.port())).await,
        "a server that cannot sign with the certificate's key",
    );
    assert!(reason.contains("BadSignature"), "{reason}");
}

#[test]
fn the_settings_offer_http2_then_http1() {
    let config =
        super::client_config(Arc::new(super::SystemRoots::new(Vec::new()))).expect("settings");
    assert_eq!(
        config.alpn_protocols,
        [b"h2".to_vec(), b"http/1.1".to_vec()]
    );
}
