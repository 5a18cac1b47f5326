//! The rows: Redis 7.0's configuration options with their kinds, bounds, defaults and flags
//! (from Redis's `static_configs` table and checked against a live 7.0.15 with CONFIG GET *),
//! and where each value lives in `Config`.

use std::borrow::Cow;

use super::syntax::{parse_memory, parse_strtoll};
use super::{Config, FieldValue, Value};
use verdis_engine::cmd::effects::NotifyClass;

/// Refused by CONFIG SET ("can't set immutable config").
const IMMUTABLE: u8 = 1;
/// CONFIG SET only when `enable-protected-configs` allows the client.
const PROTECTED: u8 = 2;
/// Matched by CONFIG GET only by its exact name, never by a glob.
const HIDDEN: u8 = 4;
/// Takes several arguments in a config file; CONFIG SET splits its value on spaces.
const MULTI_ARG: u8 = 8;
/// Changeable at runtime (no flag).
const MODIFIABLE: u8 = 0;

/// How an integer option's text is read and printed.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Unit {
    /// A plain integer (Redis's `string2ll`).
    Plain,
    /// Bytes, with `memtoull` units (`1gb`).
    Memory,
    /// Bytes, or a percentage `n%` stored negated (`maxmemory-clients`).
    MemoryOrPercent,
    /// Octal digits (`unixsocketperm`).
    Octal,
}

/// A string option's validity check: `Err` is Redis's reason.
pub type StrCheck = fn(&str) -> Result<(), &'static str>;

/// How an option's text is parsed and printed.
#[derive(Clone, Copy)]
pub enum Kind {
    /// `yes` / `no`.
    Bool,
    /// An integer within `min..=max`.
    Int {
        /// Smallest accepted value (for `MemoryOrPercent`, `-min` is the largest percentage).
        min: i128,
        /// Largest accepted value.
        max: i128,
        /// Text form.
        unit: Unit,
    },
    /// One of these names, any case.
    Enum(&'static [&'static str]),
    /// A string, optionally validated.
    Str(Option<StrCheck>),
    /// Hand-written parse and format (save, bind, client-output-buffer-limit...).
    Special {
        /// Parses the arguments (with the current configuration, for options that merge).
        parse: fn(&Config, &[&str]) -> Result<Value, Cow<'static, str>>,
        /// Prints the value for CONFIG GET.
        format: fn(&Value) -> String,
    },
}

/// Where a row's value lives.
#[derive(Clone, Copy)]
pub enum Slot {
    /// In `Config::other`, until a feature reads it.
    Other,
    /// In a typed field of `Config`: getter and setter.
    Field(fn(&Config) -> Value, fn(&mut Config, Value)),
}

/// One configuration option.
pub struct Row {
    /// The canonical name.
    pub name: &'static str,
    /// The old name Redis still accepts (`slaveof` for `replicaof`).
    pub alias: Option<&'static str>,
    flags: u8,
    pub(super) kind: Kind,
    /// The default, as config-file text.
    pub default: &'static str,
    pub(super) slot: Slot,
}

impl Row {
    /// CONFIG SET refuses it.
    pub fn is_immutable(&self) -> bool {
        self.flags & IMMUTABLE != 0
    }

    /// CONFIG SET needs `enable-protected-configs`.
    pub fn is_protected(&self) -> bool {
        self.flags & PROTECTED != 0
    }

    /// Globs in CONFIG GET skip it.
    pub fn is_hidden(&self) -> bool {
        self.flags & HIDDEN != 0
    }

    /// Takes several arguments.
    pub fn is_multi_arg(&self) -> bool {
        self.flags & MULTI_ARG != 0
    }

    /// Parses the option's arguments into a value, or gives Redis's reason for refusing them.
    /// Single-argument kinds receive exactly one argument (callers check the count).
    pub(super) fn parse(&self, config: &Config, args: &[&str]) -> Result<Value, Cow<'static, str>> {
        let arg = args.first().copied().unwrap_or("");
        match self.kind {
            Kind::Bool => match arg.to_ascii_lowercase().as_str() {
                "yes" => Ok(Value::Bool(true)),
                "no" => Ok(Value::Bool(false)),
                _ => Err("argument must be 'yes' or 'no'".into()),
            },
            Kind::Int { min, max, unit } => parse_int(arg, min, max, unit).map(Value::Int),
            Kind::Enum(names) => names
                .iter()
                .find(|n| n.eq_ignore_ascii_case(arg))
                .map(|n| Value::Enum(n))
                .ok_or_else(|| enum_error(names)),
            Kind::Str(check) => {
                if let Some(check) = check {
                    check(arg)?;
                }
                Ok(Value::Str(arg.to_string()))
            }
            Kind::Special { parse, .. } => parse(config, args),
        }
    }

    /// Prints a value as CONFIG GET shows it.
    pub(super) fn format(&self, value: &Value) -> String {
        match (self.kind, value) {
            (Kind::Bool, Value::Bool(b)) => (if *b { "yes" } else { "no" }).into(),
            (Kind::Int { unit: Unit::MemoryOrPercent, .. }, Value::Int(n)) if *n < 0 => format!("{}%", -n),
            (Kind::Int { unit: Unit::Octal, .. }, Value::Int(n)) => format!("{n:o}"),
            (Kind::Int { .. }, Value::Int(n)) => n.to_string(),
            (Kind::Enum(_), Value::Enum(name)) => (*name).into(),
            (Kind::Str(_), Value::Str(s)) => s.clone(),
            (Kind::Special { format, .. }, v) => format(v),
            (_, v) => super::table_bug(v),
        }
    }
}

/// Redis's `numericParseString` + `numericBoundaryCheck`.
fn parse_int(arg: &str, min: i128, max: i128, unit: Unit) -> Result<i128, Cow<'static, str>> {
    let parsed: Option<i128> = match unit {
        Unit::Plain => verdis_engine::num::parse_i64(arg.as_bytes()).map(i128::from),
        Unit::Memory => parse_memory(arg).map(i128::from),
        Unit::MemoryOrPercent => parse_memory(arg).map(i128::from).or_else(|| {
            let digits = arg.strip_suffix('%').filter(|d| !d.is_empty())?;
            let n = verdis_engine::num::parse_i64(digits.as_bytes()).filter(|n| *n >= 0)?;
            Some(-i128::from(n))
        }),
        // strtoll(.., 8) reads an empty string as 0.
        Unit::Octal if arg.is_empty() => Some(0),
        Unit::Octal => i64::from_str_radix(arg, 8).ok().map(i128::from),
    };
    let n = parsed.ok_or(match unit {
        Unit::Plain => "argument couldn't be parsed into an integer",
        Unit::Memory => "argument must be a memory value",
        Unit::MemoryOrPercent => "argument must be a memory or percent value",
        Unit::Octal => "argument couldn't be parsed as an octal number",
    })?;
    if unit == Unit::MemoryOrPercent && n < 0 {
        if n < min {
            return Err(format!("percentage argument must be less or equal to {}", -min).into());
        }
    } else if n < min || n > max {
        return Err(match unit {
            Unit::Octal => format!("argument must be between {min:o} and {max:o} inclusive"),
            _ => format!("argument must be between {min} and {max} inclusive"),
        }
        .into());
    }
    Ok(n)
}

/// The error for a name not in an enum's list (Redis 7.0 says "argument(s)").
fn enum_error(names: &[&str]) -> Cow<'static, str> {
    format!("argument(s) must be one of the following: {}", names.join(", ")).into()
}

// ----- special options -----

fn words(args: &[&str]) -> Vec<String> {
    args.iter().map(|s| s.to_string()).collect()
}

fn format_words(v: &Value) -> String {
    match v {
        Value::Words(w) => w.join(" "),
        other => super::table_bug(other),
    }
}

/// `save <seconds> <changes> [...]`, or `save ""` for none (Redis's `setConfigSaveOption`).
fn parse_save(_: &Config, args: &[&str]) -> Result<Value, Cow<'static, str>> {
    let args = if args == [""] { &[][..] } else { args };
    let valid = args.len().is_multiple_of(2)
        && args.iter().enumerate().all(|(i, a)| parse_strtoll(a).is_some_and(|n| n >= if i % 2 == 0 { 1 } else { 0 }));
    if !valid {
        return Err("Invalid save parameters".into());
    }
    Ok(Value::Words(args.iter().map(|a| parse_strtoll(a).expect("validated").to_string()).collect()))
}

/// Most addresses `bind` accepts (Redis's `CONFIG_BINDADDR_MAX`).
const BIND_ADDRESSES_MAX: usize = 16;

/// `bind <addr> [...]`; `bind ""` binds nothing.
fn parse_bind(_: &Config, args: &[&str]) -> Result<Value, Cow<'static, str>> {
    if args.len() > BIND_ADDRESSES_MAX {
        return Err("Too many bind addresses specified.".into());
    }
    Ok(Value::Words(if args == [""] { Vec::new() } else { words(args) }))
}

/// `replicaof <host> <port>` or `replicaof no one`.
fn parse_replicaof(_: &Config, args: &[&str]) -> Result<Value, Cow<'static, str>> {
    match args {
        [""] => Ok(Value::Words(Vec::new())),
        [no, one] if no.eq_ignore_ascii_case("no") && one.eq_ignore_ascii_case("one") => Ok(Value::Words(Vec::new())),
        [host, port] => match parse_strtoll(port) {
            Some(p) if (0..=65535).contains(&p) => Ok(Value::Words(vec![host.to_string(), p.to_string()])),
            _ => Err("Invalid master port".into()),
        },
        _ => Err("wrong number of arguments".into()),
    }
}

/// `client-output-buffer-limit <class> <hard> <soft> <seconds> [...]`: merges into the current
/// limits; the stored value always holds all three classes.
fn parse_obuf_limits(config: &Config, args: &[&str]) -> Result<Value, Cow<'static, str>> {
    if !args.len().is_multiple_of(4) {
        return Err("Wrong number of arguments in buffer limit configuration.".into());
    }
    let Value::Words(mut limits) = FieldValue::to_value(&config.client_output_buffer_limit) else {
        unreachable!("output limits are words")
    };
    for group in args.chunks(4) {
        let class = match group[0].to_ascii_lowercase().as_str() {
            "normal" => 0,
            "slave" | "replica" => 1,
            "pubsub" => 2,
            _ => return Err("Invalid client class specified in buffer limit configuration.".into()),
        };
        let (hard, soft) = (parse_memory(group[1]), parse_memory(group[2]));
        let seconds = parse_strtoll(group[3]).filter(|s| *s >= 0);
        let (Some(hard), Some(soft), Some(seconds)) = (hard, soft, seconds) else {
            return Err("Error in hard, soft or soft_seconds setting in buffer limit configuration.".into());
        };
        limits[class * 4 + 1] = hard.to_string();
        limits[class * 4 + 2] = soft.to_string();
        // Redis keeps the seconds in an int.
        limits[class * 4 + 3] = (seconds as i32).to_string();
    }
    Ok(Value::Words(limits))
}

const OBUF_DEFAULT: &str = "normal 0 0 0 slave 268435456 67108864 60 pubsub 33554432 8388608 60";

/// How many values `oom-score-adj-values` takes (Redis's `CONFIG_OOM_COUNT`).
const OOM_VALUES: usize = 3;

fn parse_oom_values(_: &Config, args: &[&str]) -> Result<Value, Cow<'static, str>> {
    if args.len() != OOM_VALUES {
        return Err("wrong number of arguments".into());
    }
    let values: Option<Vec<String>> =
        args.iter().map(|a| parse_strtoll(a).filter(|v| (-2000..=2000).contains(v)).map(|v| v.to_string())).collect();
    values.map(Value::Words).ok_or("Invalid oom-score-adj-values, elements must be between -2000 and 2000.".into())
}

/// `notify-keyspace-events <classes>`.
fn parse_notify(_: &Config, args: &[&str]) -> Result<Value, Cow<'static, str>> {
    let [text] = args else { return Err("wrong number of arguments".into()) };
    NotifyClass::parse(text.as_bytes()).ok_or("Invalid event class character. Use 'Ag$lshzxeKEtmdn'.")?;
    // The text itself is stored (its field parses it again): the canonical spelling drops `n`.
    Ok(Value::Str(text.to_string()))
}

fn format_str(v: &Value) -> String {
    match v {
        Value::Str(s) => s.clone(),
        other => super::table_bug(other),
    }
}

/// `latency-tracking-info-percentiles <p> [...]`, each 0.0-100.0, printed as `%f` trimmed.
fn parse_percentiles(_: &Config, args: &[&str]) -> Result<Value, Cow<'static, str>> {
    let args = if args == [""] { &[][..] } else { args };
    let mut out = Vec::with_capacity(args.len());
    for a in args {
        // Redis's string2d: strtod over the whole text, no leading blank, NaN refused.
        let p: f64 = a
            .parse()
            .ok()
            .filter(|p: &f64| !p.is_nan() && !a.starts_with(char::is_whitespace))
            .ok_or("Invalid latency-tracking-info-percentiles parameters")?;
        if !(0.0..=100.0).contains(&p) {
            return Err("latency-tracking-info-percentiles parameters should sit between [0.0,100.0]".into());
        }
        let fixed = format!("{p:.6}");
        out.push(fixed.trim_end_matches('0').trim_end_matches('.').to_string());
    }
    Ok(Value::Words(out))
}

/// The flags `shutdown-on-sigint` / `shutdown-on-sigterm` combine (`default` is none of them).
const SHUTDOWN_FLAGS: [&str; 5] = ["default", "save", "nosave", "now", "force"];

fn parse_shutdown_flags(_: &Config, args: &[&str]) -> Result<Value, Cow<'static, str>> {
    let mut chosen: Vec<&str> = Vec::new();
    for a in args {
        let name =
            SHUTDOWN_FLAGS.iter().find(|n| n.eq_ignore_ascii_case(a)).ok_or_else(|| enum_error(&SHUTDOWN_FLAGS))?;
        if *name != "default" && !chosen.contains(name) {
            chosen.push(name);
        }
    }
    if chosen.contains(&"save") && chosen.contains(&"nosave") {
        return Err("shutdown options SAVE and NOSAVE can't be used simultaneously".into());
    }
    // Printed in the enum's order, or `default` when no flag is set.
    let mut names: Vec<String> =
        SHUTDOWN_FLAGS[1..].iter().filter(|n| chosen.contains(n)).map(|n| n.to_string()).collect();
    if names.is_empty() {
        names.push("default".into());
    }
    Ok(Value::Words(names))
}

/// `dir`: any non-empty path. Existence is checked where the directory is entered (the file
/// loader changes into it, as Redis does); the node only records it.
fn parse_dir(_: &Config, args: &[&str]) -> Result<Value, Cow<'static, str>> {
    match args {
        [""] => Err("No such file or directory".into()),
        [dir] => Ok(Value::Str(dir.to_string())),
        _ => Err("wrong number of arguments".into()),
    }
}

fn check_dbfilename(name: &str) -> Result<(), &'static str> {
    if name.contains('/') {
        return Err("dbfilename can't be a path, just a filename");
    }
    Ok(())
}

fn check_appendfilename(name: &str) -> Result<(), &'static str> {
    if name.is_empty() {
        return Err("appendfilename can't be empty");
    }
    if name.contains('/') {
        return Err("appendfilename can't be a path, just a filename");
    }
    Ok(())
}

fn check_appenddirname(name: &str) -> Result<(), &'static str> {
    if name.is_empty() {
        return Err("appenddirname can't be empty");
    }
    if name.contains('/') {
        return Err("appenddirname can't be a path, just a dirname");
    }
    Ok(())
}

/// Redis's `validateProcTitleTemplate`: the template must expand, by `sdstemplate`'s rules
/// (`{name}` for a known variable, `{{` for a literal `{`, a lone `}` is literal), to something
/// non-empty when the title is empty. In verdis `server-mode` (standalone) and `unixsocket`
/// (none) expand to nothing; `config-file` is counted as empty too.
fn check_proc_title(template: &str) -> Result<(), &'static str> {
    const ERR: &str = "template format is invalid or contains unknown variables";
    const NON_EMPTY: [&str; 3] = ["listen-addr", "port", "tls-port"];
    const EMPTY: [&str; 4] = ["title", "server-mode", "unixsocket", "config-file"];
    let mut expanded_bytes = 0;
    let mut rest = template;
    while let Some(open) = rest.find('{') {
        expanded_bytes += open;
        let after = &rest[open + 1..];
        if after.is_empty() {
            return Err(ERR);
        }
        if let Some(quoted) = after.strip_prefix('{') {
            expanded_bytes += 1;
            rest = quoted;
            continue;
        }
        let close = after.find('}').ok_or(ERR)?;
        let name = &after[..close];
        if NON_EMPTY.contains(&name) {
            expanded_bytes += 1;
        } else if !EMPTY.contains(&name) {
            return Err(ERR);
        }
        rest = &after[close + 1..];
    }
    expanded_bytes += rest.len();
    if expanded_bytes == 0 {
        return Err(ERR);
    }
    Ok(())
}

/// Redis's `isValidAnnouncedHostname`.
fn check_hostname(name: &str) -> Result<(), &'static str> {
    if name.len() >= 256 {
        return Err("Hostnames must be less than 256 characters");
    }
    if !name.bytes().all(|c| c.is_ascii_alphanumeric() || c == b'-' || c == b'.') {
        return Err("Hostnames may only contain alphanumeric characters, hyphens or dots");
    }
    Ok(())
}

/// `activedefrag yes` needs Redis's jemalloc; verdis has no defragmenter, so it answers as a
/// Redis built without one does.
fn parse_activedefrag(_: &Config, args: &[&str]) -> Result<Value, Cow<'static, str>> {
    match args.first().map(|a| a.to_ascii_lowercase()).as_deref() {
        Some("no") => Ok(Value::Bool(false)),
        Some("yes") => Err("Active defragmentation cannot be enabled: it requires a Redis server compiled with a modified Jemalloc like the one shipped by default with the Redis source distribution".into()),
        _ => Err("argument must be 'yes' or 'no'".into()),
    }
}

fn format_bool(v: &Value) -> String {
    match v {
        Value::Bool(b) => (if *b { "yes" } else { "no" }).into(),
        other => super::table_bug(other),
    }
}

// ----- the table -----

/// A typed field of `Config`: `field!(port)`, `field!(engine.lfu_log_factor)`.
macro_rules! field {
    ($($f:ident).+) => {
        Slot::Field(|c| FieldValue::to_value(&c.$($f).+), |c, v| c.$($f).+ = FieldValue::from_value(v))
    };
}

const fn row(
    name: &'static str,
    alias: Option<&'static str>,
    flags: u8,
    kind: Kind,
    default: &'static str,
    slot: Slot,
) -> Row {
    Row { name, alias, flags, kind, default, slot }
}
const fn boolean(name: &'static str, alias: Option<&'static str>, flags: u8, default: &'static str, slot: Slot) -> Row {
    row(name, alias, flags, Kind::Bool, default, slot)
}
const fn int(
    name: &'static str,
    alias: Option<&'static str>,
    flags: u8,
    min: i128,
    max: i128,
    default: &'static str,
    slot: Slot,
) -> Row {
    row(name, alias, flags, Kind::Int { min, max, unit: Unit::Plain }, default, slot)
}
const fn mem(name: &'static str, flags: u8, min: i128, max: i128, default: &'static str, slot: Slot) -> Row {
    row(name, None, flags, Kind::Int { min, max, unit: Unit::Memory }, default, slot)
}
const fn string(name: &'static str, alias: Option<&'static str>, flags: u8, default: &'static str, slot: Slot) -> Row {
    row(name, alias, flags, Kind::Str(None), default, slot)
}
const fn checked(
    name: &'static str,
    flags: u8,
    check: fn(&str) -> Result<(), &'static str>,
    default: &'static str,
    slot: Slot,
) -> Row {
    row(name, None, flags, Kind::Str(Some(check)), default, slot)
}
const fn choice(
    name: &'static str,
    flags: u8,
    names: &'static [&'static str],
    default: &'static str,
    slot: Slot,
) -> Row {
    row(name, None, flags, Kind::Enum(names), default, slot)
}
const fn special(
    name: &'static str,
    alias: Option<&'static str>,
    flags: u8,
    parse: fn(&Config, &[&str]) -> Result<Value, Cow<'static, str>>,
    format: fn(&Value) -> String,
    default: &'static str,
    slot: Slot,
) -> Row {
    row(name, alias, flags, Kind::Special { parse, format }, default, slot)
}

const INT_MAX: i128 = i32::MAX as i128;
const INT_MIN: i128 = i32::MIN as i128;
const UINT_MAX: i128 = u32::MAX as i128;
const LONG_MAX: i128 = i64::MAX as i128;
const ULLONG_MAX: i128 = u64::MAX as i128;
const MB: i128 = 1024 * 1024;

const O: Slot = Slot::Other;
const PROTECTED_ACTIONS: &[&str] = &["no", "yes", "local"];

/// Every option, in Redis's table order.
pub static ROWS: &[Row] = &[
    // Booleans.
    boolean("rdbchecksum", None, IMMUTABLE, "yes", field!(persist.rdbchecksum)),
    boolean("daemonize", None, IMMUTABLE, "no", field!(daemonize)),
    boolean("io-threads-do-reads", None, IMMUTABLE, "no", O),
    boolean("always-show-logo", None, IMMUTABLE, "no", O),
    boolean("protected-mode", None, MODIFIABLE, "yes", field!(protected_mode)),
    boolean("rdbcompression", None, MODIFIABLE, "yes", field!(persist.rdbcompression)),
    boolean("rdb-del-sync-files", None, MODIFIABLE, "no", O),
    boolean("activerehashing", None, MODIFIABLE, "yes", O),
    boolean("stop-writes-on-bgsave-error", None, MODIFIABLE, "yes", field!(persist.stop_writes_on_bgsave_error)),
    boolean("set-proc-title", None, IMMUTABLE, "yes", O),
    boolean("dynamic-hz", None, MODIFIABLE, "yes", O),
    boolean("lazyfree-lazy-eviction", None, MODIFIABLE, "no", O),
    boolean("lazyfree-lazy-expire", None, MODIFIABLE, "no", O),
    boolean("lazyfree-lazy-server-del", None, MODIFIABLE, "no", O),
    boolean("lazyfree-lazy-user-del", None, MODIFIABLE, "no", O),
    boolean("lazyfree-lazy-user-flush", None, MODIFIABLE, "no", O),
    boolean("repl-disable-tcp-nodelay", None, MODIFIABLE, "no", O),
    boolean("repl-diskless-sync", None, MODIFIABLE, "yes", O),
    boolean("aof-rewrite-incremental-fsync", None, MODIFIABLE, "yes", O),
    boolean("no-appendfsync-on-rewrite", None, MODIFIABLE, "no", field!(persist.no_appendfsync_on_rewrite)),
    boolean("cluster-require-full-coverage", None, MODIFIABLE, "yes", O),
    boolean("rdb-save-incremental-fsync", None, MODIFIABLE, "yes", O),
    boolean("aof-load-truncated", None, MODIFIABLE, "yes", field!(persist.aof_load_truncated)),
    boolean("aof-use-rdb-preamble", None, MODIFIABLE, "yes", field!(persist.aof_use_rdb_preamble)),
    boolean("aof-timestamp-enabled", None, MODIFIABLE, "no", field!(persist.aof_timestamp_enabled)),
    boolean("cluster-replica-no-failover", Some("cluster-slave-no-failover"), MODIFIABLE, "no", O),
    boolean("replica-lazy-flush", Some("slave-lazy-flush"), MODIFIABLE, "no", O),
    boolean("replica-serve-stale-data", Some("slave-serve-stale-data"), MODIFIABLE, "yes", O),
    boolean("replica-read-only", Some("slave-read-only"), MODIFIABLE, "yes", O),
    boolean("replica-ignore-maxmemory", Some("slave-ignore-maxmemory"), MODIFIABLE, "yes", O),
    boolean("jemalloc-bg-thread", None, MODIFIABLE, "yes", O),
    special("activedefrag", None, MODIFIABLE, parse_activedefrag, format_bool, "no", O),
    boolean("syslog-enabled", None, IMMUTABLE, "no", O),
    boolean("cluster-enabled", None, IMMUTABLE, "no", O),
    boolean("appendonly", None, MODIFIABLE, "no", field!(appendonly)),
    boolean("cluster-allow-reads-when-down", None, MODIFIABLE, "no", O),
    boolean("cluster-allow-pubsubshard-when-down", None, MODIFIABLE, "yes", O),
    boolean("crash-log-enabled", None, MODIFIABLE, "yes", O),
    boolean("crash-memcheck-enabled", None, MODIFIABLE, "yes", O),
    boolean("use-exit-on-panic", None, MODIFIABLE | HIDDEN, "no", O),
    boolean("disable-thp", None, IMMUTABLE, "yes", O),
    boolean("cluster-allow-replica-migration", None, MODIFIABLE, "yes", O),
    boolean("replica-announced", None, MODIFIABLE, "yes", O),
    boolean("latency-tracking", None, MODIFIABLE, "yes", O),
    boolean("aof-disable-auto-gc", None, MODIFIABLE, "no", O),
    boolean("replica-ignore-disk-write-errors", None, MODIFIABLE, "no", O),
    // Strings.
    string("aclfile", None, IMMUTABLE, "", O),
    string("unixsocket", None, IMMUTABLE, "", O),
    string("pidfile", None, IMMUTABLE, "", field!(pidfile)),
    string("replica-announce-ip", Some("slave-announce-ip"), MODIFIABLE, "", O),
    string("masteruser", None, MODIFIABLE, "", O),
    string("cluster-announce-ip", None, MODIFIABLE, "", O),
    string("cluster-config-file", None, IMMUTABLE, "nodes.conf", O),
    checked("cluster-announce-hostname", MODIFIABLE, check_hostname, "", O),
    string("syslog-ident", None, IMMUTABLE, "redis", O),
    checked("dbfilename", MODIFIABLE | PROTECTED, check_dbfilename, "dump.rdb", field!(dbfilename)),
    checked("appendfilename", IMMUTABLE, check_appendfilename, "appendonly.aof", field!(appendfilename)),
    checked("appenddirname", IMMUTABLE, check_appenddirname, "appendonlydir", field!(persist.appenddirname)),
    string("server_cpulist", None, IMMUTABLE, "", O),
    string("bio_cpulist", None, IMMUTABLE, "", O),
    string("aof_rewrite_cpulist", None, IMMUTABLE, "", O),
    string("bgsave_cpulist", None, IMMUTABLE, "", O),
    string("ignore-warnings", None, MODIFIABLE, "", O),
    checked("proc-title-template", MODIFIABLE, check_proc_title, "{title} {listen-addr} {server-mode}", O),
    string("bind-source-addr", None, MODIFIABLE, "", O),
    string("logfile", None, IMMUTABLE, "", field!(logfile)),
    string("masterauth", None, MODIFIABLE, "", O),
    string("requirepass", None, MODIFIABLE, "", field!(requirepass)),
    // Enums.
    choice("supervised", IMMUTABLE, &["upstart", "systemd", "auto", "no"], "no", O),
    choice(
        "syslog-facility",
        IMMUTABLE,
        &["user", "local0", "local1", "local2", "local3", "local4", "local5", "local6", "local7"],
        "local0",
        O,
    ),
    choice("repl-diskless-load", MODIFIABLE, &["disabled", "on-empty-db", "swapdb"], "disabled", O),
    choice("loglevel", MODIFIABLE, &["debug", "verbose", "notice", "warning"], "notice", field!(loglevel)),
    choice(
        "maxmemory-policy",
        MODIFIABLE,
        &[
            "volatile-lru",
            "volatile-lfu",
            "volatile-random",
            "volatile-ttl",
            "allkeys-lru",
            "allkeys-lfu",
            "allkeys-random",
            "noeviction",
        ],
        "noeviction",
        field!(engine.maxmemory_policy),
    ),
    choice("appendfsync", MODIFIABLE, &["everysec", "always", "no"], "everysec", field!(persist.appendfsync)),
    choice("oom-score-adj", MODIFIABLE, &["no", "yes", "relative", "absolute"], "no", O),
    choice("acl-pubsub-default", MODIFIABLE, &["allchannels", "resetchannels"], "resetchannels", O),
    choice("sanitize-dump-payload", MODIFIABLE, &["no", "yes", "clients"], "no", O),
    choice("enable-protected-configs", IMMUTABLE, PROTECTED_ACTIONS, "no", field!(enable_protected_configs)),
    choice("enable-debug-command", IMMUTABLE, PROTECTED_ACTIONS, "no", field!(enable_debug_command)),
    choice("enable-module-command", IMMUTABLE, PROTECTED_ACTIONS, "no", O),
    choice("cluster-preferred-endpoint-type", MODIFIABLE, &["ip", "hostname", "unknown-endpoint"], "ip", O),
    choice("propagation-error-behavior", MODIFIABLE, &["ignore", "panic", "panic-on-replicas"], "ignore", O),
    special("shutdown-on-sigint", None, MODIFIABLE | MULTI_ARG, parse_shutdown_flags, format_words, "default", O),
    special("shutdown-on-sigterm", None, MODIFIABLE | MULTI_ARG, parse_shutdown_flags, format_words, "default", O),
    // Integers.
    int("databases", None, IMMUTABLE, 1, INT_MAX, "16", field!(databases)),
    int("port", None, MODIFIABLE, 0, 65535, "6379", field!(port)),
    int("io-threads", None, IMMUTABLE, 1, 128, "1", O),
    int(
        "auto-aof-rewrite-percentage",
        None,
        MODIFIABLE,
        0,
        INT_MAX,
        "100",
        field!(persist.auto_aof_rewrite_percentage),
    ),
    int("cluster-replica-validity-factor", Some("cluster-slave-validity-factor"), MODIFIABLE, 0, INT_MAX, "10", O),
    int("list-max-listpack-size", Some("list-max-ziplist-size"), MODIFIABLE, INT_MIN, INT_MAX, "-2", O),
    int("tcp-keepalive", None, MODIFIABLE, 0, INT_MAX, "300", field!(tcp_keepalive_s)),
    int("cluster-migration-barrier", None, MODIFIABLE, 0, INT_MAX, "1", O),
    int("active-defrag-cycle-min", None, MODIFIABLE, 1, 99, "1", O),
    int("active-defrag-cycle-max", None, MODIFIABLE, 1, 99, "25", O),
    int("active-defrag-threshold-lower", None, MODIFIABLE, 0, 1000, "10", O),
    int("active-defrag-threshold-upper", None, MODIFIABLE, 0, 1000, "100", O),
    int("lfu-log-factor", None, MODIFIABLE, 0, INT_MAX, "10", field!(engine.lfu_log_factor)),
    int("lfu-decay-time", None, MODIFIABLE, 0, INT_MAX, "1", field!(engine.lfu_decay_time)),
    int("replica-priority", Some("slave-priority"), MODIFIABLE, 0, INT_MAX, "100", O),
    int("repl-diskless-sync-delay", None, MODIFIABLE, 0, INT_MAX, "5", O),
    int("maxmemory-samples", None, MODIFIABLE, 1, INT_MAX, "5", O),
    int("maxmemory-eviction-tenacity", None, MODIFIABLE, 0, 100, "10", O),
    int("timeout", None, MODIFIABLE, 0, INT_MAX, "0", field!(timeout_s)),
    int("replica-announce-port", Some("slave-announce-port"), MODIFIABLE, 0, 65535, "0", O),
    int("tcp-backlog", None, IMMUTABLE, 0, INT_MAX, "511", field!(tcp_backlog)),
    int("cluster-port", None, IMMUTABLE, 0, 65535, "0", O),
    int("cluster-announce-bus-port", None, MODIFIABLE, 0, 65535, "0", O),
    int("cluster-announce-port", None, MODIFIABLE, 0, 65535, "0", O),
    int("cluster-announce-tls-port", None, MODIFIABLE, 0, 65535, "0", O),
    int("repl-timeout", None, MODIFIABLE, 1, INT_MAX, "60", O),
    int("repl-ping-replica-period", Some("repl-ping-slave-period"), MODIFIABLE, 1, INT_MAX, "10", O),
    int("list-compress-depth", None, MODIFIABLE, 0, INT_MAX, "0", O),
    int("rdb-key-save-delay", None, MODIFIABLE | HIDDEN, INT_MIN, INT_MAX, "0", field!(persist.rdb_key_save_delay)),
    int("key-load-delay", None, MODIFIABLE | HIDDEN, INT_MIN, INT_MAX, "0", O),
    int("active-expire-effort", None, MODIFIABLE, 1, 10, "1", field!(engine.active_expire_effort)),
    int("hz", None, MODIFIABLE, 0, INT_MAX, "10", field!(hz)),
    int("min-replicas-to-write", Some("min-slaves-to-write"), MODIFIABLE, 0, INT_MAX, "0", O),
    int("min-replicas-max-lag", Some("min-slaves-max-lag"), MODIFIABLE, 0, INT_MAX, "10", O),
    int("watchdog-period", None, MODIFIABLE | HIDDEN, 0, INT_MAX, "0", O),
    int("shutdown-timeout", None, MODIFIABLE, 0, INT_MAX, "10", O),
    int("repl-diskless-sync-max-replicas", None, MODIFIABLE, 0, INT_MAX, "0", O),
    int("maxclients", None, MODIFIABLE, 1, UINT_MAX, "10000", field!(maxclients)),
    row("unixsocketperm", None, IMMUTABLE, Kind::Int { min: 0, max: 0o777, unit: Unit::Octal }, "0", O),
    int("socket-mark-id", None, IMMUTABLE, 0, UINT_MAX, "0", O),
    int("active-defrag-max-scan-fields", None, MODIFIABLE, 1, LONG_MAX, "1000", O),
    int("slowlog-max-len", None, MODIFIABLE, 0, LONG_MAX, "128", field!(slowlog_max_len)),
    int("acllog-max-len", None, MODIFIABLE, 0, LONG_MAX, "128", field!(acllog_max_len)),
    int("busy-reply-threshold", Some("lua-time-limit"), MODIFIABLE, 0, LONG_MAX, "5000", O),
    int("cluster-node-timeout", None, MODIFIABLE, 0, LONG_MAX, "15000", O),
    int("slowlog-log-slower-than", None, MODIFIABLE, -1, LONG_MAX, "10000", field!(slowlog_log_slower_than)),
    int("latency-monitor-threshold", None, MODIFIABLE, 0, LONG_MAX, "0", field!(latency_monitor_threshold_ms)),
    mem("proto-max-bulk-len", MODIFIABLE, MB, LONG_MAX, "536870912", field!(engine.proto_max_bulk_len)),
    int("stream-node-max-entries", None, MODIFIABLE, 0, LONG_MAX, "100", field!(engine.stream_node_max_entries)),
    mem("repl-backlog-size", MODIFIABLE, 1, LONG_MAX, "1048576", O),
    mem("maxmemory", MODIFIABLE, 0, ULLONG_MAX, "0", field!(maxmemory)),
    mem("cluster-link-sendbuf-limit", MODIFIABLE, 0, ULLONG_MAX, "0", O),
    int(
        "hash-max-listpack-entries",
        Some("hash-max-ziplist-entries"),
        MODIFIABLE,
        0,
        LONG_MAX,
        "512",
        field!(engine.hash_max_listpack_entries),
    ),
    int("set-max-intset-entries", None, MODIFIABLE, 0, LONG_MAX, "512", field!(engine.set_max_intset_entries)),
    int(
        "zset-max-listpack-entries",
        Some("zset-max-ziplist-entries"),
        MODIFIABLE,
        0,
        LONG_MAX,
        "128",
        field!(engine.zset_max_listpack_entries),
    ),
    mem("active-defrag-ignore-bytes", MODIFIABLE, 1, LONG_MAX, "104857600", O),
    row(
        "hash-max-listpack-value",
        Some("hash-max-ziplist-value"),
        MODIFIABLE,
        Kind::Int { min: 0, max: LONG_MAX, unit: Unit::Memory },
        "64",
        field!(engine.hash_max_listpack_value),
    ),
    mem("stream-node-max-bytes", MODIFIABLE, 0, LONG_MAX, "4096", field!(engine.stream_node_max_bytes)),
    row(
        "zset-max-listpack-value",
        Some("zset-max-ziplist-value"),
        MODIFIABLE,
        Kind::Int { min: 0, max: LONG_MAX, unit: Unit::Memory },
        "64",
        field!(engine.zset_max_listpack_value),
    ),
    mem("hll-sparse-max-bytes", MODIFIABLE, 0, LONG_MAX, "3000", field!(engine.hll_sparse_max_bytes)),
    int("tracking-table-max-keys", None, MODIFIABLE, 0, LONG_MAX, "1000000", O),
    mem("client-query-buffer-limit", MODIFIABLE, MB, LONG_MAX, "1073741824", field!(client_query_buffer_limit)),
    row(
        "maxmemory-clients",
        None,
        MODIFIABLE,
        Kind::Int { min: -100, max: LONG_MAX, unit: Unit::MemoryOrPercent },
        "0",
        O,
    ),
    int("repl-backlog-ttl", None, MODIFIABLE, 0, LONG_MAX, "3600", O),
    mem("auto-aof-rewrite-min-size", MODIFIABLE, 0, LONG_MAX, "67108864", field!(persist.auto_aof_rewrite_min_size)),
    int("loading-process-events-interval-bytes", None, MODIFIABLE | HIDDEN, 1024, INT_MAX, "2097152", O),
    // TLS (Debian's redis-server is built with TLS, so its options exist; verdis has no TLS yet).
    int("tls-port", None, MODIFIABLE, 0, 65535, "0", O),
    int("tls-session-cache-size", None, MODIFIABLE, 0, INT_MAX, "20480", O),
    int("tls-session-cache-timeout", None, MODIFIABLE, 0, INT_MAX, "300", O),
    boolean("tls-cluster", None, MODIFIABLE, "no", O),
    boolean("tls-replication", None, MODIFIABLE, "no", O),
    choice("tls-auth-clients", MODIFIABLE, &["no", "yes", "optional"], "yes", O),
    boolean("tls-prefer-server-ciphers", None, MODIFIABLE, "no", O),
    boolean("tls-session-caching", None, MODIFIABLE, "yes", O),
    string("tls-cert-file", None, MODIFIABLE, "", O),
    string("tls-key-file", None, MODIFIABLE, "", O),
    string("tls-key-file-pass", None, MODIFIABLE, "", O),
    string("tls-client-cert-file", None, MODIFIABLE, "", O),
    string("tls-client-key-file", None, MODIFIABLE, "", O),
    string("tls-client-key-file-pass", None, MODIFIABLE, "", O),
    string("tls-dh-params-file", None, MODIFIABLE, "", O),
    string("tls-ca-cert-file", None, MODIFIABLE, "", O),
    string("tls-ca-cert-dir", None, MODIFIABLE, "", O),
    string("tls-protocols", None, MODIFIABLE, "", O),
    string("tls-ciphers", None, MODIFIABLE, "", O),
    string("tls-ciphersuites", None, MODIFIABLE, "", O),
    // Special.
    special("dir", None, MODIFIABLE | PROTECTED, parse_dir, format_str, ".", field!(dir)),
    special("save", None, MODIFIABLE | MULTI_ARG, parse_save, format_words, "3600 1 300 100 60 10000", field!(save)),
    special(
        "client-output-buffer-limit",
        None,
        MODIFIABLE | MULTI_ARG,
        parse_obuf_limits,
        format_words,
        OBUF_DEFAULT,
        field!(client_output_buffer_limit),
    ),
    special("oom-score-adj-values", None, MODIFIABLE | MULTI_ARG, parse_oom_values, format_words, "0 200 800", O),
    special("notify-keyspace-events", None, MODIFIABLE, parse_notify, format_str, "", field!(notify_keyspace_events)),
    special("bind", None, MODIFIABLE | MULTI_ARG, parse_bind, format_words, "* -::*", field!(bind)),
    special("replicaof", Some("slaveof"), IMMUTABLE | MULTI_ARG, parse_replicaof, format_words, "", O),
    special(
        "latency-tracking-info-percentiles",
        None,
        MODIFIABLE | MULTI_ARG,
        parse_percentiles,
        format_words,
        "50 99 99.9",
        O,
    ),
];
