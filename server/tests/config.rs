//! The binary's command line and configuration against real processes: bad configurations exit
//! 1 with exactly redis-server's output (both binaries are run on the same input and compared),
//! `--port` and a config file take effect, CONFIG GET/SET work over the wire, and `--version` /
//! `--help` behave like redis-server's.

mod common;

use std::io::Write;
use std::process::{Command, Output, Stdio};

use common::{free_port, ping, redis_tool, Backend, Server};

/// How many PING probes a starting server gets (20 ms apart).
const START_PROBES_MAX: u32 = 500;

fn verdis() -> Command {
    Command::new(env!("CARGO_BIN_EXE_verdis-server"))
}

/// Runs a server binary that is expected to refuse its configuration and exit by itself.
fn run_to_exit(mut command: Command, dir: &std::path::Path) -> Output {
    command.current_dir(dir).stdin(Stdio::null()).output().expect("run server")
}

/// Log lines without the `pid:role date time` prefix, which differs between runs.
fn without_log_prefix(text: &[u8]) -> String {
    String::from_utf8_lossy(text)
        .lines()
        .map(|l| match l.split_once(" # ") {
            Some((prefix, rest)) if prefix.contains(":C ") => format!("# {rest}"),
            _ => l.to_string(),
        })
        .collect::<Vec<_>>()
        .join("\n")
}

#[test]
fn bad_configurations_fail_exactly_like_redis_server() {
    // Proves, for each kind of bad configuration (file line, command-line option, missing file,
    // unwritable log file, missing dir), that verdis exits 1 and prints what redis-server 7.0.15
    // prints, byte for byte on stderr and modulo pid/time on stdout.
    let dir = tempfile::tempdir().expect("temp dir");
    let file = |name: &str, text: &str| {
        std::fs::write(dir.path().join(name), text).expect("write config");
        name.to_string()
    };
    let cases: Vec<Vec<String>> = vec![
        vec![file("range.conf", "port 7199\nport 99999\n")],
        vec![file("unknown.conf", "foo bar\n")],
        vec![file("args.conf", "port\n")],
        vec![file("quotes.conf", "port \"unbal\n")],
        vec![file("save.conf", "save 0 1\n")],
        vec![file("ok.conf", "port 7199\n"), "--port".into(), "99999".into()],
        vec!["--hz".into(), "1000".into(), "--port".into(), "70000".into()],
        vec!["--foo".into(), "bar".into()],
        vec!["--maxmemory-policy".into(), "sometimes".into()],
        vec!["--dir".into(), "/nonexistent-verdis-dir".into()],
        vec!["--logfile".into(), "/nonexistent-verdis-dir/x.log".into()],
        vec!["/nonexistent-verdis.conf".into()],
    ];
    for args in cases {
        let ours = run_to_exit(
            {
                let mut c = verdis();
                c.args(&args);
                c
            },
            dir.path(),
        );
        let theirs = run_to_exit(
            {
                let mut c = redis_tool("redis-server");
                c.args(&args);
                c
            },
            dir.path(),
        );
        assert_eq!(ours.status.code(), Some(1), "{args:?}");
        assert_eq!(theirs.status.code(), Some(1), "redis-server {args:?}");
        assert_eq!(String::from_utf8_lossy(&ours.stderr), String::from_utf8_lossy(&theirs.stderr), "{args:?}");
        assert_eq!(without_log_prefix(&ours.stdout), without_log_prefix(&theirs.stdout), "{args:?}");
    }
    // One case spelled out, so the expectation is visible without Redis.
    let out = run_to_exit(
        {
            let mut c = verdis();
            c.arg("range.conf");
            c
        },
        dir.path(),
    );
    assert_eq!(
        String::from_utf8_lossy(&out.stderr),
        "\n*** FATAL CONFIG FILE ERROR (Redis 7.0.15) ***\nReading the configuration file, at line 2\n>>> 'port 99999'\nargument must be between 0 and 65535 inclusive\n"
    );
}

#[test]
fn version_and_help_behave_like_redis_server() {
    // Proves -v/--version print one `v=7.0.15` line and exit 0, and -h/--help print usage on
    // stderr and exit 1, as redis-server does.
    for flag in ["-v", "--version"] {
        let out = verdis().arg(flag).output().expect("run");
        assert_eq!(out.status.code(), Some(0));
        let text = String::from_utf8_lossy(&out.stdout);
        assert!(text.starts_with("Redis server v=7.0.15 ") && text.contains("build=verdis-"), "{text}");
    }
    for flag in ["-h", "--help"] {
        let out = verdis().arg(flag).output().expect("run");
        assert_eq!(out.status.code(), Some(1));
        assert!(String::from_utf8_lossy(&out.stderr)
            .starts_with("Usage: verdis-server [/path/to/redis.conf] [options] [-]"));
        assert!(out.stdout.is_empty());
    }
}

/// A verdis process started with `args` (plus `--port`), logging to `server.log` in its
/// directory; killed on drop.
struct Running {
    child: std::process::Child,
    port: u16,
    log: std::path::PathBuf,
}

impl Running {
    fn start(dir: &std::path::Path, args: &[&str]) -> Running {
        let port = free_port();
        let log = dir.join("server.log");
        let out = std::fs::File::create(&log).expect("create log");
        let child = verdis()
            .args(args)
            .args(["--port", &port.to_string()])
            .current_dir(dir)
            .stdin(Stdio::null())
            .stdout(out.try_clone().expect("clone log"))
            .stderr(out)
            .spawn()
            .expect("spawn verdis");
        let mut running = Running { child, port, log };
        for _ in 0..START_PROBES_MAX {
            assert!(running.child.try_wait().expect("poll").is_none(), "verdis exited early");
            if ping(port) {
                return running;
            }
            std::thread::sleep(std::time::Duration::from_millis(20));
        }
        panic!("verdis did not answer PING");
    }

    fn client(&self) -> redis::Connection {
        redis::Client::open(format!("redis://127.0.0.1:{}/", self.port))
            .and_then(|c| c.get_connection())
            .expect("connect")
    }
}

impl Drop for Running {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn config_get(con: &mut redis::Connection, name: &str) -> Vec<String> {
    redis::cmd("CONFIG").arg("GET").arg(name).query(con).expect("CONFIG GET")
}

#[test]
fn command_line_and_config_file_take_effect() {
    // Proves a config file plus command-line options configure the running server: the port
    // it listens on, options from the file, `dir` reported absolute, and CONFIG SET live.
    let dir = tempfile::tempdir().expect("temp dir");
    let data = dir.path().join("data");
    std::fs::create_dir(&data).expect("mkdir");
    let mut conf = std::fs::File::create(dir.path().join("verdis.conf")).expect("conf");
    writeln!(conf, "# a comment\nmaxmemory 100mb\nsave 900 1\nsave 300 10\ndir data\nhz 20").expect("write conf");
    let server = Running::start(dir.path(), &["verdis.conf", "--maxmemory-policy", "allkeys-lru"]);
    let mut con = server.client();
    assert_eq!(config_get(&mut con, "port"), ["port".to_string(), server.port.to_string()]);
    assert_eq!(config_get(&mut con, "maxmemory"), ["maxmemory", "104857600"]);
    assert_eq!(config_get(&mut con, "save"), ["save", "900 1 300 10"]);
    assert_eq!(config_get(&mut con, "maxmemory-policy"), ["maxmemory-policy", "allkeys-lru"]);
    let canonical = data.canonicalize().expect("canonical data dir");
    assert_eq!(config_get(&mut con, "dir"), ["dir".to_string(), canonical.to_string_lossy().into_owned()]);
    let ok: String = redis::cmd("CONFIG").arg("SET").arg("hz").arg("50").query(&mut con).expect("CONFIG SET");
    assert_eq!(ok, "OK");
    assert_eq!(config_get(&mut con, "hz"), ["hz", "50"]);
    let err = redis::cmd("CONFIG").arg("SET").arg("databases").arg("2").query::<String>(&mut con).unwrap_err();
    assert!(err.to_string().contains("can't set immutable config"), "{err}");
}

#[test]
fn stock_redis_conf_loads() {
    // Proves Debian's stock /etc/redis/redis.conf (every option Redis ships) loads unchanged,
    // with only the paths that need root overridden on the command line.
    let dir = tempfile::tempdir().expect("temp dir");
    let stock = std::fs::read_to_string("/etc/redis/redis.conf").expect(
        "/etc/redis/redis.conf missing: these tests compare with real Redis; run ci/test, which installs redis-server",
    );
    std::fs::write(dir.path().join("redis.conf"), stock).expect("copy");
    let dir_arg = dir.path().to_string_lossy().into_owned();
    let server = Running::start(
        dir.path(),
        &["redis.conf", "--dir", &dir_arg, "--logfile", "", "--pidfile", "verdis.pid", "--daemonize", "no"],
    );
    let mut con = server.client();
    assert_eq!(config_get(&mut con, "port"), ["port".to_string(), server.port.to_string()]);
    assert_eq!(config_get(&mut con, "supervised"), ["supervised", "no"]);
    assert!(dir.path().join("verdis.pid").exists());
}

#[test]
fn unsupported_options_are_refused_or_warned_by_the_binary() {
    // Proves the binary never silently ignores what it cannot do: `--replicaof` (and `slaveof`
    // in a file) exits 1 with the FATAL block instead of serving as a master; `maxmemory` starts
    // with a warning in the log, and CONFIG SET of an unenforced option logs a warning too.
    let dir = tempfile::tempdir().expect("temp dir");
    std::fs::write(dir.path().join("replica.conf"), "port 0\nslaveof 127.0.0.1 6379\n").expect("write config");
    let why = "'replicaof' is not supported: verdis has no replication yet: this server would run as a master, not as a replica";
    // Both are on line 2: the file's first line, or the empty line before the command line.
    for (args, line) in [
        (vec!["--replicaof", "127.0.0.1 6379"], "replicaof \"127.0.0.1 6379\""),
        (vec!["replica.conf"], "slaveof 127.0.0.1 6379"),
    ] {
        let out = run_to_exit(
            {
                let mut c = verdis();
                c.args(&args);
                c
            },
            dir.path(),
        );
        assert_eq!(out.status.code(), Some(1), "{args:?}");
        assert_eq!(
            String::from_utf8_lossy(&out.stderr),
            format!("\n*** FATAL CONFIG FILE ERROR (Redis 7.0.15) ***\nReading the configuration file, at line 2\n>>> '{line}'\n{why}\n"),
            "{args:?}"
        );
    }
    let server = Running::start(dir.path(), &["--maxmemory", "1mb"]);
    let log = std::fs::read_to_string(&server.log).expect("log");
    assert!(log.contains("# Warning: 'maxmemory' is set but verdis does not enforce maxmemory yet"), "{log}");
    let mut con = server.client();
    let ok: String = redis::cmd("CONFIG").arg("SET").arg("maxmemory-clients").arg("10%").query(&mut con).expect("set");
    assert_eq!(ok, "OK");
    let _: () = redis::cmd("PING").query(&mut con).expect("ping");
    let log = std::fs::read_to_string(&server.log).expect("log");
    assert!(
        log.contains("# Warning: 'maxmemory-clients' is set but verdis does not enforce maxmemory-clients yet"),
        "{log}"
    );
}

#[test]
fn config_set_loglevel_takes_effect_in_the_log() {
    // Proves loglevel is live in the running binary: a verbose line (a protocol error) is not
    // logged at the default level and is logged after CONFIG SET loglevel verbose.
    let dir = tempfile::tempdir().expect("temp dir");
    let server = Running::start(dir.path(), &[]);
    let protocol_error = || {
        let mut s = std::net::TcpStream::connect(("127.0.0.1", server.port)).expect("connect");
        s.write_all(b"*1\r\n$x\r\n").expect("send");
        let mut reply = Vec::new();
        std::io::Read::read_to_end(&mut s, &mut reply).expect("closed after the error");
    };
    protocol_error();
    let mut con = server.client();
    let _: () = redis::cmd("PING").query(&mut con).expect("ping");
    assert!(!std::fs::read_to_string(&server.log).expect("log").contains("Protocol error"));
    let ok: String = redis::cmd("CONFIG").arg("SET").arg("loglevel").arg("verbose").query(&mut con).expect("set");
    assert_eq!(ok, "OK");
    protocol_error();
    let _: () = redis::cmd("PING").query(&mut con).expect("ping");
    assert!(std::fs::read_to_string(&server.log).expect("log").contains("Protocol error"));
}

/// Connects to `server` from the source address 127.0.0.2 (loopback interface, but not one of
/// the two addresses protected mode trusts) and returns everything it sends before closing.
fn reply_from_127_0_0_2(server: &Server) -> Vec<u8> {
    use socket2::{Domain, Socket, Type};
    let socket = Socket::new(Domain::IPV4, Type::STREAM, None).expect("socket");
    socket.bind(&"127.0.0.2:0".parse::<std::net::SocketAddr>().expect("addr").into()).expect("bind 127.0.0.2");
    socket.connect(&server.addr().parse::<std::net::SocketAddr>().expect("addr").into()).expect("connect");
    let mut stream: std::net::TcpStream = socket.into();
    stream.set_read_timeout(Some(common::REPLY_TIMEOUT)).expect("timeout");
    stream.write_all(b"PING\r\n").expect("send");
    let mut reply = Vec::new();
    let _ = std::io::Read::read_to_end(&mut stream, &mut reply);
    reply
}

fn protected_mode_denies_non_local_clients(backend: Backend) {
    // Proves the DENIED text and the disconnect for a client that is not 127.0.0.1 or ::1,
    // identical on verdis and Redis, and that CONFIG SET protected-mode no lets it in.
    let server = Server::start(backend);
    let reply = reply_from_127_0_0_2(&server);
    assert!(reply.starts_with(b"-DENIED Redis is running in protected mode because protected mode is enabled"));
    assert!(reply.ends_with(b"from the outside.\r\n"), "{}", String::from_utf8_lossy(&reply));
    let mut con = server.client();
    let _: () = redis::cmd("CONFIG").arg("SET").arg("protected-mode").arg("no").query(&mut con).expect("set");
    let mut stream = std::net::TcpStream::connect(server.addr()).expect("connect");
    stream.write_all(b"PING\r\n").expect("send");
    let mut pong = [0u8; 7];
    std::io::Read::read_exact(&mut stream, &mut pong).expect("pong");
    assert_eq!(&pong, b"+PONG\r\n");
}

#[test]
fn protected_mode_text_is_redis_s() {
    // Proves verdis sends exactly the bytes Redis 7.0.15 sends to a refused client.
    let ours = Server::start(Backend::Verdis);
    let theirs = Server::start(Backend::Redis);
    assert_eq!(
        String::from_utf8_lossy(&reply_from_127_0_0_2(&ours)),
        String::from_utf8_lossy(&reply_from_127_0_0_2(&theirs))
    );
}

on_both_backends!(protected_mode_denies_non_local_clients);

/// Every option and value CONFIG GET * reports, sorted by name.
fn all_options(server: &Server) -> Vec<(String, String)> {
    let mut con = server.client();
    let flat: Vec<String> = redis::cmd("CONFIG").arg("GET").arg("*").query(&mut con).expect("CONFIG GET *");
    let mut pairs: Vec<(String, String)> = flat.chunks(2).map(|p| (p[0].clone(), p[1].clone())).collect();
    pairs.sort();
    pairs
}

#[test]
fn config_get_all_equals_redis() {
    // Proves the table cannot drift from Redis 7.0.15: started with the same options, both
    // servers report the same option names, aliases and values, except the ones that name the
    // instance (its port and working directory).
    let ours = Server::start(Backend::Verdis);
    let theirs = Server::start(Backend::Redis);
    let instance_specific = ["port", "dir"];
    let strip = |pairs: Vec<(String, String)>| -> Vec<(String, String)> {
        pairs.into_iter().filter(|(k, _)| !instance_specific.contains(&k.as_str())).collect()
    };
    assert_eq!(strip(all_options(&ours)), strip(all_options(&theirs)));
}
