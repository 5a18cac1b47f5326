//! Proves the architecture invariant of DESIGN.md section 3: no clock, thread, socket, file,
//! async runtime or unseeded randomness in the engine or the sans-IO node.

use std::path::{Path, PathBuf};

/// Patterns that reach for the outside world. Matched against source with comments stripped.
const FORBIDDEN: &[&str] = &[
    "std::time",
    "SystemTime",
    "Instant::now",
    "std::thread",
    "thread::spawn",
    "std::fs",
    "std::net",
    "std::process",
    "std::env",
    "tokio",
    "thread_rng",
    "rand::random",
    "RandomState",
    "getrandom",
];

fn rust_files(dir: &Path, out: &mut Vec<PathBuf>) {
    for entry in std::fs::read_dir(dir).expect("readable source dir") {
        let path = entry.expect("dir entry").path();
        if path.is_dir() {
            rust_files(&path, out);
        } else if path.extension().is_some_and(|e| e == "rs") {
            out.push(path);
        }
    }
}

/// Returns `(file, line number, pattern)` for every forbidden use under `dirs`.
fn violations(dirs: &[PathBuf]) -> Vec<(PathBuf, usize, &'static str)> {
    let mut files = Vec::new();
    for d in dirs {
        rust_files(d, &mut files);
    }
    let mut found = Vec::new();
    for file in files {
        let text = std::fs::read_to_string(&file).expect("readable source");
        for (n, line) in text.lines().enumerate() {
            let code = line.split("//").next().unwrap_or("");
            for pat in FORBIDDEN {
                if code.contains(pat) {
                    found.push((file.clone(), n + 1, *pat));
                }
            }
        }
    }
    found
}

fn core_dirs() -> Vec<PathBuf> {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).parent().expect("workspace root").to_path_buf();
    vec![root.join("engine/src"), root.join("server/src/node"), root.join("server/src/resp")]
}

#[test]
fn core_sources_never_touch_the_outside_world() {
    let found = violations(&core_dirs());
    assert!(found.is_empty(), "the deterministic core reaches outside: {found:#?}");
}

#[test]
fn the_scan_catches_a_planted_clock_read() {
    let dir = std::env::temp_dir().join(format!("verdis-lint-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    std::fs::write(dir.join("bad.rs"), "fn f() { let _ = std::time::Instant::now(); } // ok here\n").unwrap();
    let found = violations(std::slice::from_ref(&dir));
    std::fs::remove_dir_all(&dir).unwrap();
    assert!(found.iter().any(|(_, line, pat)| *line == 1 && *pat == "std::time"), "{found:?}");
}
