//! CLIENT PAUSE and UNPAUSE (Redis's `pauseClients`).
//!
//! While a pause lasts, a client's command that it covers (every command for ALL; for WRITE,
//! writes and commands that may replicate, EXEC of such a transaction included) is postponed:
//! it stays unparsed in the client's query buffer with everything after it, and runs, in the
//! order clients were postponed, when the pause ends (its deadline passes or CLIENT UNPAUSE).
//! The active expire cycle does not run meanwhile, so no key disappears during a pause.
//!
//! Difference from Redis: a key whose time passes during a WRITE pause is deleted when a
//! command reads it (Redis reports it missing and keeps it until the pause ends).

use std::collections::VecDeque;

use verdis_engine::cmd::args::eq_ci;
use verdis_engine::cmd::spec::CmdFlag;
use verdis_engine::num::parse_i64;
use verdis_engine::{CmdError, Command, Reply};

use super::timers::Timer;
use super::{ClientId, Node};

/// A pause in force (its deadline is `Timer::PauseEnd`).
#[derive(Debug, Default)]
pub(super) struct Pause {
    /// A pause is in force.
    paused: bool,
    /// True for ALL, false for WRITE.
    all: bool,
    /// Clients whose next command waits for the pause to end, in order.
    postponed: VecDeque<ClientId>,
}

impl Pause {
    /// True when `id` waits for the pause to end.
    pub fn is_postponed(&self, id: ClientId) -> bool {
        self.postponed.contains(&id)
    }

    /// True while writes (or everything) are paused: the active expire cycle waits.
    pub fn active(&self) -> bool {
        self.paused
    }

    /// Forgets a client that is gone.
    pub fn forget(&mut self, id: ClientId) {
        self.postponed.retain(|&c| c != id);
    }
}

impl Node {
    /// CLIENT PAUSE timeout [WRITE|ALL]
    pub(super) fn client_pause(&mut self, argv: &[&[u8]]) -> Result<Reply, CmdError> {
        let timeout_ms = parse_i64(argv[2]).ok_or(CmdError::msg("ERR timeout is not an integer or out of range"))?;
        if timeout_ms < 0 {
            return Err(CmdError::msg("ERR timeout is negative"));
        }
        let all = match argv.get(3) {
            None => true,
            Some(mode) if eq_ci(mode, "all") && argv.len() == 4 => true,
            Some(mode) if eq_ci(mode, "write") && argv.len() == 4 => false,
            Some(_) => return Err(CmdError::msg("ERR CLIENT PAUSE mode must be WRITE or ALL")),
        };
        let until_us = self.now.mono_us.saturating_add((timeout_ms as u64).saturating_mul(1000));
        // A later deadline and the stronger mode of two pauses hold (Redis's `pauseClients`).
        let pause = &mut self.pause;
        pause.all = if pause.paused { pause.all || all } else { all };
        pause.paused = true;
        let until_us = self.timers.get(Timer::PauseEnd).map_or(until_us, |at| at.max(until_us));
        self.timers.set(Timer::PauseEnd, until_us);
        Ok(Reply::Ok)
    }

    /// CLIENT UNPAUSE
    pub(super) fn client_unpause(&mut self) -> Reply {
        self.unpause();
        Reply::Ok
    }

    /// Ends the pause: postponed clients run their input again, in order.
    pub(super) fn unpause(&mut self) {
        self.timers.cancel(Timer::PauseEnd);
        self.pause.paused = false;
        self.pause.all = false;
        while let Some(id) = self.pause.postponed.pop_front() {
            if let Some(client) = self.clients.get_mut(&id) {
                client.blocked = false;
            }
            self.blocked.unblocked.push_back(id);
        }
    }

    /// Postpones `id`'s command `cmd` when the pause in force covers it; true when it did.
    pub(super) fn pause_postpones(&mut self, id: ClientId, cmd: &Command, argv: &[&[u8]]) -> bool {
        if !self.pause.paused {
            return false;
        }
        let may_replicate = cmd.spec.has(CmdFlag::Write)
            || cmd.spec.has(CmdFlag::MayReplicate)
            || (cmd.spec.name == "exec"
                && self.clients.get(&id).and_then(|c| c.multi.as_ref()).is_some_and(|q| q.has_write()))
            || self.eval_admission_flags(cmd, argv).is_some_and(|(_, may_replicate)| may_replicate);
        if !(self.pause.all || may_replicate) {
            return false;
        }
        if let Some(client) = self.clients.get_mut(&id) {
            client.blocked = true;
        }
        self.pause.postponed.push_back(id);
        true
    }
}
