//! How every client of an Entente election reaches a server: over HTTPS, the server's
//! certificate checked against the system's roots or against the CA a command was given
//! (`--ca FILE`); plain HTTP only when the command was told `--insecure-http` (a demo or a
//! test on loopback), because on any other path a plain connection lets whoever is on it read
//! who submits what and answer in the server's name.
//!
//! The trust is set by the command line before any work (and by a demo for the servers it
//! starts), and every agent of
//! the roles (the log client, the device's submitters, the load driver, the server's cosigner
//! calling witnesses) is built here from it: no client can be built that skips it.

use std::sync::{Arc, RwLock};
use std::time::Duration;

use crate::error::{Result, RolesError, refused};
use crate::protocol::Envelope;

/// What this process's clients trust.
#[derive(Clone, Default)]
pub struct Trust {
    /// The CA certificates that sign the servers' certificates (instead of the system's roots).
    ca: Option<Arc<Vec<ureq::tls::Certificate<'static>>>>,
    /// Whether plain `http://` URLs are allowed.
    insecure_http: bool,
    /// The file the CA certificates came from (for the arguments of a child process).
    ca_file: Option<std::path::PathBuf>,
}

impl Trust {
    /// The system's roots, HTTPS only.
    pub fn system() -> Self {
        Self::default()
    }

    /// The CA certificates of a PEM file (one or more `CERTIFICATE` blocks), instead of the
    /// system's roots.
    pub fn with_ca_pem(mut self, pem: &[u8], what: &str) -> Result<Self> {
        let mut certs = Vec::new();
        for item in ureq::tls::parse_pem(pem) {
            match item {
                Ok(ureq::tls::PemItem::Certificate(c)) => certs.push(c),
                Ok(_) => {}
                Err(e) => return Err(refused!("{what}: not a PEM file of certificates: {e}")),
            }
        }
        if certs.is_empty() {
            return Err(refused!(
                "{what} holds no certificate (PEM \"CERTIFICATE\" blocks)"
            ));
        }
        self.ca = Some(Arc::new(certs));
        Ok(self)
    }

    /// The CA certificates of a PEM file, read from `path`.
    pub fn with_ca_file(self, path: &std::path::Path) -> Result<Self> {
        let pem = std::fs::read(path)
            .map_err(|e| refused!("cannot read the CA file {}: {e}", path.display()))?;
        let mut trust = self.with_ca_pem(&pem, &path.display().to_string())?;
        trust.ca_file = Some(path.to_owned());
        Ok(trust)
    }

    /// This trust, allowing plain HTTP as well.
    pub fn allow_insecure_http(mut self, allow: bool) -> Self {
        self.insecure_http = allow;
        self
    }
}

static TRUST: RwLock<Option<Arc<Trust>>> = RwLock::new(None);

/// Sets this process's trust: by the command line before any work, and by a demo that makes
/// its own CA for the servers it starts. Clients built afterwards use it.
pub fn configure(trust: Trust) {
    if let Ok(mut t) = TRUST.write() {
        *t = Some(Arc::new(trust));
    }
}

/// This process's trust (the system's roots, HTTPS only, until configured).
pub fn current() -> Trust {
    (*trust()).clone()
}

fn trust() -> Arc<Trust> {
    TRUST
        .read()
        .ok()
        .and_then(|t| t.clone())
        .unwrap_or_default()
}

/// The command-line arguments that give a child `entente` process this process's trust.
pub fn child_args() -> Vec<std::ffi::OsString> {
    let t = trust();
    let mut args = Vec::new();
    if let Some(f) = &t.ca_file {
        args.push("--ca".into());
        args.push(f.clone().into_os_string());
    }
    if t.insecure_http {
        args.push("--insecure-http".into());
    }
    args
}

/// Whether this process was told `--insecure-http` (plain HTTP allowed).
pub fn insecure_http() -> bool {
    trust().insecure_http
}

/// Whether `url` may be used: https always; http only when allowed.
pub fn check_url(url: &str) -> Result<()> {
    let lower = url.to_ascii_lowercase();
    if lower.starts_with("https://") {
        return Ok(());
    }
    if lower.starts_with("http://") {
        if trust().insecure_http {
            return Ok(());
        }
        return Err(refused!(
            "{url} is plain HTTP: anyone on the path could read and change what is said; use \
             its https:// address, or --insecure-http for a server on this machine's loopback"
        ));
    }
    Err(refused!("{url} is not an https:// URL"))
}

/// An HTTP agent that verifies servers as this process trusts them, gives each request at most
/// `timeout`, and leaves statuses to the caller.
pub fn agent(timeout: Duration) -> ureq::Agent {
    let trust = trust();
    let roots = match &trust.ca {
        Some(ca) => ureq::tls::RootCerts::Specific(ca.clone()),
        None => ureq::tls::RootCerts::PlatformVerifier,
    };
    ureq::Agent::config_builder()
        .timeout_global(Some(timeout))
        .http_status_as_error(false)
        .tls_config(ureq::tls::TlsConfig::builder().root_certs(roots).build())
        .build()
        .into()
}

/// A failed request, said plainly: a certificate the client does not trust, a server that did
/// not answer in time (`limit` says what bounded it), or what the transport said.
pub fn failed(e: ureq::Error, method: &str, url: &str, limit: &str) -> RolesError {
    if let Some(why) = certificate_problem(&e) {
        let what = match why {
            rustls::CertificateError::UnknownIssuer | rustls::CertificateError::BadSignature => {
                "it is not signed by a CA this command trusts (--ca FILE, else the system's roots)"
            }
            rustls::CertificateError::NotValidForName
            | rustls::CertificateError::NotValidForNameContext { .. } => {
                "it is not for this server's name"
            }
            rustls::CertificateError::Expired | rustls::CertificateError::ExpiredContext { .. } => {
                "it has expired"
            }
            _ => "it does not check",
        };
        return refused!("{method} {url}: the server's certificate is refused ({why:?}): {what}");
    }
    match e {
        ureq::Error::Timeout(_) => {
            refused!("{method} {url}: the server did not answer in time ({limit})")
        }
        other => refused!("{method} {url}: {other}"),
    }
}

/// What is wrong with the server's certificate, if that is why a request failed (rustls's
/// error as ureq gives it, or wrapped in the connection's I/O error).
fn certificate_problem(e: &ureq::Error) -> Option<&rustls::CertificateError> {
    let tls = match e {
        ureq::Error::Rustls(t) => Some(t),
        ureq::Error::Io(io) => io.get_ref().and_then(|inner| inner.downcast_ref()),
        _ => None,
    };
    match tls {
        Some(rustls::Error::InvalidCertificate(why)) => Some(why),
        _ => None,
    }
}

/// POSTs a signed write: its signed fields in headers first (see
/// [`crate::protocol::header`]), so that the server can refuse it before it reads the body,
/// then the envelope. The status and the answer's text.
pub fn post_write(
    agent: &ureq::Agent,
    url: &str,
    env: &Envelope,
    bytes: &[u8],
    timeout: Duration,
) -> std::result::Result<(u16, String), ureq::Error> {
    let mut req = agent.post(url).header("content-type", "application/json");
    for (name, value) in env
        .headers()
        .map_err(|_| ureq::Error::BadUri("an envelope whose body is not base64".into()))?
    {
        req = req.header(name, value);
    }
    let mut resp = req
        .config()
        .timeout_global(Some(timeout))
        .build()
        .send(bytes)?;
    let status = resp.status().as_u16();
    let text = resp.body_mut().read_to_string()?;
    Ok((status, text))
}
