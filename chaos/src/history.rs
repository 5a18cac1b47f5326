//! The recorded history of a run: every request a client issued, when it was invoked and
//! completed, and what came back. This is what a linearizability checker consumes: an operation
//! that timed out or whose connection reset is indeterminate (it may or may not have happened).

use crate::op::Op;

/// Names one operation in a run.
pub type OpId = usize;

/// How an operation ended.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Outcome {
    /// Still in flight.
    Pending,
    /// The reply, as RESP2 bytes.
    Reply(Vec<u8>),
    /// The client gave up waiting (indeterminate).
    Timeout,
    /// The connection reset or closed first (indeterminate).
    Reset,
}

impl Outcome {
    /// True when the operation may or may not have taken effect.
    pub fn is_indeterminate(&self) -> bool {
        matches!(self, Outcome::Timeout | Outcome::Reset | Outcome::Pending)
    }
}

/// One operation of the history.
#[derive(Clone, Debug)]
pub struct Record {
    /// The client process that issued it.
    pub client: usize,
    /// The command.
    pub op: Op,
    /// When the client sent it (simulated µs).
    pub invoke_us: u64,
    /// When it ended, if it has.
    pub complete_us: Option<u64>,
    /// How it ended.
    pub outcome: Outcome,
    /// Issued during the liveness phase (must complete with a reply).
    pub liveness: bool,
}

/// Every operation of a run, indexed by `OpId`.
#[derive(Clone, Debug, Default)]
pub struct History {
    /// The records, in invocation order.
    pub records: Vec<Record>,
}

impl History {
    /// Records an invocation.
    pub fn invoke(&mut self, client: usize, op: Op, now_us: u64, liveness: bool) -> OpId {
        self.records.push(Record {
            client,
            op,
            invoke_us: now_us,
            complete_us: None,
            outcome: Outcome::Pending,
            liveness,
        });
        self.records.len() - 1
    }

    /// Records how `id` ended (the first ending wins).
    pub fn complete(&mut self, id: OpId, now_us: u64, outcome: Outcome) {
        let r = &mut self.records[id];
        if r.outcome == Outcome::Pending {
            r.complete_us = Some(now_us);
            r.outcome = outcome;
        }
    }

    /// When `id` was acknowledged with a reply, if it was.
    pub fn acked_at(&self, id: OpId) -> Option<u64> {
        let r = &self.records[id];
        matches!(r.outcome, Outcome::Reply(_)).then_some(r.complete_us).flatten()
    }

    /// Operations with a reply.
    pub fn completed(&self) -> usize {
        self.records.iter().filter(|r| matches!(r.outcome, Outcome::Reply(_))).count()
    }
}
