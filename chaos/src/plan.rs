//! Fault plans: each seed draws its own weather (swarm testing, as TigerBeetle's VOPR does), so
//! different seeds explore different mixes of faults. A plan prints as `key=value,...` and parses
//! back, so `--faults` can pin or override any part of it.

use std::fmt;

use verdis_engine::Rng;

use crate::disk::DiskFaults;

/// How the node persists data.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Persistence {
    /// Nothing survives a restart.
    None,
    /// RDB snapshots only (`save` points and BGSAVE).
    Rdb,
    /// AOF with `appendfsync always`.
    AofAlways,
    /// AOF with `appendfsync everysec`.
    AofEverysec,
    /// AOF with `appendfsync no`.
    AofNo,
}

impl Persistence {
    const ALL: [(Persistence, &'static str); 5] = [
        (Persistence::None, "none"),
        (Persistence::Rdb, "rdb"),
        (Persistence::AofAlways, "always"),
        (Persistence::AofEverysec, "everysec"),
        (Persistence::AofNo, "no"),
    ];

    /// The name used in plans.
    pub fn name(self) -> &'static str {
        Persistence::ALL.iter().find(|(p, _)| *p == self).map_or("?", |(_, n)| n)
    }

    fn parse(s: &str) -> Option<Persistence> {
        Persistence::ALL.iter().find(|(_, n)| *n == s).map(|(p, _)| *p)
    }

    /// The config pairs that select this mode.
    pub fn config(self) -> Vec<(&'static [u8], &'static [u8])> {
        match self {
            Persistence::None => vec![(b"save", b""), (b"appendonly", b"no")],
            Persistence::Rdb => vec![(b"save", b"1 1"), (b"appendonly", b"no")],
            Persistence::AofAlways => vec![(b"save", b""), (b"appendonly", b"yes"), (b"appendfsync", b"always")],
            Persistence::AofEverysec => vec![(b"save", b""), (b"appendonly", b"yes"), (b"appendfsync", b"everysec")],
            Persistence::AofNo => vec![(b"save", b""), (b"appendonly", b"yes"), (b"appendfsync", b"no")],
        }
    }
}

/// Everything a seed's world is parameterised by.
#[derive(Clone, Debug, PartialEq)]
pub struct Plan {
    /// Persistence policy.
    pub persistence: Persistence,
    /// Client processes.
    pub clients: u64,
    /// Most requests a client keeps in flight (pipelining).
    pub pipeline: u64,
    /// Distinct keys the workload touches.
    pub keys: u64,
    /// Most think time between a client's requests (µs).
    pub think_us: u64,
    /// One-way network latency bounds (µs).
    pub latency_min_us: u64,
    /// Upper bound of the one-way latency (µs).
    pub latency_max_us: u64,
    /// Chance a send is split into several deliveries.
    pub split: f64,
    /// Chance a delivery is slow (a slow link: 20× latency).
    pub slow: f64,
    /// Chance per delivery that the connection resets.
    pub reset: f64,
    /// Chance per second a client host is partitioned from the server.
    pub partition: f64,
    /// Longest partition (ms).
    pub partition_ms: u64,
    /// Chance per second the server process crashes.
    pub crash: f64,
    /// Longest downtime after a crash (ms).
    pub down_ms: u64,
    /// Chance per second the server process pauses.
    pub pause: f64,
    /// Longest pause (ms).
    pub pause_ms: u64,
    /// Clock drift bound (parts per million, either sign).
    pub drift_ppm: u64,
    /// Chance per second the server's wall clock jumps.
    pub clock_jump: f64,
    /// Largest jump (ms, either sign).
    pub jump_ms: u64,
    /// Disk faults.
    pub disk: DiskFaults,
    /// Longest fsync (µs).
    pub fsync_us: u64,
    /// BUGGIFY: chance an fsync is slow (100× `fsync_us`).
    pub slow_fsync: f64,
    /// BUGGIFY: chance a timer fires late (up to 200 ms).
    pub late_timer: f64,
    /// Chance a request is BGSAVE or BGREWRITEAOF.
    pub admin: f64,
    /// Client request timeout (ms).
    pub timeout_ms: u64,
    /// Whether the workload sets expiries (1) or not (0): isolates expiry from other causes.
    pub expiry: u64,
    /// Tiny encoding thresholds (1): hashes, sets and sorted sets convert after a few elements,
    /// so conversions and both encodings of each type reach the snapshots and the AOF.
    pub small_encodings: u64,
    /// The wider command mix (1): GETDEL, SETRANGE, LMOVE and ZUNIONSTORE join the workload
    /// (0 keeps the original mix, so seeds drawn before these existed still run as they did).
    pub more_commands: u64,
    /// Transactions (1): clients also run MULTI/EXEC blocks, with WATCH, UNWATCH, DISCARD and
    /// queueing errors (0 keeps the workload as it was before they existed).
    pub transactions: u64,
    /// Commands drawn from the whole command table (1): any read-only or write command the
    /// engine implements, with arguments from Redis's COMMAND DOCS (the conformance generators),
    /// whose effect the model takes from the node (see `Op::Table`). Writes join only plans
    /// without transactions, where no WATCH needs to know whether a write signalled its key.
    pub table_commands: u64,
}

impl Plan {
    /// The node's config pairs for this plan: persistence, then encoding thresholds.
    pub fn node_config(&self) -> Vec<(&'static [u8], &'static [u8])> {
        let mut pairs = self.persistence.config();
        if self.small_encodings == 1 {
            pairs.extend_from_slice(&[
                (&b"hash-max-listpack-entries"[..], &b"3"[..]),
                (b"zset-max-listpack-entries", b"3"),
                (b"set-max-intset-entries", b"3"),
            ]);
        }
        pairs
    }

    /// A calm plan: no faults at all (the liveness phase's weather, and a baseline).
    pub fn calm(persistence: Persistence) -> Plan {
        Plan {
            persistence,
            clients: 4,
            pipeline: 2,
            keys: 24,
            think_us: 2_000,
            latency_min_us: 50,
            latency_max_us: 400,
            split: 0.0,
            slow: 0.0,
            reset: 0.0,
            partition: 0.0,
            partition_ms: 0,
            crash: 0.0,
            down_ms: 0,
            pause: 0.0,
            pause_ms: 0,
            drift_ppm: 0,
            clock_jump: 0.0,
            jump_ms: 0,
            disk: DiskFaults::default(),
            fsync_us: 500,
            slow_fsync: 0.0,
            late_timer: 0.0,
            admin: 0.0,
            timeout_ms: 3_000,
            expiry: 1,
            small_encodings: 0,
            more_commands: 0,
            transactions: 0,
            table_commands: 0,
        }
    }

    /// The plan `seed` draws: every fault kind is on or off by a coin, with a drawn intensity.
    pub fn draw(seed: u64) -> Plan {
        // A stream of its own, so the plan does not shift the world's decisions.
        let mut r = Rng::new(seed ^ 0x706c_616e_5f73_6565);
        let on = |r: &mut Rng, max: f64| if r.below(2) == 0 { 0.0 } else { max * (1 + r.below(100)) as f64 / 100.0 };
        let persistence = match r.below(20) {
            0..=2 => Persistence::None,
            3..=7 => Persistence::Rdb,
            8..=11 => Persistence::AofAlways,
            12..=16 => Persistence::AofEverysec,
            _ => Persistence::AofNo,
        };
        let mut p = Plan::calm(persistence);
        p.clients = 1 + r.below(6);
        p.pipeline = 1 + r.below(4);
        p.keys = [4, 8, 24, 64][r.below(4) as usize];
        p.think_us = [200, 1_000, 5_000, 20_000][r.below(4) as usize];
        p.small_encodings = r.below(2);
        p.latency_min_us = 10 + r.below(100);
        p.latency_max_us = p.latency_min_us + [50, 500, 5_000][r.below(3) as usize];
        p.split = on(&mut r, 0.3);
        p.slow = on(&mut r, 0.02);
        p.reset = on(&mut r, 0.002);
        p.partition = on(&mut r, 0.2);
        p.partition_ms = 100 + r.below(5_000);
        p.crash = if persistence == Persistence::None { on(&mut r, 0.05) } else { on(&mut r, 0.5) };
        p.down_ms = 10 + r.below(2_000);
        p.pause = on(&mut r, 0.2);
        p.pause_ms = 10 + r.below(2_000);
        p.drift_ppm = if r.below(2) == 0 { 0 } else { r.below(2_000) };
        p.clock_jump = on(&mut r, 0.1);
        p.jump_ms = 1 + r.below(3_000);
        p.disk = DiskFaults {
            fsync_eio: on(&mut r, 0.02),
            enospc: on(&mut r, 0.01),
            short_write: on(&mut r, 0.01),
            torn: on(&mut r, 1.0),
            corrupt: on(&mut r, 0.5),
            capacity_bytes: 0,
        };
        p.fsync_us = 100 + r.below(20_000);
        p.slow_fsync = on(&mut r, 0.05);
        p.late_timer = on(&mut r, 0.02);
        p.admin = on(&mut r, 0.01);
        // Drawn last, so every other field is what this seed drew before they existed.
        p.more_commands = r.below(2);
        p.transactions = r.below(2);
        p.table_commands = r.below(2);
        p
    }

    /// Turns every fault off (keeps the workload shape and persistence).
    pub fn without_faults(&self) -> Plan {
        let mut p = Plan::calm(self.persistence);
        p.clients = self.clients;
        p.pipeline = self.pipeline;
        p.keys = self.keys;
        p.think_us = self.think_us;
        p.latency_min_us = self.latency_min_us;
        p.latency_max_us = self.latency_max_us;
        p.fsync_us = self.fsync_us;
        p.admin = self.admin;
        p.expiry = self.expiry;
        p.small_encodings = self.small_encodings;
        p.more_commands = self.more_commands;
        p.transactions = self.transactions;
        p.table_commands = self.table_commands;
        p
    }

    /// The fault knobs that are on, by name (for shrinking and summaries).
    pub fn active_faults(&self) -> Vec<&'static str> {
        let calm = Plan::calm(self.persistence);
        FAULT_KEYS.iter().copied().filter(|k| self.get(k) != calm.get(k)).collect()
    }

    fn fields(&self) -> Vec<(&'static str, String)> {
        let f = |x: f64| format!("{x}");
        vec![
            ("persistence", self.persistence.name().to_string()),
            ("clients", self.clients.to_string()),
            ("pipeline", self.pipeline.to_string()),
            ("keys", self.keys.to_string()),
            ("think_us", self.think_us.to_string()),
            ("latency_min_us", self.latency_min_us.to_string()),
            ("latency_max_us", self.latency_max_us.to_string()),
            ("split", f(self.split)),
            ("slow", f(self.slow)),
            ("reset", f(self.reset)),
            ("partition", f(self.partition)),
            ("partition_ms", self.partition_ms.to_string()),
            ("crash", f(self.crash)),
            ("down_ms", self.down_ms.to_string()),
            ("pause", f(self.pause)),
            ("pause_ms", self.pause_ms.to_string()),
            ("drift_ppm", self.drift_ppm.to_string()),
            ("clock_jump", f(self.clock_jump)),
            ("jump_ms", self.jump_ms.to_string()),
            ("fsync_eio", f(self.disk.fsync_eio)),
            ("enospc", f(self.disk.enospc)),
            ("short_write", f(self.disk.short_write)),
            ("torn", f(self.disk.torn)),
            ("corrupt", f(self.disk.corrupt)),
            ("capacity_bytes", self.disk.capacity_bytes.to_string()),
            ("fsync_us", self.fsync_us.to_string()),
            ("slow_fsync", f(self.slow_fsync)),
            ("late_timer", f(self.late_timer)),
            ("admin", f(self.admin)),
            ("timeout_ms", self.timeout_ms.to_string()),
            ("expiry", self.expiry.to_string()),
            ("small_encodings", self.small_encodings.to_string()),
            ("more_commands", self.more_commands.to_string()),
            ("transactions", self.transactions.to_string()),
            ("table_commands", self.table_commands.to_string()),
        ]
    }

    fn get(&self, key: &str) -> Option<String> {
        self.fields().into_iter().find(|(k, _)| *k == key).map(|(_, v)| v)
    }

    /// Sets one field from text.
    pub fn set(&mut self, key: &str, value: &str) -> Result<(), String> {
        let bad = || format!("bad value {value:?} for {key}");
        let float = || value.parse::<f64>().ok().filter(|x| (0.0..=1.0).contains(x)).ok_or_else(bad);
        let int = || value.parse::<u64>().map_err(|_| bad());
        match key {
            "persistence" => self.persistence = Persistence::parse(value).ok_or_else(bad)?,
            "clients" => self.clients = int()?.max(1),
            "pipeline" => self.pipeline = int()?.max(1),
            "keys" => self.keys = int()?.max(1),
            "think_us" => self.think_us = int()?,
            "latency_min_us" => self.latency_min_us = int()?,
            "latency_max_us" => self.latency_max_us = int()?,
            "split" => self.split = float()?,
            "slow" => self.slow = float()?,
            "reset" => self.reset = float()?,
            "partition" => self.partition = float()?,
            "partition_ms" => self.partition_ms = int()?,
            "crash" => self.crash = float()?,
            "down_ms" => self.down_ms = int()?,
            "pause" => self.pause = float()?,
            "pause_ms" => self.pause_ms = int()?,
            "drift_ppm" => self.drift_ppm = int()?,
            "clock_jump" => self.clock_jump = float()?,
            "jump_ms" => self.jump_ms = int()?,
            "fsync_eio" => self.disk.fsync_eio = float()?,
            "enospc" => self.disk.enospc = float()?,
            "short_write" => self.disk.short_write = float()?,
            "torn" => self.disk.torn = float()?,
            "corrupt" => self.disk.corrupt = float()?,
            "capacity_bytes" => self.disk.capacity_bytes = int()?,
            "fsync_us" => self.fsync_us = int()?,
            "slow_fsync" => self.slow_fsync = float()?,
            "late_timer" => self.late_timer = float()?,
            "admin" => self.admin = float()?,
            "timeout_ms" => self.timeout_ms = int()?.max(1),
            "expiry" => self.expiry = int()?.min(1),
            "small_encodings" => self.small_encodings = int()?.min(1),
            "more_commands" => self.more_commands = int()?.min(1),
            "transactions" => self.transactions = int()?.min(1),
            "table_commands" => self.table_commands = int()?.min(1),
            _ => return Err(format!("unknown plan key {key:?}")),
        }
        Ok(())
    }

    /// Applies `key=value,...` overrides; `none` turns every fault off first.
    pub fn apply_overrides(&mut self, text: &str) -> Result<(), String> {
        for part in text.split(',').map(str::trim).filter(|p| !p.is_empty()) {
            if part == "none" {
                *self = self.without_faults();
                continue;
            }
            let (k, v) = part.split_once('=').ok_or_else(|| format!("expected key=value, got {part:?}"))?;
            self.set(k.trim(), v.trim())?;
        }
        if self.latency_max_us < self.latency_min_us {
            self.latency_max_us = self.latency_min_us;
        }
        Ok(())
    }
}

/// The plan keys that are faults (what the shrinker turns off one by one).
pub const FAULT_KEYS: [&str; 16] = [
    "crash",
    "partition",
    "pause",
    "reset",
    "split",
    "slow",
    "clock_jump",
    "drift_ppm",
    "fsync_eio",
    "enospc",
    "short_write",
    "torn",
    "corrupt",
    "slow_fsync",
    "late_timer",
    "admin",
];

impl fmt::Display for Plan {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let parts: Vec<String> = self.fields().into_iter().map(|(k, v)| format!("{k}={v}")).collect();
        f.write_str(&parts.join(","))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn plans_print_and_parse_back_and_seeds_differ() {
        let p = Plan::draw(42);
        let mut q = Plan::calm(Persistence::None);
        q.apply_overrides(&p.to_string()).unwrap();
        assert_eq!(p, q);
        assert_ne!(Plan::draw(1), Plan::draw(2));
        assert!(p.without_faults().active_faults().iter().all(|k| *k == "admin"));
        assert!(q.apply_overrides("bogus=1").is_err());
    }
}
