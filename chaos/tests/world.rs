//! The world's network and process faults, without disk faults: the server must pass every check
//! (replies, keyspace, durability of BGSAVE snapshots, liveness) under splits, coalescing, resets,
//! partitions, pauses, clock jumps and crashes, and the probes show those paths ran.

use verdis_chaos::campaign::{self, CampaignSettings};

/// Proves network weather alone never makes a correct server look wrong (the checks have no
/// false alarms there), and that the campaign reached each network path.
#[test]
fn network_and_process_weather_without_disk_faults_is_clean() {
    let jobs = std::thread::available_parallelism().map_or(2, |n| n.get());
    let mut c = CampaignSettings::new(1_000, 1_040, jobs);
    c.ops = 800;
    c.liveness_ops = 100;
    c.faults = Some(
        "none,persistence=none,split=0.3,slow=0.02,reset=0.003,partition=0.3,partition_ms=2000,pause=0.3,pause_ms=500,clock_jump=0.8,jump_ms=1500,drift_ppm=1000,late_timer=0.02,pipeline=4,crash=0.3,admin=0.01".into(),
    );
    let summary = campaign::run(&c, &|_, _, _| {});
    assert!(summary.failures.is_empty(), "{}", summary.render(jobs));
    let never = summary.coverage.never_hit();
    for probe in [
        "crash_power_loss",
        "durability_checked",
        "split_delivery",
        "coalesced_delivery",
        "partial_read",
        "conn_reset",
        "partition",
        "pause",
        "clock_jump_back",
        "pipelined_batch",
    ] {
        assert!(!never.contains(&probe), "probe {probe} never hit");
    }
}
