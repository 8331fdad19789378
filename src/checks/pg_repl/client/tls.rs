//! TLS for `--sslmode`, with rustls and the ring provider, following libpq:
//! `prefer` and `require` encrypt without checking the certificate unless a
//! root certificate is there (then as `verify-ca`), `verify-ca` checks the
//! chain, `verify-full` the chain and the host name. Its own module because
//! the two certificate verifiers libpq's modes need are most of its length.

use super::SslMode;
use rustls::client::danger::{HandshakeSignatureValid, ServerCertVerified, ServerCertVerifier};
use rustls::client::WebPkiServerVerifier;
use rustls::crypto::CryptoProvider;
use rustls::pki_types::pem::PemObject;
use rustls::pki_types::{CertificateDer, ServerName, UnixTime};
use rustls::{CertificateError, DigitallySignedStruct, SignatureScheme};
use std::path::Path;
use std::sync::Arc;

/// The rustls configuration for `mode` (ring provider).
pub fn tls_config(mode: SslMode, rootcert: Option<&Path>) -> Result<rustls::ClientConfig, String> {
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let builder = rustls::ClientConfig::builder_with_provider(Arc::clone(&provider))
        .with_safe_default_protocol_versions()
        .map_err(|e| format!("TLS set-up failed: {e}"))?;
    // libpq: prefer/require check the certificate only when a root certificate is there.
    let roots = match (mode, rootcert) {
        (SslMode::Disable, _) => None,
        (SslMode::Prefer | SslMode::Require, Some(path)) if path.exists() => Some(load_roots(path)?),
        (SslMode::Prefer | SslMode::Require, _) => None,
        (SslMode::VerifyCa | SslMode::VerifyFull, Some(path)) => Some(load_roots(path)?),
        (SslMode::VerifyCa | SslMode::VerifyFull, None) => {
            return Err(
                "--sslmode verify-ca/verify-full needs a root certificate: --sslrootcert, PGSSLROOTCERT or ~/.postgresql/root.crt"
                    .into(),
            )
        }
    };
    let Some(roots) = roots else {
        return Ok(builder
            .dangerous()
            .with_custom_certificate_verifier(Arc::new(EncryptOnly(provider)))
            .with_no_client_auth());
    };
    if mode == SslMode::VerifyFull {
        return Ok(builder.with_root_certificates(roots).with_no_client_auth());
    }
    let inner = WebPkiServerVerifier::builder_with_provider(Arc::new(roots), provider)
        .build()
        .map_err(|e| format!("TLS set-up failed: {e}"))?;
    Ok(builder
        .dangerous()
        .with_custom_certificate_verifier(Arc::new(ChainOnly(inner)))
        .with_no_client_auth())
}

fn load_roots(path: &Path) -> Result<rustls::RootCertStore, String> {
    crate::timeout::set_activity(format!("reading root certificate {}", path.display()));
    let mut roots = rustls::RootCertStore::empty();
    let certs = CertificateDer::pem_file_iter(path)
        .map_err(|e| format!("cannot read root certificate {}: {e}", path.display()))?;
    for cert in certs {
        let cert =
            cert.map_err(|e| format!("cannot read root certificate {}: {e}", path.display()))?;
        roots
            .add(cert)
            .map_err(|e| format!("bad root certificate in {}: {e}", path.display()))?;
    }
    if roots.is_empty() {
        return Err(format!("no certificate in {}", path.display()));
    }
    Ok(roots)
}

/// `prefer`/`require` without a root certificate: encryption, no identity check
/// (what libpq does); the handshake signatures are still verified.
#[derive(Debug)]
struct EncryptOnly(Arc<CryptoProvider>);

impl ServerCertVerifier for EncryptOnly {
    fn verify_server_cert(
        &self,
        _end_entity: &CertificateDer<'_>,
        _intermediates: &[CertificateDer<'_>],
        _server_name: &ServerName<'_>,
        _ocsp: &[u8],
        _now: UnixTime,
    ) -> Result<ServerCertVerified, rustls::Error> {
        Ok(ServerCertVerified::assertion())
    }

    fn verify_tls12_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        rustls::crypto::verify_tls12_signature(
            message,
            cert,
            dss,
            &self.0.signature_verification_algorithms,
        )
    }

    fn verify_tls13_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        rustls::crypto::verify_tls13_signature(
            message,
            cert,
            dss,
            &self.0.signature_verification_algorithms,
        )
    }

    fn supported_verify_schemes(&self) -> Vec<SignatureScheme> {
        self.0.signature_verification_algorithms.supported_schemes()
    }
}

/// `verify-ca`: the chain must lead to the root certificate; the name is not checked.
#[derive(Debug)]
struct ChainOnly(Arc<WebPkiServerVerifier>);

impl ServerCertVerifier for ChainOnly {
    fn verify_server_cert(
        &self,
        end_entity: &CertificateDer<'_>,
        intermediates: &[CertificateDer<'_>],
        server_name: &ServerName<'_>,
        ocsp: &[u8],
        now: UnixTime,
    ) -> Result<ServerCertVerified, rustls::Error> {
        match self
            .0
            .verify_server_cert(end_entity, intermediates, server_name, ocsp, now)
        {
            // webpki checks the name after the chain: a name mismatch means the chain is good.
            Err(rustls::Error::InvalidCertificate(
                CertificateError::NotValidForName | CertificateError::NotValidForNameContext { .. },
            )) => Ok(ServerCertVerified::assertion()),
            other => other,
        }
    }

    fn verify_tls12_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        self.0.verify_tls12_signature(message, cert, dss)
    }

    fn verify_tls13_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        self.0.verify_tls13_signature(message, cert, dss)
    }

    fn supported_verify_schemes(&self) -> Vec<SignatureScheme> {
        self.0.supported_verify_schemes()
    }
}
