//! Which refusals a fault explains. A node may refuse a request with `-MISCONF` or `-LOADING`
//! only while the fault behind that reply is active: a refusal nothing explains is a bug (the
//! model would have applied the request), so the world checks each one against what it knows
//! independently of the node: the disk results it delivered and whether the node is loading.
//!
//! The rules (Redis 7.0's `writeCommandsDeniedByDiskError`, `processCommand`):
//! - `-MISCONF Errors writing to the AOF file`: an AOF append or fsync failed in this
//!   incarnation and the node has not yet logged that it can write again;
//! - any other `-MISCONF` (the RDB one): a snapshot write failed in this incarnation and no
//!   save has completed since;
//! - `-LOADING`: the node is loading its dataset;
//! - `-OOM`: never (the simulator sets no `maxmemory` and verdis has no eviction yet);
//! - EXEC refused for one of these (`-EXECABORT Transaction discarded because of: MISCONF ...`,
//!   Redis's `execCommandAbort`): as the refusal it wraps.

/// How EXEC wraps the refusal that discarded its transaction.
const EXEC_ABORT_PREFIX: &[u8] = b"-EXECABORT Transaction discarded because of: ";

/// The refusal in `reply`, without its `-` and without EXEC's wrapper.
fn refusal(reply: &[u8]) -> &[u8] {
    reply.strip_prefix(EXEC_ABORT_PREFIX).or_else(|| reply.strip_prefix(b"-")).unwrap_or(reply)
}

/// The faults active when a request executed (a copy travels with a reply the node holds back).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct ActiveFaults {
    /// An AOF append or fsync failed and the node has not recovered from it.
    pub aof_write_failing: bool,
    /// A snapshot's write failed and no save completed since.
    pub rdb_save_failing: bool,
    /// The node is loading its dataset.
    pub loading: bool,
}

impl ActiveFaults {
    /// True for a fault rejection (whether or not it is explained): a refusal the model must
    /// not apply.
    pub fn is_rejection(reply: &[u8]) -> bool {
        let inner = refusal(reply);
        reply.starts_with(b"-")
            && (inner.starts_with(b"MISCONF") || inner.starts_with(b"LOADING") || inner.starts_with(b"OOM"))
    }

    /// Whether these faults explain the rejection `reply`.
    pub fn explain(&self, reply: &[u8]) -> bool {
        let reply = refusal(reply);
        if reply.starts_with(b"MISCONF Errors writing to the AOF file") {
            self.aof_write_failing
        } else if reply.starts_with(b"MISCONF") {
            self.rdb_save_failing
        } else if reply.starts_with(b"LOADING") {
            self.loading
        } else {
            false
        }
    }

    /// Notes a node log line that ends a fault.
    pub fn note_log(&mut self, message: &str) {
        if message.starts_with("AOF write error looks solved") {
            self.aof_write_failing = false;
        }
        if message.starts_with("Background saving terminated with success") || message == "DB saved on disk" {
            self.rdb_save_failing = false;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const AOF: &[u8] = b"-MISCONF Errors writing to the AOF file: No space left on device\r\n";
    const RDB: &[u8] =
        b"-MISCONF Redis is configured to save RDB snapshots, but it's currently unable to persist to disk.\r\n";
    const LOADING: &[u8] = b"-LOADING Redis is loading the dataset in memory\r\n";
    const OOM: &[u8] = b"-OOM command not allowed when used memory > 'maxmemory'.\r\n";

    #[test]
    fn each_refusal_needs_its_own_fault() {
        // Proves a refusal is accepted only under the fault that explains it: none with no
        // fault, each with its own, none with another's, and OOM never.
        let none = ActiveFaults::default();
        let aof = ActiveFaults { aof_write_failing: true, ..none };
        let rdb = ActiveFaults { rdb_save_failing: true, ..none };
        let loading = ActiveFaults { loading: true, ..none };
        let all = ActiveFaults { aof_write_failing: true, rdb_save_failing: true, loading: true };
        for (faults, reply, want) in [
            (none, AOF, false),
            (none, RDB, false),
            (none, LOADING, false),
            (aof, AOF, true),
            (aof, RDB, false),
            (aof, LOADING, false),
            (rdb, RDB, true),
            (rdb, AOF, false),
            (loading, LOADING, true),
            (loading, AOF, false),
            (all, OOM, false),
        ] {
            assert!(ActiveFaults::is_rejection(reply));
            assert_eq!(faults.explain(reply), want, "{faults:?} {}", String::from_utf8_lossy(reply));
        }
        assert!(!ActiveFaults::is_rejection(b"-ERR MISCONF\r\n"));
    }

    #[test]
    fn an_exec_discarded_by_a_refusal_is_that_refusal() {
        // Proves EXEC's `-EXECABORT` wrapping a fault refusal is a rejection explained by the
        // same fault only, while EXEC aborted by a queueing error is an ordinary reply.
        let aof = b"-EXECABORT Transaction discarded because of: MISCONF Errors writing to the AOF file: EIO\r\n";
        let loading =
            b"-EXECABORT Transaction discarded because of: LOADING Redis is loading the dataset in memory\r\n";
        let none = ActiveFaults::default();
        assert!(ActiveFaults::is_rejection(aof) && ActiveFaults::is_rejection(loading));
        assert!(ActiveFaults { aof_write_failing: true, ..none }.explain(aof));
        assert!(!ActiveFaults { rdb_save_failing: true, ..none }.explain(aof));
        assert!(ActiveFaults { loading: true, ..none }.explain(loading));
        assert!(!ActiveFaults::is_rejection(b"-EXECABORT Transaction discarded because of previous errors.\r\n"));
    }

    #[test]
    fn a_recovery_log_ends_its_fault_only() {
        // Proves the node's recovery lines end the matching fault and leave the other active.
        let mut f = ActiveFaults { aof_write_failing: true, rdb_save_failing: true, loading: false };
        f.note_log("AOF write error looks solved, Redis can write again.");
        assert!(!f.explain(AOF) && f.explain(RDB));
        f.note_log("Background saving terminated with success");
        assert!(!f.explain(RDB));
    }
}
