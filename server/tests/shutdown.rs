//! Stopping the server process: SIGTERM and SIGINT shut down cleanly with exit code 0 and
//! Redis's log lines, SHUTDOWN does the same from a client, and the pid file is removed.

mod common;

use std::io::{Read, Write};
use std::process::{Child, Command, Stdio};
use std::time::Duration;

use common::{free_port, ping, resp_command};

/// How many PING probes a starting server gets (20 ms apart).
const START_PROBES_MAX: u32 = 500;
/// How many 20 ms polls a stopping server gets before the test fails.
const EXIT_PROBES_MAX: u32 = 500;

/// A verdis process logging to `server.log` in `dir`.
struct Proc {
    child: Child,
    port: u16,
    dir: tempfile::TempDir,
}

impl Proc {
    fn start(extra: &[&str]) -> Proc {
        let dir = tempfile::tempdir().expect("temp dir");
        let port = free_port();
        let log = std::fs::File::create(dir.path().join("server.log")).expect("log");
        let child = Command::new(env!("CARGO_BIN_EXE_verdis-server"))
            .args(["--port", &port.to_string(), "--bind", "127.0.0.1"])
            .args(extra)
            .current_dir(dir.path())
            .stdin(Stdio::null())
            .stdout(log.try_clone().expect("clone log"))
            .stderr(log)
            .spawn()
            .expect("spawn verdis");
        let mut p = Proc { child, port, dir };
        for _ in 0..START_PROBES_MAX {
            assert!(p.child.try_wait().expect("poll").is_none(), "verdis exited early: {}", p.log());
            if ping(port) {
                return p;
            }
            std::thread::sleep(Duration::from_millis(20));
        }
        panic!("verdis did not answer PING: {}", p.log());
    }

    fn log(&self) -> String {
        std::fs::read_to_string(self.dir.path().join("server.log")).unwrap_or_default()
    }

    fn signal(&self, signal: libc::c_int) {
        // SAFETY: kill(2) on our own child's pid.
        assert_eq!(unsafe { libc::kill(self.child.id() as libc::pid_t, signal) }, 0);
    }

    /// Waits for the process to exit; its exit code.
    fn wait_exit(&mut self) -> Option<i32> {
        for _ in 0..EXIT_PROBES_MAX {
            if let Some(status) = self.child.try_wait().expect("poll") {
                return status.code();
            }
            std::thread::sleep(Duration::from_millis(20));
        }
        panic!("verdis did not exit: {}", self.log());
    }
}

impl Drop for Proc {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// The message part of each log line (after `pid:role dd Mon yyyy hh:mm:ss.mmm level`).
fn messages(log: &str) -> Vec<String> {
    log.lines().filter_map(|l| l.splitn(7, ' ').nth(6)).map(str::to_string).collect()
}

#[test]
fn sigterm_and_sigint_exit_zero_with_redis_log_lines() {
    // Proves a termination signal makes the server log Redis's shutdown lines and exit 0.
    for (signal, name) in [(libc::SIGTERM, "SIGTERM"), (libc::SIGINT, "SIGINT")] {
        let mut p = Proc::start(&[]);
        p.signal(signal);
        assert_eq!(p.wait_exit(), Some(0), "{}", p.log());
        let log = messages(&p.log());
        let received = format!("Received {name} scheduling shutdown...");
        let at = log.iter().position(|m| *m == received).unwrap_or_else(|| panic!("no {received:?} in {log:?}"));
        assert_eq!(log[at + 1], "User requested shutdown...", "{log:?}");
        assert!(log.last().is_some_and(|m| m.ends_with("is now ready to exit, bye bye...")), "{log:?}");
    }
}

#[test]
fn shutdown_command_exits_zero_and_removes_the_pid_file() {
    // Proves SHUTDOWN closes the caller's connection without a reply, exits 0, and removes the
    // pid file the server wrote; SHUTDOWN ABORT with nothing in progress is Redis's error.
    let mut p = Proc::start(&["--pidfile", "verdis.pid"]);
    let pidfile = p.dir.path().join("verdis.pid");
    assert_eq!(std::fs::read_to_string(&pidfile).expect("pid file"), format!("{}\n", p.child.id()));
    let mut stream = std::net::TcpStream::connect(("127.0.0.1", p.port)).expect("connect");
    stream.set_read_timeout(Some(Duration::from_secs(30))).expect("timeout");
    stream.write_all(&resp_command(&[b"SHUTDOWN", b"ABORT"])).expect("send");
    let mut reply = vec![0u8; b"-ERR No shutdown in progress.\r\n".len()];
    stream.read_exact(&mut reply).expect("reply");
    assert_eq!(reply, b"-ERR No shutdown in progress.\r\n");
    stream.write_all(&resp_command(&[b"SHUTDOWN", b"NOSAVE"])).expect("send");
    let mut rest = Vec::new();
    stream.read_to_end(&mut rest).expect("closed cleanly");
    assert!(rest.is_empty(), "{:?}", String::from_utf8_lossy(&rest));
    assert_eq!(p.wait_exit(), Some(0), "{}", p.log());
    assert!(!pidfile.exists());
    assert!(messages(&p.log()).contains(&"User requested shutdown...".to_string()));
}
