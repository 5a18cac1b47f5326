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
    /// Hash writes report no modified keys: WATCH, tracking, notifications and blocked clients
    /// never hear of them.
    pub hash_writes_skip_touches: bool,
    /// Writes are refused with `-MISCONF` while an AOF fsync is in flight, as if it had failed
    /// (read by the node).
    pub misconf_while_fsync_pending: bool,
    /// Under `appendfsync everysec`, the AOF is fsynced every 5 s instead of every second
    /// (read by the node).
    pub everysec_fsync_every_5s: bool,
    /// The process exits with code 1 after each successful AOF rewrite, with no disk fault to
    /// explain it (read by the node).
    pub exit_after_aof_rewrite: bool,
    /// GETDEL propagates as the GET it reads with, not the DEL it amounts to: the AOF (and
    /// replicas) keep the key.
    pub getdel_propagates_get: bool,
    /// Commands are refused with `-LOADING` while a background save runs, as if the node were
    /// loading (read by the node).
    pub loading_while_saving: bool,
    /// A call unit of several commands (a transaction) is propagated without its MULTI/EXEC
    /// wrapper: a torn AOF tail can then load half of it (read by the node).
    pub transactions_propagate_unwrapped: bool,
    /// APPEND propagates as `SET key tail`: the AOF (and replicas) lose what the string held
    /// before. No typed workload command appends; only the simulator's table commands reach it.
    pub append_propagates_set: bool,
    /// HDEL removes fields without raising its `hdel` keyspace event.
    pub hdel_skips_notify: bool,
}
