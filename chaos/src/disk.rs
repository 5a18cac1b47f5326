//! The virtual disk: the node's disk contract (`verdis_server::node::disk`) with a page cache
//! that reaches the durable image only on fsync, and the faults real disks have.
//!
//! Model: every file is an inode with its durable bytes and the mutations made since its last
//! fsync (the page cache is the durable bytes with those applied). Directory entries are
//! likewise durable or pending: a create is durable once its file is fsynced (as ext4 commits
//! the entry with the file), a rename or remove once its directory is fsynced.
//!
//! A crash keeps, for each file, its durable bytes plus a random prefix of its pending
//! mutations (the kernel may have written some back), the last kept append possibly torn at a
//! 512-byte sector boundary; and for the namespace, the durable entries plus a random prefix of
//! the pending entry changes (metadata journals commit in order). That is all the reordering the
//! contract allows: nothing after an unsynced write survives without it.

use std::collections::{BTreeMap, BTreeSet};

use verdis_server::node::{DiskError, DiskOk, DiskOp, DiskResult};

use crate::decide::Decider;

/// Sector size: the unit a torn write is cut at and a corruption damages.
pub const SECTOR_BYTES: u64 = 512;

/// Fault probabilities and limits for one disk.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct DiskFaults {
    /// An fsync fails with EIO (nothing becomes durable).
    pub fsync_eio: f64,
    /// A write fails with ENOSPC before writing anything.
    pub enospc: f64,
    /// A write stores a prefix of its bytes, then fails with ENOSPC.
    pub short_write: f64,
    /// At a crash, the last surviving unsynced append is torn at a sector boundary.
    pub torn: f64,
    /// At a crash, one sector of one durable file is corrupted.
    pub corrupt: f64,
    /// Capacity: writes past it fail with ENOSPC (0 = unlimited).
    pub capacity_bytes: u64,
}

/// What faults the disk fired, by kind.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct DiskFaultCounts {
    /// Failed fsyncs.
    pub fsync_eio: u64,
    /// Writes refused for space.
    pub enospc: u64,
    /// Partial writes.
    pub short_write: u64,
    /// Torn tails at a crash.
    pub torn: u64,
    /// Corrupted sectors.
    pub corrupt: u64,
    /// Unsynced mutations lost at crashes.
    pub lost_mutations: u64,
}

#[derive(Clone, Debug)]
enum Mutation {
    /// Replace the whole content (create/truncate-and-write).
    Replace(Vec<u8>),
    /// Append bytes.
    Append(Vec<u8>),
    /// Cut or extend (with zeros) to a length.
    SetLen(u64),
}

fn apply_mutation(data: &mut Vec<u8>, m: &Mutation) {
    match m {
        Mutation::Replace(b) => {
            data.clear();
            data.extend_from_slice(b);
        }
        Mutation::Append(b) => data.extend_from_slice(b),
        Mutation::SetLen(n) => data.resize(*n as usize, 0),
    }
}

#[derive(Clone, Debug, Default)]
struct Inode {
    /// What reads see (durable + pending applied).
    data: Vec<u8>,
    /// What survives a crash for sure.
    durable: Vec<u8>,
    /// Mutations since the last fsync, in order.
    pending: Vec<Mutation>,
}

#[derive(Clone, Debug, PartialEq)]
enum Entry {
    Link { path: String, ino: u64 },
    Rename { from: String, to: String },
    Unlink { path: String },
}

impl Entry {
    fn dirs(&self) -> Vec<&str> {
        match self {
            Entry::Link { path, .. } | Entry::Unlink { path } => vec![parent(path)],
            Entry::Rename { from, to } => vec![parent(from), parent(to)],
        }
    }

    fn apply(&self, ns: &mut BTreeMap<String, u64>) {
        match self {
            Entry::Link { path, ino } => {
                ns.insert(path.clone(), *ino);
            }
            Entry::Rename { from, to } => {
                if let Some(ino) = ns.remove(from) {
                    ns.insert(to.clone(), ino);
                }
            }
            Entry::Unlink { path } => {
                ns.remove(path);
            }
        }
    }
}

/// The directory holding `path` (`"."` for the working directory).
pub fn parent(path: &str) -> &str {
    match path.rfind('/') {
        Some(i) => &path[..i],
        None => ".",
    }
}

/// What an fsync applies to, resolved when it is issued.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum FsyncTarget {
    /// A file, by the name it had and its inode.
    File {
        /// The name when the fsync was issued.
        path: String,
        /// The file itself.
        ino: u64,
    },
    /// A directory.
    Dir(String),
    /// Nothing by that name.
    Missing,
}

/// A disk: files, directories, their durable image, and the fault plan.
#[derive(Clone, Debug, Default)]
pub struct VirtualDisk {
    inodes: BTreeMap<u64, Inode>,
    next_ino: u64,
    /// Names as the running system sees them.
    visible: BTreeMap<String, u64>,
    /// Names that survive a crash.
    durable: BTreeMap<String, u64>,
    /// Entry changes not yet durable, in order.
    pending: Vec<Entry>,
    /// Directories (made durable at once: the working directory's subdirectories are few).
    dirs: BTreeSet<String>,
    /// The fault plan.
    pub faults: DiskFaults,
    /// Faults fired so far.
    pub fired: DiskFaultCounts,
    /// Files corrupted at rest since the last `take_corrupted`.
    corrupted: BTreeSet<String>,
}

impl VirtualDisk {
    /// An empty disk with `faults`.
    pub fn new(faults: DiskFaults) -> VirtualDisk {
        VirtualDisk { faults, next_ino: 1, ..VirtualDisk::default() }
    }

    fn used_bytes(&self) -> u64 {
        self.inodes.values().map(|i| i.data.len() as u64).sum()
    }

    fn is_dir(&self, path: &str) -> bool {
        path == "." || self.dirs.contains(path)
    }

    /// The inode named `path`, creating an empty file if missing.
    fn open_or_create(&mut self, path: &str) -> u64 {
        if let Some(&ino) = self.visible.get(path) {
            return ino;
        }
        let ino = self.next_ino;
        self.next_ino += 1;
        self.inodes.insert(ino, Inode::default());
        self.visible.insert(path.to_string(), ino);
        self.pending.push(Entry::Link { path: path.to_string(), ino });
        ino
    }

    /// Checks space for `len` more bytes, drawing the ENOSPC and short-write faults: `Ok(n)`
    /// writes `n` bytes (`n < len` is a short write, reported as ENOSPC after writing).
    fn admit_write(&mut self, len: usize, decide: &mut Decider) -> Result<usize, DiskError> {
        let over = self.faults.capacity_bytes > 0 && self.used_bytes() + len as u64 > self.faults.capacity_bytes;
        if over || decide.chance(self.faults.enospc) {
            self.fired.enospc += 1;
            return Err(DiskError::no_space());
        }
        if len > 1 && decide.chance(self.faults.short_write) {
            self.fired.short_write += 1;
            return Ok(decide.range(1, len as u64 - 1) as usize);
        }
        Ok(len)
    }

    /// Carries out `op` now (its effects are visible to later operations at once).
    pub fn execute(&mut self, op: &DiskOp, decide: &mut Decider) -> DiskResult {
        match op {
            DiskOp::Read { path } => match self.visible.get(path) {
                Some(ino) => Ok(DiskOk::Data(self.inodes[ino].data.clone())),
                None => Err(DiskError::not_found()),
            },
            DiskOp::List { dir } => {
                if !self.is_dir(dir) {
                    return Err(DiskError::not_found());
                }
                let mut names: Vec<String> = self
                    .visible
                    .keys()
                    .map(String::as_str)
                    .chain(self.dirs.iter().map(String::as_str))
                    .filter(|p| parent(p) == dir)
                    .map(|p| p.rsplit('/').next().unwrap_or(p).to_string())
                    .collect();
                names.sort();
                Ok(DiskOk::Names(names))
            }
            DiskOp::MakeDir { path } => {
                self.dirs.insert(path.clone());
                Ok(DiskOk::Done)
            }
            DiskOp::Create { path, bytes } => {
                if !self.is_dir(parent(path)) {
                    return Err(DiskError::not_found());
                }
                let n = self.admit_write(bytes.len(), decide)?;
                let ino = self.open_or_create(path);
                let m = Mutation::Replace(bytes[..n].to_vec());
                let inode = self.inodes.get_mut(&ino).expect("linked inode");
                apply_mutation(&mut inode.data, &m);
                inode.pending.push(m);
                if n < bytes.len() {
                    return Err(DiskError::no_space());
                }
                Ok(DiskOk::Done)
            }
            DiskOp::Append { path, bytes } => {
                if !self.is_dir(parent(path)) {
                    return Err(DiskError::not_found());
                }
                let n = self.admit_write(bytes.len(), decide)?;
                let ino = self.open_or_create(path);
                let inode = self.inodes.get_mut(&ino).expect("linked inode");
                inode.data.extend_from_slice(&bytes[..n]);
                inode.pending.push(Mutation::Append(bytes[..n].to_vec()));
                if n < bytes.len() {
                    return Err(DiskError::no_space());
                }
                Ok(DiskOk::Done)
            }
            DiskOp::Truncate { path, len } => {
                let Some(&ino) = self.visible.get(path) else { return Err(DiskError::not_found()) };
                let inode = self.inodes.get_mut(&ino).expect("linked inode");
                let m = Mutation::SetLen(*len);
                apply_mutation(&mut inode.data, &m);
                inode.pending.push(m);
                Ok(DiskOk::Done)
            }
            DiskOp::Fsync { path } => {
                let target = self.fsync_target(path);
                self.fsync(&target, decide)
            }
            DiskOp::Rename { from, to } => {
                let Some(ino) = self.visible.remove(from) else { return Err(DiskError::not_found()) };
                self.visible.insert(to.clone(), ino);
                self.pending.push(Entry::Rename { from: from.clone(), to: to.clone() });
                Ok(DiskOk::Done)
            }
            DiskOp::Remove { path } => {
                if self.visible.remove(path).is_some() {
                    self.pending.push(Entry::Unlink { path: path.clone() });
                }
                Ok(DiskOk::Done)
            }
        }
    }

    /// What an fsync of `path` issued now will sync: like `fsync(2)` on a descriptor opened
    /// now, it follows the file, not the name (a later rename or remove does not change it).
    pub fn fsync_target(&self, path: &str) -> FsyncTarget {
        if self.is_dir(path) {
            return FsyncTarget::Dir(path.to_string());
        }
        match self.visible.get(path) {
            Some(&ino) => FsyncTarget::File { path: path.to_string(), ino },
            None => FsyncTarget::Missing,
        }
    }

    /// Carries out an fsync of `target` (which may have been resolved earlier).
    pub fn fsync(&mut self, target: &FsyncTarget, decide: &mut Decider) -> DiskResult {
        if decide.chance(self.faults.fsync_eio) {
            self.fired.fsync_eio += 1;
            return Err(DiskError::io());
        }
        match target {
            FsyncTarget::Missing => Err(DiskError::not_found()),
            FsyncTarget::Dir(dir) => {
                self.sync_dir(dir);
                Ok(DiskOk::Done)
            }
            FsyncTarget::File { path, ino } => {
                // A file removed since still syncs (its descriptor is open), to no lasting effect.
                let Some(inode) = self.inodes.get_mut(ino) else { return Ok(DiskOk::Done) };
                for m in std::mem::take(&mut inode.pending) {
                    apply_mutation(&mut inode.durable, &m);
                }
                debug_assert_eq!(inode.durable, inode.data);
                // The file's own entry commits with it.
                let link = Entry::Link { path: path.clone(), ino: *ino };
                if let Some(i) = self.pending.iter().position(|e| *e == link) {
                    self.pending.remove(i).apply(&mut self.durable);
                }
                Ok(DiskOk::Done)
            }
        }
    }

    fn sync_dir(&mut self, dir: &str) {
        let (now, later): (Vec<Entry>, Vec<Entry>) =
            std::mem::take(&mut self.pending).into_iter().partition(|e| e.dirs().contains(&dir));
        for e in &now {
            e.apply(&mut self.durable);
        }
        self.pending = later;
    }

    /// Power loss: what survives becomes the whole disk. Draws which unsynced data the kernel
    /// had written back, tears, and corruption.
    pub fn crash(&mut self, decide: &mut Decider) {
        // The namespace: durable entries plus an in-order prefix of pending ones.
        let keep = decide.below(self.pending.len() as u64 + 1) as usize;
        let mut names = std::mem::take(&mut self.durable);
        for e in &self.pending[..keep] {
            e.apply(&mut names);
        }
        self.fired.lost_mutations += (self.pending.len() - keep) as u64;
        self.pending.clear();
        // Each surviving file: durable bytes plus a prefix of its pending mutations.
        let live: BTreeSet<u64> = names.values().copied().collect();
        let mut inodes = BTreeMap::new();
        for (ino, inode) in std::mem::take(&mut self.inodes) {
            if !live.contains(&ino) {
                continue;
            }
            let mut data = inode.durable;
            let keep = decide.below(inode.pending.len() as u64 + 1) as usize;
            self.fired.lost_mutations += (inode.pending.len() - keep) as u64;
            for (i, m) in inode.pending[..keep].iter().enumerate() {
                match m {
                    Mutation::Append(b) if i + 1 == keep && b.len() > 1 && decide.chance(self.faults.torn) => {
                        // The write reached the disk up to some sector boundary of the file.
                        let start = data.len() as u64;
                        let end = start + b.len() as u64;
                        let first_boundary = (start / SECTOR_BYTES + 1) * SECTOR_BYTES;
                        if first_boundary < end {
                            let sectors = (end - first_boundary) / SECTOR_BYTES + 1;
                            let cut = first_boundary + decide.below(sectors) * SECTOR_BYTES;
                            data.extend_from_slice(&b[..(cut.min(end) - start) as usize]);
                            self.fired.torn += 1;
                        } else {
                            data.extend_from_slice(b);
                        }
                    }
                    m => apply_mutation(&mut data, m),
                }
            }
            inodes.insert(ino, Inode { data: data.clone(), durable: data, pending: Vec::new() });
        }
        // Corruption at rest: one byte of one sector of one file.
        if !inodes.is_empty() && decide.chance(self.faults.corrupt) {
            let files: Vec<(&String, &u64)> = names.iter().collect();
            let (path, ino) = files[decide.below(files.len() as u64) as usize];
            let inode = inodes.get_mut(ino).expect("live inode");
            if !inode.data.is_empty() {
                let at = decide.below(inode.data.len() as u64) as usize;
                let flip = 1 + decide.below(255) as u8;
                inode.data[at] ^= flip;
                inode.durable[at] ^= flip;
                self.fired.corrupt += 1;
                self.corrupted.insert(path.clone());
            }
        }
        self.visible = names.clone();
        self.durable = names;
        self.inodes = inodes;
    }

    /// Files corrupted at rest since the last call.
    pub fn take_corrupted(&mut self) -> BTreeSet<String> {
        std::mem::take(&mut self.corrupted)
    }

    /// Erases everything (an operator restoring an empty data directory).
    pub fn wipe(&mut self) {
        let faults = self.faults.clone();
        let fired = self.fired.clone();
        *self = VirtualDisk { faults, fired, next_ino: self.next_ino, ..VirtualDisk::default() };
    }

    /// The visible content of `path` (tests and traces).
    pub fn contents(&self, path: &str) -> Option<&[u8]> {
        self.visible.get(path).map(|ino| self.inodes[ino].data.as_slice())
    }

    /// Visible file names, sorted.
    pub fn files(&self) -> Vec<String> {
        self.visible.keys().cloned().collect()
    }

    /// True when something is not yet durable.
    pub fn has_unsynced(&self) -> bool {
        !self.pending.is_empty() || self.inodes.values().any(|i| !i.pending.is_empty())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn s(x: &str) -> String {
        x.to_string()
    }

    fn run(d: &mut VirtualDisk, dec: &mut Decider, op: DiskOp) -> DiskResult {
        d.execute(&op, dec)
    }

    fn append(path: &str, b: &[u8]) -> DiskOp {
        DiskOp::Append { path: s(path), bytes: b.to_vec() }
    }

    #[test]
    fn fsynced_data_survives_and_unsynced_tail_is_a_prefix() {
        for seed in 0..200 {
            let mut dec = Decider::new(seed);
            let mut d = VirtualDisk::new(DiskFaults { torn: 0.5, ..DiskFaults::default() });
            run(&mut d, &mut dec, append("f", &[1u8; 700])).unwrap();
            run(&mut d, &mut dec, DiskOp::Fsync { path: s("f") }).unwrap();
            run(&mut d, &mut dec, append("f", &[2u8; 1500])).unwrap();
            run(&mut d, &mut dec, append("f", &[3u8; 10])).unwrap();
            d.crash(&mut dec);
            let got = d.contents("f").expect("created file was fsynced").to_vec();
            let full: Vec<u8> = [vec![1u8; 700], vec![2u8; 1500], vec![3u8; 10]].concat();
            assert!(got.len() >= 700 && full.starts_with(&got), "seed {seed}: not a prefix");
            let torn = got.len() != 700 && got.len() != 2200 && got.len() != 2210;
            assert!(!torn || got.len().is_multiple_of(512), "seed {seed}: torn off a sector boundary: {}", got.len());
        }
    }

    #[test]
    fn rename_needs_a_directory_fsync_and_unsynced_new_files_may_vanish() {
        let mut lost_rename = false;
        let mut kept_rename = false;
        for seed in 0..100 {
            let mut dec = Decider::new(seed);
            let mut d = VirtualDisk::new(DiskFaults::default());
            run(&mut d, &mut dec, DiskOp::Create { path: s("a.tmp"), bytes: b"new".to_vec() }).unwrap();
            run(&mut d, &mut dec, DiskOp::Fsync { path: s("a.tmp") }).unwrap();
            run(&mut d, &mut dec, DiskOp::Rename { from: s("a.tmp"), to: s("a") }).unwrap();
            d.crash(&mut dec);
            match (d.contents("a"), d.contents("a.tmp")) {
                (Some(b"new"), None) => kept_rename = true,
                (None, Some(b"new")) => lost_rename = true,
                other => panic!("seed {seed}: impossible state {other:?}"),
            }
            let mut d2 = VirtualDisk::new(DiskFaults::default());
            run(&mut d2, &mut dec, DiskOp::Create { path: s("b.tmp"), bytes: b"x".to_vec() }).unwrap();
            run(&mut d2, &mut dec, DiskOp::Fsync { path: s("b.tmp") }).unwrap();
            run(&mut d2, &mut dec, DiskOp::Rename { from: s("b.tmp"), to: s("b") }).unwrap();
            run(&mut d2, &mut dec, DiskOp::Fsync { path: s(".") }).unwrap();
            d2.crash(&mut dec);
            assert_eq!(d2.contents("b"), Some(&b"x"[..]));
            assert_eq!(d2.files(), vec![s("b")]);
        }
        assert!(lost_rename && kept_rename, "both outcomes are reachable");
    }

    #[test]
    fn faults_fire_as_planned() {
        let mut dec = Decider::new(9);
        let mut d = VirtualDisk::new(DiskFaults { fsync_eio: 1.0, capacity_bytes: 10, ..DiskFaults::default() });
        run(&mut d, &mut dec, append("f", b"12345")).unwrap();
        assert_eq!(run(&mut d, &mut dec, DiskOp::Fsync { path: s("f") }), Err(DiskError::io()));
        assert_eq!(run(&mut d, &mut dec, append("f", b"123456")), Err(DiskError::no_space()));
        assert_eq!(d.fired.fsync_eio, 1);
        assert_eq!(d.fired.enospc, 1);
        let mut d = VirtualDisk::new(DiskFaults { corrupt: 1.0, ..DiskFaults::default() });
        run(&mut d, &mut dec, append("g", b"abc")).unwrap();
        run(&mut d, &mut dec, DiskOp::Fsync { path: s("g") }).unwrap();
        d.crash(&mut dec);
        assert_ne!(d.contents("g"), Some(&b"abc"[..]));
        assert_eq!(d.take_corrupted().len(), 1);
    }

    #[test]
    fn an_fsync_follows_the_file_it_was_issued_for() {
        let mut dec = Decider::new(4);
        let mut d = VirtualDisk::new(DiskFaults::default());
        run(&mut d, &mut dec, append("f", b"data")).unwrap();
        let target = d.fsync_target("f");
        run(&mut d, &mut dec, DiskOp::Rename { from: s("f"), to: s("g") }).unwrap();
        assert_eq!(d.fsync(&target, &mut dec), Ok(DiskOk::Done), "a rename does not break an issued fsync");
        run(&mut d, &mut dec, DiskOp::Fsync { path: s(".") }).unwrap();
        d.crash(&mut dec);
        assert_eq!(d.contents("g"), Some(&b"data"[..]));
        let target = d.fsync_target("g");
        run(&mut d, &mut dec, DiskOp::Remove { path: s("g") }).unwrap();
        assert_eq!(d.fsync(&target, &mut dec), Ok(DiskOk::Done));
        assert_eq!(d.fsync(&d.fsync_target("g"), &mut dec), Err(DiskError::not_found()));
    }

    #[test]
    fn list_and_read_see_the_page_cache() {
        let mut dec = Decider::new(1);
        let mut d = VirtualDisk::new(DiskFaults::default());
        run(&mut d, &mut dec, DiskOp::MakeDir { path: s("aof") }).unwrap();
        run(&mut d, &mut dec, append("aof/x.incr", b"a")).unwrap();
        run(&mut d, &mut dec, DiskOp::Create { path: s("aof/m"), bytes: b"m".to_vec() }).unwrap();
        assert_eq!(run(&mut d, &mut dec, DiskOp::List { dir: s("aof") }), Ok(DiskOk::Names(vec![s("m"), s("x.incr")])));
        assert_eq!(run(&mut d, &mut dec, DiskOp::List { dir: s(".") }), Ok(DiskOk::Names(vec![s("aof")])));
        assert_eq!(run(&mut d, &mut dec, DiskOp::Read { path: s("aof/m") }), Ok(DiskOk::Data(b"m".to_vec())));
        assert_eq!(run(&mut d, &mut dec, DiskOp::Read { path: s("nope") }), Err(DiskError::not_found()));
        run(&mut d, &mut dec, DiskOp::Truncate { path: s("aof/m"), len: 0 }).unwrap();
        assert_eq!(d.contents("aof/m"), Some(&b""[..]));
    }
}
