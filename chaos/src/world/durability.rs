//! Durability checks: the log of executed operations since the last restart, and the check that a
//! recovered keyspace is a state the persistence policy allows (the disk rows of DESIGN.md's
//! claims table).

use std::collections::BTreeSet;

use crate::history::{History, OpId};
use crate::model::Model;
use crate::plan::Persistence;

/// Differing keys a failure message shows.
const MISSES_SHOWN: usize = 4;

/// Executed operations since `base`, and the save points among them.
#[derive(Clone, Debug, Default)]
pub struct DurabilityLog {
    /// The state at the last restart (what the node loaded).
    pub base: Model,
    /// Executed operations in execution order: the op, its node time (unix ms) and world time.
    pub ops: Vec<(OpId, i64, u64)>,
    /// Prefix lengths at which a save completed (RDB: the state each completed save holds).
    pub save_points: Vec<usize>,
    /// Prefix length when the running background save started.
    pub bgsave_start: Option<usize>,
    /// Keys the node's active expiry removed, with the prefix length at that moment, in order:
    /// the node propagates each as a DEL, so a state after that point lacks the key even when
    /// the node's clock has gone back since to before its time.
    pub expiries: Vec<(usize, Vec<u8>)>,
    /// A snapshot a restart after a process kill loaded although its save never completed (its
    /// rename was in the page cache): a later recovery may show it, or the last completed save
    /// if a power loss drops the rename, until a later save completes.
    pub loaded_unsynced: Option<usize>,
    /// What the files the last restart loaded hold, when it differs from `base`: keys already
    /// expired at load time are left out of the keyspace (Redis skips them in an RDB file), yet
    /// stay in the file, and a recovery loading it again after the node's clock went back shows
    /// them alive.
    pub base_on_disk: Option<Model>,
}

/// What a crash requires of the next recovery.
#[derive(Clone, Debug)]
pub struct Requirement {
    /// The policy in force.
    pub policy: Persistence,
    /// The shortest prefix allowed (AOF policies).
    pub min_prefix: usize,
    /// World time of the crash.
    pub crash_us: u64,
    /// RDB: the prefixes a recovery may show (the last completed save, or the start, and the
    /// save in progress, whose rename may or may not have reached the disk).
    pub rdb_allowed: Vec<usize>,
    /// Keys a failed AOF append may have left out of order on a power loss (a later append that
    /// landed kept, the truncation cutting it lost): the recovery is compared without them.
    pub unordered_keys: BTreeSet<Vec<u8>>,
}

impl DurabilityLog {
    /// Starts over from `base`.
    pub fn reset(&mut self, base: Model) {
        *self = DurabilityLog { base, ..DurabilityLog::default() };
    }

    /// Keeps the first `len` operations (what a restart after a process kill loaded): later
    /// operations build on them.
    pub fn truncate(&mut self, len: usize) {
        self.ops.truncate(len);
        self.save_points.retain(|&p| p <= len);
        self.expiries.retain(|&(p, _)| p <= len);
        if self.bgsave_start == Some(len) && self.save_points.last() != Some(&len) {
            self.loaded_unsynced = Some(len);
        }
        self.bgsave_start = None;
    }

    /// Drops `op`, which the node turned out to have refused (its reply was held back): the
    /// prefixes that included it shrink by one.
    pub fn forget(&mut self, op: OpId) {
        let Some(i) = self.ops.iter().rposition(|&(o, _, _)| o == op) else { return };
        self.ops.remove(i);
        let shift = |p: &mut usize| {
            if *p > i {
                *p -= 1;
            }
        };
        self.save_points.iter_mut().for_each(shift);
        self.expiries.iter_mut().for_each(|(p, _)| shift(p));
        self.bgsave_start.iter_mut().for_each(shift);
        self.loaded_unsynced.iter_mut().for_each(shift);
    }

    /// The state after every logged operation and active expiry (what the model holds when
    /// the log and the model went the same way).
    pub fn replay(&self, history: &History) -> Model {
        let mut state = self.base.clone();
        let mut expiries = self.expiries.iter().peekable();
        for i in 0..=self.ops.len() {
            while let Some((_, key)) = expiries.next_if(|(at, _)| *at == i) {
                state.keys.remove(key);
            }
            if let Some(&(op, at_ms, _)) = self.ops.get(i) {
                state.apply(&history.records[op].op, at_ms);
            }
        }
        state
    }

    /// What recovery must show after a crash now. `window_us`: how old an acknowledged write
    /// must be before `everysec` promises it.
    pub fn requirement(&self, policy: Persistence, history: &History, now_us: u64, window_us: u64) -> Requirement {
        let acked_before = |limit_us: u64| -> usize {
            self.ops
                .iter()
                .rposition(|&(op, _, exec_us)| {
                    history.records[op].op.is_write() && exec_us <= limit_us && history.acked_at(op).is_some()
                })
                .map_or(0, |i| i + 1)
        };
        let min_prefix = match policy {
            Persistence::AofAlways => acked_before(now_us),
            Persistence::AofEverysec => acked_before(now_us.saturating_sub(window_us)),
            Persistence::AofNo | Persistence::Rdb | Persistence::None => 0,
        };
        let last_save = self.save_points.last().copied().unwrap_or(0);
        let mut rdb_allowed = vec![last_save];
        rdb_allowed.extend(self.bgsave_start);
        rdb_allowed.extend(self.loaded_unsynced.filter(|&p| p > last_save));
        Requirement { policy, min_prefix, crash_us: now_us, rdb_allowed, unordered_keys: BTreeSet::new() }
    }

    /// Checks `recovered` (the node's keyspace, as a view at `now_ms`) against `req`: returns the
    /// prefix length it equals.
    pub fn check(&self, req: &Requirement, history: &History, recovered: &Model, now_ms: i64) -> Result<usize, String> {
        self.matching_state(req, history, recovered, now_ms).map(|(i, _)| i)
    }

    /// Like `check`, with the allowed state `recovered` matched, as the node's files hold it
    /// (keys expired but present included). `recovered` may hold keys already expired at
    /// `now_ms` (an AOF replays them into the keyspace): several prefixes can then look the same
    /// at `now_ms` and differ only in such keys, and the one whose expired keys are the ones
    /// the node holds is what its files hold (a restart that goes on from it must know: once
    /// the clock goes back, those keys are alive again). That prefix is preferred; without one,
    /// the first that looks the same.
    pub fn matching_state(
        &self,
        req: &Requirement,
        history: &History,
        recovered: &Model,
        now_ms: i64,
    ) -> Result<(usize, Model), String> {
        // Without AOF, only snapshots persist: the save points (with no `save` lines, the ones
        // BGSAVE made), or the state the node started from.
        let snapshots_only = matches!(req.policy, Persistence::Rdb | Persistence::None);
        let allowed = |i: usize| if snapshots_only { req.rdb_allowed.contains(&i) } else { i >= req.min_prefix };
        let mut state = self.base.clone();
        // The allowed prefix closest to what was recovered (fewest differing keys).
        let mut closest: Option<(usize, Vec<String>)> = None;
        let mut expiries = self.expiries.iter().peekable();
        // Keys a failed append may have left out of order are compared nowhere.
        let ordered = |mut m: Model| {
            m.keys.retain(|k, _| !req.unordered_keys.contains(k));
            m
        };
        let held = ordered(recovered.clone());
        let recovered = &ordered(recovered.view(now_ms));
        // The first allowed state that looks as recovered at `now_ms`, if none matches exactly.
        let mut looks_same: Option<(usize, Model)> = None;
        // Whether the state is exactly what the node holds, expired keys included; keeping the
        // first that looks the same, and the closest miss.
        let mut matches = |i: usize, state: &Model| {
            if !allowed(i) {
                return false;
            }
            let compared = ordered(state.clone());
            let diffs = compared.view(now_ms).differences(recovered);
            if !diffs.is_empty() {
                if closest.as_ref().is_none_or(|(_, d)| diffs.len() <= d.len()) {
                    closest = Some((i, diffs));
                }
                return false;
            }
            if holds_the_same_expired_keys(&compared, &held, now_ms) {
                return true;
            }
            looks_same.get_or_insert_with(|| (i, state.clone()));
            false
        };
        for i in 0..=self.ops.len() {
            // The state after the first `i` operations, then after each of the active-expiry
            // DELs the node made at that point in turn: a DEL no client waited for may not have
            // reached the disk (its append failed, a crash came first), so the key may come
            // back, and the node appended them in this order, so only the later ones may be lost.
            if matches(i, &state) {
                return Ok((i, state));
            }
            if i == 0 {
                if let Some(on_disk) = self.base_on_disk.as_ref().filter(|d| matches(0, d)) {
                    return Ok((0, on_disk.clone()));
                }
            }
            while let Some((_, key)) = expiries.next_if(|(at, _)| *at == i) {
                state.keys.remove(key);
                if matches(i, &state) {
                    return Ok((i, state));
                }
            }
            if let Some(&(op, at_ms, _)) = self.ops.get(i) {
                state.apply(&history.records[op].op, at_ms);
            }
        }
        if let Some(found) = looks_same {
            return Ok(found);
        }
        let last: Vec<String> = self.ops[req.min_prefix.saturating_sub(3).min(self.ops.len())..]
            .iter()
            .take(8)
            .map(|&(op, _, _)| {
                format!(
                    "{} ({})",
                    history.records[op].op,
                    if history.acked_at(op).is_some() { "acked" } else { "not acked" }
                )
            })
            .collect();
        let allowed_text = if snapshots_only {
            format!("save points {:?}", req.rdb_allowed)
        } else {
            format!("prefixes {}..={}", req.min_prefix, self.ops.len())
        };
        let (i, diffs) = closest.unwrap_or((0, Vec::new()));
        let shown: Vec<&String> = diffs.iter().take(MISSES_SHOWN).collect();
        Err(format!(
            "{} recovery matches no allowed state ({allowed_text}); closest is prefix {i} with {} differing keys: {}; ops from min-3: {}",
            req.policy.name(),
            diffs.len(),
            shown.iter().map(|s| s.as_str()).collect::<Vec<_>>().join("; "),
            last.join(", ")
        ))
    }
}

/// True when `state` and `held`, which look the same at `now_ms`, also agree on the keys
/// expired by then: each expired key `held` has, `state` has with the same value and time.
fn holds_the_same_expired_keys(state: &Model, held: &Model, now_ms: i64) -> bool {
    held.keys.iter().filter(|(key, _)| held.is_expired(key, now_ms)).all(|(key, e)| state.keys.get(key) == Some(e))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::op::Op;

    fn setup() -> (DurabilityLog, History) {
        let mut h = History::default();
        let mut log = DurabilityLog::default();
        for (i, v) in ["1", "2", "3"].iter().enumerate() {
            let op = Op::Set { key: b"k".to_vec(), val: v.as_bytes().to_vec(), px: None, nx: false };
            let id = h.invoke(0, op, i as u64 * 1000, false);
            log.ops.push((id, 0, i as u64 * 1000));
        }
        (log, h)
    }

    fn state(v: &str) -> Model {
        let mut m = Model::default();
        m.apply(&Op::Set { key: b"k".to_vec(), val: v.as_bytes().to_vec(), px: None, nx: false }, 0);
        m
    }

    #[test]
    fn always_rejects_a_lost_acknowledged_write_and_accepts_a_longer_prefix() {
        let (log, mut h) = setup();
        h.complete(1, 1500, crate::history::Outcome::Reply(b"+OK\r\n".to_vec()));
        let req = log.requirement(Persistence::AofAlways, &h, 5000, 0);
        assert_eq!(req.min_prefix, 2);
        assert!(log.check(&req, &h, &state("1"), 0).is_err(), "lost the acknowledged second write");
        assert_eq!(log.check(&req, &h, &state("2"), 0), Ok(2));
        assert_eq!(log.check(&req, &h, &state("3"), 0), Ok(3), "an unacknowledged write may survive");
        let req = log.requirement(Persistence::AofEverysec, &h, 5000, 4500);
        assert_eq!(req.min_prefix, 0, "the acknowledged write is inside the loss window");
    }

    #[test]
    fn rdb_recovery_must_be_a_save_point() {
        let (mut log, h) = setup();
        let req = log.requirement(Persistence::Rdb, &h, 5000, 0);
        assert_eq!(log.check(&req, &h, &Model::default(), 0), Ok(0), "no save yet: the start state");
        log.save_points.push(1);
        log.bgsave_start = Some(2);
        let req = log.requirement(Persistence::Rdb, &h, 5000, 0);
        assert_eq!(log.check(&req, &h, &state("1"), 0), Ok(1));
        assert_eq!(log.check(&req, &h, &state("2"), 0), Ok(2), "the save in progress may have landed");
        assert!(log.check(&req, &h, &Model::default(), 0).is_err(), "older than the last completed save");
        assert!(log.check(&req, &h, &state("3"), 0).is_err(), "3 was never saved");
    }

    #[test]
    fn a_save_loaded_from_the_page_cache_after_a_process_kill_may_come_back_or_not() {
        // Proves that after a restart loaded the save in flight at a process kill (its rename
        // only in the page cache), the next recovery may show it again or the last completed
        // save, and that a later completed save supersedes both.
        let (mut log, h) = setup();
        log.save_points.push(1);
        log.bgsave_start = Some(2);
        log.truncate(2);
        let req = log.requirement(Persistence::Rdb, &h, 5000, 0);
        assert_eq!(log.check(&req, &h, &state("2"), 0), Ok(2), "the loaded save is on disk still");
        assert_eq!(log.check(&req, &h, &state("1"), 0), Ok(1), "a power loss may drop its rename");
        log.ops.push(setup().0.ops[2]);
        log.save_points.push(3);
        let req = log.requirement(Persistence::Rdb, &h, 5000, 0);
        assert!(log.check(&req, &h, &state("2"), 0).is_err(), "a later completed save replaced it");
        assert_eq!(log.check(&req, &h, &state("3"), 0), Ok(3));
    }

    #[test]
    fn an_active_expiry_stays_applied_when_the_clock_goes_back() {
        // Proves a key the node's active expiry removed (and logged as DEL) is absent from the
        // states a recovery may show from then on, though the node's clock went back since to
        // before its time (seed 1415 of the 0..2000 sweep).
        let mut h = History::default();
        let mut log = DurabilityLog::default();
        let set = Op::Set { key: b"k".to_vec(), val: b"v".to_vec(), px: Some(100), nx: false };
        let id = h.invoke(0, set, 0, false);
        h.complete(id, 10, crate::history::Outcome::Reply(b"+OK\r\n".to_vec()));
        log.ops.push((id, 1000, 0));
        log.expiries.push((1, b"k".to_vec()));
        let req = log.requirement(Persistence::AofAlways, &h, 5000, 0);
        assert_eq!(log.check(&req, &h, &Model::default(), 1050), Ok(1), "removed, though alive at 1050");
        assert!(log.check(&req, &h, &state("v"), 1050).is_err());
    }

    #[test]
    fn an_active_expiry_whose_del_never_reached_the_disk_may_come_back() {
        // Proves a recovery may still hold a key the active expiry removed (with its TTL), since
        // no client waited for that DEL (its append may fail and the node exit), while a recovery
        // without the SET before it is still refused.
        let mut h = History::default();
        let mut log = DurabilityLog::default();
        let set = Op::Set { key: b"k".to_vec(), val: b"v".to_vec(), px: Some(100), nx: false };
        let id = h.invoke(0, set.clone(), 0, false);
        h.complete(id, 10, crate::history::Outcome::Reply(b"+OK\r\n".to_vec()));
        log.ops.push((id, 1000, 0));
        log.expiries.push((1, b"k".to_vec()));
        let req = log.requirement(Persistence::AofAlways, &h, 5000, 0);
        let mut kept = Model::default();
        kept.apply(&set, 1000);
        assert_eq!(log.check(&req, &h, &kept.view(1050), 1050), Ok(1));
        assert!(log.check(&req, &h, &state("v"), 1050).is_err(), "no TTL: not a state the node passed");
    }

    #[test]
    fn active_expiry_dels_at_one_point_may_reach_the_disk_in_part_but_in_order() {
        // Proves a recovery may show the first of two active-expiry DELs made between the same
        // two commands without the second (seeds 428, 22611, 22695: the second DEL's append
        // failed and the node exited), but not the second without the first.
        let mut h = History::default();
        let mut log = DurabilityLog::default();
        let mut kept = Model::default();
        for key in ["a", "b"] {
            let set = Op::Set { key: key.as_bytes().to_vec(), val: b"v".to_vec(), px: Some(100), nx: false };
            let id = h.invoke(0, set.clone(), 0, false);
            h.complete(id, 10, crate::history::Outcome::Reply(b"+OK\r\n".to_vec()));
            log.ops.push((id, 1000, 0));
            kept.apply(&set, 1000);
        }
        log.expiries.push((2, b"a".to_vec()));
        log.expiries.push((2, b"b".to_vec()));
        let req = log.requirement(Persistence::AofAlways, &h, 5000, 0);
        let mut first_only = kept.clone();
        first_only.keys.remove(b"a".as_slice());
        assert_eq!(log.check(&req, &h, &first_only.view(1050), 1050), Ok(2));
        let mut second_only = kept.clone();
        second_only.keys.remove(b"b".as_slice());
        assert!(log.check(&req, &h, &second_only.view(1050), 1050).is_err(), "appended after the first");
        assert_eq!(log.check(&req, &h, &Model::default(), 1050), Ok(2), "both reached the disk");
    }

    #[test]
    fn a_key_the_load_skipped_as_expired_may_come_back_from_the_same_file() {
        // Proves a recovery from the file the last restart loaded may show a key that load
        // skipped as expired, once the node's clock went back to before its expiry (seed 47610:
        // an RDB reloaded after a backward clock jump), and that nothing else is allowed.
        let h = History::default();
        let on_disk = state("v");
        let mut volatile = Model::default();
        volatile.apply(&Op::Set { key: b"k".to_vec(), val: b"v".to_vec(), px: Some(100), nx: false }, 1000);
        let mut log = DurabilityLog::default();
        log.reset(Model::default());
        let req = log.requirement(Persistence::Rdb, &h, 5000, 0);
        assert!(log.check(&req, &h, &volatile.view(1050), 1050).is_err(), "not known to be in the file");
        log.base_on_disk = Some(volatile.clone());
        assert_eq!(log.check(&req, &h, &volatile.view(1050), 1050), Ok(0));
        assert_eq!(log.check(&req, &h, &Model::default(), 1050), Ok(0), "the keyspace as loaded");
        assert!(log.check(&req, &h, &on_disk, 1050).is_err(), "no TTL: not what the file holds");
    }

    #[test]
    fn of_prefixes_that_look_the_same_the_one_holding_the_expired_keys_is_chosen() {
        // Proves a restart goes on from the prefix whose expired keys are the ones the node
        // holds (seed 31388: a SET with PX reached the page cache, its fsync failed and the node
        // exited; the restart, its clock past the TTL, looked like the prefix before the SET,
        // and once the clock went back the key was alive again in a state the log had dropped).
        let mut h = History::default();
        let mut log = DurabilityLog::default();
        let set = Op::Set { key: b"k".to_vec(), val: b"6".to_vec(), px: Some(100), nx: false };
        let id = h.invoke(0, set.clone(), 0, false);
        log.ops.push((id, 1000, 0));
        let req = log.requirement(Persistence::AofAlways, &h, 5000, 0);
        let mut held = Model::default();
        held.apply(&set, 1000);
        assert_eq!(log.check(&req, &h, &held, 2000), Ok(1), "the node holds the expired key: the SET is on disk");
        assert_eq!(log.check(&req, &h, &Model::default(), 2000), Ok(0), "without it, the first that looks the same");
        let mut other = Model::default();
        other.apply(&Op::Set { key: b"k".to_vec(), val: b"7".to_vec(), px: Some(100), nx: false }, 1000);
        assert_eq!(log.check(&req, &h, &other, 2000), Ok(0), "an expired key no prefix holds: still looks the same");
    }

    #[test]
    fn without_persistence_only_a_bgsave_survives() {
        let (mut log, h) = setup();
        let req = log.requirement(Persistence::None, &h, 5000, 0);
        assert_eq!(log.check(&req, &h, &Model::default(), 0), Ok(0));
        assert!(log.check(&req, &h, &state("3"), 0).is_err(), "nothing was saved");
        log.save_points.push(2);
        let req = log.requirement(Persistence::None, &h, 5000, 0);
        assert_eq!(log.check(&req, &h, &state("2"), 0), Ok(2), "a BGSAVE persists even without save lines");
    }

    #[test]
    fn a_forgotten_refused_write_is_in_no_allowed_state() {
        // Proves that after the log forgets a write the node refused, no recovery may show it,
        // and save points after it still name the same states.
        let (mut log, mut h) = setup();
        log.save_points.push(3);
        h.complete(2, 2500, crate::history::Outcome::Reply(b"+OK\r\n".to_vec()));
        log.forget(1);
        assert_eq!(log.save_points, vec![2]);
        let req = log.requirement(Persistence::AofAlways, &h, 5000, 0);
        assert_eq!(log.check(&req, &h, &state("3"), 0), Ok(2));
        assert!(log.check(&req, &h, &state("2"), 0).is_err(), "the refused write never happened");
        let req = log.requirement(Persistence::Rdb, &h, 5000, 0);
        assert_eq!(log.check(&req, &h, &state("3"), 0), Ok(2), "the save holds what ran before it");
        assert_eq!(log.replay(&h), state("3"));
        log.expiries.push((2, b"k".to_vec()));
        assert!(log.replay(&h).is_empty(), "an active expiry after the last write");
    }

    #[test]
    fn a_transaction_is_recovered_whole_or_not_at_all() {
        // Proves a committed EXEC is one step of the log: a recovery holding one of its two
        // writes matches no allowed state under any AOF policy (the torn tail of an AOF whose
        // transaction lost its MULTI/EXEC wrapper), neither or both pass where the policy
        // allows, and under `always` an acknowledged transaction must be there.
        let mut h = History::default();
        let mut log = DurabilityLog::default();
        let set = |key: &[u8]| Op::Set { key: key.to_vec(), val: b"v".to_vec(), px: None, nx: false };
        let id = h.invoke(0, Op::Exec { ops: vec![set(b"a"), set(b"b")] }, 0, false);
        log.ops.push((id, 0, 0));
        let mut half = Model::default();
        half.apply(&set(b"a"), 0);
        let mut whole = half.clone();
        whole.apply(&set(b"b"), 0);
        for policy in [Persistence::AofAlways, Persistence::AofEverysec, Persistence::AofNo] {
            let req = log.requirement(policy, &h, 5000, 0);
            assert!(log.check(&req, &h, &half, 0).is_err(), "{policy:?}: half a transaction");
            assert_eq!(log.check(&req, &h, &whole, 0), Ok(1), "{policy:?}");
            assert_eq!(log.check(&req, &h, &Model::default(), 0), Ok(0), "{policy:?}: not acknowledged");
        }
        h.complete(id, 10, crate::history::Outcome::Reply(b"*2\r\n+OK\r\n+OK\r\n".to_vec()));
        let req = log.requirement(Persistence::AofAlways, &h, 5000, 0);
        assert!(log.check(&req, &h, &Model::default(), 0).is_err(), "an acknowledged transaction was lost");
        assert_eq!(log.check(&req, &h, &whole, 0), Ok(1));
    }
}
