//! The process-level test harness shared by the server's integration tests.
//!
//! `Server::start(backend)` runs a server process on a free 127.0.0.1 port, in a fresh temporary
//! directory (its working directory, so any file it writes lands there), waits until it answers
//! PING, and kills it and removes the directory when dropped. The two backends are verdis (the
//! binary this crate builds) and real Redis (`redis-server` on PATH, persistence off): the same
//! test body run on both proves the test expects exactly what Redis does.
//!
//! `on_both_backends!(test_a, test_b)` turns functions `fn test_a(backend: Backend)` into the
//! tests `on_verdis::test_a` and `on_redis::test_a`, so `cargo test on_verdis::` runs one side.
//!
//! Missing Redis tools (redis-server, redis-cli, redis-benchmark) fail the test with a message
//! naming `ci/test`, which installs them: a comparison that silently runs on one side proves
//! nothing.

// Each test binary includes this module and uses a different subset of its helpers.
#![allow(dead_code)]

use std::io::{ErrorKind, Read, Write};
use std::net::{TcpListener, TcpStream};
use std::path::PathBuf;
use std::process::{Child, Command, Output, Stdio};
use std::time::Duration;

/// How many times a server start is retried when the process dies (e.g. its port was taken
/// between choosing it and binding it).
const START_ATTEMPTS_MAX: u32 = 3;
/// How many PING probes a starting server gets before the start counts as failed.
const PING_PROBES_MAX: u32 = 500;
/// Pause between two PING probes (so a start may take up to 10 s on a loaded machine).
const PING_PROBE_PAUSE: Duration = Duration::from_millis(20);
/// How long a test waits for a reply before failing instead of hanging.
pub const REPLY_TIMEOUT: Duration = Duration::from_secs(30);

/// Which server a test runs against.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Backend {
    /// The `verdis-server` binary built from this crate.
    Verdis,
    /// Real Redis: `redis-server` from PATH (7.0 in CI).
    Redis,
}

/// Turns `fn name(backend: Backend)` functions into one test per backend, in the modules
/// `on_verdis` and `on_redis`.
#[macro_export]
macro_rules! on_both_backends {
    ($($test:ident),* $(,)?) => {
        mod on_verdis {
            $(
                #[test]
                fn $test() {
                    super::$test($crate::common::Backend::Verdis)
                }
            )*
        }
        mod on_redis {
            $(
                #[test]
                fn $test() {
                    super::$test($crate::common::Backend::Redis)
                }
            )*
        }
    };
}

/// A command for one of Redis's own tools; fails the test with the fix when it is not installed.
pub fn redis_tool(name: &str) -> Command {
    let found = std::env::var_os("PATH")
        .map(|paths| std::env::split_paths(&paths).any(|dir| dir.join(name).is_file()))
        .unwrap_or(false);
    assert!(
        found,
        "`{name}` is not on PATH. These tests compare verdis with real Redis and need redis-server, \
         redis-cli and redis-benchmark: run ci/test, which installs them \
         (apt-get install redis-server redis-tools)."
    );
    Command::new(name)
}

/// A port nobody listens on right now (the OS picks it); the server may still lose it to a race,
/// which `Server::start` retries.
pub fn free_port() -> u16 {
    let listener = TcpListener::bind("127.0.0.1:0").expect("bind 127.0.0.1:0");
    listener.local_addr().expect("local addr").port()
}

/// Makes a configuration file's text from the server's port and directory.
pub type ConfigText<'a> = &'a dyn Fn(u16, &std::path::Path) -> String;

/// A running server process; killed, and its directory removed, on drop.
pub struct Server {
    /// Which server this is.
    pub backend: Backend,
    port: u16,
    child: Child,
    dir: tempfile::TempDir,
}

impl Server {
    /// Starts a server of `backend` and waits until it answers PING.
    pub fn start(backend: Backend) -> Server {
        Server::start_with(backend, &[])
    }

    /// Starts a server of `backend` with `extra` arguments after the common ones (which they
    /// may override, as later arguments do on redis-server's command line).
    pub fn start_with(backend: Backend, extra: &[&str]) -> Server {
        Server::start_inner(backend, extra, None)
    }

    /// Starts a server of `backend` on a configuration file only: `config(port, dir)` gives the
    /// text of `server.conf`, written into the server's directory, which must set `port` to the
    /// port given (and nothing else is passed on the command line).
    pub fn start_with_config(backend: Backend, config: ConfigText) -> Server {
        Server::start_inner(backend, &[], Some(config))
    }

    fn start_inner(backend: Backend, extra: &[&str], config: Option<ConfigText>) -> Server {
        let mut failures = Vec::new();
        for _ in 0..START_ATTEMPTS_MAX {
            match Server::try_start(backend, extra, config) {
                Ok(server) => return server,
                Err(reason) => failures.push(reason),
            }
        }
        panic!("{backend:?} server did not start after {START_ATTEMPTS_MAX} attempts:\n{}", failures.join("\n---\n"));
    }

    fn try_start(backend: Backend, extra: &[&str], config: Option<ConfigText>) -> Result<Server, String> {
        let dir = tempfile::Builder::new().prefix("verdis-test-").tempdir().expect("create temp dir");
        let port = free_port();
        let log = std::fs::File::create(dir.path().join("server.log")).expect("create server log");
        let mut command = match backend {
            Backend::Verdis => Command::new(env!("CARGO_BIN_EXE_verdis-server")),
            Backend::Redis => redis_tool("redis-server"),
        };
        if let Some(config) = config {
            std::fs::write(dir.path().join("server.conf"), config(port, dir.path())).expect("write server.conf");
            command.arg("server.conf");
        } else {
            // The same redis-server command line for both: persistence off, loopback only.
            command.args(["--port", &port.to_string(), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no"]);
        }
        command
            .args(extra)
            .current_dir(dir.path())
            .stdin(Stdio::null())
            .stdout(log.try_clone().expect("clone log handle"))
            .stderr(log);
        let child = command.spawn().map_err(|e| format!("spawning {command:?}: {e}"))?;
        let mut server = Server { backend, port, child, dir };
        for _ in 0..PING_PROBES_MAX {
            let answered = ping(port);
            // Checked after the probe too: a PONG from whoever took the port first is not ours.
            if let Some(status) = server.child.try_wait().expect("poll child") {
                return Err(format!("{backend:?} exited with {status} on port {port}; log:\n{}", server.log()));
            }
            if answered {
                return Ok(server);
            }
            std::thread::sleep(PING_PROBE_PAUSE);
        }
        Err(format!("{backend:?} on port {port} did not answer PING in time; log:\n{}", server.log()))
    }

    /// Its process id.
    pub fn pid(&self) -> u32 {
        self.child.id()
    }

    /// The TCP port it listens on.
    pub fn port(&self) -> u16 {
        self.port
    }

    /// `127.0.0.1:port`.
    pub fn addr(&self) -> String {
        format!("127.0.0.1:{}", self.port)
    }

    /// Its working directory.
    pub fn dir(&self) -> PathBuf {
        self.dir.path().to_path_buf()
    }

    /// What it printed so far (for failure messages).
    pub fn log(&self) -> String {
        std::fs::read_to_string(self.dir.path().join("server.log")).unwrap_or_default()
    }

    /// A redis-rs connection to it.
    pub fn client(&self) -> redis::Connection {
        let client = redis::Client::open(format!("redis://{}/", self.addr())).expect("client url");
        let con = client.get_connection_with_timeout(REPLY_TIMEOUT).expect("redis-rs connects");
        con.set_read_timeout(Some(REPLY_TIMEOUT)).expect("set read timeout");
        con
    }

    /// A raw TCP connection to it, for bytes-exact protocol tests.
    pub fn raw(&self) -> Raw {
        let stream = TcpStream::connect(self.addr()).expect("connect");
        stream.set_read_timeout(Some(REPLY_TIMEOUT)).expect("set read timeout");
        stream.set_nodelay(true).expect("set nodelay");
        Raw { stream }
    }

    /// A `redis-cli` command aimed at it; add arguments and run.
    pub fn cli(&self) -> Command {
        let mut c = redis_tool("redis-cli");
        c.args(["-h", "127.0.0.1", "-p", &self.port.to_string()]);
        c
    }

    /// Runs `redis-cli <args>` and returns its output; fails the test if it cannot run.
    pub fn cli_run(&self, args: &[&str]) -> Output {
        self.cli().args(args).output().expect("run redis-cli")
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        // SIGKILL: nothing of the process is needed afterwards, and it cannot ignore it.
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// Redis's reply to a command sent before AUTH to a server with a password.
const NOAUTH_REPLY: &[u8] = b"-NOAUTH Authentication required.\r\n";

/// True when something on `port` answers an inline PING with `+PONG` (or, when it has a
/// password, with NOAUTH). The probe then closes and
/// waits for the server to close its side too, so the server has freed the probe's client before
/// a test counts connections.
pub fn ping(port: u16) -> bool {
    let Ok(mut stream) = TcpStream::connect(("127.0.0.1", port)) else { return false };
    if stream.set_read_timeout(Some(Duration::from_secs(1))).is_err() || stream.write_all(b"PING\r\n").is_err() {
        return false;
    }
    let mut reply = [0u8; 7];
    if stream.read_exact(&mut reply).is_err() {
        return false;
    }
    // A server started with a password answers NOAUTH: it is up all the same.
    let mut noauth_rest = [0u8; NOAUTH_REPLY.len() - 7];
    let up = &reply == b"+PONG\r\n"
        || (reply == NOAUTH_REPLY[..7]
            && stream.read_exact(&mut noauth_rest).is_ok()
            && noauth_rest == NOAUTH_REPLY[7..]);
    if !up {
        return false;
    }
    // Best effort: a server that keeps the socket open past the timeout still answered PING.
    let _ = stream.shutdown(std::net::Shutdown::Write);
    let _ = stream.read(&mut reply);
    true
}

/// A raw connection: write bytes, read exact bytes back.
pub struct Raw {
    /// The socket.
    pub stream: TcpStream,
}

impl Raw {
    /// Writes all of `bytes`.
    pub fn send(&mut self, bytes: &[u8]) {
        self.stream.write_all(bytes).expect("write to server");
    }

    /// Reads exactly `n` bytes.
    pub fn read_n(&mut self, n: usize) -> Vec<u8> {
        let mut buf = vec![0u8; n];
        self.stream.read_exact(&mut buf).unwrap_or_else(|e| panic!("reading {n} reply bytes: {e}"));
        buf
    }

    /// Reads one bulk string reply (`$len` and the bytes).
    pub fn read_bulk(&mut self) -> Vec<u8> {
        let mut header = Vec::new();
        while !header.ends_with(b"\r\n") {
            header.extend(self.read_n(1));
        }
        let text = String::from_utf8_lossy(&header);
        let len: usize = text.trim_start_matches('$').trim_end().parse().expect("a bulk length");
        let mut body = self.read_n(len + 2);
        body.truncate(len);
        body
    }

    /// Waits until exactly `n` connections are blocked (CLIENT LIST flag `b`), asking on this
    /// connection.
    pub fn wait_for_blocked(&mut self, n: usize) {
        /// How many CLIENT LIST probes to make, and the pause between two.
        const PROBES_MAX: u32 = 500;
        const PROBE_PAUSE: std::time::Duration = std::time::Duration::from_millis(10);
        for _ in 0..PROBES_MAX {
            self.send(&resp_command(&[b"CLIENT", b"LIST"]));
            let list = self.read_bulk();
            if String::from_utf8_lossy(&list).lines().filter(|l| l.contains(" flags=b ")).count() == n {
                return;
            }
            std::thread::sleep(PROBE_PAUSE);
        }
        panic!("{n} clients never blocked");
    }

    /// Sends `request` and asserts the reply is exactly `expected`.
    pub fn roundtrip(&mut self, request: &[u8], expected: &[u8]) {
        self.send(request);
        let got = self.read_n(expected.len());
        assert_eq!(
            String::from_utf8_lossy(&got),
            String::from_utf8_lossy(expected),
            "reply to {:?}",
            String::from_utf8_lossy(request)
        );
    }

    /// Sends `line` (split on spaces) as one command and asserts the exact bytes that come back
    /// (a push sent after the reply included).
    pub fn step(&mut self, line: &str, expected: &str) {
        let args: Vec<&[u8]> = line.split(' ').map(str::as_bytes).collect();
        self.roundtrip(&resp_command(&args), expected.as_bytes());
    }

    /// Runs `(line, reply)` rows in order (`step` each).
    pub fn script(&mut self, rows: &[(&str, &str)]) {
        for (line, expected) in rows {
            self.step(line, expected);
        }
    }

    /// Reads until the server closes the connection; a reset after the last byte counts as a
    /// close.
    pub fn read_until_closed(&mut self) -> Vec<u8> {
        let mut out = Vec::new();
        let mut buf = [0u8; 4096];
        loop {
            match self.stream.read(&mut buf) {
                Ok(0) => return out,
                Ok(n) => out.extend_from_slice(&buf[..n]),
                Err(e) if e.kind() == ErrorKind::ConnectionReset => return out,
                Err(e) => {
                    panic!("waiting for the server to close (got {:?} so far): {e}", String::from_utf8_lossy(&out))
                }
            }
        }
    }
}

/// `args` as one RESP multibulk request.
pub fn resp_command(args: &[&[u8]]) -> Vec<u8> {
    let mut out = format!("*{}\r\n", args.len()).into_bytes();
    for arg in args {
        out.extend_from_slice(format!("${}\r\n", arg.len()).as_bytes());
        out.extend_from_slice(arg);
        out.extend_from_slice(b"\r\n");
    }
    out
}

/// Reads one whole reply (any RESP2/RESP3 type, nested aggregates included) as its bytes.
pub fn read_reply(conn: &mut Raw) -> Vec<u8> {
    let mut out = Vec::new();
    let mut pending = 1usize;
    // Every aggregate adds its elements to the count of values still to read; bounded by the
    // replies the corpus provokes (a few hundred values at most).
    while pending > 0 {
        pending -= 1;
        let mut line = Vec::new();
        while !line.ends_with(b"\r\n") {
            let mut byte = [0u8; 1];
            conn.stream.read_exact(&mut byte).expect("read a reply byte");
            line.push(byte[0]);
        }
        let len: i64 = String::from_utf8_lossy(&line[1..line.len() - 2]).parse().unwrap_or(0);
        out.extend_from_slice(&line);
        match line[0] {
            b'$' | b'=' | b'!' if len >= 0 => out.extend(conn.read_n(len as usize + 2)),
            b'*' | b'~' | b'>' if len > 0 => pending += len as usize,
            b'%' | b'|' if len > 0 => pending += 2 * len as usize,
            _ => {}
        }
    }
    out
}

/// Sends each command to both servers and asserts the replies are the same bytes.
pub fn same_replies(verdis: &mut Raw, redis: &mut Raw, commands: &[&[&str]]) {
    for args in commands {
        let args: Vec<&[u8]> = args.iter().map(|a| a.as_bytes()).collect();
        let request = resp_command(&args);
        verdis.send(&request);
        redis.send(&request);
        let (ours, theirs) = (read_reply(verdis), read_reply(redis));
        assert_eq!(
            String::from_utf8_lossy(&ours),
            String::from_utf8_lossy(&theirs),
            "reply to {:?} (verdis, then Redis)",
            args.iter().map(|a| String::from_utf8_lossy(a)).collect::<Vec<_>>()
        );
    }
}
