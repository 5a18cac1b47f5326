//! Coverage probes: named places in the world ("a torn tail was loaded", "a clock jumped back")
//! counted per run and summed over a campaign, whose summary lists the probes never hit, so blind
//! spots are visible.

use std::collections::BTreeMap;

/// Every probe, so a campaign can list the ones never hit.
pub const PROBES: &[&str] = &[
    "pipelined_batch",
    "split_delivery",
    "coalesced_delivery",
    "partial_read",
    "conn_reset",
    "client_timeout",
    "half_open_close",
    "partition",
    "slow_link",
    "pause",
    "clock_jump_forward",
    "clock_jump_back",
    "late_timer",
    "crash_power_loss",
    "crash_process_kill",
    "restart_nonempty",
    "restart_empty",
    "refused_start_after_corruption",
    "exit_on_disk_error",
    "durability_checked",
    "durability_skipped",
    "rdb_save_point",
    "recovered_older_than_last_write",
    "fsync_eio",
    "enospc",
    "short_write",
    "slow_fsync",
    "torn_tail",
    "corrupt_sector",
    "fault_rejection_reply",
    "deferred_reply",
    "wrongtype_reply",
    "lazy_expiry_seen",
    "active_expiry_mirrored",
    "keyspace_compared",
    "admin_command",
    "command_queued",
    "exec_committed",
    "exec_watch_fired",
    "exec_aborted",
    "transaction_discarded",
    "table_read",
    "table_write_changed",
    "table_write_unchanged",
    "liveness_reached",
];

/// Hit counts by probe.
#[derive(Clone, Debug, Default)]
pub struct Coverage {
    /// Count per probe name.
    pub hits: BTreeMap<&'static str, u64>,
}

impl Coverage {
    /// Counts one hit of `probe` (which must be in `PROBES`).
    pub fn hit(&mut self, probe: &'static str) {
        debug_assert!(PROBES.contains(&probe), "unknown probe {probe}");
        *self.hits.entry(probe).or_insert(0) += 1;
    }

    /// Adds another run's counts.
    pub fn merge(&mut self, other: &Coverage) {
        for (k, v) in &other.hits {
            *self.hits.entry(k).or_insert(0) += v;
        }
    }

    /// Probes with no hits.
    pub fn never_hit(&self) -> Vec<&'static str> {
        PROBES.iter().copied().filter(|p| !self.hits.contains_key(p)).collect()
    }
}
