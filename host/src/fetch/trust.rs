//! The TLS settings of the outbound client, with the system's trust roots read at the
//! first certificate to check, not when the client is built.
//!
//! Reading the roots means parsing every file under `/etc/ssl/certs` (about 150 on
//! Debian): a few milliseconds that a `kura download` of a plain-HTTP stream, or a
//! server whose plugins never reach an HTTPS site, would pay for nothing. The roots are
//! read once per client, as the platform verifier reads them; the handshake signatures
//! are checked with the crypto provider's algorithms, which need no roots.

use std::sync::{Arc, OnceLock};

use rustls::client::danger::{HandshakeSignatureValid, ServerCertVerified, ServerCertVerifier};
use rustls::crypto::{CryptoProvider, verify_tls12_signature, verify_tls13_signature};
use rustls::pki_types::{CertificateDer, ServerName, UnixTime};
use rustls::{DigitallySignedStruct, SignatureScheme};
use rustls_platform_verifier::Verifier;

/// The client's TLS settings: TLS 1.2 and 1.3 with aws-lc-rs (reqwest's own defaults),
/// HTTP/2 offered before HTTP/1.1, and the system's roots, read when first needed.
pub(super) fn client_config(roots: Arc<SystemRoots>) -> Result<rustls::ClientConfig, String> {
    let mut config = rustls::ClientConfig::builder_with_provider(roots.provider.clone())
        .with_safe_default_protocol_versions()
        .map_err(|error| format!("TLS versions: {error}"))?
        .dangerous()
        .with_custom_certificate_verifier(roots)
        .with_no_client_auth();
    config.alpn_protocols = vec![b"h2".to_vec(), b"http/1.1".to_vec()];
    Ok(config)
}

/// Verifies servers' certificates against the system's roots, read at the first use.
#[derive(Debug)]
pub(super) struct SystemRoots {
    provider: Arc<CryptoProvider>,
    /// Roots trusted beside the system's.
    extra: Vec<CertificateDer<'static>>,
    /// The platform verifier, once built. A failure to build it (no roots readable) is
    /// not kept: that handshake fails, and the next one reads the roots again, so
    /// certificates installed meanwhile count without a restart.
    verifier: OnceLock<Verifier>,
}

impl SystemRoots {
    pub(super) fn new(extra: Vec<CertificateDer<'static>>) -> Self {
        Self {
            provider: Arc::new(rustls::crypto::aws_lc_rs::default_provider()),
            extra,
            verifier: OnceLock::new(),
        }
    }

    /// Whether the roots have been read (a certificate was checked).
    #[cfg(test)]
    pub(super) fn loaded(&self) -> bool {
        self.verifier.get().is_some()
    }

    fn verifier(&self) -> Result<&Verifier, rustls::Error> {
        if let Some(verifier) = self.verifier.get() {
            return Ok(verifier);
        }
        // Two first handshakes at once may both read the roots; one verifier is kept.
        let built =
            Verifier::new_with_extra_roots(self.extra.iter().cloned(), self.provider.clone())?;
        Ok(self.verifier.get_or_init(|| built))
    }
}

impl ServerCertVerifier for SystemRoots {
    fn verify_server_cert(
        &self,
        end_entity: &CertificateDer<'_>,
        intermediates: &[CertificateDer<'_>],
        server_name: &ServerName<'_>,
        ocsp_response: &[u8],
        now: UnixTime,
    ) -> Result<ServerCertVerified, rustls::Error> {
        self.verifier()?.verify_server_cert(
            end_entity,
            intermediates,
            server_name,
            ocsp_response,
            now,
        )
    }

    fn verify_tls12_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        verify_tls12_signature(
            message,
            cert,
            dss,
            &self.provider.signature_verification_algorithms,
        )
    }

    fn verify_tls13_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        verify_tls13_signature(
            message,
            cert,
            dss,
            &self.provider.signature_verification_algorithms,
        )
    }

    fn supported_verify_schemes(&self) -> Vec<SignatureScheme> {
        self.provider
            .signature_verification_algorithms
            .supported_schemes()
    }
}

#[cfg(test)]
mod tests;
