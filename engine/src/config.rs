//! The configuration the engine reads: encoding thresholds, limits, the eviction policy. A leaf
//! module, so the file formats (`rdb`, `aof`) and the expire cycle need not reach through the
//! command layer for it; the server's config table owns the values.

/// Which eviction/access policy is configured; decides what `Object::lru` holds.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Default)]
pub enum MaxmemoryPolicy {
    /// `noeviction` (the default).
    #[default]
    NoEviction,
    /// `allkeys-lru`.
    AllkeysLru,
    /// `volatile-lru`.
    VolatileLru,
    /// `allkeys-lfu`.
    AllkeysLfu,
    /// `volatile-lfu`.
    VolatileLfu,
    /// `allkeys-random`.
    AllkeysRandom,
    /// `volatile-random`.
    VolatileRandom,
    /// `volatile-ttl`.
    VolatileTtl,
}

impl MaxmemoryPolicy {
    /// True for the two LFU policies (`robj.lru` then holds LFU data).
    pub fn is_lfu(self) -> bool {
        matches!(self, MaxmemoryPolicy::AllkeysLfu | MaxmemoryPolicy::VolatileLfu)
    }
}

/// The configuration the engine's commands read. The server's config table owns the values.
#[derive(Clone, Debug)]
pub struct EngineConfig {
    /// `proto-max-bulk-len`: the largest string a command may build.
    pub proto_max_bulk_len: u64,
    /// `maxmemory-policy`.
    pub maxmemory_policy: MaxmemoryPolicy,
    /// `lfu-log-factor`.
    pub lfu_log_factor: u32,
    /// `lfu-decay-time` (minutes).
    pub lfu_decay_time: u32,
    /// `active-expire-effort` (1-10).
    pub active_expire_effort: u32,
    /// Whether the cron runs the active expire cycle (DEBUG SET-ACTIVE-EXPIRE turns it off).
    pub active_expire_enabled: bool,
    /// `zset-max-listpack-entries`.
    pub zset_max_listpack_entries: usize,
    /// `zset-max-listpack-value`.
    pub zset_max_listpack_value: usize,
    /// `hash-max-listpack-entries`.
    pub hash_max_listpack_entries: usize,
    /// `hash-max-listpack-value`.
    pub hash_max_listpack_value: usize,
    /// `set-max-intset-entries`.
    pub set_max_intset_entries: usize,
    /// `hll-sparse-max-bytes`: a sparse HyperLogLog that would grow past this many bytes
    /// (header included) is promoted to the dense encoding.
    pub hll_sparse_max_bytes: usize,
    /// `stream-node-max-bytes`: a stream's last node takes no new entry once it is this big
    /// (0: no limit but Redis's 1 GiB listpack cap).
    pub stream_node_max_bytes: usize,
    /// `stream-node-max-entries`: nor once it holds this many entries, live or deleted (0: no
    /// limit).
    pub stream_node_max_entries: usize,
    /// Planted bugs for the simulator's self-test; always off outside it.
    pub plants: crate::plants::Plants,
}

impl Default for EngineConfig {
    fn default() -> EngineConfig {
        EngineConfig {
            proto_max_bulk_len: 512 * 1024 * 1024,
            maxmemory_policy: MaxmemoryPolicy::NoEviction,
            lfu_log_factor: 10,
            lfu_decay_time: 1,
            active_expire_effort: 1,
            active_expire_enabled: true,
            zset_max_listpack_entries: 128,
            zset_max_listpack_value: 64,
            hash_max_listpack_entries: 512,
            hash_max_listpack_value: 64,
            set_max_intset_entries: 512,
            hll_sparse_max_bytes: 3000,
            stream_node_max_bytes: 4096,
            stream_node_max_entries: 100,
            plants: crate::plants::Plants::default(),
        }
    }
}
