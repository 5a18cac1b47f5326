//! Handlers for the commands the node runs itself (`NodeCmd`): they need client or server state.
//! `acl` holds the ACL commands, `connection` per-client commands, `admin` configuration and server control, `observe`
//! the operators' views (SLOWLOG, LATENCY, ROLE, LOLWUT).

mod acl;
mod admin;
mod connection;
mod lolwut;
mod observe;

use verdis_engine::cmd::node::NodeCmd;
use verdis_engine::{CmdError, Reply};

use super::exec::Effects;
use super::{ClientId, Node};

impl Node {
    /// Runs a node command for client `id`.
    /// Commands that change the keyspace record what they did in `effects`, as engine commands
    /// do through their context.
    pub(super) fn exec_node(
        &mut self,
        cmd: NodeCmd,
        id: ClientId,
        argv: &[&[u8]],
        effects: &mut Effects,
    ) -> Result<Reply, CmdError> {
        match cmd {
            NodeCmd::Ping => self.ping(id, argv),
            NodeCmd::Subscribe
            | NodeCmd::Unsubscribe
            | NodeCmd::Psubscribe
            | NodeCmd::Punsubscribe
            | NodeCmd::Ssubscribe
            | NodeCmd::Sunsubscribe
            | NodeCmd::Publish
            | NodeCmd::Spublish
            | NodeCmd::PubsubChannels
            | NodeCmd::PubsubNumsub
            | NodeCmd::PubsubNumpat
            | NodeCmd::PubsubShardchannels
            | NodeCmd::PubsubShardnumsub
            | NodeCmd::PubsubHelp => self.exec_pubsub(cmd, id, argv),
            NodeCmd::Select
            | NodeCmd::Quit
            | NodeCmd::Reset
            | NodeCmd::Hello
            | NodeCmd::ClientId
            | NodeCmd::ClientSetname
            | NodeCmd::ClientGetname
            | NodeCmd::ClientList
            | NodeCmd::ClientInfo
            | NodeCmd::ClientKill
            | NodeCmd::ClientNoEvict
            | NodeCmd::ClientReply
            | NodeCmd::ClientHelp
            | NodeCmd::ClientUnblock
            | NodeCmd::Info => self.exec_connection(cmd, id, argv),
            NodeCmd::ConfigGet
            | NodeCmd::ConfigSet
            | NodeCmd::ConfigResetstat
            | NodeCmd::ConfigRewrite
            | NodeCmd::ConfigHelp
            | NodeCmd::Debug
            | NodeCmd::Shutdown
            | NodeCmd::Save
            | NodeCmd::Bgsave
            | NodeCmd::Lastsave
            | NodeCmd::Bgrewriteaof => self.exec_admin(cmd, id, argv, effects),
            NodeCmd::SlowlogGet
            | NodeCmd::SlowlogLen
            | NodeCmd::SlowlogReset
            | NodeCmd::SlowlogHelp
            | NodeCmd::LatencyLatest
            | NodeCmd::LatencyHistory
            | NodeCmd::LatencyReset
            | NodeCmd::LatencyGraph
            | NodeCmd::LatencyDoctor
            | NodeCmd::LatencyHistogram
            | NodeCmd::LatencyHelp
            | NodeCmd::Role
            | NodeCmd::Lolwut => self.exec_observe(cmd, argv),
            NodeCmd::Auth => self.auth_command(id, argv),
            NodeCmd::AclWhoami
            | NodeCmd::AclUsers
            | NodeCmd::AclList
            | NodeCmd::AclGetuser
            | NodeCmd::AclCat
            | NodeCmd::AclHelp
            | NodeCmd::AclLog
            | NodeCmd::AclDryrun => self.exec_acl(cmd, argv),
            NodeCmd::ClientTracking => self.client_tracking(id, argv),
            NodeCmd::ClientCaching => self.client_caching(id, argv[2]),
            NodeCmd::ClientGetredir => Ok(self.client_getredir(id)),
            NodeCmd::ClientTrackinginfo => Ok(self.client_trackinginfo(id)),
            NodeCmd::ClientPause => self.client_pause(argv),
            NodeCmd::ClientUnpause => Ok(self.client_unpause()),
            NodeCmd::Monitor => self.monitor_command(id),
            NodeCmd::Multi => self.multi_command(id),
            NodeCmd::Exec => self.exec_command(id, effects),
            NodeCmd::Discard => self.discard_command(id),
            NodeCmd::Watch => self.watch_command(id, argv),
            NodeCmd::Unwatch => self.unwatch_command(id),
            NodeCmd::Eval
            | NodeCmd::EvalRo
            | NodeCmd::Evalsha
            | NodeCmd::EvalshaRo
            | NodeCmd::ScriptLoad
            | NodeCmd::ScriptExists
            | NodeCmd::ScriptFlush
            | NodeCmd::ScriptKill
            | NodeCmd::ScriptHelp => self.exec_script(cmd, id, argv, effects),
            NodeCmd::Fcall
            | NodeCmd::FcallRo
            | NodeCmd::FunctionLoad
            | NodeCmd::FunctionDelete
            | NodeCmd::FunctionList
            | NodeCmd::FunctionFlush
            | NodeCmd::FunctionDump
            | NodeCmd::FunctionRestore
            | NodeCmd::FunctionStats
            | NodeCmd::FunctionKill
            | NodeCmd::FunctionHelp => self.exec_function(cmd, Some(id), argv, effects),
        }
    }
}
