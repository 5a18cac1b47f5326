//! Servers the harness talks to: started by the harness itself (a process, a container, or
//! verdis linked into this binary) or already running at an address.
//!
//! Every started server listens on a free loopback port, runs in a fresh temporary directory,
//! is ready only once it answers PING, and is stopped when its `Server` is dropped.

use std::net::TcpListener;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::Duration;

use crate::error::ConformError;
use crate::resp::{Conn, Value};
use verdis_engine::plants::Plants;

/// How many PINGs a starting server gets before it is declared dead.
const READY_ATTEMPTS_MAX: u32 = 200;
/// Pause between two PINGs while a server starts.
const READY_PAUSE: Duration = Duration::from_millis(25);
/// How many fresh ports a start tries when another process takes the chosen port first.
const PORT_ATTEMPTS_MAX: u32 = 3;
/// How much of a failed server's log is quoted in the error.
const LOG_TAIL_BYTES: usize = 2000;

/// What server to use, as the command line names it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Target {
    /// verdis: `$VERDIS_SERVER` as a process when set, else the `verdis-server` binary next to
    /// this program (as `cargo build` leaves them), else the server linked into this program.
    Verdis,
    /// verdis linked into this program, run on a thread (always the same build as the tool).
    VerdisInProcess,
    /// `redis-server` from PATH (or `$REDIS_SERVER`) as a process.
    Redis,
    /// Any redis-server-compatible binary as a process.
    Process(PathBuf),
    /// A server the user already runs.
    Address {
        /// `host:port`.
        addr: String,
        /// AUTH password, if any.
        password: Option<String>,
    },
    /// A local container image, run through Docker's API (testcontainers), its port 6379
    /// published on loopback.
    Docker(String),
}

impl std::str::FromStr for Target {
    type Err = ConformError;

    /// `verdis`, `verdis-inproc`, `redis`, `process:PATH`, `addr:HOST:PORT[,PASSWORD]`,
    /// `docker:IMAGE`.
    fn from_str(s: &str) -> Result<Target, ConformError> {
        if s == "verdis" {
            return Ok(Target::Verdis);
        }
        if s == "verdis-inproc" {
            return Ok(Target::VerdisInProcess);
        }
        if s == "redis" {
            return Ok(Target::Redis);
        }
        if let Some(path) = s.strip_prefix("process:") {
            return Ok(Target::Process(PathBuf::from(path)));
        }
        if let Some(image) = s.strip_prefix("docker:") {
            return Ok(Target::Docker(image.to_string()));
        }
        if let Some(rest) = s.strip_prefix("addr:") {
            let (addr, password) = match rest.split_once(',') {
                Some((a, p)) => (a.to_string(), Some(p.to_string())),
                None => (rest.to_string(), None),
            };
            if !addr.contains(':') {
                return Err(ConformError::Usage(format!("address {addr:?} needs HOST:PORT")));
            }
            return Ok(Target::Address { addr, password });
        }
        Err(ConformError::Usage(format!(
            "unknown server {s:?}: use verdis, verdis-inproc, redis, process:PATH, addr:HOST:PORT[,PASSWORD] or docker:IMAGE"
        )))
    }
}

/// What keeps a started server alive; dropping it stops the server.
enum Guard {
    /// Nothing to stop (an address).
    None,
    /// A child process and its directory.
    Child { child: Child, _dir: tempfile::TempDir },
    /// A container, removed when testcontainers' handle drops.
    Container { _container: Box<testcontainers::Container<testcontainers::GenericImage>> },
    /// verdis running on a thread of this process. Threads cannot be killed: the server lives
    /// until the process exits; its directory holds the log.
    InProcess { _dir: tempfile::TempDir },
}

/// A running server.
pub struct Server {
    /// `host:port` to connect to.
    pub addr: String,
    /// AUTH password, if any.
    pub password: Option<String>,
    /// A human label (`redis-server 127.0.0.1:40123`).
    pub label: String,
    /// What was started, so the server can be started again after it died.
    pub target: Target,
    /// Held for its `Drop`, which stops the server.
    _guard: Guard,
}

impl Drop for Guard {
    fn drop(&mut self) {
        match self {
            Guard::Child { child, .. } => {
                let _ = child.kill();
                let _ = child.wait();
            }
            // A container is removed by its testcontainers handle's own Drop.
            Guard::None | Guard::Container { .. } | Guard::InProcess { .. } => {}
        }
    }
}

impl Server {
    /// Starts (or reaches) the server `target` names and waits until it answers PING.
    pub fn start(target: &Target) -> Result<Server, ConformError> {
        let started = match target {
            Target::Verdis => match verdis_binary() {
                Some(path) => start_process(&path),
                None => start_in_process(Plants::default()),
            },
            Target::VerdisInProcess => start_in_process(Plants::default()),
            Target::Redis => start_process(&find_redis_server()?),
            Target::Process(path) => start_process(path),
            Target::Address { addr, password } => {
                wait_ready(addr, password.as_deref(), addr, || None)?;
                Ok(Started { addr: addr.clone(), password: password.clone(), label: addr.clone(), guard: Guard::None })
            }
            Target::Docker(image) => start_container(image),
        }?;
        let Started { addr, password, label, guard } = started;
        Ok(Server { addr, password, label, target: target.clone(), _guard: guard })
    }

    /// verdis linked in with `config` (planted bugs, persistence settings), for the harness's
    /// self-tests; SHUTDOWN stops it.
    pub fn start_in_process_with(config: verdis_server::config::Config) -> Result<Server, ConformError> {
        let Started { addr, password, label, guard } = start_in_process_with(config)?;
        Ok(Server { addr, password, label, target: Target::VerdisInProcess, _guard: guard })
    }

    /// verdis linked in with planted bugs switched on, for the harness's self-tests (a restart
    /// after it dies comes back without them).
    pub fn start_planted(plants: Plants) -> Result<Server, ConformError> {
        let Started { addr, password, label, guard } = start_in_process(plants)?;
        Ok(Server {
            addr,
            password,
            label: format!("{label} with planted bugs"),
            target: Target::VerdisInProcess,
            _guard: guard,
        })
    }

    /// The binary at `path` as a process, with `extra` options after the usual ones (a later
    /// option overrides an earlier one: `--appendonly yes --dir D` keeps files across restarts).
    pub fn start_process_with(path: &Path, extra: &[&str]) -> Result<Server, ConformError> {
        let Started { addr, password, label, guard } = start_process_with(path, extra)?;
        Ok(Server { addr, password, label, target: Target::Process(path.to_path_buf()), _guard: guard })
    }

    /// Kills the server's process at once (SIGKILL), as a crash would; no-op for other kinds.
    pub fn kill(&mut self) {
        if let Guard::Child { child, .. } = &mut self._guard {
            let _ = child.kill();
            let _ = child.wait();
        }
    }

    /// A new authenticated connection.
    pub fn connect(&self) -> Result<Conn, ConformError> {
        connect_auth(&self.addr, self.password.as_deref(), &self.label)
    }
}

/// A server just started, before it is labelled with its target.
struct Started {
    addr: String,
    password: Option<String>,
    label: String,
    guard: Guard,
}

fn connect_auth(addr: &str, password: Option<&str>, label: &str) -> Result<Conn, ConformError> {
    let mut conn = Conn::connect(addr)?;
    if let Some(password) = password {
        let reply = conn.call_str(&["AUTH", password])?;
        if reply.value.is_error() {
            return Err(ConformError::AuthRefused {
                label: label.to_string(),
                reply: String::from_utf8_lossy(&reply.raw).trim_end().to_string(),
            });
        }
    }
    Ok(conn)
}

/// PINGs `addr` until it answers, asking `exited` between attempts whether the server died.
fn wait_ready(
    addr: &str,
    password: Option<&str>,
    label: &str,
    mut exited: impl FnMut() -> Option<String>,
) -> Result<(), ConformError> {
    let mut last = String::new();
    for _ in 0..READY_ATTEMPTS_MAX {
        if let Some(reason) = exited() {
            return Err(ConformError::StartFailed { label: label.to_string(), reason });
        }
        match connect_auth(addr, password, label).and_then(|mut c| c.call_str(&["PING"])) {
            Ok(reply) if reply.value == Value::Simple(b"PONG".to_vec()) => return Ok(()),
            Ok(reply) => last = String::from_utf8_lossy(&reply.raw).trim_end().to_string(),
            // A wrong password will not become right by waiting.
            Err(e @ ConformError::AuthRefused { .. }) => return Err(e),
            Err(e) => last = e.to_string(),
        }
        std::thread::sleep(READY_PAUSE);
    }
    Err(ConformError::StartFailed { label: label.to_string(), reason: format!("no PONG; last answer: {last}") })
}

/// A loopback port nobody listens on right now.
pub fn free_port() -> Result<u16, ConformError> {
    let listener = TcpListener::bind("127.0.0.1:0").map_err(|e| ConformError::io("finding a free port", e))?;
    listener.local_addr().map(|a| a.port()).map_err(|e| ConformError::io("finding a free port", e))
}

/// `$VERDIS_SERVER`, else a `verdis-server` beside the running program (or beside its folder,
/// for a test binary in `target/debug/deps`).
pub fn verdis_binary() -> Option<PathBuf> {
    if let Some(path) = std::env::var_os("VERDIS_SERVER") {
        return Some(PathBuf::from(path));
    }
    let exe = std::env::current_exe().ok()?;
    let dir = exe.parent()?;
    [dir.join("verdis-server"), dir.parent()?.join("verdis-server")].into_iter().find(|p| p.is_file())
}

/// `$REDIS_SERVER`, else `redis-server` on PATH.
pub fn find_redis_server() -> Result<PathBuf, ConformError> {
    if let Some(path) = std::env::var_os("REDIS_SERVER") {
        return Ok(PathBuf::from(path));
    }
    find_on_path("redis-server").ok_or_else(|| ConformError::MissingBinary {
        name: "redis-server".into(),
        looked: "not on PATH and REDIS_SERVER is unset".into(),
        install: "apt-get install redis-server",
    })
}

fn find_on_path(name: &str) -> Option<PathBuf> {
    let path = std::env::var_os("PATH")?;
    std::env::split_paths(&path).map(|dir| dir.join(name)).find(|p| p.is_file())
}

fn tail(path: &Path) -> String {
    let text = std::fs::read(path).unwrap_or_default();
    let start = text.len().saturating_sub(LOG_TAIL_BYTES);
    String::from_utf8_lossy(&text[start..]).trim_end().to_string()
}

fn start_process(path: &Path) -> Result<Started, ConformError> {
    start_process_with(path, &[])
}

fn start_process_with(path: &Path, extra: &[&str]) -> Result<Started, ConformError> {
    if !path.is_file() {
        let name = path.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_default();
        let install =
            if name.contains("verdis") { "cargo build -p verdis-server" } else { "apt-get install redis-server" };
        return Err(ConformError::MissingBinary { name, looked: path.display().to_string(), install });
    }
    let mut last_err = None;
    for _ in 0..PORT_ATTEMPTS_MAX {
        match try_start_process(path, extra) {
            Ok(server) => return Ok(server),
            // Another process may have taken the port between choosing and binding: retry.
            Err(e @ ConformError::StartFailed { .. }) if e.to_string().contains("in use") => last_err = Some(e),
            Err(e) => return Err(e),
        }
    }
    Err(last_err.expect("at least one attempt"))
}

fn try_start_process(path: &Path, extra: &[&str]) -> Result<Started, ConformError> {
    let dir = tempfile::tempdir().map_err(|e| ConformError::io("creating a temporary directory", e))?;
    let port = free_port()?.to_string();
    let log_path = dir.path().join("server.log");
    let log = std::fs::File::create(&log_path).map_err(|e| ConformError::io("creating the server log", e))?;
    let log_err = log.try_clone().map_err(|e| ConformError::io("duplicating the server log", e))?;
    let mut cmd = Command::new(path);
    // redis-server's command line (verdis-server takes the same): no persistence, no fork.
    cmd.args(["--port", &port, "--bind", "127.0.0.1", "--save", "", "--appendonly", "no", "--daemonize", "no"]);
    // Later options override earlier ones, as on redis-server's command line.
    cmd.args(extra);
    cmd.current_dir(dir.path()).stdin(Stdio::null()).stdout(log).stderr(log_err);
    let mut child = cmd.spawn().map_err(|e| ConformError::io(format!("starting {}", path.display()), e))?;
    let addr = format!("127.0.0.1:{port}");
    let label = format!("{} {addr}", path.display());
    let exited = || match child.try_wait() {
        Ok(Some(status)) => Some(format!("exited with {status}; log:\n{}", tail(&log_path))),
        _ => None,
    };
    if let Err(e) = wait_ready(&addr, None, &label, exited) {
        let _ = child.kill();
        let _ = child.wait();
        return Err(e);
    }
    Ok(Started { addr, password: None, label, guard: Guard::Child { child, _dir: dir } })
}

fn start_in_process(plants: Plants) -> Result<Started, ConformError> {
    let mut config = verdis_server::config::Config::default();
    config.engine.plants = plants;
    start_in_process_with(config)
}

/// verdis linked in, with `config` (its port and bind address are chosen here).
fn start_in_process_with(mut config: verdis_server::config::Config) -> Result<Started, ConformError> {
    use verdis_server::node::LogLevel;
    use verdis_server::runtime::{self, Logger};
    let dir = tempfile::tempdir().map_err(|e| ConformError::io("creating a temporary directory", e))?;
    let port = free_port()?;
    config.port = port;
    config.bind = vec!["127.0.0.1".into()];
    let logger = Logger { level: LogLevel::Warning, file: Some(dir.path().join("verdis.log")) };
    let thread = std::thread::Builder::new()
        .name(format!("verdis-{port}"))
        .spawn(move || runtime::run(config, logger))
        .map_err(|e| ConformError::io("starting the verdis thread", e))?;
    let addr = format!("127.0.0.1:{port}");
    let label = format!("verdis (in-process) {addr}");
    let exited = || thread.is_finished().then(|| "the server thread returned".to_string());
    wait_ready(&addr, None, &label, exited)?;
    Ok(Started { addr, password: None, label, guard: Guard::InProcess { _dir: dir } })
}

/// True when a Docker daemon answers; the reason when it does not.
pub fn docker_available() -> Result<(), String> {
    match Command::new("docker").args(["info", "--format", "{{.ServerVersion}}"]).output() {
        Ok(out) if out.status.success() => Ok(()),
        Ok(out) => Err(format!("`docker info` failed: {}", String::from_utf8_lossy(&out.stderr).trim())),
        Err(e) => Err(format!("docker is not installed: {e}")),
    }
}

/// Starts `image` (`name[:tag]`, a local image: no registry is reachable, and testcontainers
/// pulls only when the image is missing) with its port 6379 published on a loopback port Docker
/// picks. testcontainers removes the container when the handle drops, a panic's unwinding
/// included.
fn start_container(image: &str) -> Result<Started, ConformError> {
    use testcontainers::bollard::models::PortBinding;
    use testcontainers::core::{IntoContainerPort, WaitFor};
    use testcontainers::runners::SyncRunner;
    use testcontainers::{GenericImage, ImageExt};

    let label = format!("docker:{image}");
    let failed = |reason: String| ConformError::StartFailed { label: label.clone(), reason };
    docker_available().map_err(failed)?;
    // A tag follows the last ':' unless that ':' belongs to a registry's host:port.
    let (name, tag) = match image.rsplit_once(':') {
        Some((name, tag)) if !tag.contains('/') => (name, tag),
        _ => (image, "latest"),
    };
    let container = GenericImage::new(name, tag)
        .with_exposed_port(6379.tcp())
        // Readiness is our PING below, the same as for every other server.
        .with_wait_for(WaitFor::Nothing)
        .with_host_config_modifier(|host| {
            // Loopback only: the oracle runs without protected mode.
            let binding = PortBinding { host_ip: Some("127.0.0.1".into()), host_port: Some(String::new()) };
            host.port_bindings = Some([("6379/tcp".to_string(), Some(vec![binding]))].into_iter().collect());
            host.publish_all_ports = Some(false);
        })
        .start()
        .map_err(|e| failed(e.to_string()))?;
    let port = container.get_host_port_ipv4(6379.tcp()).map_err(|e| failed(e.to_string()))?;
    let addr = format!("127.0.0.1:{port}");
    let label = format!("{label} {addr}");
    let exited = || match container.is_running() {
        Ok(true) => None,
        Ok(false) => Some("container stopped".to_string()),
        Err(e) => Some(format!("container state unknown: {e}")),
    };
    wait_ready(&addr, None, &label, exited)?;
    Ok(Started { addr, password: None, label, guard: Guard::Container { _container: Box::new(container) } })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn targets_parse_from_their_command_line_forms() {
        // Proves every documented target form parses and a bad one is refused with a usage error.
        assert_eq!("verdis".parse::<Target>().unwrap(), Target::Verdis);
        assert_eq!("redis".parse::<Target>().unwrap(), Target::Redis);
        assert_eq!("verdis-inproc".parse::<Target>().unwrap(), Target::VerdisInProcess);
        assert_eq!("process:/x/y".parse::<Target>().unwrap(), Target::Process("/x/y".into()));
        assert_eq!("docker:img:1".parse::<Target>().unwrap(), Target::Docker("img:1".into()));
        assert_eq!(
            "addr:127.0.0.1:7000,pw".parse::<Target>().unwrap(),
            Target::Address { addr: "127.0.0.1:7000".into(), password: Some("pw".into()) }
        );
        assert!(matches!("addr:nohost".parse::<Target>(), Err(ConformError::Usage(_))));
        assert!(matches!("bogus".parse::<Target>(), Err(ConformError::Usage(_))));
    }

    #[test]
    fn a_missing_binary_says_how_to_install_it() {
        // Proves the error for an absent server names the install command.
        let err = start_process(Path::new("/nonexistent/redis-server")).err().unwrap();
        assert!(err.to_string().contains("apt-get install redis-server"), "{err}");
    }

    /// The image `ci/oracle-image` builds from the installed redis-server.
    const ORACLE_IMAGE: &str = "verdis-oracle/redis:7.0.15";

    /// Tells the person running `cargo test` why a test did not run. `eprintln!` would be
    /// captured with the test's output and hidden when it passes; writing to the stderr handle
    /// is not captured.
    fn say_skipped(test: &str, reason: &str) {
        use std::io::Write;
        let _ = writeln!(std::io::stderr(), "SKIPPED {test}: {reason}");
    }

    /// Whether Docker still knows the container `id` (running or not).
    fn container_exists(id: &str) -> bool {
        let out = Command::new("docker")
            .args(["ps", "--all", "--quiet", "--no-trunc", "--filter", &format!("id={id}")])
            .output()
            .expect("running docker ps");
        assert!(out.status.success(), "docker ps failed: {}", String::from_utf8_lossy(&out.stderr));
        !out.stdout.is_empty()
    }

    #[test]
    fn a_container_answers_and_is_removed_even_when_its_test_panics() {
        // Proves the docker backend runs the locally built oracle image (no registry), that it
        // answers like Redis 7.0.15, and that a test panicking while it runs still removes the
        // container (testcontainers' handle drops during the unwinding).
        if let Err(reason) = docker_available() {
            say_skipped("a_container_answers_and_is_removed_even_when_its_test_panics", &reason);
            return;
        }
        let script = Path::new(env!("CARGO_MANIFEST_DIR")).join("../ci/oracle-image");
        let status = Command::new("bash").arg(&script).status().expect("running ci/oracle-image");
        assert!(status.success(), "ci/oracle-image failed");
        let (sender, receiver) = std::sync::mpsc::channel();
        let panicked = std::thread::spawn(move || {
            let server = Server::start(&Target::Docker(ORACLE_IMAGE.into())).expect("container oracle");
            let Guard::Container { _container: container } = &server._guard else { panic!("not a container guard") };
            sender.send(container.id().to_string()).expect("send the id");
            let mut conn = server.connect().expect("connect");
            let version = conn.call_str(&["INFO", "server"]).expect("INFO");
            let Value::Bulk(text) = version.value else { panic!("INFO answered {:?}", version.raw) };
            assert!(String::from_utf8_lossy(&text).contains("redis_version:7.0.15"), "not the oracle");
            assert_eq!(conn.call_str(&["SET", "k", "v"]).expect("SET").value, Value::Simple(b"OK".to_vec()));
            panic!("planted: the test fails while its container runs");
        })
        .join();
        assert!(panicked.is_err(), "the planted panic happened");
        let id = receiver.recv().expect("the container started before the panic");
        assert!(!container_exists(&id), "container {id} survived the panicking test");
    }
}
