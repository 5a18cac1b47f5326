//! Real files for the node's disk requests.
//!
//! Everything but `Fsync` runs at once on the event-loop thread, as Redis writes its AOF buffer
//! and renames files from its main thread: these calls reach only the page cache. `Fsync` goes to
//! one background thread (Redis's bio thread), so a slow disk never stalls the event loop; its
//! result comes back through a channel. Open files are cached so an append is one `write` call.

use std::collections::HashMap;
use std::fs::{File, OpenOptions};
use std::io::{ErrorKind, Write};
use std::sync::mpsc;

use tokio::sync::mpsc::UnboundedSender;

use crate::node::{DiskError, DiskErrorKind, DiskId, DiskOk, DiskOp, DiskResult};

/// Carries out disk operations; fsync results arrive on the channel given to `new`.
pub struct Disk {
    /// Files kept open for appends, by path.
    open: HashMap<String, File>,
    fsync: mpsc::Sender<(DiskId, String, Option<File>)>,
}

impl Disk {
    /// A disk whose background fsync results are sent to `done`.
    pub fn new(done: UnboundedSender<(DiskId, DiskResult)>) -> Disk {
        let (fsync, jobs) = mpsc::channel::<(DiskId, String, Option<File>)>();
        std::thread::Builder::new()
            .name("bio_aof".into())
            .spawn(move || {
                for (id, path, file) in jobs {
                    let result = match file {
                        Some(f) => f.sync_data(),
                        // Directories (and files not open for append) are opened to be synced.
                        None => File::open(&path).and_then(|f| f.sync_all()),
                    };
                    if done.send((id, result.map(|()| DiskOk::Done).map_err(disk_error))).is_err() {
                        return;
                    }
                }
            })
            .expect("spawn the fsync thread");
        Disk { open: HashMap::new(), fsync }
    }

    /// Carries out `op`. Returns its result now, or `None` for an fsync, whose result arrives
    /// later on the channel.
    pub fn run(&mut self, id: DiskId, op: DiskOp) -> Option<DiskResult> {
        let result = match op {
            DiskOp::Fsync { path } => {
                let file = self.open.get(&path).and_then(|f| f.try_clone().ok());
                if self.fsync.send((id, path, file)).is_ok() {
                    return None;
                }
                Err(std::io::Error::other("fsync thread gone"))
            }
            DiskOp::Read { path } => std::fs::read(&path).map(DiskOk::Data),
            DiskOp::List { dir } => std::fs::read_dir(&dir).and_then(|entries| {
                let mut names = Vec::new();
                for entry in entries {
                    names.push(entry?.file_name().to_string_lossy().into_owned());
                }
                names.sort();
                Ok(DiskOk::Names(names))
            }),
            DiskOp::MakeDir { path } => match std::fs::create_dir(&path) {
                Err(e) if e.kind() == ErrorKind::AlreadyExists => Ok(DiskOk::Done),
                other => other.map(|()| DiskOk::Done),
            },
            DiskOp::Create { path, bytes } => {
                self.open.remove(&path);
                OpenOptions::new().write(true).create(true).truncate(true).open(&path).and_then(|mut f| {
                    f.write_all(&bytes)?;
                    self.open.insert(path, f);
                    Ok(DiskOk::Done)
                })
            }
            DiskOp::Append { path, bytes } => self.append(path, &bytes),
            DiskOp::Truncate { path, len } => {
                self.open.remove(&path);
                OpenOptions::new().write(true).open(&path).and_then(|f| f.set_len(len)).map(|()| DiskOk::Done)
            }
            DiskOp::Rename { from, to } => {
                // The replaced file's handle goes; the renamed file's follows it to its new name.
                self.open.remove(&to);
                if let Some(f) = self.open.remove(&from) {
                    self.open.insert(to.clone(), f);
                }
                std::fs::rename(&from, &to).map(|()| DiskOk::Done)
            }
            DiskOp::Remove { path } => {
                self.open.remove(&path);
                match std::fs::remove_file(&path) {
                    Err(e) if e.kind() == ErrorKind::NotFound => Ok(DiskOk::Done),
                    other => other.map(|()| DiskOk::Done),
                }
            }
        };
        Some(result.map_err(disk_error))
    }

    fn append(&mut self, path: String, bytes: &[u8]) -> std::io::Result<DiskOk> {
        let file = match self.open.entry(path) {
            std::collections::hash_map::Entry::Occupied(e) => e.into_mut(),
            std::collections::hash_map::Entry::Vacant(e) => {
                let f = OpenOptions::new().create(true).append(true).open(e.key())?;
                e.insert(f)
            }
        };
        file.write_all(bytes)?;
        Ok(DiskOk::Done)
    }
}

/// The node's view of an OS error: its class and `strerror` text (without Rust's suffix).
fn disk_error(e: std::io::Error) -> DiskError {
    let kind = match e.kind() {
        ErrorKind::NotFound => DiskErrorKind::NotFound,
        ErrorKind::StorageFull => DiskErrorKind::NoSpace,
        _ => DiskErrorKind::Other,
    };
    DiskError { kind, message: crate::config::strerror(&e) }
}
