//! The crash-recovery checker: pure functions from a recorded history and the recovered prefix
//! lengths to the list of violations.
//!
//! Every check rests on one fact: a server executes commands one at a time, and both the AOF and
//! a point-in-time snapshot hold a prefix of that execution order. The recorded times bound that
//! order: an op sent after another was acknowledged executed after it.

use std::fmt;
use std::time::Duration;

use crate::workload::ClientHistory;

/// What the recovered state must satisfy, beyond being a prefix of the executed history.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Expectation {
    /// `appendfsync always`: every acknowledged write is recovered.
    NoAckedLoss,
    /// `appendfsync everysec`: only writes acknowledged within this long before the kill may be lost.
    LossWithin(Duration),
    /// `appendfsync no`: any prefix (the OS decides when data reaches the disk).
    Prefix,
    /// RDB only: exactly the state at the last completed snapshot.
    LastSnapshot,
}

/// When a snapshot (BGSAVE, or the point-in-time base of a rewrite) took its point in time, as
/// observed from outside, and whether it completed before the kill.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct SnapshotWindow {
    /// The point in time is after this (ops acknowledged before it are in the snapshot).
    pub after: Duration,
    /// The point in time is before this (ops sent after it are not in the snapshot).
    pub before: Duration,
    /// How it ended, as far as the observer saw.
    pub end: SnapshotEnd,
}

/// How a snapshot ended.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum SnapshotEnd {
    /// Seen completed successfully before the kill.
    Completed,
    /// Seen failed.
    Failed,
    /// Running at the last look; it may have completed before the kill.
    Unknown,
    /// Seen running immediately before the kill: it cannot have completed (that takes a write,
    /// an fsync and a rename).
    RunningAtKill,
}

/// One way the recovered state breaks the promise.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Violation {
    /// A client's keys are no prefix of its ops (a gap, reordering, stray keys).
    NotAPrefix {
        /// Which client (`None`: the whole keyspace).
        client: Option<usize>,
        /// What was found.
        detail: String,
    },
    /// More ops recovered than the client ever sent (a stale directory, or invented data).
    Unsent {
        /// Which client.
        client: usize,
        /// Ops recovered.
        recovered: u64,
        /// Ops sent.
        sent: u64,
    },
    /// An op is recovered while an op acknowledged before it was sent is lost: not a prefix of
    /// the execution order.
    OutOfOrder {
        /// The client whose acknowledged op is lost.
        lost_client: usize,
        /// That op.
        lost_op: u64,
        /// When it was acknowledged.
        lost_acked: Duration,
        /// The client whose later op survived.
        kept_client: usize,
        /// That op.
        kept_op: u64,
        /// When it was sent.
        kept_sent: Duration,
    },
    /// An acknowledged write the expectation says must survive was lost.
    LostAcked {
        /// Which client.
        client: usize,
        /// The first lost op that had to survive.
        op: u64,
        /// When it was acknowledged.
        acked: Duration,
        /// When the server was killed.
        kill: Duration,
    },
    /// The state is not that of any snapshot that may have completed.
    NotLastSnapshot {
        /// Which client.
        client: usize,
        /// Ops recovered.
        recovered: u64,
        /// The range the last completed snapshot allows.
        allowed: (u64, u64),
    },
    /// A reply during the run was wrong (independent of the crash).
    BadReply {
        /// Which client.
        client: usize,
        /// What arrived.
        detail: String,
    },
    /// The files left by the crash are refused by Redis's checker tool.
    FileCheck {
        /// The tool and file.
        tool: String,
        /// Its output.
        output: String,
    },
    /// The restarted server did not come up on the files.
    RestartFailed(String),
}

impl fmt::Display for Violation {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Violation::NotAPrefix { client: Some(c), detail } => write!(f, "client {c}: not a prefix: {detail}"),
            Violation::NotAPrefix { client: None, detail } => write!(f, "not a prefix: {detail}"),
            Violation::Unsent { client, recovered, sent } => {
                write!(f, "client {client}: {recovered} ops recovered but only {sent} sent")
            }
            Violation::OutOfOrder { lost_client, lost_op, lost_acked, kept_client, kept_op, kept_sent } => write!(
                f,
                "client {lost_client} op {lost_op} (acked at {lost_acked:?}) lost, but client {kept_client} op \
                 {kept_op} (sent later, at {kept_sent:?}) recovered"
            ),
            Violation::LostAcked { client, op, acked, kill } => {
                write!(f, "client {client}: op {op} acked at {acked:?} lost (kill at {kill:?})")
            }
            Violation::NotLastSnapshot { client, recovered, allowed } => write!(
                f,
                "client {client}: {recovered} ops recovered, the last completed snapshot holds {}..={}",
                allowed.0, allowed.1
            ),
            Violation::BadReply { client, detail } => write!(f, "client {client}: bad reply: {detail}"),
            Violation::FileCheck { tool, output } => write!(f, "{tool} refused the files:\n{output}"),
            Violation::RestartFailed(reason) => write!(f, "restart failed: {reason}"),
        }
    }
}

/// Checks recovered prefix lengths (`recovered[c]` ops of client `c`) against the history, the
/// kill time, the snapshots observed, and the expectation.
pub fn check(
    expectation: Expectation,
    histories: &[ClientHistory],
    recovered: &[u64],
    snapshots: &[SnapshotWindow],
    kill: Duration,
) -> Vec<Violation> {
    assert_eq!(histories.len(), recovered.len(), "one recovered length per client");
    let mut violations = Vec::new();
    for (client, (history, &ops)) in histories.iter().zip(recovered).enumerate() {
        if ops > history.ops.len() as u64 {
            violations.push(Violation::Unsent { client, recovered: ops, sent: history.ops.len() as u64 });
        }
    }
    if !violations.is_empty() {
        return violations;
    }
    violations.extend(check_order(histories, recovered));
    match expectation {
        Expectation::NoAckedLoss => violations.extend(check_acked_before(histories, recovered, None, kill)),
        Expectation::LossWithin(window) => {
            violations.extend(check_acked_before(histories, recovered, Some(kill.saturating_sub(window)), kill))
        }
        Expectation::Prefix => {}
        Expectation::LastSnapshot => violations.extend(check_snapshot(histories, recovered, snapshots)),
    }
    violations
}

/// The recovered state is a prefix of the execution order: if an acknowledged op is lost, no op
/// sent after that acknowledgement survives.
fn check_order(histories: &[ClientHistory], recovered: &[u64]) -> Vec<Violation> {
    let mut violations = Vec::new();
    for (lost_client, (history, &ops)) in histories.iter().zip(recovered).enumerate() {
        let Some(lost_acked) = history.ops.get(ops as usize).and_then(|op| op.acked) else { continue };
        for (kept_client, (other, &kept)) in histories.iter().zip(recovered).enumerate() {
            // Sends are in order per client, so the last recovered op is the latest sent.
            let Some(kept_op) = kept.checked_sub(1).map(|i| other.ops[i as usize]) else { continue };
            if kept_op.sent > lost_acked {
                violations.push(Violation::OutOfOrder {
                    lost_client,
                    lost_op: ops + 1,
                    lost_acked,
                    kept_client,
                    kept_op: kept,
                    kept_sent: kept_op.sent,
                });
            }
        }
    }
    violations
}

/// Every op acknowledged before `before` (any acknowledged op when `None`) is recovered.
fn check_acked_before(
    histories: &[ClientHistory],
    recovered: &[u64],
    before: Option<Duration>,
    kill: Duration,
) -> Vec<Violation> {
    let mut violations = Vec::new();
    for (client, (history, &ops)) in histories.iter().zip(recovered).enumerate() {
        let lost = history.ops.iter().enumerate().skip(ops as usize).find_map(|(at, op)| {
            op.acked.filter(|acked| before.is_none_or(|b| *acked < b)).map(|acked| (at as u64 + 1, acked))
        });
        if let Some((op, acked)) = lost {
            violations.push(Violation::LostAcked { client, op, acked, kill });
        }
    }
    violations
}

/// The ops a snapshot with `window` must and may hold for one client: (at least, at most).
fn snapshot_bounds(history: &ClientHistory, window: &SnapshotWindow) -> (u64, u64) {
    let must = history.ops.iter().rposition(|op| op.acked.is_some_and(|a| a < window.after)).map_or(0, |i| i + 1);
    let may = history.ops.iter().position(|op| op.sent > window.before).unwrap_or(history.ops.len());
    (must as u64, may as u64)
}

/// The state is that of the last completed snapshot, or of a later one that was still running
/// at the last observation and may have completed before the kill; with no completed snapshot,
/// the empty state.
fn check_snapshot(histories: &[ClientHistory], recovered: &[u64], snapshots: &[SnapshotWindow]) -> Vec<Violation> {
    let last_completed = snapshots.iter().rposition(|s| s.end == SnapshotEnd::Completed);
    let mut candidates: Vec<Option<&SnapshotWindow>> = vec![last_completed.map(|i| &snapshots[i])];
    let later = last_completed.map_or(0, |i| i + 1);
    candidates.extend(snapshots[later..].iter().filter(|s| s.end == SnapshotEnd::Unknown).map(Some));
    let fits = |window: &Option<&SnapshotWindow>, history: &ClientHistory, ops: u64| match window {
        None => ops == 0,
        Some(w) => {
            let (must, may) = snapshot_bounds(history, w);
            (must..=may).contains(&ops)
        }
    };
    // One snapshot must explain every client at once.
    if candidates.iter().any(|w| histories.iter().zip(recovered).all(|(h, &ops)| fits(w, h, ops))) {
        return Vec::new();
    }
    let mut violations = Vec::new();
    for (client, (history, &ops)) in histories.iter().zip(recovered).enumerate() {
        if !fits(&candidates[0], history, ops) {
            let allowed = candidates[0].map_or((0, 0), |w| snapshot_bounds(history, w));
            violations.push(Violation::NotLastSnapshot { client, recovered: ops, allowed });
        }
    }
    if violations.is_empty() {
        // Each client fits some candidate but no single candidate fits them all.
        violations
            .push(Violation::NotAPrefix { client: None, detail: "clients recovered from different snapshots".into() });
    }
    violations
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::workload::OpRecord;

    fn ms(n: u64) -> Duration {
        Duration::from_millis(n)
    }

    /// A client whose op `k` (1-based) was sent at `start + 10k` ms and acked 5 ms later; the last
    /// `unacked` ops got no reply.
    fn client(start: u64, ops: u64, unacked: u64) -> ClientHistory {
        let ops = (1..=ops)
            .map(|k| {
                let sent = ms(start + 10 * k);
                OpRecord { sent, acked: (k + unacked <= ops).then_some(sent + ms(5)) }
            })
            .collect();
        ClientHistory { ops, bad_replies: vec![] }
    }

    #[test]
    fn all_acked_recovered_passes_always() {
        // Proves the checker accepts a full recovery, with or without the in-flight op.
        let h = [client(0, 10, 1), client(3, 10, 1)];
        assert_eq!(check(Expectation::NoAckedLoss, &h, &[9, 10], &[], ms(200)), vec![]);
    }

    #[test]
    fn lost_acknowledged_write_fails_always_but_not_prefix() {
        // Proves NoAckedLoss reports the first lost acked op, and Prefix tolerates it.
        // Client 0's last two ops got no reply; client 1's op 8 was acked at 85 ms.
        let h = [client(0, 10, 2), client(0, 10, 0)];
        let violations = check(Expectation::NoAckedLoss, &h, &[8, 7], &[], ms(200));
        assert_eq!(violations, vec![Violation::LostAcked { client: 1, op: 8, acked: ms(85), kill: ms(200) }]);
        assert_eq!(check(Expectation::Prefix, &h, &[8, 7], &[], ms(200)), vec![]);
    }

    #[test]
    fn prefix_across_clients_is_enforced() {
        // Proves a later op of one client surviving while an earlier acked op of another is lost
        // is reported: client 1 lost op 2 (acked at 25 ms) but client 0 kept op 10 (sent at 100 ms).
        let h = [client(0, 10, 0), client(0, 10, 0)];
        let violations = check(Expectation::Prefix, &h, &[10, 1], &[], ms(200));
        assert!(matches!(violations[..], [Violation::OutOfOrder { lost_client: 1, lost_op: 2, kept_client: 0, .. }]));
    }

    #[test]
    fn everysec_window_bounds_the_loss() {
        // Proves LossWithin lets ops acked inside the window go, and no earlier ones.
        let h = [client(0, 100, 0)];
        // Kill at 1000 ms, window 500 ms: ops acked before 500 ms (op 49 at 495 ms) must survive.
        assert_eq!(check(Expectation::LossWithin(ms(500)), &h, &[49], &[], ms(1000)), vec![]);
        let violations = check(Expectation::LossWithin(ms(500)), &h, &[48], &[], ms(1000));
        assert_eq!(violations, vec![Violation::LostAcked { client: 0, op: 49, acked: ms(495), kill: ms(1000) }]);
    }

    #[test]
    fn snapshot_must_be_the_last_completed_one() {
        // Proves LastSnapshot accepts the state inside the snapshot's window and rejects a later
        // state (writes after the save) and an older one.
        let h = [client(0, 100, 0)];
        let window = SnapshotWindow { after: ms(300), before: ms(320), end: SnapshotEnd::Completed };
        // Acked before 300 ms: ops 1..=29 (op 29 acked at 295); sent by 320 ms: ops up to 32.
        for ok in 29..=32 {
            assert_eq!(check(Expectation::LastSnapshot, &h, &[ok], &[window], ms(900)), vec![], "{ok}");
        }
        for bad in [28, 33, 100] {
            assert!(!check(Expectation::LastSnapshot, &h, &[bad], &[window], ms(900)).is_empty(), "{bad}");
        }
        // No completed save: only the empty state.
        for end in [SnapshotEnd::Failed, SnapshotEnd::RunningAtKill] {
            let unfinished = SnapshotWindow { end, ..window };
            assert!(!check(Expectation::LastSnapshot, &h, &[30], &[unfinished], ms(900)).is_empty());
            assert_eq!(check(Expectation::LastSnapshot, &h, &[0], &[unfinished], ms(900)), vec![]);
        }
        // A save still running at the last look may have finished before the kill.
        let running = SnapshotWindow { end: SnapshotEnd::Unknown, ..window };
        assert_eq!(check(Expectation::LastSnapshot, &h, &[30], &[running], ms(900)), vec![]);
    }

    #[test]
    fn more_than_sent_is_reported() {
        // Proves recovering ops nobody sent (a stale directory) is a violation.
        let h = [client(0, 3, 0)];
        assert_eq!(
            check(Expectation::Prefix, &h, &[5], &[], ms(100)),
            vec![Violation::Unsent { client: 0, recovered: 5, sent: 3 }]
        );
    }
}
