//! The configuration table: every option verdis understands, declared once.
//!
//! One row per option (`table::ROWS`: name, alias, flags, kind, default, where the value lives)
//! drives redis.conf parsing (`file`), the command line (`--port 7000` becomes a config line, as
//! in redis-server), CONFIG GET (glob patterns over names and aliases) and CONFIG SET (several
//! pairs, all or none, refusing immutable and protected options), with Redis 7.0's error texts.
//!
//! Every option of Redis 7.0 has a row, so a stock redis.conf loads unchanged. Options verdis acts
//! on live in typed fields of `Config` (or `Config.engine` for the ones commands read); the rest
//! are validated exactly as Redis validates them and kept, typed, in `Config::other` so CONFIG GET
//! shows them, until the feature that reads them arrives. To act on such an option, add a typed
//! field here and point its row at it with `field!(name)` in `table.rs`, and mark it `ActedOn`
//! in `support.rs`.
//!
//! `support::AUDIT` says, for every option, whether verdis acts on it, refuses a non-default
//! value (startup and CONFIG SET: replicaof, TLS, cluster mode...) or warns about one (startup
//! log and CONFIG SET log: maxmemory, requirepass...): a setting is never silently ignored.
//!
//! Deliberate differences, each a Redis *apply* failure text so clients see a familiar error:
//! CONFIG SET cannot change `port` or `bind` (the runtime cannot rebind yet). `dir` is validated for syntax only here; the file loader enters it.

mod file;
mod renames;
mod rewrite;
mod support;
pub(crate) mod syntax;
mod table;

use std::borrow::Cow;
use std::collections::{BTreeMap, HashSet};
use std::sync::OnceLock;

use verdis_engine::cmd::effects::NotifyClass;
use verdis_engine::config::MaxmemoryPolicy;
use verdis_engine::EngineConfig;

use crate::logging::LogLevel;
pub use file::{command_line_options, CommandLine, ConfigFileError, ConfigHost, RealHost};
pub use renames::CommandRenames;
pub use support::{Audit, Support, AUDIT};
pub use syntax::strerror;
pub use table::Row;
use table::{Slot, ROWS};

/// `hz` is a hint: Redis clamps it into this range after every change.
const HZ_MIN: u32 = 1;
/// See `HZ_MIN`.
const HZ_MAX: u32 = 500;

/// One `save <seconds> <changes>` point: snapshot when at least `changes` writes happened within
/// `seconds`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct SavePoint {
    /// Seconds since the last save.
    pub seconds: i64,
    /// Writes since the last save (a C `int` in Redis, and printed as one).
    pub changes: i32,
}

/// One client class's `client-output-buffer-limit`: a client whose unsent output reaches
/// `hard_bytes`, or stays at or over `soft_bytes` for more than `soft_seconds`, is closed (0 turns
/// a limit off).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct OutputLimit {
    /// The hard limit in bytes.
    pub hard_bytes: u64,
    /// The soft limit in bytes.
    pub soft_bytes: u64,
    /// How long the soft limit may be exceeded, in seconds (a C `int` in Redis).
    pub soft_seconds: i32,
}

/// `client-output-buffer-limit`: one limit per class, as Redis's `client_obuf_limits`.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct OutputLimits {
    /// Ordinary clients (`normal`; a primary this node follows counts as one, as in Redis).
    pub normal: OutputLimit,
    /// Replicas (`slave` / `replica`).
    pub replica: OutputLimit,
    /// Clients in pub/sub mode (`pubsub`).
    pub pubsub: OutputLimit,
}

/// Who may use a protected feature (`enable-debug-command`, `enable-protected-configs`).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Default)]
pub enum ProtectedAction {
    /// Nobody (the default).
    #[default]
    No,
    /// Every client.
    Yes,
    /// Clients on the loopback interface (127.0.0.1, ::1).
    Local,
}

impl ProtectedAction {
    /// True when a client at peer address `addr` (`ip:port`) may proceed (Redis's
    /// `allowProtectedAction`).
    pub fn allows(self, addr: &str) -> bool {
        match self {
            ProtectedAction::No => false,
            ProtectedAction::Yes => true,
            ProtectedAction::Local => is_local_addr(addr),
        }
    }
}

/// True when the peer address (`ip:port`, `[ip]:port` or `ip`) is 127.0.0.1 or ::1, the two
/// addresses Redis's `islocalClient` treats as local, or a unix socket's path (`path:0`: not an
/// IP address but an absolute path: the runtime passes unix peers so), which Redis treats as
/// local too.
pub fn is_local_addr(addr: &str) -> bool {
    let ip = match addr.rsplit_once(':') {
        Some((ip, port)) if !port.is_empty() && port.bytes().all(|c| c.is_ascii_digit()) => ip,
        _ => addr,
    };
    let ip = ip.trim_start_matches('[').trim_end_matches(']');
    ip == "127.0.0.1" || ip == "::1" || ip.starts_with('/')
}

/// What a non-loopback client receives, before being disconnected, while protected mode is on
/// and the default user has no password (Redis 7.0's text, byte for byte).
pub const PROTECTED_MODE_DENIED: &str = "-DENIED Redis is running in protected mode because protected mode is enabled and no password is set for the default user. In this mode connections are only accepted from the loopback interface. If you want to connect from external computers to Redis you may adopt one of the following solutions: 1) Just disable protected mode sending the command 'CONFIG SET protected-mode no' from the loopback interface by connecting to Redis from the same host the server is running, however MAKE SURE Redis is not publicly accessible from internet if you do so. Use CONFIG REWRITE to make this change permanent. 2) Alternatively you can just disable the protected mode by editing the Redis configuration file, and setting the protected mode option to 'no', and then restarting the server. 3) If you started the server manually just for testing, restart it with the '--protected-mode no' option. 4) Setup a an authentication password for the default user. NOTE: You only need to do one of the above things in order for the server to start accepting connections from the outside.\r\n";

/// The whole server configuration, typed.
#[derive(Clone, Debug)]
pub struct Config {
    /// `port`.
    pub port: u16,
    /// `bind`: addresses to listen on (a leading `-` marks one whose failure is not fatal).
    pub bind: Vec<String>,
    /// `protected-mode`: refuse non-loopback clients while the default user has no password.
    pub protected_mode: bool,
    /// `dir`: the working directory. The runtime chdirs there at startup and stores the absolute
    /// path here; the node never touches the file system.
    pub dir: String,
    /// `databases`.
    pub databases: usize,
    /// `hz`: server cron frequency, clamped to 1..=500 as Redis does.
    pub hz: u32,
    /// `maxclients`.
    pub maxclients: u32,
    /// `timeout`: idle client timeout in seconds (0 = never).
    pub timeout_s: u64,
    /// `tcp-keepalive`: seconds between keepalive probes (0 = off).
    pub tcp_keepalive_s: u32,
    /// `tcp-backlog`: the listen queue length.
    pub tcp_backlog: u32,
    /// `loglevel`.
    pub loglevel: LogLevel,
    /// `logfile`: empty means standard output.
    pub logfile: String,
    /// `daemonize`.
    pub daemonize: bool,
    /// `pidfile`; `None` when unset (a daemonized server then uses /var/run/redis.pid).
    pub pidfile: Option<String>,
    /// `save`: RDB save points.
    pub save: Vec<SavePoint>,
    /// `appendonly`.
    pub appendonly: bool,
    /// `dbfilename`.
    pub dbfilename: String,
    /// `appendfilename`.
    pub appendfilename: String,
    /// The other persistence options.
    pub persist: PersistConfig,
    /// `rename-command` lines: the command names clients use.
    pub rename_commands: CommandRenames,
    /// `requirepass`, the default user's password; `None` when unset (`nopass`). AUTH and
    /// protected mode read it.
    pub requirepass: Option<String>,
    /// `maxmemory` in bytes (0 = no limit).
    pub maxmemory: u64,
    /// `client-query-buffer-limit` in bytes.
    pub client_query_buffer_limit: u64,
    /// `client-output-buffer-limit`.
    pub client_output_buffer_limit: OutputLimits,
    /// `notify-keyspace-events`: the classes of keyspace events published.
    pub notify_keyspace_events: NotifyClass,
    /// `enable-debug-command`: who may run DEBUG.
    pub enable_debug_command: ProtectedAction,
    /// `slowlog-log-slower-than`: commands taking at least this many microseconds enter the
    /// slow log (-1: none do, 0: all do).
    pub slowlog_log_slower_than: i64,
    /// `slowlog-max-len`: entries the slow log keeps.
    pub slowlog_max_len: u64,
    /// `acllog-max-len`: most entries ACL LOG keeps.
    pub acllog_max_len: u64,
    /// `latency-monitor-threshold`: events lasting at least this many milliseconds are recorded
    /// by the latency monitor (0: it is off).
    pub latency_monitor_threshold_ms: u64,
    /// `enable-protected-configs`: who may CONFIG SET protected options (dir, dbfilename).
    pub enable_protected_configs: ProtectedAction,
    /// The configuration file the server started with (absolute), if any.
    pub config_file: Option<String>,
    /// Options the engine reads.
    pub engine: EngineConfig,
    /// Options accepted and validated but not yet acted on, by canonical name.
    other: BTreeMap<&'static str, Value>,
}

/// `appendfsync`.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum AppendFsync {
    /// fsync after every write, before the reply.
    Always,
    /// fsync in the background once a second.
    #[default]
    Everysec,
    /// Never fsync; the OS decides.
    No,
}

/// The persistence options other than `save`, `appendonly`, `dbfilename` and `appendfilename`.
#[derive(Clone, Debug, Default)]
pub struct PersistConfig {
    /// `rdbcompression`.
    pub rdbcompression: bool,
    /// `rdbchecksum`.
    pub rdbchecksum: bool,
    /// `stop-writes-on-bgsave-error`.
    pub stop_writes_on_bgsave_error: bool,
    /// `appendfsync`.
    pub appendfsync: AppendFsync,
    /// `appenddirname`.
    pub appenddirname: String,
    /// `aof-use-rdb-preamble`.
    pub aof_use_rdb_preamble: bool,
    /// `aof-load-truncated`.
    pub aof_load_truncated: bool,
    /// `aof-timestamp-enabled`.
    pub aof_timestamp_enabled: bool,
    /// `auto-aof-rewrite-percentage`.
    pub auto_aof_rewrite_percentage: i64,
    /// `auto-aof-rewrite-min-size` in bytes.
    pub auto_aof_rewrite_min_size: u64,
    /// `no-appendfsync-on-rewrite`.
    pub no_appendfsync_on_rewrite: bool,
    /// `rdb-key-save-delay` (hidden, for tests): microseconds to wait per key saved.
    pub rdb_key_save_delay: i64,
}

/// An option's value after parsing, before it lands in its field.
#[derive(Clone, Debug, PartialEq)]
pub enum Value {
    /// `yes` / `no`.
    Bool(bool),
    /// Any integer option (wide enough for both `i64` and `u64` ranges).
    Int(i128),
    /// An enum option: the canonical (lower-case) name chosen.
    Enum(&'static str),
    /// A string option.
    Str(String),
    /// A multi-argument option, as its words (bind, save, client-output-buffer-limit...).
    Words(Vec<String>),
}

/// Why CONFIG SET failed; `Display` is the exact Redis error text.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum SetError {
    /// A name that is not an option.
    #[error("ERR Unknown option or number of arguments for CONFIG SET - '{0}'")]
    Unknown(String),
    /// The option refused the change (immutable, protected, duplicate, bad value).
    #[error("ERR CONFIG SET failed (possibly related to argument '{name}') - {reason}")]
    Failed {
        /// The option, as given (immutable, protected, duplicate) or canonical (bad value).
        name: String,
        /// Redis's reason text.
        reason: Cow<'static, str>,
    },
}

impl Default for Config {
    fn default() -> Config {
        let mut config = Config {
            port: 0,
            bind: Vec::new(),
            protected_mode: false,
            dir: String::new(),
            databases: 1,
            hz: HZ_MIN,
            maxclients: 0,
            timeout_s: 0,
            tcp_keepalive_s: 0,
            tcp_backlog: 0,
            loglevel: LogLevel::Notice,
            logfile: String::new(),
            daemonize: false,
            pidfile: None,
            save: Vec::new(),
            appendonly: false,
            dbfilename: String::new(),
            appendfilename: String::new(),
            persist: PersistConfig::default(),
            rename_commands: CommandRenames::default(),
            requirepass: None,
            maxmemory: 0,
            client_query_buffer_limit: 0,
            client_output_buffer_limit: OutputLimits::default(),
            notify_keyspace_events: NotifyClass::default(),
            enable_debug_command: ProtectedAction::No,
            slowlog_log_slower_than: 0,
            slowlog_max_len: 0,
            acllog_max_len: 0,
            latency_monitor_threshold_ms: 0,
            enable_protected_configs: ProtectedAction::No,
            config_file: None,
            engine: EngineConfig::default(),
            other: BTreeMap::new(),
        };
        // The defaults are the table's, parsed by the same code as a config file: one source.
        for row in ROWS {
            let args: Vec<&str> = if row.is_multi_arg() { row.default.split(' ').collect() } else { vec![row.default] };
            let value = row.parse(&config, &args).unwrap_or_else(|e| panic!("default of {} is invalid: {e}", row.name));
            config.store(row, value);
        }
        config.normalize();
        config
    }
}

impl Config {
    /// Every row of the table (for tests and documentation).
    pub fn rows() -> &'static [Row] {
        ROWS
    }

    /// The row named `name` or whose alias is `name`, any case.
    pub fn lookup(name: &str) -> Option<&'static Row> {
        ROWS.iter().find(|r| r.name.eq_ignore_ascii_case(name) || r.alias.is_some_and(|a| a.eq_ignore_ascii_case(name)))
    }

    /// The current value of the option `name` as CONFIG GET shows it; `name` must be an option
    /// of the table (a programmer error otherwise).
    pub fn get_by_name(&self, name: &str) -> String {
        self.get(Config::lookup(name).unwrap_or_else(|| panic!("{name} is not a config option")))
    }

    /// True when protected mode turns away a client connecting from `addr`: Redis 7.0's rule
    /// (`clientAcceptHandler`): protected mode is on, the default user has no password, and the
    /// peer is not local (127.0.0.1, ::1 or the unix socket). `bind` plays no part in 7.0,
    /// whatever the comment above that check in Redis says. The default user's password is
    /// `requirepass` here; once ACL users exist it is the default user's.
    pub fn protected_mode_refuses(&self, addr: &str) -> bool {
        self.protected_mode && self.requirepass.is_none() && !is_local_addr(addr)
    }

    /// The warnings to log at startup: one per option set away from its default that verdis
    /// stores without acting on it (see `support`).
    pub fn warnings(&self) -> Vec<String> {
        ROWS.iter().filter_map(|r| self.warning(r)).collect()
    }

    /// The warning for `row` when its value is not the default and verdis does not act on it.
    fn warning(&self, row: &Row) -> Option<String> {
        let audit = support::audit_of(row);
        let unsupported = matches!(audit.support, Support::Warned);
        // The value is not printed: it may be a password.
        (unsupported && !self.is_default(row))
            .then(|| format!("Warning: '{}' is set but verdis {}", row.name, audit.why))
    }

    /// Why verdis refuses the current value of `row`, when it does: a value other than the
    /// default of an option marked `Refused`.
    fn refusal(&self, row: &Row) -> Option<String> {
        let audit = support::audit_of(row);
        (audit.support == Support::Refused && !self.is_default(row))
            .then(|| format!("'{}' is not supported: verdis {}", row.name, audit.why))
    }

    /// True when `row` holds its default value.
    fn is_default(&self, row: &Row) -> bool {
        static DEFAULTS: OnceLock<Config> = OnceLock::new();
        self.value_of(row) == DEFAULTS.get_or_init(Config::default).value_of(row)
    }

    /// The option's current value as CONFIG GET prints it.
    pub fn get(&self, row: &Row) -> String {
        row.format(&self.value_of(row))
    }

    /// CONFIG GET: `(name, value)` for every option matching one of `patterns`. A pattern without
    /// glob characters matches one name or alias exactly (any case, hidden options included) and
    /// is echoed as given; a glob matches names and aliases, hidden options excluded. Names and
    /// aliases are separate keys, as in Redis's config dict: each is reported at most once.
    pub fn get_matching(&self, patterns: &[&[u8]]) -> Vec<(String, String)> {
        let mut out: Vec<(String, String)> = Vec::new();
        // Keys already reported, lower-cased (Redis's match dict is case-insensitive).
        let mut seen: HashSet<String> = HashSet::new();
        for pattern in patterns {
            let text = String::from_utf8_lossy(pattern);
            if !pattern.iter().any(|c| matches!(c, b'[' | b'*' | b'?')) {
                if let Some(row) = Config::lookup(&text).filter(|_| seen.insert(text.to_ascii_lowercase())) {
                    let value = self.get(row);
                    out.push((text.into_owned(), value));
                }
                continue;
            }
            for row in ROWS.iter().filter(|r| !r.is_hidden()) {
                for key in std::iter::once(row.name).chain(row.alias) {
                    if !seen.contains(key) && verdis_engine::glob::string_match_nocase(pattern, key.as_bytes()) {
                        seen.insert(key.to_string());
                        out.push((key.to_string(), self.get(row)));
                    }
                }
            }
        }
        out
    }

    /// CONFIG SET with `pairs` (name, value): every pair is applied or none is. `protected_ok`
    /// says whether this client may change protected options (`enable-protected-configs`).
    /// Returns the warnings to log for options set to a value verdis stores without acting on.
    pub fn set_many(&mut self, pairs: &[(&[u8], &[u8])], protected_ok: bool) -> Result<Vec<String>, SetError> {
        // First pass, as Redis: find every option; the first problem found wins.
        let mut rows: Vec<&'static Row> = Vec::with_capacity(pairs.len());
        // Names already given, lower-cased, to spot duplicates.
        let mut keys: HashSet<String> = HashSet::with_capacity(pairs.len());
        let mut failure: Option<SetError> = None;
        for (name, _) in pairs {
            let text = String::from_utf8_lossy(name);
            let Some(row) = Config::lookup(&text) else {
                failure.get_or_insert(SetError::Unknown(text.into_owned()));
                continue;
            };
            let refused = if row.is_immutable() {
                Some("can't set immutable config")
            } else if row.is_protected() && !protected_ok {
                Some("can't set protected config")
            } else if keys.contains(&text.to_ascii_lowercase()) {
                // A name and its alias are different keys to Redis: setting both is allowed.
                Some("duplicate parameter")
            } else {
                None
            };
            if let Some(reason) = refused {
                failure.get_or_insert(SetError::Failed { name: text.to_string(), reason: reason.into() });
            }
            keys.insert(text.to_ascii_lowercase());
            rows.push(row);
        }
        if let Some(e) = failure {
            return Err(e);
        }
        // Second pass: apply to a copy, so a failure leaves the configuration untouched.
        let mut next = self.clone();
        for (row, (_, value)) in rows.iter().zip(pairs) {
            let text = String::from_utf8_lossy(value);
            let args: Vec<&str> = if row.is_multi_arg() { text.split(' ').collect() } else { vec![&text] };
            let parsed =
                row.parse(&next, &args).map_err(|reason| SetError::Failed { name: row.name.into(), reason })?;
            next.store(row, parsed);
        }
        next.normalize();
        self.check_applicable(&next)?;
        if let Some((row, reason)) = rows.iter().find_map(|r| next.refusal(r).map(|reason| (r, reason))) {
            return Err(SetError::Failed { name: row.name.into(), reason: reason.into() });
        }
        let warnings = rows.iter().filter_map(|r| next.warning(r)).collect();
        *self = next;
        Ok(warnings)
    }

    /// Changes a running server cannot make yet. Redis would apply them (rebind, start AOF); the
    /// replies are the ones Redis gives when applying fails, so clients see a familiar error.
    fn check_applicable(&self, next: &Config) -> Result<(), SetError> {
        let failed = |name: &str, reason: &'static str| SetError::Failed { name: name.into(), reason: reason.into() };
        if next.port != self.port {
            return Err(failed("port", "Unable to listen on this port. Check server logs."));
        }
        if next.get_by_name("tls-port") != self.get_by_name("tls-port") {
            return Err(failed("tls-port", "Unable to listen on this port. Check server logs."));
        }
        if next.bind != self.bind {
            return Err(failed("bind", "Failed to bind to specified addresses."));
        }
        Ok(())
    }

    /// Parses `args` for `row` and stores the value (the file loader's path).
    fn set_from_args(&mut self, row: &'static Row, args: &[&str]) -> Result<(), Cow<'static, str>> {
        let value = row.parse(self, args)?;
        self.store(row, value);
        self.normalize();
        Ok(())
    }

    /// The current value of `row`.
    fn value_of(&self, row: &Row) -> Value {
        match row.slot {
            Slot::Field(get, _) => get(self),
            Slot::Other => self.other.get(row.name).cloned().expect("every row is stored at construction"),
        }
    }

    /// Stores a value `row.parse` produced.
    fn store(&mut self, row: &'static Row, value: Value) {
        match row.slot {
            Slot::Field(_, set) => set(self, value),
            Slot::Other => {
                self.other.insert(row.name, value);
            }
        }
    }

    /// Redis's post-change fixups: `hz` is clamped, not refused.
    fn normalize(&mut self) {
        self.hz = self.hz.clamp(HZ_MIN, HZ_MAX);
    }
}

/// Conversion between a typed `Config` field and the table's `Value`. Values reaching
/// `from_value` were produced by the row's own parser, so a mismatch is a table bug.
trait FieldValue: Sized {
    fn to_value(&self) -> Value;
    fn from_value(v: Value) -> Self;
}

fn table_bug(v: &Value) -> ! {
    unreachable!("config table bug: field got {v:?}")
}

macro_rules! int_field {
    ($($t:ty),*) => {$(
        impl FieldValue for $t {
            fn to_value(&self) -> Value {
                Value::Int(*self as i128)
            }
            fn from_value(v: Value) -> Self {
                match v {
                    Value::Int(n) => <$t>::try_from(n).unwrap_or_else(|_| table_bug(&Value::Int(n))),
                    other => table_bug(&other),
                }
            }
        }
    )*};
}
int_field!(u16, u32, u64, usize, i64);

impl FieldValue for bool {
    fn to_value(&self) -> Value {
        Value::Bool(*self)
    }
    fn from_value(v: Value) -> Self {
        match v {
            Value::Bool(b) => b,
            other => table_bug(&other),
        }
    }
}

impl FieldValue for String {
    fn to_value(&self) -> Value {
        Value::Str(self.clone())
    }
    fn from_value(v: Value) -> Self {
        match v {
            Value::Str(s) => s,
            other => table_bug(&other),
        }
    }
}

/// A string option whose empty value means "unset" (Redis's `EMPTY_STRING_IS_NULL`).
impl FieldValue for Option<String> {
    fn to_value(&self) -> Value {
        Value::Str(self.clone().unwrap_or_default())
    }
    fn from_value(v: Value) -> Self {
        Some(String::from_value(v)).filter(|s| !s.is_empty())
    }
}

impl FieldValue for Vec<String> {
    fn to_value(&self) -> Value {
        Value::Words(self.clone())
    }
    fn from_value(v: Value) -> Self {
        match v {
            Value::Words(w) => w,
            other => table_bug(&other),
        }
    }
}

impl FieldValue for Vec<SavePoint> {
    fn to_value(&self) -> Value {
        Value::Words(self.iter().flat_map(|p| [p.seconds.to_string(), p.changes.to_string()]).collect())
    }
    fn from_value(v: Value) -> Self {
        let words = Vec::<String>::from_value(v);
        let number = |s: &String| syntax::parse_strtoll(s).unwrap_or_else(|| table_bug(&Value::Str(s.clone())));
        // `changes` is a C int in Redis: larger values wrap as the assignment does there.
        words.chunks(2).map(|p| SavePoint { seconds: number(&p[0]), changes: number(&p[1]) as i32 }).collect()
    }
}

/// The three classes as their words, `normal <hard> <soft> <seconds> slave ... pubsub ...`, the
/// form CONFIG GET prints.
impl FieldValue for OutputLimits {
    fn to_value(&self) -> Value {
        let classes = [("normal", self.normal), ("slave", self.replica), ("pubsub", self.pubsub)];
        Value::Words(
            classes
                .iter()
                .flat_map(|(name, l)| {
                    [name.to_string(), l.hard_bytes.to_string(), l.soft_bytes.to_string(), l.soft_seconds.to_string()]
                })
                .collect(),
        )
    }
    fn from_value(v: Value) -> Self {
        let words = Vec::<String>::from_value(v);
        let number = |s: &String| s.parse::<u64>().unwrap_or_else(|_| table_bug(&Value::Str(s.clone())));
        let class = |i: usize| OutputLimit {
            hard_bytes: number(&words[i * 4 + 1]),
            soft_bytes: number(&words[i * 4 + 2]),
            soft_seconds: words[i * 4 + 3].parse().unwrap_or_else(|_| table_bug(&Value::Str(words[i * 4 + 3].clone()))),
        };
        OutputLimits { normal: class(0), replica: class(1), pubsub: class(2) }
    }
}

/// Stored as the text given (validated by the row), printed in Redis's canonical spelling: the
/// flags keep `n` even where the spelling hides it behind `A`, as Redis's do.
impl FieldValue for NotifyClass {
    fn to_value(&self) -> Value {
        Value::Str(self.format())
    }
    fn from_value(v: Value) -> Self {
        let text = String::from_value(v);
        NotifyClass::parse(text.as_bytes()).unwrap_or_else(|| table_bug(&Value::Str(text)))
    }
}

/// Enum fields: the table row lists the same names as `NAMES`, in any order.
macro_rules! enum_field {
    ($t:ty, [$($name:literal => $variant:expr),* $(,)?]) => {
        impl FieldValue for $t {
            fn to_value(&self) -> Value {
                $(if *self == $variant { return Value::Enum($name); })*
                unreachable!("every variant is named")
            }
            fn from_value(v: Value) -> Self {
                match v {
                    $(Value::Enum($name) => $variant,)*
                    other => table_bug(&other),
                }
            }
        }
    };
}
enum_field!(LogLevel, [
    "debug" => LogLevel::Debug,
    "verbose" => LogLevel::Verbose,
    "notice" => LogLevel::Notice,
    "warning" => LogLevel::Warning,
]);
enum_field!(AppendFsync, [
    "always" => AppendFsync::Always,
    "everysec" => AppendFsync::Everysec,
    "no" => AppendFsync::No,
]);
enum_field!(MaxmemoryPolicy, [
    "volatile-lru" => MaxmemoryPolicy::VolatileLru,
    "volatile-lfu" => MaxmemoryPolicy::VolatileLfu,
    "volatile-random" => MaxmemoryPolicy::VolatileRandom,
    "volatile-ttl" => MaxmemoryPolicy::VolatileTtl,
    "allkeys-lru" => MaxmemoryPolicy::AllkeysLru,
    "allkeys-lfu" => MaxmemoryPolicy::AllkeysLfu,
    "allkeys-random" => MaxmemoryPolicy::AllkeysRandom,
    "noeviction" => MaxmemoryPolicy::NoEviction,
]);
enum_field!(ProtectedAction, [
    "no" => ProtectedAction::No,
    "yes" => ProtectedAction::Yes,
    "local" => ProtectedAction::Local,
]);

#[cfg(test)]
mod tests;
