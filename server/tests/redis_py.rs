//! redis-py, the most used Python client, against verdis and real Redis: each script in
//! `tests/py/` runs with the server's port and must exit 0 (each assertion in it can fail).
//! `ci/test` installs redis-py (`pip install redis`) when it is missing.

mod common;

use std::process::Command;

use common::{Backend, Server};

/// Runs `tests/py/NAME.py` against `backend` and asserts it passed, showing its output.
fn run_script(backend: Backend, name: &str) {
    let server = Server::start(backend);
    let script = format!("{}/tests/py/{name}.py", env!("CARGO_MANIFEST_DIR"));
    let out = Command::new("python3")
        .arg(&script)
        .arg(server.port().to_string())
        .output()
        .expect("python3 runs (ci/test installs python3 and redis-py)");
    assert!(
        out.status.success(),
        "{script} failed on {backend:?}:\n{}\n{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
}

fn transactions(backend: Backend) {
    // Proves redis-py's transactional pipeline, its WATCH retry helper, WatchError and the
    // INCR + EXPIRE rate limiter behave on the server as on Redis.
    run_script(backend, "transactions");
}

fn lock(backend: Backend) {
    // Proves redis-py's Lock (whose extend, reacquire and release are Lua scripts it loads and
    // runs by EVALSHA) acquires, extends, reacquires and releases, and refuses a stale owner.
    run_script(backend, "lock");
}

fn auth(backend: Backend) {
    // Proves redis-py against a password set at runtime: refused without it (RESP2's NOAUTH and
    // RESP3's HELLO refusal) and with a wrong one, served with `password=`, `username=` and RESP3.
    run_script(backend, "auth");
}

on_both_backends!(transactions, lock, auth);
