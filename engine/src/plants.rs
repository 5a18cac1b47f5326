//! Planted bugs: switches that make the engine wrong on purpose, so the simulator can prove its
//! checks fail when the server is wrong (a checker that cannot fail proves nothing).
//!
//! Only the self-tests of the simulator and of the differential tests set them (through
//! `EngineConfig::plants`); no config option, command or file reaches them, and production
//! leaves them all off.

/// Which planted bugs are on. All off by default.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Plants {
    /// GET reads a key without expiring it first: an expired value comes back.
    pub get_skips_lazy_expiry: bool,
    /// LPUSH/RPUSH of several elements propagate one element less to the AOF (and replicas).
    pub push_propagates_one_less: bool,
    /// Under `appendfsync always`, replies leave before the fsync that covers them completes
    /// (read by the node, which holds replies; kept here with the other switches).
    pub ack_before_fsync: bool,
    /// HDEL removes fields without raising its `hdel` keyspace event.
    pub hdel_skips_notify: bool,
}
