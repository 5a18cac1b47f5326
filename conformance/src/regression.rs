//! Regression files: a shrunk mismatch saved so it is replayed forever.
//!
//! Format (one file per case, UTF-8 text):
//! ```text
//! # any comment line (the transcript of the mismatch is kept here)
//! resp 3                 <- optional: run the commands after HELLO 3
//! SET k0 "hello world"
//! GET "k\xff"
//! ```
//! One command per line, arguments separated by spaces. An argument that is empty or holds
//! anything but printable ASCII other than space, `"` and `\` is double-quoted, with `\"`, `\\`,
//! `\r`, `\n`, `\t` and `\xNN` escapes.

use std::path::{Path, PathBuf};

use crate::error::ConformError;
use crate::gen::Argv;

/// One saved case.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Regression {
    /// RESP protocol version to run it in (2 or 3).
    pub resp: u8,
    /// The commands.
    pub commands: Vec<Argv>,
    /// Comment lines (without `# `).
    pub comments: Vec<String>,
}

/// One argument in the line format.
pub fn quote(arg: &[u8]) -> String {
    let bare = !arg.is_empty() && arg.iter().all(|&b| (0x21..=0x7e).contains(&b) && b != b'"' && b != b'\\');
    if bare {
        return String::from_utf8_lossy(arg).into_owned();
    }
    let mut out = String::from("\"");
    for &b in arg {
        match b {
            b'"' => out.push_str("\\\""),
            b'\\' => out.push_str("\\\\"),
            b'\r' => out.push_str("\\r"),
            b'\n' => out.push_str("\\n"),
            b'\t' => out.push_str("\\t"),
            0x20..=0x7e => out.push(b as char),
            _ => out.push_str(&format!("\\x{b:02x}")),
        }
    }
    out.push('"');
    out
}

/// A command as one line.
pub fn format_command(argv: &[Vec<u8>]) -> String {
    argv.iter().map(|a| quote(a)).collect::<Vec<_>>().join(" ")
}

/// Splits one line into arguments; `Err` says what is wrong.
pub fn parse_command(line: &str) -> Result<Argv, String> {
    let bytes = line.as_bytes();
    let mut args = Vec::new();
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] == b' ' {
            i += 1;
            continue;
        }
        let mut arg = Vec::new();
        if bytes[i] == b'"' {
            i += 1;
            loop {
                match bytes.get(i) {
                    None => return Err("unterminated quote".into()),
                    Some(b'"') => {
                        i += 1;
                        break;
                    }
                    Some(b'\\') => {
                        let (byte, used) = match bytes.get(i + 1) {
                            Some(b'"') => (b'"', 2),
                            Some(b'\\') => (b'\\', 2),
                            Some(b'r') => (b'\r', 2),
                            Some(b'n') => (b'\n', 2),
                            Some(b't') => (b'\t', 2),
                            Some(b'x') => {
                                let hex = line.get(i + 2..i + 4).ok_or("short \\x escape")?;
                                (u8::from_str_radix(hex, 16).map_err(|_| format!("bad \\x escape {hex:?}"))?, 4)
                            }
                            _ => return Err("bad escape".into()),
                        };
                        arg.push(byte);
                        i += used;
                    }
                    Some(&b) => {
                        arg.push(b);
                        i += 1;
                    }
                }
            }
            if bytes.get(i).is_some_and(|&b| b != b' ') {
                return Err("a quoted argument must be followed by a space".into());
            }
        } else {
            while i < bytes.len() && bytes[i] != b' ' {
                arg.push(bytes[i]);
                i += 1;
            }
        }
        args.push(arg);
    }
    Ok(args)
}

impl Regression {
    /// The file's text.
    pub fn to_text(&self) -> String {
        let mut out = String::new();
        for c in &self.comments {
            out.push_str(&format!("# {c}\n"));
        }
        if self.resp == 3 {
            out.push_str("resp 3\n");
        }
        for argv in &self.commands {
            out.push_str(&format_command(argv));
            out.push('\n');
        }
        out
    }

    /// Parses a file's text.
    pub fn parse(text: &str) -> Result<Regression, String> {
        let mut reg = Regression { resp: 2, commands: Vec::new(), comments: Vec::new() };
        for (n, line) in text.lines().enumerate() {
            if let Some(c) = line.strip_prefix('#') {
                reg.comments.push(c.trim_start().to_string());
            } else if line.trim().is_empty() {
            } else if let Some(v) = line.strip_prefix("resp ") {
                reg.resp = match v.trim() {
                    "2" => 2,
                    "3" => 3,
                    other => return Err(format!("line {}: resp must be 2 or 3, not {other:?}", n + 1)),
                };
            } else {
                reg.commands.push(parse_command(line).map_err(|e| format!("line {}: {e}", n + 1))?);
            }
        }
        if reg.commands.is_empty() {
            return Err("no commands".into());
        }
        Ok(reg)
    }

    /// Reads a file.
    pub fn load(path: &Path) -> Result<Regression, ConformError> {
        let text =
            std::fs::read_to_string(path).map_err(|e| ConformError::io(format!("reading {}", path.display()), e))?;
        Regression::parse(&text).map_err(|detail| ConformError::Regression { path: path.to_path_buf(), detail })
    }

    /// Writes the file `dir/{stem}-{hash}.txt` (creating `dir`), `hash` being a checksum of the
    /// text, and returns its path. Two different cases never share a name, so a later run (the
    /// same seed and sequence shrunk differently, another build) adds a file instead of
    /// overwriting one; the file is created only if absent, and one already there must hold the
    /// same text.
    pub fn save(&self, dir: &Path, stem: &str) -> Result<PathBuf, ConformError> {
        use std::io::Write;
        std::fs::create_dir_all(dir).map_err(|e| ConformError::io(format!("creating {}", dir.display()), e))?;
        let text = self.to_text();
        let hash = verdis_engine::rdb::Crc64::of(text.as_bytes());
        let path = dir.join(format!("{stem}-{hash:016x}.txt"));
        let writing = |e| ConformError::io(format!("writing {}", path.display()), e);
        match std::fs::OpenOptions::new().write(true).create_new(true).open(&path) {
            Ok(mut file) => file.write_all(text.as_bytes()).map_err(writing)?,
            Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => {
                let there = std::fs::read_to_string(&path).map_err(writing)?;
                if there != text {
                    return Err(ConformError::Regression {
                        path: path.clone(),
                        detail: "already holds another case with the same checksum; not overwritten".into(),
                    });
                }
            }
            Err(e) => return Err(writing(e)),
        }
        Ok(path)
    }
}

/// Every `*.txt` file in `dir`, sorted.
pub fn files_in(dir: &Path) -> Result<Vec<PathBuf>, ConformError> {
    let entries = std::fs::read_dir(dir).map_err(|e| ConformError::io(format!("listing {}", dir.display()), e))?;
    let mut files: Vec<PathBuf> = entries
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.extension().is_some_and(|x| x == "txt"))
        .collect();
    files.sort();
    Ok(files)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn any_bytes_survive_a_round_trip_through_the_line_format() {
        // Proves quoting and parsing are inverse for awkward arguments.
        let argv: Argv = vec![
            b"SET".to_vec(),
            b"k\xff".to_vec(),
            b"".to_vec(),
            b"a b\"c\\d\r\n\t".to_vec(),
            b"\x00\x7f".to_vec(),
            b"plain".to_vec(),
        ];
        let line = format_command(&argv);
        assert_eq!(parse_command(&line).unwrap(), argv, "{line}");
        let reg =
            Regression { resp: 3, commands: vec![argv.clone(), vec![b"GET".to_vec()]], comments: vec!["x".into()] };
        assert_eq!(Regression::parse(&reg.to_text()).unwrap(), reg);
    }

    #[test]
    fn each_case_gets_its_own_file_and_none_is_overwritten() {
        // Proves two cases saved under the same stem (same signature, seed and sequence) land
        // in two files, and saving a case again leaves the existing file as it was.
        let dir = tempfile::tempdir().unwrap();
        let case = |value: &str| Regression {
            resp: 2,
            commands: vec![vec![b"SET".to_vec(), b"k0".to_vec(), value.as_bytes().to_vec()]],
            comments: vec!["found by a test".into()],
        };
        let first = case("a").save(dir.path(), "set-7-3").unwrap();
        let second = case("b").save(dir.path(), "set-7-3").unwrap();
        assert_ne!(first, second);
        assert_eq!(Regression::load(&first).unwrap(), case("a"));
        assert_eq!(Regression::load(&second).unwrap(), case("b"));
        let modified = std::fs::metadata(&first).unwrap().modified().unwrap();
        assert_eq!(case("a").save(dir.path(), "set-7-3").unwrap(), first);
        assert_eq!(std::fs::metadata(&first).unwrap().modified().unwrap(), modified);
        assert_eq!(files_in(dir.path()).unwrap().len(), 2);
    }

    #[test]
    fn malformed_lines_are_refused_with_a_reason() {
        // Proves a broken regression file is an error, not an empty or wrong case.
        assert!(parse_command("\"abc").is_err());
        assert!(parse_command("\"a\"b").is_err());
        assert!(parse_command("\"\\xZZ\"").is_err());
        assert!(Regression::parse("# only a comment\n").is_err());
        assert!(Regression::parse("resp 4\nPING\n").is_err());
    }
}
