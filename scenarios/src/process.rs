//! Server processes for scenarios: verdis-server or real redis-server, started on a directory the
//! caller owns (so a restart finds the files of the run before it), optionally under a wrapper
//! (strace injecting fsync delays), in its own process group, killed with SIGKILL (the whole
//! group) when asked or when dropped.
//!
//! Finding the verdis binary: `$VERDIS_SERVER` if set; otherwise this crate runs
//! `cargo build -p verdis-server --bin verdis-server` once per test process (`$CARGO`, which
//! cargo sets for the tests it runs) into the target directory the running test binary lives in,
//! with the same profile, and uses `<target>/<profile>/verdis-server`. Building instead of
//! looking for a binary that may exist means a scenario never runs a stale server: cargo builds a
//! dependency's library for a test, never its binaries. Cargo does not hold the build lock while
//! tests run, so the nested build does not wait on the outer one.

use std::io::{Read, Write};
use std::net::{TcpListener, TcpStream};
use std::os::unix::process::CommandExt;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::OnceLock;
use std::time::{Duration, Instant};

/// How long a starting server (including loading its files) may take to answer PING.
const START_TIMEOUT: Duration = Duration::from_secs(60);
/// Pause between two PING probes of a starting server.
const PING_PROBE_PAUSE: Duration = Duration::from_millis(10);
/// How many times a start is retried when the process dies at once (its port was taken between
/// choosing it and binding it).
const START_ATTEMPTS_MAX: u32 = 3;
/// How long a client waits for a reply before the scenario fails instead of hanging.
pub const REPLY_TIMEOUT: Duration = Duration::from_secs(30);

/// Which server a scenario runs against.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ServerKind {
    /// verdis-server, built from this workspace.
    Verdis,
    /// Real Redis: `$REDIS_SERVER` or `redis-server` on PATH (7.0.15 in CI).
    Redis,
}

/// Why a server could not be found, started or driven.
#[derive(Debug, thiserror::Error)]
pub enum ProcessError {
    /// The binary is not installed or could not be built.
    #[error("no {name} binary: {detail}")]
    MissingBinary {
        /// Which program.
        name: String,
        /// What was tried.
        detail: String,
    },
    /// The process did not come up.
    #[error("{kind:?} did not start on port {port}: {reason}; log:\n{log}")]
    Start {
        /// Which server.
        kind: ServerKind,
        /// Its port.
        port: u16,
        /// What went wrong.
        reason: String,
        /// What it printed.
        log: String,
    },
    /// An operating-system call failed.
    #[error("{what}: {source}")]
    Io {
        /// What was being done.
        what: String,
        /// The error.
        source: std::io::Error,
    },
}

fn io_error(what: impl Into<String>) -> impl FnOnce(std::io::Error) -> ProcessError {
    let what = what.into();
    move |source| ProcessError::Io { what, source }
}

/// The program to run for `kind` (see the module comment for how verdis is found).
pub fn server_binary(kind: ServerKind) -> Result<PathBuf, ProcessError> {
    match kind {
        ServerKind::Redis => program("redis-server"),
        ServerKind::Verdis => {
            static BUILT: OnceLock<Result<PathBuf, String>> = OnceLock::new();
            BUILT
                .get_or_init(build_verdis)
                .clone()
                .map_err(|detail| ProcessError::MissingBinary { name: "verdis-server".into(), detail })
        }
    }
}

/// A program the scenarios run (`redis-server`, `redis-check-rdb`, `redis-check-aof`, `strace`):
/// `$REDIS_SERVER` for the server, else the program on PATH.
pub fn program(name: &str) -> Result<PathBuf, ProcessError> {
    if name == "redis-server" {
        if let Some(path) = std::env::var_os("REDIS_SERVER") {
            return Ok(PathBuf::from(path));
        }
    }
    std::env::var_os("PATH")
        .and_then(|paths| std::env::split_paths(&paths).map(|dir| dir.join(name)).find(|p| p.is_file()))
        .ok_or_else(|| ProcessError::MissingBinary {
            name: name.into(),
            detail: "not on PATH; ci/test installs it (apt-get install redis-server redis-tools strace)".into(),
        })
}

fn build_verdis() -> Result<PathBuf, String> {
    if let Some(path) = std::env::var_os("VERDIS_SERVER") {
        return Ok(PathBuf::from(path));
    }
    // A test binary is `<target>/<profile dir>/deps/<name>-<hash>`.
    let exe = std::env::current_exe().map_err(|e| format!("current_exe: {e}"))?;
    let profile_dir = exe.parent().and_then(Path::parent).ok_or("test binary outside a target directory")?;
    let target_dir = profile_dir.parent().ok_or("test binary outside a target directory")?;
    let profile = match profile_dir.file_name().and_then(|n| n.to_str()) {
        Some("debug") => "dev".to_string(),
        Some(other) => other.to_string(),
        None => return Err("unnamed profile directory".into()),
    };
    let cargo = std::env::var_os("CARGO").unwrap_or_else(|| "cargo".into());
    let output = Command::new(&cargo)
        .args(["build", "--quiet", "-p", "verdis-server", "--bin", "verdis-server", "--profile", &profile])
        .arg("--target-dir")
        .arg(target_dir)
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .output()
        .map_err(|e| format!("running {cargo:?} build: {e}"))?;
    if !output.status.success() {
        return Err(format!(
            "`cargo build -p verdis-server` failed (set VERDIS_SERVER to use a prebuilt binary):\n{}",
            String::from_utf8_lossy(&output.stderr)
        ));
    }
    let binary = profile_dir.join("verdis-server");
    if binary.is_file() {
        Ok(binary)
    } else {
        Err(format!("cargo built verdis-server but {} does not exist", binary.display()))
    }
}

/// A loopback port nobody listens on right now (the OS picks it).
pub fn free_port() -> Result<u16, ProcessError> {
    let listener = TcpListener::bind("127.0.0.1:0").map_err(io_error("binding 127.0.0.1:0"))?;
    Ok(listener.local_addr().map_err(io_error("local address"))?.port())
}

/// A running server; SIGKILLed on drop.
pub struct ServerProcess {
    /// Which server.
    pub kind: ServerKind,
    port: u16,
    /// The process spawned: the server, or the wrapper (strace) running it; it leads its own
    /// process group, which holds the server and its children.
    child: Child,
    log: PathBuf,
}

impl ServerProcess {
    /// Starts `kind` with `--port <free> --bind 127.0.0.1 --dir <dir>` and `args` (redis-server's
    /// command-line syntax), logging to `<dir>/<log_name>`, and waits until it answers PING
    /// (after loading its files).
    pub fn start(kind: ServerKind, dir: &Path, args: &[String], log_name: &str) -> Result<ServerProcess, ProcessError> {
        ServerProcess::start_wrapped(kind, dir, args, log_name, &[])
    }

    /// `start`, with the server run by `wrapper` (a program and its arguments, e.g. strace
    /// injecting fsync delays) when it is not empty; the wrapper must run the server as its
    /// child.
    pub fn start_wrapped(
        kind: ServerKind,
        dir: &Path,
        args: &[String],
        log_name: &str,
        wrapper: &[String],
    ) -> Result<ServerProcess, ProcessError> {
        let mut last = None;
        for _ in 0..START_ATTEMPTS_MAX {
            match ServerProcess::try_start(kind, dir, args, log_name, wrapper) {
                Ok(server) => return Ok(server),
                Err(e @ ProcessError::Start { .. }) => last = Some(e),
                Err(other) => return Err(other),
            }
        }
        Err(last.expect("at least one attempt"))
    }

    fn try_start(
        kind: ServerKind,
        dir: &Path,
        args: &[String],
        log_name: &str,
        wrapper: &[String],
    ) -> Result<ServerProcess, ProcessError> {
        let binary = server_binary(kind)?;
        let port = free_port()?;
        let log = dir.join(log_name);
        let log_file = std::fs::File::create(&log).map_err(io_error(format!("creating {}", log.display())))?;
        let mut command = match wrapper.split_first() {
            None => Command::new(&binary),
            Some((program, wrapper_args)) => {
                let mut command = Command::new(program);
                command.args(wrapper_args).arg(&binary);
                command
            }
        };
        let child = command
            .args(["--port", &port.to_string(), "--bind", "127.0.0.1"])
            .arg("--dir")
            .arg(dir)
            .args(args)
            .current_dir(dir)
            .stdin(Stdio::null())
            .stdout(log_file.try_clone().map_err(io_error("cloning the log handle"))?)
            .stderr(log_file)
            // Its own process group, so one kill takes the server, its wrapper, and the child
            // Redis forks for BGSAVE/BGREWRITEAOF (which would otherwise finish its file after the
            // parent died, unlike a machine crash).
            .process_group(0)
            .spawn()
            .map_err(io_error(format!("spawning {}", binary.display())))?;
        let mut server = ServerProcess { kind, port, child, log };
        let deadline = Instant::now() + START_TIMEOUT;
        loop {
            let answered = ping(port);
            // Checked after the probe too: a PONG from whoever took the port first is not ours.
            if let Some(status) = server.child.try_wait().map_err(io_error("polling the server"))? {
                return Err(server.start_error(format!("exited with {status}")));
            }
            if answered {
                return Ok(server);
            }
            if Instant::now() > deadline {
                return Err(server.start_error(format!("no PONG within {START_TIMEOUT:?}")));
            }
            std::thread::sleep(PING_PROBE_PAUSE);
        }
    }

    fn start_error(&self, reason: String) -> ProcessError {
        ProcessError::Start { kind: self.kind, port: self.port, reason, log: self.log() }
    }

    /// Its TCP port.
    pub fn port(&self) -> u16 {
        self.port
    }

    /// The server's process group (to SIGKILL it from another thread at an exact moment with
    /// `kill_group`).
    pub fn group(&self) -> u32 {
        self.child.id()
    }

    /// What it printed so far.
    pub fn log(&self) -> String {
        std::fs::read_to_string(&self.log).unwrap_or_default()
    }

    /// A new client connection with reply timeouts.
    pub fn client(&self) -> redis::RedisResult<redis::Connection> {
        let client = redis::Client::open(format!("redis://127.0.0.1:{}/", self.port))?;
        let con = client.get_connection_with_timeout(REPLY_TIMEOUT)?;
        con.set_read_timeout(Some(REPLY_TIMEOUT))?;
        con.set_write_timeout(Some(REPLY_TIMEOUT))?;
        Ok(con)
    }

    /// SIGKILL to the whole process group (no shutdown save, no AOF flush beyond what is
    /// written), and reap it.
    pub fn kill9(&mut self) {
        if self.is_running() {
            kill_group(self.group());
        }
        let _ = self.child.kill();
        let _ = self.child.wait();
    }

    /// Whether the process is still running.
    pub fn is_running(&mut self) -> bool {
        matches!(self.child.try_wait(), Ok(None))
    }
}

impl Drop for ServerProcess {
    fn drop(&mut self) {
        self.kill9();
    }
}

/// Sends SIGKILL to process group `group` now (from whichever thread decides the moment).
pub fn kill_group(group: u32) {
    // SAFETY: kill(2) has no memory effects; `group` is the group our own child leads, and the
    // child is reaped only by its owner, after this kill.
    unsafe {
        libc::kill(-(group as libc::pid_t), libc::SIGKILL);
    }
}

/// True when something on `port` answers an inline PING with `+PONG` (a loading server answers
/// `-LOADING`, which is not ready).
pub fn ping(port: u16) -> bool {
    let Ok(mut stream) = TcpStream::connect(("127.0.0.1", port)) else { return false };
    if stream.set_read_timeout(Some(Duration::from_secs(1))).is_err() || stream.write_all(b"PING\r\n").is_err() {
        return false;
    }
    let mut reply = [0u8; 7];
    stream.read_exact(&mut reply).is_ok() && &reply == b"+PONG\r\n"
}
