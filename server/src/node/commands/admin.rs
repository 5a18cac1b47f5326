//! Configuration and server control: CONFIG *, DEBUG, SHUTDOWN.

use verdis_engine::cmd::node::NodeCmd;
use verdis_engine::{CmdError, Reply};

use super::super::{ClientId, Node};

impl Node {
    /// Runs an admin command (CONFIG *, DEBUG, SHUTDOWN).
    pub(super) fn exec_admin(&mut self, cmd: NodeCmd, id: ClientId, argv: &[&[u8]]) -> Result<Reply, CmdError> {
        let _ = (id, argv);
        Err(CmdError::unknown_command(&[format!("{cmd:?}").as_bytes()]))
    }
}
