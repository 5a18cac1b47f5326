//! The network surface besides TLS, on verdis and real Redis with the same options: the unix
//! socket, `bind` with optional addresses, `maxclients`, protected mode (with a client on the
//! machine's own non-loopback address) and `rename-command`.

mod common;

use std::net::TcpStream;
use std::os::unix::fs::PermissionsExt;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use common::{free_port, resp_command, Backend, Raw, Server, REPLY_TIMEOUT};

/// How long a server refusing its configuration may take to exit.
const EXIT_WAIT: Duration = Duration::from_secs(10);

fn unix_socket_serves_clients(backend: Backend) {
    // Proves `unixsocket` listens where configured with `unixsocketperm`'s mode, that redis-cli -s
    // runs commands there (protected mode treats it as local), how CLIENT LIST shows it, and that
    // SHUTDOWN removes the socket file.
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("verdis.sock").display().to_string();
    let server = Server::start_with(backend, &["--unixsocket", &path, "--unixsocketperm", "700"]);
    let mode = std::fs::metadata(&path).expect("the socket file exists").permissions().mode();
    assert_eq!(mode & 0o777, 0o700);
    let cli = |args: &[&str]| {
        let out = common::redis_tool("redis-cli").arg("-s").arg(&path).args(args).output().expect("run redis-cli");
        String::from_utf8_lossy(&out.stdout).trim_end().to_string()
    };
    assert_eq!(cli(&["SET", "k", "by-socket"]), "OK");
    assert_eq!(cli(&["GET", "k"]), "by-socket");
    let list = cli(&["CLIENT", "LIST"]);
    assert!(list.contains(&format!(" addr={path}:0 laddr={path}:0 ")) && list.contains(" flags=U "), "{list}");
    assert_eq!(String::from_utf8_lossy(&server.cli_run(&["GET", "k"]).stdout).trim_end(), "by-socket");
    // A clean shutdown removes the socket file.
    cli(&["SHUTDOWN", "NOSAVE"]);
    let start = Instant::now();
    while std::path::Path::new(&path).exists() {
        assert!(start.elapsed() < EXIT_WAIT, "{backend:?} left its socket file after SHUTDOWN");
        std::thread::sleep(Duration::from_millis(20));
    }
}

/// Starts `backend` with `args` and waits for it to exit (it must refuse them); its exit status.
fn exit_status(backend: Backend, args: &[&str]) -> std::process::ExitStatus {
    let dir = tempfile::tempdir().unwrap();
    let mut command = match backend {
        Backend::Verdis => Command::new(env!("CARGO_BIN_EXE_verdis-server")),
        Backend::Redis => common::redis_tool("redis-server"),
    };
    let mut child = command
        .args(["--save", ""])
        .args(args)
        .current_dir(dir.path())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .expect("spawn server");
    let start = Instant::now();
    loop {
        if let Some(status) = child.try_wait().unwrap() {
            return status;
        }
        if start.elapsed() > EXIT_WAIT {
            let _ = child.kill();
            panic!("{backend:?} with {args:?} kept running");
        }
        std::thread::sleep(Duration::from_millis(20));
    }
}

fn bind_skips_only_optional_missing_addresses(backend: Backend) {
    // Proves a `-` address the machine lacks is skipped while the others serve, and the same
    // address without `-` stops the server.
    let missing = "10.255.255.254";
    let server = Server::start_with(backend, &["--bind", "127.0.0.1", &format!("-{missing}")]);
    assert_eq!(String::from_utf8_lossy(&server.cli_run(&["PING"]).stdout).trim_end(), "PONG");
    let port = free_port().to_string();
    assert!(!exit_status(backend, &["--port", &port, "--bind", "127.0.0.1", missing]).success());
    // Nothing to listen on at all (port 0, no TLS port, no unix socket) stops the server too.
    assert!(!exit_status(backend, &["--port", "0"]).success());
}

fn maxclients_refuses_with_redis_error(backend: Backend) {
    // Proves the client past `maxclients` gets Redis's error and is closed, while the first
    // keeps being served.
    let server = Server::start_with(backend, &["--maxclients", "1"]);
    let mut first = server.raw();
    first.step("PING", "+PONG\r\n");
    let mut second = server.raw();
    assert_eq!(second.read_until_closed(), b"-ERR max number of clients reached\r\n");
    first.step("PING", "+PONG\r\n");
}

/// One of this machine's own IPv4 addresses that is not loopback (`hostname -I`).
fn own_address() -> String {
    let out = Command::new("hostname").arg("-I").output().expect("hostname -I runs");
    let text = String::from_utf8_lossy(&out.stdout).to_string();
    text.split_whitespace()
        .find(|a| a.parse::<std::net::Ipv4Addr>().is_ok_and(|ip| !ip.is_loopback()))
        .unwrap_or_else(|| panic!("the protected-mode test needs a non-loopback IPv4 address; hostname -I: {text:?}"))
        .to_string()
}

/// A raw connection to `ip:port`.
fn raw_at(ip: &str, port: u16) -> Raw {
    let stream = TcpStream::connect((ip, port)).expect("connect");
    stream.set_read_timeout(Some(REPLY_TIMEOUT)).unwrap();
    Raw { stream }
}

fn protected_mode_turns_away_remote_clients(backend: Backend) {
    // Proves Redis 7.0's rule: with protected mode on and no password, a client from a
    // non-loopback address gets the DENIED text (byte for byte) and is closed even though
    // `bind` names that address explicitly; loopback clients pass; a password
    // (requirepass) or protected-mode no lets the remote client in.
    let ip = own_address();
    let server = Server::start_with(backend, &["--bind", "127.0.0.1", &ip]);
    let mut remote = raw_at(&ip, server.port());
    remote.send(b"PING\r\n");
    let denied = remote.read_until_closed();
    assert_eq!(String::from_utf8_lossy(&denied), verdis_server::config::PROTECTED_MODE_DENIED);
    // The settings change from a loopback client (already authenticated when the password is
    // set, as Redis keeps existing clients authenticated).
    let mut local = server.raw();
    local.step("PING", "+PONG\r\n");
    for (setting, value) in [("requirepass", "secret"), ("requirepass", ""), ("protected-mode", "no")] {
        local.roundtrip(&resp_command(&[b"CONFIG", b"SET", setting.as_bytes(), value.as_bytes()]), b"+OK\r\n");
        if setting == "requirepass" && value.is_empty() {
            continue;
        }
        let mut remote = raw_at(&ip, server.port());
        remote.send(b"PING\r\n");
        // Redis answers -NOAUTH under requirepass; the point here is only that it is no DENIED.
        let reply = remote.read_n(7);
        assert!(
            &reply == b"+PONG\r\n" || reply.starts_with(b"-NOAUTH"),
            "{setting} {value}: {:?}",
            String::from_utf8_lossy(&reply)
        );
    }
}

fn rename_command_hides_and_renames(backend: Backend) {
    // Proves rename-command: a command renamed to "" is unknown, a renamed one answers to its
    // new name only (in MULTI and in scripts too) with its flags kept, and CONFIG SET cannot
    // rename.
    let server = Server::start_with(backend, &["--rename-command", "flushall", "", "--rename-command", "get", "fetch"]);
    let mut raw = server.raw();
    raw.script(&[
        ("FLUSHALL", "-ERR unknown command 'FLUSHALL', with args beginning with: \r\n"),
        ("SET k v", "+OK\r\n"),
        ("GET k", "-ERR unknown command 'GET', with args beginning with: 'k' \r\n"),
        ("FETCH k", "$1\r\nv\r\n"),
        ("MULTI", "+OK\r\n"),
        ("fetch k", "+QUEUED\r\n"),
        ("EXEC", "*1\r\n$1\r\nv\r\n"),
        (
            "CONFIG SET rename-command x",
            "-ERR Unknown option or number of arguments for CONFIG SET - 'rename-command'\r\n",
        ),
    ]);
    let eval = |body: &str| resp_command(&[b"EVAL", body.as_bytes(), b"0"]);
    raw.roundtrip(&eval("return redis.call('fetch','k')"), b"$1\r\nv\r\n");
    // The renamed GET keeps its read-only flag: a script run by EVAL_RO may call it.
    raw.roundtrip(&resp_command(&[b"EVAL_RO", b"return redis.call('fetch','k')", b"0"]), b"$1\r\nv\r\n");
}

on_both_backends!(
    unix_socket_serves_clients,
    bind_skips_only_optional_missing_addresses,
    maxclients_refuses_with_redis_error,
    protected_mode_turns_away_remote_clients,
    rename_command_hides_and_renames,
);
