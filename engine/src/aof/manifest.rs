//! The AOF manifest (`<appendfilename>.manifest` in `appenddirname`): which files make up the
//! AOF, as Redis 7.0's `aofLoadManifestFromFile` reads it and `getAofManifestAsString` writes it,
//! and the bookkeeping a rewrite does on it (`getNewBaseFileNameAndMarkPreAsHistory`,
//! `getNewIncrAofName`, `markRewrittenIncrAofAsHistory`, `aofDelHistoryFiles`).
//!
//! A line is `file <name> seq <n> type <b|h|i>`; names that need it are quoted as `sdscatrepr`
//! does. Lines starting with `#` are comments; unknown `key value` pairs are ignored (Redis keeps
//! that room for later versions).
//!
//! Deliberate differences from Redis: a sequence number must be a non-negative integer that
//! fits in `u64` (Redis's `atoll` would also take `-3`), and a file name must be UTF-8.

use crate::sds::{is_c_space, needs_repr, repr, split_args};

/// Longest manifest line Redis reads (MANIFEST_MAX_LINE); a longer one is an error.
const LINE_LEN_MAX: usize = 1024;

/// Suffix of the manifest file's name after `appendfilename` (MANIFEST_NAME_SUFFIX).
const MANIFEST_SUFFIX: &str = ".manifest";
/// Prefix of temporary files in `appenddirname` (TEMP_FILE_NAME_PREFIX).
const TEMP_PREFIX: &str = "temp-";

/// One line of the manifest.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ManifestEntry {
    /// The file's name inside `appenddirname`.
    pub name: String,
    /// Its sequence number.
    pub seq: u64,
    /// Base, history or incr.
    pub kind: FileKind,
}

/// Which part of the AOF a file is (`type b|h|i` in the manifest).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum FileKind {
    /// The base: an RDB (`.base.rdb`) or commands (`.base.aof`).
    Base,
    /// A file a rewrite made obsolete, waiting for deletion.
    History,
    /// An incremental file of commands.
    Incr,
}

impl FileKind {
    /// The manifest's letter for this kind.
    fn letter(self) -> char {
        match self {
            FileKind::Base => 'b',
            FileKind::History => 'h',
            FileKind::Incr => 'i',
        }
    }
}

/// The manifest: which files make up the AOF.
///
/// `entries` is kept in Redis's order — the base first, then history files, then incr files by
/// sequence — which is the order the file lists them in and the order to load base and incr
/// files in. The two counters are Redis's `curr_base_file_seq` and `curr_incr_file_seq`: the last
/// sequence numbers handed out, which outlive the entries (a deleted history file's number is
/// not reused while the server runs).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Manifest {
    /// The entries, in file order.
    pub entries: Vec<ManifestEntry>,
    /// Sequence number of the newest base file created or loaded.
    pub base_seq: u64,
    /// Sequence number of the newest incr file created or loaded.
    pub incr_seq: u64,
}

/// A malformed manifest, with Redis's message.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error("{0}")]
pub struct ManifestError(pub String);

impl ManifestError {
    fn new(what: &str) -> ManifestError {
        ManifestError(what.to_string())
    }
}

/// The manifest's file name for `appendfilename` (`appendonly.aof.manifest`).
pub fn manifest_name(aof_filename: &str) -> String {
    format!("{aof_filename}{MANIFEST_SUFFIX}")
}

/// The name a new manifest is written under before the rename over `manifest_name`.
pub fn temp_manifest_name(aof_filename: &str) -> String {
    format!("{TEMP_PREFIX}{aof_filename}{MANIFEST_SUFFIX}")
}

/// The incr file that collects writes while `appendonly` is being switched on (before the first
/// rewrite finishes and gives it a real name): Redis's `getTempIncrAofName`.
pub fn temp_incr_name(aof_filename: &str) -> String {
    format!("{TEMP_PREFIX}{aof_filename}.incr")
}

impl Manifest {
    /// Parses a manifest file as Redis 7.0 does (`aofLoadManifestFromFile`).
    pub fn parse(bytes: &[u8]) -> Result<Manifest, ManifestError> {
        let mut manifest = Manifest::default();
        let (mut base, mut history, mut incr) = (None, Vec::new(), Vec::new());
        let mut rest = bytes;
        let mut line_count = 0;
        loop {
            if rest.is_empty() {
                if line_count == 0 {
                    return Err(ManifestError::new("Found an empty AOF manifest"));
                }
                break;
            }
            // Redis reads with fgets into a MANIFEST_MAX_LINE+1 buffer: a line is at most 1024
            // bytes including its newline, and what follows a longer one is read as a new line.
            let chunk_len = match rest.iter().take(LINE_LEN_MAX).position(|&c| c == b'\n') {
                Some(newline) => newline + 1,
                None => rest.len().min(LINE_LEN_MAX),
            };
            let (chunk, after) = rest.split_at(chunk_len);
            rest = after;
            line_count += 1;
            // The C string stops at a NUL byte.
            let chunk = &chunk[..chunk.iter().position(|&c| c == 0).unwrap_or(chunk.len())];
            if chunk.first() == Some(&b'#') {
                continue;
            }
            if !chunk.contains(&b'\n') {
                return Err(ManifestError::new("The AOF manifest file contains too long line"));
            }
            let line = trim(chunk);
            if line.is_empty() {
                return Err(ManifestError::new("Invalid AOF manifest file format"));
            }
            let entry = parse_line(line)?;
            match entry.kind {
                FileKind::Base => {
                    if base.is_some() {
                        return Err(ManifestError::new("Found duplicate base file information"));
                    }
                    manifest.base_seq = entry.seq;
                    base = Some(entry);
                }
                FileKind::History => history.push(entry),
                FileKind::Incr => {
                    if entry.seq <= manifest.incr_seq {
                        return Err(ManifestError::new("Found a non-monotonic sequence number"));
                    }
                    manifest.incr_seq = entry.seq;
                    incr.push(entry);
                }
            }
        }
        manifest.entries = base.into_iter().chain(history).chain(incr).collect();
        Ok(manifest)
    }

    /// The file's bytes as Redis writes them (`getAofManifestAsString`): base, history, incr.
    pub fn to_bytes(&self) -> Vec<u8> {
        let mut out = Vec::new();
        for kind in [FileKind::Base, FileKind::History, FileKind::Incr] {
            for entry in self.entries.iter().filter(|e| e.kind == kind) {
                let name =
                    if needs_repr(entry.name.as_bytes()) { repr(entry.name.as_bytes()) } else { entry.name.clone() };
                out.extend_from_slice(format!("file {name} seq {} type {}\n", entry.seq, kind.letter()).as_bytes());
            }
        }
        out
    }

    /// The manifest Redis 7 makes when it finds an old single-file `appendfilename` and no
    /// manifest (`aofUpgradePrepare`): that file, moved into `appenddirname`, as base 1.
    pub fn upgrade_from_single_file(aof_filename: &str) -> Manifest {
        Manifest {
            entries: vec![ManifestEntry { name: aof_filename.to_string(), seq: 1, kind: FileKind::Base }],
            base_seq: 1,
            incr_seq: 0,
        }
    }

    /// The base file, if there is one.
    pub fn base(&self) -> Option<&ManifestEntry> {
        self.entries.iter().find(|e| e.kind == FileKind::Base)
    }

    /// The incr files, oldest first.
    pub fn incrs(&self) -> impl Iterator<Item = &ManifestEntry> {
        self.entries.iter().filter(|e| e.kind == FileKind::Incr)
    }

    /// The history files (obsolete, to be deleted).
    pub fn history(&self) -> impl Iterator<Item = &ManifestEntry> {
        self.entries.iter().filter(|e| e.kind == FileKind::History)
    }

    /// The files to load, in order: the base, then the incr files (`loadAppendOnlyFiles`).
    pub fn files_to_load(&self) -> impl Iterator<Item = &ManifestEntry> {
        self.base().into_iter().chain(self.incrs())
    }

    /// True when the manifest names neither a base nor an incr file (nothing to load).
    pub fn is_empty(&self) -> bool {
        self.files_to_load().next().is_none()
    }

    /// The incr file writes go to: the newest one, or a new one when there is none
    /// (`getLastIncrAofName`).
    pub fn last_or_new_incr(&mut self, aof_filename: &str) -> String {
        match self.incrs().last() {
            Some(last) => last.name.clone(),
            None => self.new_incr(aof_filename),
        }
    }

    /// Adds a new incr file, `<appendfilename>.<seq>.incr.aof`, and returns its name
    /// (`getNewIncrAofName`).
    pub fn new_incr(&mut self, aof_filename: &str) -> String {
        self.incr_seq += 1;
        let name = format!("{aof_filename}.{}.incr.aof", self.incr_seq);
        self.entries.push(ManifestEntry { name: name.clone(), seq: self.incr_seq, kind: FileKind::Incr });
        name
    }

    /// Makes a new base file, `<appendfilename>.<seq>.base.rdb` (or `.base.aof` without the RDB
    /// preamble), turning the current base into history, and returns its name
    /// (`getNewBaseFileNameAndMarkPreAsHistory`).
    pub fn new_base(&mut self, aof_filename: &str, rdb_preamble: bool) -> String {
        if let Some(base) = self.entries.iter().position(|e| e.kind == FileKind::Base) {
            // The old base goes to the head of the history list, just after the new base.
            let mut old = self.entries.remove(base);
            old.kind = FileKind::History;
            self.entries.insert(0, old);
        }
        self.base_seq += 1;
        let format = if rdb_preamble { "rdb" } else { "aof" };
        let name = format!("{aof_filename}.{}.base.{format}", self.base_seq);
        self.entries.insert(0, ManifestEntry { name: name.clone(), seq: self.base_seq, kind: FileKind::Base });
        name
    }

    /// After a successful rewrite: turns the incr files the new base covers into history
    /// (`markRewrittenIncrAofAsHistory`). With `keep_open_incr` (the AOF is on, its newest incr
    /// file is being written) the newest incr file stays.
    pub fn mark_rewritten_incrs_as_history(&mut self, keep_open_incr: bool) {
        let incr_positions: Vec<usize> =
            self.entries.iter().enumerate().filter(|(_, e)| e.kind == FileKind::Incr).map(|(i, _)| i).collect();
        let covered = incr_positions.len().saturating_sub(usize::from(keep_open_incr));
        // Redis walks the incr list from its tail, putting each at the head of the history
        // list, so the history ends up oldest first; removing from the front keeps that order.
        let mut moved = Vec::with_capacity(covered);
        for &position in incr_positions[..covered].iter().rev() {
            let mut entry = self.entries.remove(position);
            entry.kind = FileKind::History;
            moved.push(entry);
        }
        moved.reverse();
        let history_at = usize::from(self.base().is_some());
        self.entries.splice(history_at..history_at, moved);
    }

    /// Removes the history entries and returns their file names, for the caller to delete
    /// (`aofDelHistoryFiles`); the manifest must then be written again.
    pub fn take_history(&mut self) -> Vec<String> {
        let (history, rest): (Vec<ManifestEntry>, Vec<ManifestEntry>) =
            std::mem::take(&mut self.entries).into_iter().partition(|e| e.kind == FileKind::History);
        self.entries = rest;
        history.into_iter().map(|e| e.name).collect()
    }
}

/// Redis's `sdstrim(line, " \t\r\n")`.
fn trim(line: &[u8]) -> &[u8] {
    let blank = |c: &u8| matches!(c, b' ' | b'\t' | b'\r' | b'\n');
    let start = line.iter().position(|c| !blank(c)).unwrap_or(line.len());
    let end = line.iter().rposition(|c| !blank(c)).map_or(start, |i| i + 1);
    &line[start..end]
}

/// One non-comment line: `key value` pairs, at least `file`, `seq` and `type`.
fn parse_line(line: &[u8]) -> Result<ManifestEntry, ManifestError> {
    let invalid = || ManifestError::new("Invalid AOF manifest file format");
    let args = split_args(line).ok_or_else(invalid)?;
    // `argc < 6` rather than `!= 6` leaves room for keys later versions may add.
    if args.len() < 6 || args.len() % 2 != 0 {
        return Err(invalid());
    }
    let (mut name, mut seq, mut kind) = (None, 0u64, 0u8);
    for pair in args.chunks_exact(2) {
        let (key, value) = (&pair[0], &pair[1]);
        // The C strings stop at a NUL byte.
        let value = &value[..value.iter().position(|&c| c == 0).unwrap_or(value.len())];
        if key.eq_ignore_ascii_case(b"file") {
            if value.contains(&b'/') || value.contains(&b'\\') {
                return Err(ManifestError::new("File can't be a path, just a filename"));
            }
            name = Some(String::from_utf8(value.to_vec()).map_err(|_| invalid())?);
        } else if key.eq_ignore_ascii_case(b"seq") {
            seq = parse_atoll(value).ok_or_else(invalid)?;
        } else if key.eq_ignore_ascii_case(b"type") {
            kind = value.first().copied().unwrap_or(0);
        }
    }
    let name = name.ok_or_else(invalid)?;
    if seq == 0 || kind == 0 {
        return Err(invalid());
    }
    let kind = match kind {
        b'b' => FileKind::Base,
        b'h' => FileKind::History,
        b'i' => FileKind::Incr,
        _ => return Err(ManifestError::new("Unknown AOF file type")),
    };
    Ok(ManifestEntry { name, seq, kind })
}

/// C's `atoll` limited to what a sequence number can be: leading blanks, an optional `+`, the
/// leading digits (text after them is ignored, no digits is 0). `None` for a minus sign or a
/// number beyond `u64`.
fn parse_atoll(value: &[u8]) -> Option<u64> {
    let start = value.iter().position(|&c| !is_c_space(c)).unwrap_or(value.len());
    let mut digits = &value[start..];
    match digits.first() {
        Some(b'-') => return None,
        Some(b'+') => digits = &digits[1..],
        _ => {}
    }
    let end = digits.iter().position(|c| !c.is_ascii_digit()).unwrap_or(digits.len());
    digits[..end].iter().try_fold(0u64, |n, &c| n.checked_mul(10)?.checked_add(u64::from(c - b'0')))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn entry(name: &str, seq: u64, kind: FileKind) -> ManifestEntry {
        ManifestEntry { name: name.to_string(), seq, kind }
    }

    #[test]
    fn parse_orders_base_history_incr_and_round_trips() {
        // Proves lines in any order load into Redis's order, comments and unknown pairs are
        // skipped, and writing gives back Redis's own text.
        let text = b"# written by hand\n\
            file appendonly.aof.3.incr.aof seq 3 type i\n\
            file appendonly.aof.1.incr.aof seq 1 type h\n\
            FILE appendonly.aof.2.base.rdb SEQ 2 TYPE b future yes\n\
            file appendonly.aof.4.incr.aof seq 4 type i\n";
        let manifest = Manifest::parse(text).unwrap();
        assert_eq!(
            manifest.entries,
            vec![
                entry("appendonly.aof.2.base.rdb", 2, FileKind::Base),
                entry("appendonly.aof.1.incr.aof", 1, FileKind::History),
                entry("appendonly.aof.3.incr.aof", 3, FileKind::Incr),
                entry("appendonly.aof.4.incr.aof", 4, FileKind::Incr),
            ]
        );
        assert_eq!((manifest.base_seq, manifest.incr_seq), (2, 4));
        assert_eq!(
            String::from_utf8(manifest.to_bytes()).unwrap(),
            "file appendonly.aof.2.base.rdb seq 2 type b\n\
             file appendonly.aof.1.incr.aof seq 1 type h\n\
             file appendonly.aof.3.incr.aof seq 3 type i\n\
             file appendonly.aof.4.incr.aof seq 4 type i\n"
        );
        assert_eq!(Manifest::parse(&manifest.to_bytes()).unwrap(), manifest);
        let names: Vec<&str> = manifest.files_to_load().map(|e| e.name.as_str()).collect();
        assert_eq!(names, ["appendonly.aof.2.base.rdb", "appendonly.aof.3.incr.aof", "appendonly.aof.4.incr.aof"]);
    }

    #[test]
    fn names_needing_quotes_are_written_as_sdscatrepr() {
        // Proves a name with a blank or quote is quoted exactly as Redis 7.0.15 wrote it for
        // `appendfilename 'my "aof'`, and reads back.
        let mut manifest = Manifest::default();
        manifest.new_base("my \"aof", true);
        manifest.new_incr("my \"aof");
        manifest.new_base("my \"aof", true);
        manifest.take_history();
        manifest.new_incr("my \"aof");
        manifest.mark_rewritten_incrs_as_history(true);
        manifest.take_history();
        let text = manifest.to_bytes();
        assert_eq!(
            String::from_utf8(text.clone()).unwrap(),
            "file \"my \\\"aof.2.base.rdb\" seq 2 type b\nfile \"my \\\"aof.2.incr.aof\" seq 2 type i\n"
        );
        assert_eq!(Manifest::parse(&text).unwrap(), manifest);
    }

    #[test]
    fn malformed_manifests_fail_with_redis_messages() {
        // Proves each refusal carries the text Redis 7.0.15 logs for it (checked with
        // redis-server and redis-check-aof on the same files).
        let cases: &[(&[u8], &str)] = &[
            (b"", "Found an empty AOF manifest"),
            (b"file a seq 1 type i", "The AOF manifest file contains too long line"),
            (b"\n", "Invalid AOF manifest file format"),
            (b"   \t\r\n", "Invalid AOF manifest file format"),
            (b"file a seq 1\n", "Invalid AOF manifest file format"),
            (b"file a seq 1 type i extra\n", "Invalid AOF manifest file format"),
            (b"file a seq 0 type i\n", "Invalid AOF manifest file format"),
            (b"file a seq -1 type b\n", "Invalid AOF manifest file format"),
            (b"file \"a seq 1 type b\n", "Invalid AOF manifest file format"),
            (b"seq 1 type b x y\n", "Invalid AOF manifest file format"),
            (b"file a seq 1 type \"\"\n", "Invalid AOF manifest file format"),
            (b"file a/b seq 1 type i\n", "File can't be a path, just a filename"),
            (b"file a\\\\b seq 1 type i\n", "File can't be a path, just a filename"),
            (b"file a seq 1 type b\nfile b seq 2 type b\n", "Found duplicate base file information"),
            (b"file a seq 2 type i\nfile b seq 2 type i\n", "Found a non-monotonic sequence number"),
            (b"file a seq 1 type x\n", "Unknown AOF file type"),
        ];
        for (text, message) in cases {
            assert_eq!(Manifest::parse(text), Err(ManifestError::new(message)), "{:?}", String::from_utf8_lossy(text));
        }
    }

    #[test]
    fn lines_are_read_as_fgets_reads_them() {
        // Proves the 1024-byte line limit: a long comment's tail is read as a line of its own,
        // a long entry fails, and `type` takes the value's first letter as Redis does.
        let mut long_comment = vec![b'#'; 1];
        long_comment.extend(std::iter::repeat_n(b'x', 1100));
        long_comment.push(b'\n');
        assert_eq!(Manifest::parse(&long_comment), Err(ManifestError::new("Invalid AOF manifest file format")));
        let long_name = format!("file {} seq 1 type b\n", "n".repeat(1020));
        assert_eq!(
            Manifest::parse(long_name.as_bytes()),
            Err(ManifestError::new("The AOF manifest file contains too long line"))
        );
        let manifest = Manifest::parse(b"#only a comment\nfile a seq 7x type incr\n").unwrap();
        assert_eq!(manifest.entries, vec![entry("a", 7, FileKind::Incr)]);
        assert_eq!(Manifest::parse(b"# nothing else\n").unwrap(), Manifest::default());
    }

    #[test]
    fn rewrite_bookkeeping_follows_aof_c() {
        // Proves names, kinds and order through start, rewrites with the AOF on and off and
        // switching it back on: the manifests are the ones Redis 7.0.15 wrote for the same
        // steps (with aof-disable-auto-gc yes so the history stays listed).
        let name = "appendonly.aof";
        let mut manifest = Manifest::default();
        assert!(manifest.is_empty());
        // Start with an empty dataset: a base is forced, then the incr file is opened.
        assert_eq!(manifest.new_base(name, true), "appendonly.aof.1.base.rdb");
        assert_eq!(manifest.last_or_new_incr(name), "appendonly.aof.1.incr.aof");
        assert_eq!(manifest.last_or_new_incr(name), "appendonly.aof.1.incr.aof");
        // BGREWRITEAOF: a new incr file opens first; when the rewrite is done the new base
        // replaces the old one and the covered incr files become history.
        assert_eq!(manifest.new_incr(name), "appendonly.aof.2.incr.aof");
        assert_eq!(manifest.new_base(name, true), "appendonly.aof.2.base.rdb");
        manifest.mark_rewritten_incrs_as_history(true);
        assert_eq!(
            String::from_utf8(manifest.to_bytes()).unwrap(),
            "file appendonly.aof.2.base.rdb seq 2 type b\n\
             file appendonly.aof.1.incr.aof seq 1 type h\n\
             file appendonly.aof.1.base.rdb seq 1 type h\n\
             file appendonly.aof.2.incr.aof seq 2 type i\n"
        );
        // CONFIG SET appendonly no, BGREWRITEAOF: no incr file is open, all become history.
        assert_eq!(manifest.new_base(name, true), "appendonly.aof.3.base.rdb");
        manifest.mark_rewritten_incrs_as_history(false);
        assert_eq!(manifest.incrs().count(), 0);
        // CONFIG SET appendonly yes: a rewrite, then the incr file gets the next number.
        assert_eq!(manifest.new_base(name, true), "appendonly.aof.4.base.rdb");
        manifest.mark_rewritten_incrs_as_history(false);
        assert_eq!(manifest.new_incr(name), "appendonly.aof.3.incr.aof");
        assert_eq!(
            String::from_utf8(manifest.to_bytes()).unwrap(),
            "file appendonly.aof.4.base.rdb seq 4 type b\n\
             file appendonly.aof.3.base.rdb seq 3 type h\n\
             file appendonly.aof.2.incr.aof seq 2 type h\n\
             file appendonly.aof.2.base.rdb seq 2 type h\n\
             file appendonly.aof.1.incr.aof seq 1 type h\n\
             file appendonly.aof.1.base.rdb seq 1 type h\n\
             file appendonly.aof.3.incr.aof seq 3 type i\n"
        );
        assert_eq!(manifest.history().count(), 5);
        let deleted = manifest.take_history();
        assert_eq!(deleted[0], "appendonly.aof.3.base.rdb");
        assert_eq!(deleted.len(), 5);
        assert_eq!(
            manifest.entries,
            vec![
                entry("appendonly.aof.4.base.rdb", 4, FileKind::Base),
                entry("appendonly.aof.3.incr.aof", 3, FileKind::Incr)
            ]
        );
    }

    #[test]
    fn upgrade_and_file_names() {
        // Proves the old single-file upgrade manifest and the fixed file names Redis uses.
        let manifest = Manifest::upgrade_from_single_file("appendonly.aof");
        assert_eq!(manifest.to_bytes(), b"file appendonly.aof seq 1 type b\n");
        assert_eq!(manifest_name("appendonly.aof"), "appendonly.aof.manifest");
        assert_eq!(temp_manifest_name("appendonly.aof"), "temp-appendonly.aof.manifest");
        assert_eq!(temp_incr_name("appendonly.aof"), "temp-appendonly.aof.incr");
    }

    #[test]
    fn mutated_manifests_parse_or_fail_without_panic() {
        // Proves seeded mutations of a valid manifest either fail with a message or parse into
        // a manifest that writes back to text that parses to the same entries.
        let valid =
            b"file appendonly.aof.2.base.rdb seq 2 type b\nfile \"a b\" seq 1 type h\nfile x.3.incr.aof seq 3 type i\n";
        let alphabet = b" \t\n\"'\\x0123456789abefhiqs#/";
        let mut rng = crate::rng::Rng::new(9);
        for _ in 0..5000 {
            let bytes = rng.mutate(valid, alphabet, 3);
            match Manifest::parse(&bytes) {
                // Nothing but comments: writing it back gives an empty file, which Redis refuses.
                Ok(manifest) if manifest.entries.is_empty() => assert!(manifest.to_bytes().is_empty()),
                Ok(manifest) => {
                    let again = Manifest::parse(&manifest.to_bytes()).unwrap_or_else(|e| panic!("{e}: {bytes:?}"));
                    assert_eq!(again.entries, manifest.entries, "{bytes:?}");
                }
                Err(e) => assert!(!e.0.is_empty()),
            }
        }
    }
}
