//! Helpers shared by the conformance crate's integration tests.

use std::path::PathBuf;
use std::process::Command;

/// The workspace's `verdis-server` binary (or `$VERDIS_SERVER`), built now so a test never runs a
/// stale one.
pub fn verdis_server_binary() -> PathBuf {
    if let Some(path) = std::env::var_os("VERDIS_SERVER") {
        return path.into();
    }
    let out = Command::new(env!("CARGO"))
        .args(["build", "-p", "verdis-server", "--bin", "verdis-server", "--message-format", "json"])
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .output()
        .expect("running cargo build -p verdis-server");
    assert!(out.status.success(), "building verdis-server failed:\n{}", String::from_utf8_lossy(&out.stderr));
    String::from_utf8_lossy(&out.stdout)
        .lines()
        .filter_map(|line| serde_json::from_str::<serde_json::Value>(line).ok())
        .find_map(|msg| msg.get("executable").and_then(|e| e.as_str()).map(PathBuf::from))
        .expect("cargo reported no verdis-server executable")
}
