//! Per-client commands: PING, SELECT, QUIT, RESET, HELLO, CLIENT *, and INFO.

use verdis_engine::cmd::node::NodeCmd;
use verdis_engine::{CmdError, Reply};

use super::super::{ClientId, Node};

impl Node {
    /// Runs a connection command (SELECT, QUIT, RESET, HELLO, CLIENT *, INFO).
    pub(super) fn exec_connection(&mut self, cmd: NodeCmd, id: ClientId, argv: &[&[u8]]) -> Result<Reply, CmdError> {
        let _ = (id, argv);
        Err(CmdError::unknown_command(&[format!("{cmd:?}").as_bytes()]))
    }
}

/// PING [message]
pub(super) fn ping(argv: &[&[u8]]) -> Result<Reply, CmdError> {
    match argv.len() {
        1 => Ok(Reply::simple("PONG")),
        2 => Ok(Reply::bulk(argv[1])),
        _ => Err(CmdError::WrongArity("ping".into())),
    }
}
