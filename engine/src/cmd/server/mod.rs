//! The server family: configuration and server control (ACL *, CONFIG *, DEBUG, SHUTDOWN, the
//! persistence commands), the operators' views (SLOWLOG *, LATENCY *, ROLE, LOLWUT) and TIME.
//! All but TIME run in the node (`NodeCmd`): they read or change server state the engine does
//! not hold.

mod time;

use super::node::NodeCmd;
use super::redis_specs as s;
use super::table::{container, engine, node, Command};

/// The family's rows in the command table.
pub static COMMANDS: &[Command] = &[
    container(&s::ACL),
    node(&s::ACL_WHOAMI, NodeCmd::AclWhoami),
    node(&s::ACL_USERS, NodeCmd::AclUsers),
    node(&s::ACL_LIST, NodeCmd::AclList),
    node(&s::ACL_GETUSER, NodeCmd::AclGetuser),
    node(&s::ACL_CAT, NodeCmd::AclCat),
    node(&s::ACL_HELP, NodeCmd::AclHelp),
    node(&s::ACL_LOG, NodeCmd::AclLog),
    node(&s::ACL_DRYRUN, NodeCmd::AclDryrun),
    container(&s::CONFIG),
    node(&s::CONFIG_GET, NodeCmd::ConfigGet),
    node(&s::CONFIG_SET, NodeCmd::ConfigSet),
    node(&s::CONFIG_RESETSTAT, NodeCmd::ConfigResetstat),
    node(&s::CONFIG_REWRITE, NodeCmd::ConfigRewrite),
    node(&s::CONFIG_HELP, NodeCmd::ConfigHelp),
    node(&s::DEBUG, NodeCmd::Debug),
    node(&s::SHUTDOWN, NodeCmd::Shutdown),
    node(&s::SAVE, NodeCmd::Save),
    node(&s::BGSAVE, NodeCmd::Bgsave),
    node(&s::LASTSAVE, NodeCmd::Lastsave),
    node(&s::BGREWRITEAOF, NodeCmd::Bgrewriteaof),
    container(&s::SLOWLOG),
    node(&s::SLOWLOG_GET, NodeCmd::SlowlogGet),
    node(&s::SLOWLOG_LEN, NodeCmd::SlowlogLen),
    node(&s::SLOWLOG_RESET, NodeCmd::SlowlogReset),
    node(&s::SLOWLOG_HELP, NodeCmd::SlowlogHelp),
    container(&s::LATENCY),
    node(&s::LATENCY_LATEST, NodeCmd::LatencyLatest),
    node(&s::LATENCY_HISTORY, NodeCmd::LatencyHistory),
    node(&s::LATENCY_RESET, NodeCmd::LatencyReset),
    node(&s::LATENCY_GRAPH, NodeCmd::LatencyGraph),
    node(&s::LATENCY_DOCTOR, NodeCmd::LatencyDoctor),
    node(&s::LATENCY_HISTOGRAM, NodeCmd::LatencyHistogram),
    node(&s::LATENCY_HELP, NodeCmd::LatencyHelp),
    node(&s::ROLE, NodeCmd::Role),
    node(&s::LOLWUT, NodeCmd::Lolwut),
    engine(&s::TIME, time::time),
];
