//! TLS on the client port, against verdis and real Redis with the same options: certificates are
//! made by `openssl` at test time (a CA, a server certificate, a client certificate, an expired
//! one, and a second CA that signs a stranger's certificate and a replacement server
//! certificate). `redis-cli --tls` and redis-py (`ssl=True`) are the clients. `ci/test` installs
//! openssl, redis-tools and redis-py.

mod common;

use std::path::Path;
use std::process::{Command, Output};

use common::{free_port, Backend, Server};

/// Certificates and keys in a temporary directory, made with the `openssl` command.
struct Certs {
    dir: tempfile::TempDir,
}

/// The extensions of a client certificate (v3: rustls refuses v1 certificates).
const CLIENT_EXT: &str = "extendedKeyUsage=clientAuth\n";
/// The extensions of a server certificate: the names redis-cli and redis-py connect by.
const SERVER_EXT: &str = "subjectAltName=DNS:localhost,IP:127.0.0.1\n";
/// `openssl ca`'s configuration, used only to sign a certificate with dates in the past.
const CA_CONF: &str = "[ca]\ndefault_ca = d\n[d]\ndatabase = index.txt\nnew_certs_dir = .\nserial = serial\n\
default_md = sha256\npolicy = p\nx509_extensions = ext\n[p]\ncommonName = supplied\n[ext]\nextendedKeyUsage = clientAuth\n";

impl Certs {
    fn new() -> Certs {
        let certs = Certs { dir: tempfile::Builder::new().prefix("verdis-tls-").tempdir().expect("temp dir") };
        std::fs::write(certs.dir.path().join("client.ext"), CLIENT_EXT).unwrap();
        std::fs::write(certs.dir.path().join("server.ext"), SERVER_EXT).unwrap();
        for ca in ["ca", "ca2"] {
            let subject = format!("/CN=verdis test {ca}");
            certs.openssl(&[
                "req",
                "-x509",
                "-newkey",
                "ec",
                "-pkeyopt",
                "ec_paramgen_curve:prime256v1",
                "-nodes",
                "-keyout",
                &format!("{ca}.key"),
                "-out",
                &format!("{ca}.crt"),
                "-days",
                "2",
                "-subj",
                &subject,
            ]);
        }
        certs.sign("server", "ca", "server.ext", "/CN=localhost");
        certs.sign("server2", "ca2", "server.ext", "/CN=localhost");
        certs.sign("client", "ca", "client.ext", "/CN=client");
        certs.sign("stranger", "ca2", "client.ext", "/CN=stranger");
        // An expired client certificate from the right CA: `openssl ca` sets past dates.
        std::fs::write(certs.dir.path().join("ca.cnf"), CA_CONF).unwrap();
        std::fs::write(certs.dir.path().join("index.txt"), "").unwrap();
        std::fs::write(certs.dir.path().join("serial"), "1000\n").unwrap();
        certs.request("expired", "/CN=expired");
        certs.openssl(&[
            "ca",
            "-batch",
            "-config",
            "ca.cnf",
            "-in",
            "expired.csr",
            "-out",
            "expired.crt",
            "-startdate",
            "20200101000000Z",
            "-enddate",
            "20200102000000Z",
            "-keyfile",
            "ca.key",
            "-cert",
            "ca.crt",
            "-notext",
        ]);
        certs
    }

    /// A key `name.key` and a signing request `name.csr`.
    fn request(&self, name: &str, subject: &str) {
        self.openssl(&[
            "req",
            "-newkey",
            "ec",
            "-pkeyopt",
            "ec_paramgen_curve:prime256v1",
            "-nodes",
            "-keyout",
            &format!("{name}.key"),
            "-out",
            &format!("{name}.csr"),
            "-subj",
            subject,
        ]);
    }

    /// `name.key` and `name.crt`, signed by `ca` with the extensions in `ext`.
    fn sign(&self, name: &str, ca: &str, ext: &str, subject: &str) {
        self.request(name, subject);
        self.openssl(&[
            "x509",
            "-req",
            "-in",
            &format!("{name}.csr"),
            "-CA",
            &format!("{ca}.crt"),
            "-CAkey",
            &format!("{ca}.key"),
            "-CAcreateserial",
            "-out",
            &format!("{name}.crt"),
            "-days",
            "2",
            "-extfile",
            ext,
        ]);
    }

    fn openssl(&self, args: &[&str]) {
        let out = Command::new("openssl")
            .args(args)
            .current_dir(self.dir.path())
            .output()
            .expect("openssl runs (ci/test installs it)");
        assert!(out.status.success(), "openssl {args:?}: {}", String::from_utf8_lossy(&out.stderr));
    }

    /// The absolute path of a file in the directory.
    fn path(&self, name: &str) -> String {
        self.dir.path().join(name).display().to_string()
    }

    /// The server's TLS options: its certificate from `ca`, clients checked against `ca`.
    fn server_args(&self, tls_port: u16) -> Vec<String> {
        let mut args: Vec<String> = vec!["--tls-port".into(), tls_port.to_string()];
        for (option, file) in
            [("--tls-cert-file", "server.crt"), ("--tls-key-file", "server.key"), ("--tls-ca-cert-file", "ca.crt")]
        {
            args.push(option.into());
            args.push(self.path(file));
        }
        args
    }
}

/// Starts `backend` with TLS on a second port (plus `extra`); returns it and its TLS port.
fn start(backend: Backend, certs: &Certs, extra: &[&str]) -> (Server, u16) {
    let tls_port = free_port();
    let mut args = certs.server_args(tls_port);
    args.extend(extra.iter().map(|s| s.to_string()));
    let refs: Vec<&str> = args.iter().map(String::as_str).collect();
    (Server::start_with(backend, &refs), tls_port)
}

/// Runs `redis-cli --tls` on `port` trusting `ca`, with the client certificate `cert` (if any).
fn tls_cli(certs: &Certs, port: u16, ca: &str, cert: Option<&str>, args: &[&str]) -> Output {
    let mut command = common::redis_tool("redis-cli");
    command.args(["-h", "127.0.0.1", "-p", &port.to_string(), "--tls", "--cacert", &certs.path(&format!("{ca}.crt"))]);
    if let Some(name) = cert {
        command.args(["--cert", &certs.path(&format!("{name}.crt")), "--key", &certs.path(&format!("{name}.key"))]);
    }
    command.args(args).output().expect("run redis-cli")
}

fn stdout(out: &Output) -> String {
    String::from_utf8_lossy(&out.stdout).trim_end().to_string()
}

/// Asserts the TLS client was turned away: no PONG, and redis-cli reports an error.
fn assert_refused(out: &Output, what: &str) {
    let text = format!("{}{}", String::from_utf8_lossy(&out.stdout), String::from_utf8_lossy(&out.stderr));
    assert!(!text.contains("PONG") && (text.contains("Error") || text.contains("Could not connect")), "{what}: {text}");
}

fn clients_connect_over_tls(backend: Backend) {
    // Proves redis-cli --tls and redis-py (ssl=True) with a client certificate run commands over
    // TLS, beside the plain port, which keeps serving.
    let certs = Certs::new();
    let (server, tls_port) = start(backend, &certs, &[]);
    assert_eq!(stdout(&tls_cli(&certs, tls_port, "ca", Some("client"), &["SET", "k", "over-tls"])), "OK");
    assert_eq!(stdout(&tls_cli(&certs, tls_port, "ca", Some("client"), &["GET", "k"])), "over-tls");
    let script = format!(
        "import redis\n\
         r = redis.Redis(host='localhost', port={tls_port}, ssl=True, ssl_ca_certs={ca:?}, ssl_certfile={cert:?}, ssl_keyfile={key:?})\n\
         assert r.get('k') == b'over-tls', r.get('k')\n\
         assert r.incr('n') == 1 and r.incr('n') == 2\n\
         assert r.ping() is True\n\
         print('ok')\n",
        ca = certs.path("ca.crt"),
        cert = certs.path("client.crt"),
        key = certs.path("client.key"),
    );
    let out = Command::new("python3").args(["-c", &script]).output().expect("python3 runs (ci/test installs it)");
    assert!(out.status.success(), "redis-py over TLS: {}", String::from_utf8_lossy(&out.stderr));
    assert_eq!(stdout(&out), "ok");
    assert_eq!(stdout(&server.cli_run(&["GET", "n"])), "2");
}

fn bad_client_certificates_are_refused_and_the_server_keeps_serving(backend: Backend) {
    // Proves tls-auth-clients yes (the default) refuses a client without a certificate, one
    // signed by another CA and an expired one, each cleanly, and that the server goes on serving
    // both ports.
    let certs = Certs::new();
    let (server, tls_port) = start(backend, &certs, &[]);
    assert_refused(&tls_cli(&certs, tls_port, "ca", None, &["PING"]), "no client certificate");
    assert_refused(&tls_cli(&certs, tls_port, "ca", Some("stranger"), &["PING"]), "certificate of another CA");
    assert_refused(&tls_cli(&certs, tls_port, "ca", Some("expired"), &["PING"]), "expired certificate");
    // A client speaking plain RESP to the TLS port gets no reply.
    assert_refused(&server.cli().args(["-p", &tls_port.to_string(), "PING"]).output().unwrap(), "plaintext");
    assert_eq!(stdout(&tls_cli(&certs, tls_port, "ca", Some("client"), &["PING"])), "PONG");
    assert_eq!(stdout(&server.cli_run(&["PING"])), "PONG");
}

fn tls_auth_clients_optional_and_no(backend: Backend) {
    // Proves `optional` admits a client without a certificate but still refuses a bad one, and
    // `no` needs no CA at all.
    let certs = Certs::new();
    let (_server, tls_port) = start(backend, &certs, &["--tls-auth-clients", "optional"]);
    assert_eq!(stdout(&tls_cli(&certs, tls_port, "ca", None, &["PING"])), "PONG");
    assert_eq!(stdout(&tls_cli(&certs, tls_port, "ca", Some("client"), &["PING"])), "PONG");
    assert_refused(&tls_cli(&certs, tls_port, "ca", Some("stranger"), &["PING"]), "optional, another CA");
    let (_server, tls_port) = start(backend, &certs, &["--tls-auth-clients", "no", "--tls-ca-cert-file", ""]);
    assert_eq!(stdout(&tls_cli(&certs, tls_port, "ca", None, &["PING"])), "PONG");
}

fn config_set_reloads_the_certificate(backend: Backend) {
    // Proves CONFIG SET of the certificate files reloads the TLS context for new connections,
    // and that files that do not load are refused with Redis's error, the old context kept.
    let certs = Certs::new();
    let (_server, tls_port) = start(backend, &certs, &["--tls-auth-clients", "no"]);
    let set = |args: &[&str]| {
        let mut full = vec!["CONFIG", "SET"];
        full.extend_from_slice(args);
        stdout(&tls_cli(&certs, tls_port, "ca", None, &full))
    };
    assert_eq!(
        set(&["tls-cert-file", "/nonexistent.crt"]),
        "ERR CONFIG SET failed (possibly related to argument 'tls-cert-file') - Unable to update TLS configuration. Check server logs."
    );
    assert_eq!(
        set(&["tls-protocols", "TLSv1.4"]),
        "ERR CONFIG SET failed (possibly related to argument 'tls-protocols') - Unable to update TLS configuration. Check server logs."
    );
    assert_eq!(stdout(&tls_cli(&certs, tls_port, "ca", None, &["PING"])), "PONG");
    let (cert, key) = (certs.path("server2.crt"), certs.path("server2.key"));
    assert_eq!(set(&["tls-cert-file", &cert, "tls-key-file", &key]), "OK");
    assert_eq!(stdout(&tls_cli(&certs, tls_port, "ca2", None, &["PING"])), "PONG");
    assert_refused(&tls_cli(&certs, tls_port, "ca", None, &["PING"]), "old CA after reload");
}

fn tls_port_instead_of_port(backend: Backend) {
    // Proves a server with `port 0` listens on its TLS port only.
    let certs = Certs::new();
    let dir = tempfile::tempdir().unwrap();
    let tls_port = free_port();
    let mut command = match backend {
        Backend::Verdis => Command::new(env!("CARGO_BIN_EXE_verdis-server")),
        Backend::Redis => common::redis_tool("redis-server"),
    };
    let mut child = command
        .args(["--port", "0", "--bind", "127.0.0.1", "--save", ""])
        .args(certs.server_args(tls_port))
        .current_dir(dir.path())
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .spawn()
        .expect("spawn server");
    let mut answered = false;
    for _ in 0..START_PROBES_MAX {
        if stdout(&tls_cli(&certs, tls_port, "ca", Some("client"), &["PING"])) == "PONG" {
            answered = true;
            break;
        }
        std::thread::sleep(std::time::Duration::from_millis(50));
    }
    let _ = child.kill();
    let _ = child.wait();
    assert!(answered, "{backend:?} did not answer on its TLS port");
}

/// PING attempts a TLS-only server gets to come up (50 ms apart).
const START_PROBES_MAX: u32 = 200;

on_both_backends!(
    clients_connect_over_tls,
    bad_client_certificates_are_refused_and_the_server_keeps_serving,
    tls_auth_clients_optional_and_no,
    config_set_reloads_the_certificate,
    tls_port_instead_of_port,
);

/// Runs verdis with `args` until it exits (it must: each case is a refused configuration).
fn verdis_refuses(args: &[&str]) -> String {
    let dir = tempfile::tempdir().unwrap();
    let out = Command::new(env!("CARGO_BIN_EXE_verdis-server"))
        .args(["--port", "0", "--save", ""])
        .args(args)
        .current_dir(dir.path())
        .output()
        .expect("run verdis-server");
    assert!(!out.status.success(), "{args:?} started");
    format!("{}{}", String::from_utf8_lossy(&out.stdout), String::from_utf8_lossy(&out.stderr))
}

#[test]
fn options_rustls_cannot_honour_are_refused_at_startup() {
    // Proves verdis stops with a clear reason, instead of ignoring the option, for what rustls
    // cannot do: an encrypted key's password, OpenSSL cipher keywords, TLSv1.1; and with Redis's
    // own lines for a missing CA and a missing certificate.
    let certs = Certs::new();
    let tls_port = free_port().to_string();
    let base = certs.server_args(0);
    let with = |extra: &[&str]| {
        let mut args: Vec<&str> = base.iter().map(String::as_str).collect();
        args[1] = &tls_port;
        args.extend_from_slice(extra);
        verdis_refuses(&args)
    };
    let log = with(&["--tls-key-file-pass", "secret"]);
    assert!(log.contains("'tls-key-file-pass' is not supported: verdis cannot read encrypted private keys"), "{log}");
    let log = with(&["--tls-ciphers", "HIGH:!aNULL"]);
    assert!(
        log.contains("Failed to configure tls-ciphers: 'HIGH' is not a cipher verdis (rustls) can honour"),
        "{log}"
    );
    assert!(log.contains("Failed to configure TLS. Check logs for more info."), "{log}");
    let log = with(&["--tls-protocols", "TLSv1.1 TLSv1.2"]);
    assert!(log.contains("tls-protocols: TLSv1.1 is not supported by verdis"), "{log}");
    let log = with(&["--tls-ca-cert-file", ""]);
    assert!(log.contains("Either tls-ca-cert-file or tls-ca-cert-dir must be specified"), "{log}");
    let log = with(&["--tls-cert-file", "/nonexistent.crt"]);
    assert!(log.contains("Failed to load certificate: /nonexistent.crt"), "{log}");
    assert!(Path::new(&certs.path("ca.crt")).exists());
}
