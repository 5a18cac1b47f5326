//! TLS for client connections (`tls-port`), with rustls: the options Redis 7.0 reads, mapped
//! onto a `rustls::ServerConfig`. TLS is a transport concern: the node only ever sees the
//! plaintext bytes of a connection.
//!
//! rustls cannot do everything OpenSSL does; what it cannot honour is refused with a clear error,
//! never ignored: TLSv1 and TLSv1.1, OpenSSL cipher-list keywords (`HIGH`, `!aNULL`, ...),
//! ciphers rustls lacks, and encrypted private keys (`tls-key-file-pass` is refused by the
//! config audit for that reason).

use std::sync::Arc;

use rustls::crypto::{ring, CryptoProvider};
use rustls::pki_types::pem::PemObject;
use rustls::pki_types::{CertificateDer, PrivateKeyDer};
use rustls::server::{NoServerSessionStorage, ServerSessionMemoryCache, WebPkiClientVerifier};
use rustls::{RootCertStore, ServerConfig, SupportedCipherSuite};

use crate::config::Config;

/// The TLS options, read from the configuration by name (they are stored as plain rows).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct TlsSettings {
    cert_file: String,
    key_file: String,
    ca_cert_file: String,
    ca_cert_dir: String,
    auth_clients: String,
    protocols: String,
    ciphers: String,
    ciphersuites: String,
    prefer_server_ciphers: bool,
    session_caching: bool,
    session_cache_size: usize,
}

/// The session cache's size for `tls-session-cache-size 0` (OpenSSL's "no limit").
const SESSION_CACHE_UNLIMITED_MAX: usize = 1 << 20;

/// OpenSSL's names for the TLSv1.2 ciphers rustls offers, and rustls's names for them.
const TLS12_CIPHERS: [(&str, &str); 6] = [
    ("ECDHE-ECDSA-AES128-GCM-SHA256", "TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256"),
    ("ECDHE-ECDSA-AES256-GCM-SHA384", "TLS_ECDHE_ECDSA_WITH_AES_256_GCM_SHA384"),
    ("ECDHE-ECDSA-CHACHA20-POLY1305", "TLS_ECDHE_ECDSA_WITH_CHACHA20_POLY1305_SHA256"),
    ("ECDHE-RSA-AES128-GCM-SHA256", "TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256"),
    ("ECDHE-RSA-AES256-GCM-SHA384", "TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384"),
    ("ECDHE-RSA-CHACHA20-POLY1305", "TLS_ECDHE_RSA_WITH_CHACHA20_POLY1305_SHA256"),
];

/// OpenSSL's (and Redis's) names for the TLSv1.3 suites, and rustls's names for them.
const TLS13_SUITES: [(&str, &str); 3] = [
    ("TLS_AES_128_GCM_SHA256", "TLS13_AES_128_GCM_SHA256"),
    ("TLS_AES_256_GCM_SHA384", "TLS13_AES_256_GCM_SHA384"),
    ("TLS_CHACHA20_POLY1305_SHA256", "TLS13_CHACHA20_POLY1305_SHA256"),
];

impl TlsSettings {
    /// The TLS options of `config`.
    pub fn from_config(config: &Config) -> TlsSettings {
        let get = |name: &str| config.get(Config::lookup(name).expect("TLS options are in the table"));
        TlsSettings {
            cert_file: get("tls-cert-file"),
            key_file: get("tls-key-file"),
            ca_cert_file: get("tls-ca-cert-file"),
            ca_cert_dir: get("tls-ca-cert-dir"),
            auth_clients: get("tls-auth-clients"),
            protocols: get("tls-protocols"),
            ciphers: get("tls-ciphers"),
            ciphersuites: get("tls-ciphersuites"),
            prefer_server_ciphers: get("tls-prefer-server-ciphers") == "yes",
            session_caching: get("tls-session-caching") == "yes",
            session_cache_size: get("tls-session-cache-size").parse().unwrap_or(20480),
        }
    }

    /// Builds the server context, reading the certificate, key and CA files. The error is the
    /// line Redis logs for the same problem where it has one.
    pub fn server_config(&self) -> Result<Arc<ServerConfig>, String> {
        let provider = Arc::new(self.provider()?);
        let versions = self.protocol_versions()?;
        let builder = ServerConfig::builder_with_provider(provider.clone())
            .with_protocol_versions(&versions)
            .map_err(|e| format!("Failed to configure TLS protocols: {e}"))?;
        let builder = match self.auth_clients.as_str() {
            "no" => builder.with_no_client_auth(),
            mode => {
                let roots = Arc::new(self.root_store()?);
                let verifier = WebPkiClientVerifier::builder_with_provider(roots, provider);
                let verifier = if mode == "optional" { verifier.allow_unauthenticated() } else { verifier };
                let verifier = verifier.build().map_err(|e| format!("Failed to configure CA certificate(s): {e}"))?;
                builder.with_client_cert_verifier(verifier)
            }
        };
        let certs = self.certificates()?;
        let key = self.private_key()?;
        let mut config = builder
            .with_single_cert(certs, key)
            .map_err(|e| format!("Failed to load private key: {}: {e}", self.key_file))?;
        config.ignore_client_order = self.prefer_server_ciphers;
        if self.session_caching {
            // 0 means "no limit" to OpenSSL; rustls's cache needs a bound.
            let size = if self.session_cache_size == 0 { SESSION_CACHE_UNLIMITED_MAX } else { self.session_cache_size };
            config.session_storage = ServerSessionMemoryCache::new(size);
        } else {
            config.session_storage = Arc::new(NoServerSessionStorage {});
            config.send_tls13_tickets = 0;
        }
        Ok(Arc::new(config))
    }

    /// `tls-protocols`: Redis's words, case-insensitive; empty means TLSv1.2 and TLSv1.3.
    fn protocol_versions(&self) -> Result<Vec<&'static rustls::SupportedProtocolVersion>, String> {
        if self.protocols.trim().is_empty() {
            return Ok(vec![&rustls::version::TLS12, &rustls::version::TLS13]);
        }
        let mut versions = Vec::new();
        for word in self.protocols.split_whitespace() {
            match word.to_ascii_lowercase().as_str() {
                "tlsv1.2" => versions.push(&rustls::version::TLS12),
                "tlsv1.3" => versions.push(&rustls::version::TLS13),
                "tlsv1" | "tlsv1.1" => {
                    return Err(format!(
                        "tls-protocols: {word} is not supported by verdis (rustls speaks only TLSv1.2 and TLSv1.3)"
                    ))
                }
                _ => {
                    return Err("Invalid tls-protocols specified. Use a combination of 'TLSv1', 'TLSv1.1', 'TLSv1.2' and 'TLSv1.3'.".into())
                }
            }
        }
        Ok(versions)
    }

    /// ring's provider with the cipher suites `tls-ciphers` (TLSv1.2) and `tls-ciphersuites`
    /// (TLSv1.3) name; an empty option keeps every suite of its version.
    fn provider(&self) -> Result<CryptoProvider, String> {
        // ring's provider is deprecated for lacking post-quantum key exchange; aws-lc-rs (which
        // has it) needs a cmake build. Redis 7.0 on Debian's OpenSSL 3.0 offers none either.
        #[allow(deprecated)]
        let mut provider = ring::default_provider();
        let all = std::mem::take(&mut provider.cipher_suites);
        let is_tls13 = |s: &SupportedCipherSuite| matches!(s, SupportedCipherSuite::Tls13(_));
        let tls12 = pick(&all, &self.ciphers, "tls-ciphers", &TLS12_CIPHERS, |s| !is_tls13(s))?;
        let tls13 = pick(&all, &self.ciphersuites, "tls-ciphersuites", &TLS13_SUITES, is_tls13)?;
        provider.cipher_suites = tls13.into_iter().chain(tls12).collect();
        Ok(provider)
    }

    /// The trust anchors for client certificates: `tls-ca-cert-file` and every certificate in
    /// the files of `tls-ca-cert-dir`.
    fn root_store(&self) -> Result<RootCertStore, String> {
        if self.ca_cert_file.is_empty() && self.ca_cert_dir.is_empty() {
            return Err("Either tls-ca-cert-file or tls-ca-cert-dir must be specified when tls-cluster, tls-replication or tls-auth-clients are enabled!".into());
        }
        let mut files = Vec::new();
        if !self.ca_cert_file.is_empty() {
            files.push(std::path::PathBuf::from(&self.ca_cert_file));
        }
        if !self.ca_cert_dir.is_empty() {
            let entries = std::fs::read_dir(&self.ca_cert_dir).map_err(|e| {
                format!("Failed to configure CA certificate(s) file/directory: {}: {e}", self.ca_cert_dir)
            })?;
            files.extend(entries.filter_map(|e| e.ok()).map(|e| e.path()).filter(|p| p.is_file()));
            files.sort();
        }
        let mut store = RootCertStore::empty();
        for file in &files {
            // A CA directory may hold other files (OpenSSL's hash links point at the same
            // certificates); a file named by tls-ca-cert-file must hold certificates.
            let certs = read_certificates(file);
            let named = file.as_os_str() == self.ca_cert_file.as_str();
            match certs {
                Ok(certs) => {
                    for cert in certs {
                        store
                            .add(cert)
                            .map_err(|e| format!("Failed to configure CA certificate(s): {}: {e}", file.display()))?;
                    }
                }
                Err(e) if named => return Err(format!("Failed to configure CA certificate(s): {e}")),
                Err(_) => {}
            }
        }
        if store.is_empty() {
            return Err("Failed to configure CA certificate(s) file/directory: no certificate found".into());
        }
        Ok(store)
    }

    fn certificates(&self) -> Result<Vec<CertificateDer<'static>>, String> {
        read_certificates(std::path::Path::new(&self.cert_file)).map_err(|e| format!("Failed to load certificate: {e}"))
    }

    fn private_key(&self) -> Result<PrivateKeyDer<'static>, String> {
        let text =
            std::fs::read(&self.key_file).map_err(|e| format!("Failed to load private key: {}: {e}", self.key_file))?;
        if text.windows(b"ENCRYPTED".len()).any(|w| w == b"ENCRYPTED") {
            return Err(format!(
                "Failed to load private key: {}: the key is encrypted, and verdis (rustls) reads only unencrypted keys: decrypt it (openssl pkey -in KEY -out PLAIN)",
                self.key_file
            ));
        }
        PrivateKeyDer::from_pem_slice(&text).map_err(|e| format!("Failed to load private key: {}: {e}", self.key_file))
    }
}

/// The certificates of a PEM file; an error when it holds none.
fn read_certificates(path: &std::path::Path) -> Result<Vec<CertificateDer<'static>>, String> {
    let text = std::fs::read(path).map_err(|e| format!("{}: {e}", path.display()))?;
    let certs: Vec<_> = CertificateDer::pem_slice_iter(&text)
        .collect::<Result<_, _>>()
        .map_err(|e| format!("{}: {e}", path.display()))?;
    if certs.is_empty() {
        return Err(format!("{}: no certificate found", path.display()));
    }
    Ok(certs)
}

/// The suites of `all` that `keep` selects and `list` (an OpenSSL-style list, `:`, `,` or space
/// separated) names; every suite of the kind when `list` is empty. A name rustls cannot honour
/// (an OpenSSL keyword or a cipher it lacks) is an error naming what it supports.
fn pick(
    all: &[SupportedCipherSuite],
    list: &str,
    option: &str,
    names: &[(&str, &str)],
    keep: impl Fn(&SupportedCipherSuite) -> bool,
) -> Result<Vec<SupportedCipherSuite>, String> {
    let of_kind: Vec<SupportedCipherSuite> = all.iter().copied().filter(|s| keep(s)).collect();
    let words: Vec<&str> = list.split([':', ',', ' ']).filter(|w| !w.is_empty()).collect();
    if words.is_empty() {
        return Ok(of_kind);
    }
    let mut chosen = Vec::new();
    for word in words {
        let rustls_name = names.iter().find(|(openssl, _)| openssl.eq_ignore_ascii_case(word)).map(|(_, r)| *r);
        let suite = rustls_name.and_then(|r| of_kind.iter().find(|s| format!("{:?}", s.suite()) == r));
        match suite {
            Some(s) if !chosen.contains(s) => chosen.push(*s),
            Some(_) => {}
            None => {
                let supported: Vec<&str> = names.iter().map(|(openssl, _)| *openssl).collect();
                return Err(format!(
                    "Failed to configure {option}: '{word}' is not a cipher verdis (rustls) can honour; supported: {}",
                    supported.join(":")
                ));
            }
        }
    }
    Ok(chosen)
}

/// The check CONFIG SET runs when a TLS option changes while TLS is on (Redis reconfigures its
/// TLS context then, and refuses a configuration it cannot load).
pub fn check(config: &Config) -> Result<(), String> {
    if config.get(Config::lookup("tls-port").expect("tls-port is in the table")) == "0" {
        return Ok(());
    }
    TlsSettings::from_config(config).server_config().map(|_| ())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn settings(ciphers: &str, ciphersuites: &str, protocols: &str) -> TlsSettings {
        let mut config = Config::default();
        let pairs: [(&[u8], &[u8]); 3] = [
            (b"tls-ciphers", ciphers.as_bytes()),
            (b"tls-ciphersuites", ciphersuites.as_bytes()),
            (b"tls-protocols", protocols.as_bytes()),
        ];
        config.set_many(&pairs, true).unwrap();
        TlsSettings::from_config(&config)
    }

    #[test]
    fn cipher_lists_map_to_rustls_suites_or_are_refused() {
        // Proves OpenSSL names map to the rustls suites they name, in the order given, and that
        // what rustls cannot honour (keywords, missing ciphers) is refused, not dropped.
        let p = settings("ECDHE-RSA-AES256-GCM-SHA384:ECDHE-RSA-AES128-GCM-SHA256", "TLS_AES_256_GCM_SHA384", "")
            .provider()
            .unwrap();
        let names: Vec<String> = p.cipher_suites.iter().map(|s| format!("{:?}", s.suite())).collect();
        assert_eq!(
            names,
            [
                "TLS13_AES_256_GCM_SHA384",
                "TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384",
                "TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256"
            ]
        );
        assert_eq!(settings("", "", "").provider().unwrap().cipher_suites.len(), 9);
        let err = settings("HIGH:!aNULL", "", "").provider().unwrap_err();
        assert!(err.starts_with("Failed to configure tls-ciphers: 'HIGH' is not a cipher"), "{err}");
        let err = settings("", "TLS_AES_128_CCM_SHA256", "").provider().unwrap_err();
        assert!(err.contains("'TLS_AES_128_CCM_SHA256'"), "{err}");
    }

    #[test]
    fn protocols_parse_as_redis_and_refuse_old_versions() {
        // Proves Redis's protocol words (case-insensitive), its error for unknown words, and a
        // clear refusal of the versions rustls lacks.
        assert_eq!(settings("", "", "tlsv1.3").protocol_versions().unwrap().len(), 1);
        assert_eq!(settings("", "", "").protocol_versions().unwrap().len(), 2);
        assert!(settings("", "", "TLSv1.2 TLSv1.1")
            .protocol_versions()
            .unwrap_err()
            .contains("TLSv1.1 is not supported"));
        assert!(settings("", "", "TLSv1.4")
            .protocol_versions()
            .unwrap_err()
            .starts_with("Invalid tls-protocols specified."));
    }
}
