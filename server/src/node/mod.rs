//! The sans-IO node: the whole server as a deterministic state machine.
//!
//! # Calling order
//! The shell (tokio in production, the simulator in tests) drives a `Node` with inputs and drains
//! its outputs:
//! 1. `handle_connect` when a connection is accepted, `handle_input` when bytes arrive,
//!    `handle_disconnect` when the peer goes away, `handle_timer` when `poll_timeout` is reached;
//!    every input carries the current `Time`.
//! 2. After every input, `poll_action` until it returns `None`: bytes to send, connections to
//!    close, log lines, shutdown.
//! 3. `poll_timeout` tells when to call `handle_timer` next.
//! 4. `handle_sent` as the shell writes a client's output to its socket: the node counts what it
//!    handed over and what is written, and closes a client whose unsent output passes its
//!    class's `client-output-buffer-limit` (a subscriber that never reads cannot grow the
//!    server's memory). It queues no action itself.
//!
//! The node never touches a socket, file, thread or clock, and draws randomness only from its
//! seeded `Rng`: the same inputs give the same outputs, bit for bit.

mod auth;
mod blocking;
pub mod client;
mod commands;
pub mod disk;
mod dispatch;
mod exec;
pub mod info;
mod latency;
mod latency_monitor;
mod limits;
mod monitor;
mod multi;
mod pause;
mod persist;
mod pubsub;
pub mod script;
mod slowlog;
#[cfg(test)]
mod testing;
mod timers;
mod tracking;

use std::collections::{BTreeMap, BTreeSet, VecDeque};

use verdis_engine::{Keyspace, Rng};

use crate::config::Config;
pub use crate::logging::LogLevel;
pub use client::{Client, ClientId};
pub use disk::{DiskError, DiskErrorKind, DiskId, DiskOk, DiskOp, DiskResult};
pub use info::{CpuUsage, ProcessInfo, ProcessProbe, ProcessSample};

/// The shell's check that a configuration's TLS options load (certificate, key, CA files,
/// protocols, ciphers); the error is the line to log. The node itself reads no file: without a
/// shell (tests, the simulator) every configuration passes.
pub type TlsCheck = fn(&Config) -> Result<(), String>;

/// The current time, as the shell's clock (or the simulator's) reads it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Time {
    /// Wall-clock unix time in microseconds (expiry, TIME, LASTSAVE).
    pub unix_us: i64,
    /// Monotonic microseconds since an arbitrary origin (timeouts, cron scheduling).
    pub mono_us: u64,
    /// How the node times the commands this input runs (commandstats' `usec`, latency).
    pub stopwatch: Stopwatch,
}

/// The shell's monotonic clock in microseconds, handed to the node with each input so it can
/// time the commands that input runs, as Redis's `ustime()` around `call()`. The node reads it
/// only for durations it reports; the simulator passes `Stopwatch::FROZEN`, so every duration is
/// 0 and runs stay deterministic.
#[derive(Clone, Copy, Debug)]
pub struct Stopwatch(pub fn() -> u64);

/// Two times are the same instant whatever stopwatch came with them: stopwatches compare equal.
impl PartialEq for Stopwatch {
    fn eq(&self, _: &Stopwatch) -> bool {
        true
    }
}

impl Eq for Stopwatch {}

impl Stopwatch {
    /// A stopwatch that never moves: every command takes 0 µs.
    pub const FROZEN: Stopwatch = Stopwatch(|| 0);

    /// The clock's reading now, in microseconds.
    pub fn read_us(self) -> u64 {
        (self.0)()
    }
}

impl Time {
    /// Unix time in milliseconds.
    pub fn unix_ms(self) -> i64 {
        self.unix_us.div_euclid(1000)
    }
}

/// What the node asks its shell to do.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Action {
    /// Write these bytes to the connection.
    Send {
        /// The connection.
        client: ClientId,
        /// Bytes to write, in order after any earlier `Send` to it.
        bytes: Vec<u8>,
    },
    /// Close the connection after writing what was sent before.
    Close {
        /// The connection.
        client: ClientId,
    },
    /// Close the connection now, dropping output not yet written (Redis's `freeClient` of a
    /// client over its output buffer limit): the peer stopped reading.
    Drop {
        /// The connection.
        client: ClientId,
    },
    /// Write a log line (the shell adds pid, role and timestamp, as Redis does).
    Log {
        /// Severity.
        level: LogLevel,
        /// The message.
        message: String,
    },
    /// Stop the process with this exit code once pending sends are flushed.
    Exit {
        /// Process exit code.
        code: i32,
    },
    /// Stop the whole server for this long (DEBUG SLEEP): Redis blocks its event loop, so the
    /// production shell sleeps its one thread; a simulator advances its clock instead.
    Pause {
        /// How long, in microseconds.
        duration_us: u64,
    },
    /// Carry out a disk operation and report its result with `Node::handle_disk` (see `disk`
    /// for the contract).
    Disk {
        /// Names the request in the result.
        id: DiskId,
        /// What to do.
        op: DiskOp,
    },
}

/// Counters for INFO stats.
#[derive(Clone, Debug, Default)]
pub struct ServerStats {
    /// Connections accepted.
    pub total_connections_received: u64,
    /// Commands executed.
    pub total_commands_processed: u64,
    /// Connections refused for `maxclients`.
    pub rejected_connections: u64,
    /// Bytes read from clients.
    pub total_net_input_bytes: u64,
    /// Bytes written to clients.
    pub total_net_output_bytes: u64,
    /// Error replies sent.
    pub total_error_replies: u64,
    /// Changes since the last save (Redis's `server.dirty`).
    pub dirty: u64,
    /// Error replies by error code (INFO errorstats).
    pub error_counts: BTreeMap<String, u64>,
    /// Calls, failures and rejections by command (INFO commandstats).
    pub command_counts: info::CommandCountsMap,
    /// Reads from client connections handled (`handle_input` calls).
    pub total_reads_processed: u64,
    /// Writes handed to the shell (`Send` actions).
    pub total_writes_processed: u64,
}

/// The server.
pub struct Node {
    config: Config,
    keyspace: Keyspace,
    rng: Rng,
    clients: BTreeMap<ClientId, Client>,
    /// Clients with replies or messages queued since the last flush: any input may write to
    /// any client, and every one of them is flushed before the input's handling ends.
    pending_output: BTreeSet<ClientId>,
    next_client_id: ClientId,
    actions: VecDeque<Action>,
    stats: ServerStats,
    /// Time of the latest input.
    now: Time,
    /// When the node started (INFO uptime).
    started: Time,
    /// Deadlines: cron, blocked clients' timeouts, the end of a pause.
    timers: timers::Timers,
    /// What the shell told us about the process (INFO server).
    process: ProcessInfo,
    /// Reads the process's memory and CPU counters; set by the shell.
    probe: ProcessProbe,
    /// Checks that a configuration's TLS options load (the shell reads the files); CONFIG SET of
    /// a TLS option fails as in Redis when they do not.
    tls_check: TlsCheck,
    /// INFO's ids, memory peak and sampled rates.
    info: info::InfoState,
    /// Clients parked by blocking commands.
    blocked: blocking::Blocked,
    /// Keys clients WATCH.
    watches: multi::Watches,
    /// Client-side caching: who may cache which keys.
    tracking: tracking::Tracking,
    /// Clients in MONITOR mode.
    monitors: BTreeSet<ClientId>,
    /// True while EXEC runs its queue (blocking and MONITOR are refused).
    in_exec: bool,
    /// DEBUG PAUSE-CRON: periodic work is skipped while set.
    cron_paused: bool,
    /// CLIENT PAUSE in force and the clients it postponed.
    pause: pause::Pause,
    /// Keyspace events a command raised after its reply, held until the reply is queued.
    events_after_reply: Vec<(ClientId, verdis_engine::cmd::effects::Touch)>,
    /// Loading, saving and the AOF.
    persist: persist::Persist,
    /// Who listens on which channel.
    pubsub: pubsub::Pubsub,
    /// The latest slow commands (SLOWLOG).
    slowlog: slowlog::SlowLog,
    /// ACL LOG's entries.
    acl_log: auth::log::AclLog,
    /// Latency events by class (LATENCY).
    latency_monitor: latency_monitor::LatencyMonitor,
    /// How long the running command asked the shell to stop the server for (DEBUG SLEEP): the
    /// shell sleeps after the node returns, out of the stopwatch's sight, yet the time is the
    /// command's, as in Redis, whose DEBUG SLEEP sleeps inside the command.
    command_sleep_us: u64,
    /// The Lua interpreter, the script cache and the script running now.
    scripts: script::Scripts,
}

impl Node {
    /// A node with `config`, its randomness seeded by `seed`, started at `now`.
    pub fn new(config: Config, seed: u64, now: Time) -> Node {
        let mut rng = Rng::new(seed);
        let keyspace = Keyspace::new(config.databases, &mut rng);
        let info = info::InfoState::new(&mut rng);
        Node {
            config,
            keyspace,
            rng,
            clients: BTreeMap::new(),
            pending_output: BTreeSet::new(),
            next_client_id: 1,
            actions: VecDeque::new(),
            stats: ServerStats::default(),
            now,
            started: now,
            timers: timers::Timers::default(),
            process: ProcessInfo::default(),
            probe: ProcessProbe::NONE,
            tls_check: |_| Ok(()),
            info,
            blocked: blocking::Blocked::default(),
            watches: multi::Watches::default(),
            tracking: tracking::Tracking::default(),
            monitors: BTreeSet::new(),
            in_exec: false,
            cron_paused: false,
            pause: pause::Pause::default(),
            events_after_reply: Vec::new(),
            persist: persist::Persist::new(now),
            pubsub: pubsub::Pubsub::default(),
            slowlog: slowlog::SlowLog::default(),
            acl_log: auth::log::AclLog::default(),
            latency_monitor: latency_monitor::LatencyMonitor::default(),
            command_sleep_us: 0,
            scripts: script::Scripts::new(),
        }
    }

    // ----- getters -----

    /// The configuration in force.
    pub fn config(&self) -> &Config {
        &self.config
    }

    /// The keyspace (for tests and the simulator's checks).
    pub fn keyspace(&self) -> &Keyspace {
        &self.keyspace
    }

    /// True while the node is on its way to exit after a disk error (`appendfsync always`: the
    /// failed write is being cut off durably first); `Action::Exit` follows.
    pub fn is_exiting(&self) -> bool {
        self.persist.aof.exiting > 0
    }

    /// Number of connected clients.
    pub fn client_count(&self) -> usize {
        self.clients.len()
    }

    // ----- inputs -----

    /// The shell is up and listening: logs the startup lines.
    pub fn handle_start(&mut self, now: Time) {
        self.now = now;
        self.started = now;
        self.timers.set(timers::Timer::Cron, now.mono_us);
        self.info_start();
        self.log(LogLevel::Notice, "oO0OoO0OoO0Oo verdis is starting oO0OoO0OoO0Oo".into());
        self.log(LogLevel::Notice, format!("verdis version={}, bits=64, just started", env!("CARGO_PKG_VERSION")));
        self.log(LogLevel::Notice, "Server initialized".into());
        self.persist = persist::Persist::new(now);
        self.persist_start();
    }

    /// The process received a termination signal (`"SIGTERM"`, `"SIGINT"`): shut down as Redis
    /// does on one.
    pub fn handle_signal(&mut self, now: Time, signal: &str) {
        self.now = now;
        self.log(LogLevel::Warning, format!("Received {signal} scheduling shutdown..."));
        self.shutdown(None, None, false);
    }

    /// Shuts down as Redis does: a final save when save points are set (or `save` is asked,
    /// and not `nosave`), a final AOF fsync, then exit. `client` is the SHUTDOWN caller, who
    /// gets an error if the save fails (unless `force`).
    fn shutdown(&mut self, client: Option<ClientId>, save: Option<bool>, force: bool) {
        self.log(LogLevel::Warning, "User requested shutdown...".into());
        self.kill_job();
        self.aof_final_sync();
        let save = save.unwrap_or(!self.config.save.is_empty());
        if save {
            self.log(LogLevel::Notice, "Saving the final RDB snapshot before exiting.".into());
            self.persist.shutdown_after = Some(persist::ShutdownWaiter { client, force });
            if let Some(id) = client {
                self.persist_wait(id);
            }
            self.start_job(persist::JobKind::Save);
            return;
        }
        self.finish_shutdown();
    }

    /// Closes every client and asks the shell to exit.
    fn finish_shutdown(&mut self) {
        let ids: Vec<ClientId> = self.clients.keys().copied().collect();
        for id in ids {
            self.free_client(id);
        }
        self.log(LogLevel::Warning, "verdis is now ready to exit, bye bye...".into());
        self.actions.push_back(Action::Exit { code: 0 });
    }

    /// Sets the check CONFIG SET runs when a TLS option changes (the shell's).
    pub fn set_tls_check(&mut self, check: TlsCheck) {
        self.tls_check = check;
    }

    /// A connection was accepted from `addr` on local address `laddr`. Returns its id. Past
    /// `maxclients` the node answers with Redis's error and asks for the connection to close.
    pub fn handle_connect(&mut self, now: Time, addr: String, laddr: String) -> ClientId {
        self.now = now;
        let id = self.next_client_id;
        self.next_client_id += 1;
        if self.clients.len() >= self.config.maxclients as usize {
            self.stats.rejected_connections += 1;
            let bytes = b"-ERR max number of clients reached\r\n".to_vec();
            self.actions.push_back(Action::Send { client: id, bytes });
            self.actions.push_back(Action::Close { client: id });
            return id;
        }
        if self.config.protected_mode_refuses(&addr) {
            self.stats.rejected_connections += 1;
            let bytes = crate::config::PROTECTED_MODE_DENIED.as_bytes().to_vec();
            self.actions.push_back(Action::Send { client: id, bytes });
            self.actions.push_back(Action::Close { client: id });
            return id;
        }
        // Like Redis, only accepted connections count (refusals count as rejected_connections).
        self.stats.total_connections_received += 1;
        let mut client = Client::new(id, addr, laddr, now.unix_ms());
        client.authenticated = self.auth_default_authenticated();
        client.ever_authenticated = client.authenticated;
        self.clients.insert(id, client);
        id
    }

    /// Bytes arrived on a connection.
    pub fn handle_input(&mut self, now: Time, id: ClientId, bytes: &[u8]) {
        self.now = now;
        let Some(client) = self.clients.get_mut(&id) else { return };
        if client.close_after_reply {
            return;
        }
        self.stats.total_net_input_bytes += bytes.len() as u64;
        self.stats.total_reads_processed += 1;
        client.query_buf.extend_from_slice(bytes);
        client.last_interaction_ms = now.unix_ms();
        if client.query_buf.len() as u64 > self.config.client_query_buffer_limit {
            self.close_for_query_limit(id);
            return;
        }
        self.process_input(id);
        self.end_input();
    }

    /// The peer closed the connection (or it failed).
    pub fn handle_disconnect(&mut self, now: Time, id: ClientId) {
        self.now = now;
        self.forget_client(id);
        self.end_input();
    }

    /// The timer set by `poll_timeout` fired.
    pub fn handle_timer(&mut self, now: Time) {
        self.now = now;
        while let Some(timer) = self.timers.pop_due(now.mono_us) {
            match timer {
                timers::Timer::Cron => {
                    self.cron();
                    let period_us = 1_000_000 / self.config.hz.max(1) as u64;
                    self.timers.set(timers::Timer::Cron, now.mono_us + period_us);
                }
                timers::Timer::PauseEnd => self.unpause(),
                timers::Timer::Blocked(id) => self.blocked_timed_out(id),
            }
        }
        self.job_tick();
        self.end_input();
    }

    /// The shell wrote `bytes` more of client `id`'s output to its socket (see the calling
    /// order). Queues no action.
    pub fn handle_sent(&mut self, now: Time, id: ClientId, bytes: usize) {
        self.now = now;
        if let Some(client) = self.clients.get_mut(&id) {
            client.unsent.written(bytes);
        }
    }

    /// The disk operation `id` completed (or failed).
    pub fn handle_disk(&mut self, now: Time, id: DiskId, result: DiskResult) {
        self.now = now;
        self.persist_disk_done(id, result);
        self.end_input();
    }

    // ----- outputs -----

    /// The next thing the shell must do, if any.
    pub fn poll_action(&mut self) -> Option<Action> {
        self.actions.pop_front()
    }

    /// Monotonic time (µs) at which `handle_timer` must next be called.
    pub fn poll_timeout(&self) -> u64 {
        let mut at = self.timers.next_us().unwrap_or(u64::MAX);
        // A snapshot in progress wants the next step as soon as the shell is idle.
        if let Some(job) = self.persist.job.as_ref().filter(|j| j.writing()) {
            at = at.min(job.next_step_us());
        }
        at
    }

    // ----- internals -----

    fn log(&mut self, level: LogLevel, message: String) {
        // `loglevel` can change at runtime (CONFIG SET), so the node filters, not the shell.
        if level < self.config.loglevel {
            return;
        }
        self.actions.push_back(Action::Log { level, message });
    }

    /// What every input ends with: clients unblocked meanwhile run their pipelined input, every
    /// client with pending output is flushed, and the AOF buffer is written.
    fn end_input(&mut self) {
        self.run_unblocked();
        self.tracking_end_input();
        self.flush_pending();
        self.aof_flush();
    }

    /// The one teardown: every way a client ends (disconnect, CLIENT KILL, QUIT, limits,
    /// timeout, shutdown) comes here, and each part forgets the client.
    fn forget_client(&mut self, id: ClientId) {
        if !self.clients.contains_key(&id) {
            return;
        }
        // The parts that read the client's own state forget it first.
        self.tracking_off(id);
        self.monitor_off(id);
        let client = self.clients.remove(&id).expect("checked");
        self.pubsub.forget(id, &client.subscriptions);
        self.pending_output.remove(&id);
        self.unpark(id);
        self.unwatch_all(id);
        self.pause.forget(id);
        self.persist.forget(id);
    }

    /// Drops a client at the server's initiative: forgets it and closes the connection.
    fn free_client(&mut self, id: ClientId) {
        self.forget_client(id);
        self.emit_output(Action::Close { client: id });
    }

    /// Hands every client's pending output to the shell, in client order.
    fn flush_pending(&mut self) {
        while let Some(id) = self.pending_output.pop_first() {
            self.flush_client(id);
        }
    }

    /// Hands the client's pending replies to the shell, and the close it asked for.
    fn flush_client(&mut self, id: ClientId) {
        let Some(client) = self.clients.get_mut(&id) else { return };
        let close = client.close_after_reply;
        if !client.reply_buf.is_empty() {
            let bytes = std::mem::take(&mut client.reply_buf);
            self.stats.total_net_output_bytes += bytes.len() as u64;
            self.stats.total_writes_processed += 1;
            client.unsent.handed(bytes.len());
            self.emit_output(Action::Send { client: id, bytes });
            if self.output_limit_reached(id) {
                return self.close_for_output_limit(id);
            }
        }
        if close {
            self.free_client(id);
        }
    }

    /// Drops a client over a limit: forgets it and closes the connection at once, output not yet
    /// written discarded (Redis's `freeClientAsync`).
    fn drop_client(&mut self, id: ClientId) {
        self.forget_client(id);
        self.emit_output(Action::Drop { client: id });
    }

    /// Periodic work, `hz` times a second (Redis's `serverCron`).
    fn cron(&mut self) {
        // DEBUG PAUSE-CRON 1 stops all of it, as Redis's `server.pause_cron` does.
        if self.cron_paused {
            return;
        }
        self.info_cron();
        self.persist_cron();
        let now_ms = self.now.unix_ms();
        // No key disappears during a CLIENT PAUSE.
        if !self.pause.active() {
            let start_us = self.now.stopwatch.read_us();
            verdis_engine::expire::active_expire_cycle(&mut self.keyspace, &self.config.engine, self.config.hz, now_ms);
            let duration_us = self.now.stopwatch.read_us().saturating_sub(start_us);
            self.latency_event("expire-cycle", duration_us);
            self.commit_active_expiry();
        }
        if self.config.timeout_s > 0 {
            let limit_ms = self.config.timeout_s as i64 * 1000;
            // Like Redis, a client parked by a blocking command is not idle.
            let idle: Vec<ClientId> = self
                .clients
                .values()
                .filter(|c| now_ms - c.last_interaction_ms > limit_ms && !self.blocked.is_blocked(c.id))
                .map(|c| c.id)
                .collect();
            for id in idle {
                self.log(LogLevel::Verbose, "Closing idle client".into());
                self.free_client(id);
            }
        }
    }
}
