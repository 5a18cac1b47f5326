//! `rename-command old new` (redis.conf only: CONFIG SET cannot rename): the command table as
//! clients see it. A renamed command answers to its new name only, keeps its row (flags, arity,
//! key specs), and a command renamed to "" is gone. Every command lookup of the node goes
//! through `CommandRenames::lookup`, so a hidden FLUSHALL is hidden from clients, MULTI,
//! scripts and the AOF loader alike.

use verdis_engine::cmd::table::{self, Command};

/// The renames read from the configuration, in file order, names lower-cased.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct CommandRenames {
    /// (original name, new name); an empty new name disables the command.
    renames: Vec<(String, String)>,
}

impl CommandRenames {
    /// The row a client's command name reaches, after the renames.
    pub fn lookup(&self, name: &[u8]) -> Option<&'static Command> {
        if self.renames.is_empty() {
            return table::lookup(name);
        }
        let name = String::from_utf8_lossy(name).to_ascii_lowercase();
        if let Some((old, _)) = self.renames.iter().find(|(_, new)| *new == name) {
            return table::lookup(old.as_bytes());
        }
        if self.renames.iter().any(|(old, _)| *old == name) {
            return None;
        }
        table::lookup(name.as_bytes())
    }

    /// Adds `rename-command old new`, with Redis's checks and errors.
    pub fn add(&mut self, old: &str, new: &str) -> Result<(), String> {
        let (old, new) = (old.to_ascii_lowercase(), new.to_ascii_lowercase());
        if self.lookup(old.as_bytes()).is_none() {
            return Err("No such command in rename-command".into());
        }
        if !new.is_empty() && self.lookup(new.as_bytes()).is_some() {
            return Err("Target command name already exists".into());
        }
        // A command renamed twice: its row is reached by the latest name only.
        match self.renames.iter_mut().find(|(_, current)| *current == old) {
            Some(entry) => entry.1 = new,
            None => self.renames.push((old, new)),
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn renames_follow_redis_rules() {
        // Proves a renamed command answers to its new name only and keeps its row, that "" hides
        // a command, and Redis's two errors (checked on redis-server 7.0.15).
        let mut renames = CommandRenames::default();
        renames.add("FLUSHALL", "").unwrap();
        renames.add("get", "fetch").unwrap();
        renames.add("set", "get").unwrap();
        assert!(renames.lookup(b"flushall").is_none());
        assert_eq!(renames.lookup(b"FETCH").unwrap().spec.name, "get");
        assert_eq!(renames.lookup(b"get").unwrap().spec.name, "set");
        assert!(renames.lookup(b"set").is_none());
        assert_eq!(renames.lookup(b"del").unwrap().spec.name, "del");
        assert_eq!(renames.add("nosuch", "x").unwrap_err(), "No such command in rename-command");
        assert_eq!(renames.add("del", "fetch").unwrap_err(), "Target command name already exists");
        renames.add("fetch", "grab").unwrap();
        assert_eq!(renames.lookup(b"grab").unwrap().spec.name, "get");
        assert!(renames.lookup(b"fetch").is_none());
    }
}
