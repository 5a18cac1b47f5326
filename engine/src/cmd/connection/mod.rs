//! The connection family: per-client commands (PING, ECHO, SELECT, AUTH, HELLO, CLIENT *...) and INFO.
//! Most run in the node (`NodeCmd`) because they read or change client state; ECHO needs none.

mod echo;

use super::node::NodeCmd;
use super::redis_specs as s;
use super::table::{container, engine, node, Command};

/// The family's rows in the command table.
pub static COMMANDS: &[Command] = &[
    node(&s::PING, NodeCmd::Ping),
    engine(&s::ECHO, echo::echo),
    node(&s::SELECT, NodeCmd::Select),
    node(&s::QUIT, NodeCmd::Quit),
    node(&s::RESET, NodeCmd::Reset),
    node(&s::AUTH, NodeCmd::Auth),
    node(&s::HELLO, NodeCmd::Hello),
    container(&s::CLIENT),
    node(&s::CLIENT_ID, NodeCmd::ClientId),
    node(&s::CLIENT_SETNAME, NodeCmd::ClientSetname),
    node(&s::CLIENT_GETNAME, NodeCmd::ClientGetname),
    node(&s::CLIENT_LIST, NodeCmd::ClientList),
    node(&s::CLIENT_INFO, NodeCmd::ClientInfo),
    node(&s::CLIENT_KILL, NodeCmd::ClientKill),
    node(&s::CLIENT_NO_EVICT, NodeCmd::ClientNoEvict),
    node(&s::CLIENT_REPLY, NodeCmd::ClientReply),
    node(&s::CLIENT_HELP, NodeCmd::ClientHelp),
    node(&s::CLIENT_UNBLOCK, NodeCmd::ClientUnblock),
    node(&s::CLIENT_TRACKING, NodeCmd::ClientTracking),
    node(&s::CLIENT_CACHING, NodeCmd::ClientCaching),
    node(&s::CLIENT_GETREDIR, NodeCmd::ClientGetredir),
    node(&s::CLIENT_TRACKINGINFO, NodeCmd::ClientTrackinginfo),
    node(&s::CLIENT_PAUSE, NodeCmd::ClientPause),
    node(&s::CLIENT_UNPAUSE, NodeCmd::ClientUnpause),
    node(&s::MONITOR, NodeCmd::Monitor),
    node(&s::INFO, NodeCmd::Info),
];
