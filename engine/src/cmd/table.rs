//! The command table: every command verdis implements, once.
//!
//! A row pairs Redis's own description of the command (`redis_specs`) with its handler. Each
//! family lists its rows in its own `COMMANDS`; this module joins them and answers lookups. The
//! table drives arity errors, COMMAND and its subcommands, admission checks by flag, and the
//! conformance generators.

use std::collections::HashMap;
use std::hash::BuildHasherDefault;
use std::sync::OnceLock;

use siphasher::sip::SipHasher13;

use super::ctx::Ctx;
use super::node::NodeCmd;
use super::spec::CommandSpec;
use crate::error::CmdError;
use crate::reply::Reply;

/// A handler the engine runs: the argv (name included) in, a reply or an error out.
pub type EngineFn = fn(&mut Ctx, &[&[u8]]) -> Result<Reply, CmdError>;

/// Who executes a command.
#[derive(Clone, Copy, Debug)]
pub enum Handler {
    /// The engine, on the keyspace.
    Engine(EngineFn),
    /// The node, because the command needs client or server state (matched exhaustively there).
    Node(NodeCmd),
    /// A container whose subcommands carry the handlers (CONFIG, CLIENT, OBJECT...).
    Container,
}

/// One row of the table.
#[derive(Debug)]
pub struct Command {
    /// What Redis says about the command.
    pub spec: &'static CommandSpec,
    /// Who runs it.
    pub handler: Handler,
}

/// A row for an engine command.
pub const fn engine(spec: &'static CommandSpec, f: EngineFn) -> Command {
    Command { spec, handler: Handler::Engine(f) }
}

/// A row for a node command.
pub const fn node(spec: &'static CommandSpec, cmd: NodeCmd) -> Command {
    Command { spec, handler: Handler::Node(cmd) }
}

/// A row for a container command.
pub const fn container(spec: &'static CommandSpec) -> Command {
    Command { spec, handler: Handler::Container }
}

/// Every family's rows.
fn families() -> [&'static [Command]; 16] {
    [
        super::string::COMMANDS,
        super::bitmap::COMMANDS,
        super::keys::COMMANDS,
        super::connection::COMMANDS,
        super::server::COMMANDS,
        super::introspect::COMMANDS,
        super::hash::COMMANDS,
        super::set::COMMANDS,
        super::list::COMMANDS,
        super::zset::COMMANDS,
        super::geo::COMMANDS,
        super::transactions::COMMANDS,
        super::pubsub::COMMANDS,
        super::hyperloglog::COMMANDS,
        super::scripting::COMMANDS,
        super::stream::COMMANDS,
    ]
}

/// The index's hasher: fixed keys, since its keys are our own command names (no client picks
/// them, so no flooding to defend against) and the core takes no randomness from the OS.
type IndexHasher = BuildHasherDefault<SipHasher13>;

fn index() -> &'static HashMap<&'static str, &'static Command, IndexHasher> {
    static INDEX: OnceLock<HashMap<&'static str, &'static Command, IndexHasher>> = OnceLock::new();
    INDEX.get_or_init(|| {
        let mut map = HashMap::default();
        for cmd in families().into_iter().flatten() {
            let previous = map.insert(cmd.spec.name, cmd);
            assert!(previous.is_none(), "command {} declared twice", cmd.spec.name);
        }
        map
    })
}

/// Longest command name Redis has (plus room for `container|sub`).
const NAME_LEN_MAX: usize = 64;

/// The row for a top-level command name, any case.
pub fn lookup(name: &[u8]) -> Option<&'static Command> {
    if name.len() > NAME_LEN_MAX {
        return None;
    }
    let mut buf = [0u8; NAME_LEN_MAX];
    let lower = &mut buf[..name.len()];
    lower.copy_from_slice(name);
    lower.make_ascii_lowercase();
    index().get(std::str::from_utf8(lower).ok()?).copied()
}

/// The row for `container sub`, any case.
pub fn lookup_sub(container: &Command, sub: &[u8]) -> Option<&'static Command> {
    let full = format!("{}|{}", container.spec.name, String::from_utf8_lossy(sub).to_ascii_lowercase());
    index().get(full.as_str()).copied()
}

/// Every implemented top-level command (subcommands are reached through their container).
pub fn commands() -> impl Iterator<Item = &'static Command> {
    families().into_iter().flatten().filter(|c| !c.spec.name.contains('|'))
}

/// Every implemented row, subcommands included.
pub fn all_rows() -> impl Iterator<Item = &'static Command> {
    families().into_iter().flatten()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lookup_ignores_case_and_rejects_unknown() {
        assert_eq!(lookup(b"GeT").unwrap().spec.name, "get");
        assert!(lookup(b"nosuchcommand").is_none());
        assert!(lookup(&[b'x'; 200]).is_none());
    }

    #[test]
    fn every_subcommand_row_has_its_container() {
        for row in all_rows() {
            if let Some((parent, _)) = row.spec.name.split_once('|') {
                let c = lookup(parent.as_bytes()).unwrap_or_else(|| panic!("{parent} missing"));
                assert!(c.spec.subcommands.iter().any(|s| s.name == row.spec.name));
            }
        }
    }
}
