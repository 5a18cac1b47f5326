//! The pub/sub family: SUBSCRIBE and its kin, PUBLISH, SPUBLISH and PUBSUB *. Every one runs in
//! the node (`NodeCmd`): subscriptions are client state and messages go to other clients.

use super::node::NodeCmd;
use super::redis_specs as s;
use super::table::{container, node, Command};

/// The family's rows in the command table.
pub static COMMANDS: &[Command] = &[
    node(&s::SUBSCRIBE, NodeCmd::Subscribe),
    node(&s::UNSUBSCRIBE, NodeCmd::Unsubscribe),
    node(&s::PSUBSCRIBE, NodeCmd::Psubscribe),
    node(&s::PUNSUBSCRIBE, NodeCmd::Punsubscribe),
    node(&s::SSUBSCRIBE, NodeCmd::Ssubscribe),
    node(&s::SUNSUBSCRIBE, NodeCmd::Sunsubscribe),
    node(&s::PUBLISH, NodeCmd::Publish),
    node(&s::SPUBLISH, NodeCmd::Spublish),
    container(&s::PUBSUB),
    node(&s::PUBSUB_CHANNELS, NodeCmd::PubsubChannels),
    node(&s::PUBSUB_NUMSUB, NodeCmd::PubsubNumsub),
    node(&s::PUBSUB_NUMPAT, NodeCmd::PubsubNumpat),
    node(&s::PUBSUB_SHARDCHANNELS, NodeCmd::PubsubShardchannels),
    node(&s::PUBSUB_SHARDNUMSUB, NodeCmd::PubsubShardnumsub),
    node(&s::PUBSUB_HELP, NodeCmd::PubsubHelp),
];
