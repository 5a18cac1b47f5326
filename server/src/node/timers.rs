//! The node's deadlines in one named table: cron, blocked clients' timeouts, the end of a CLIENT
//! PAUSE. `Node::poll_timeout` reads its minimum (and the running snapshot's next step, which
//! the job keeps as it paces itself); `handle_timer` takes the entries that are due.

use std::collections::{BTreeMap, BTreeSet};

use super::ClientId;

/// What a deadline is for.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub(super) enum Timer {
    /// The next `serverCron` run (`hz` times a second).
    Cron,
    /// The end of the CLIENT PAUSE in force.
    PauseEnd,
    /// A blocked client's timeout.
    Blocked(ClientId),
}

/// Deadlines (monotonic µs), each timer at most once.
#[derive(Debug, Default)]
pub(super) struct Timers {
    by_deadline: BTreeSet<(u64, Timer)>,
    by_timer: BTreeMap<Timer, u64>,
}

impl Timers {
    /// Arms `timer` at `at_us`, replacing its previous deadline.
    pub fn set(&mut self, timer: Timer, at_us: u64) {
        self.cancel(timer);
        self.by_deadline.insert((at_us, timer));
        self.by_timer.insert(timer, at_us);
    }

    /// Disarms `timer` (no-op when it is not armed).
    pub fn cancel(&mut self, timer: Timer) {
        if let Some(at) = self.by_timer.remove(&timer) {
            self.by_deadline.remove(&(at, timer));
        }
    }

    /// The deadline of `timer`, if armed.
    pub fn get(&self, timer: Timer) -> Option<u64> {
        self.by_timer.get(&timer).copied()
    }

    /// The earliest deadline.
    pub fn next_us(&self) -> Option<u64> {
        self.by_deadline.first().map(|&(at, _)| at)
    }

    /// Disarms and returns the earliest timer due at `now_us`, if any.
    pub fn pop_due(&mut self, now_us: u64) -> Option<Timer> {
        let &(at, timer) = self.by_deadline.first()?;
        if at > now_us {
            return None;
        }
        self.cancel(timer);
        Some(timer)
    }

    /// Number of blocked clients with a timeout (INFO `clients_in_timeout_table`).
    pub fn blocked_count(&self) -> usize {
        self.by_timer.keys().filter(|t| matches!(t, Timer::Blocked(_))).count()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn deadlines_pop_in_order_and_rearm() {
        // Proves the table keeps one deadline per timer, pops due timers earliest first (ties in
        // timer order), and that re-arming or cancelling moves a timer.
        let mut t = Timers::default();
        t.set(Timer::Cron, 100);
        t.set(Timer::Blocked(7), 50);
        t.set(Timer::PauseEnd, 50);
        t.set(Timer::Cron, 40);
        assert_eq!(t.next_us(), Some(40));
        assert_eq!(t.blocked_count(), 1);
        assert_eq!(t.pop_due(45), Some(Timer::Cron));
        assert_eq!(t.pop_due(45), None);
        t.cancel(Timer::PauseEnd);
        assert_eq!(t.pop_due(60), Some(Timer::Blocked(7)));
        assert_eq!(t.pop_due(1_000), None);
        assert_eq!(t.get(Timer::Cron), None);
    }
}
