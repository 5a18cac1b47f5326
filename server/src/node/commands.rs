//! Handlers for the commands the node runs itself (`NodeCmd`): they need client or server state.

use verdis_engine::cmd::node::NodeCmd;
use verdis_engine::{CmdError, Reply};

use super::{ClientId, Node};

impl Node {
    /// Runs a node command for client `id`.
    pub(super) fn exec_node(&mut self, cmd: NodeCmd, _id: ClientId, argv: &[&[u8]]) -> Result<Reply, CmdError> {
        match cmd {
            NodeCmd::Ping => ping(argv),
        }
    }
}

/// PING [message]
fn ping(argv: &[&[u8]]) -> Result<Reply, CmdError> {
    match argv.len() {
        1 => Ok(Reply::simple("PONG")),
        2 => Ok(Reply::bulk(argv[1])),
        _ => Err(CmdError::WrongArity("ping".into())),
    }
}
