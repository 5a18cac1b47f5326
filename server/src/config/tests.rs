//! Tests of the configuration table: defaults, parsing and printing of every kind, CONFIG GET
//! matching, CONFIG SET atomicity and every error text (each checked against Redis 7.0.15),
//! the config-file loader and the command line.

use std::collections::HashMap;

use super::*;

/// Files and directories in memory; records every chdir.
#[derive(Default)]
struct FakeHost {
    files: HashMap<String, String>,
    dirs: Vec<String>,
    chdirs: Vec<String>,
}

impl ConfigHost for FakeHost {
    fn read_file(&mut self, path: &str) -> std::io::Result<Vec<u8>> {
        self.files
            .get(path)
            .map(|t| t.clone().into_bytes())
            .ok_or_else(|| std::io::Error::from_raw_os_error(libc::ENOENT))
    }

    fn chdir(&mut self, dir: &str) -> std::io::Result<()> {
        if !self.dirs.iter().any(|d| d == dir) {
            return Err(std::io::Error::from_raw_os_error(libc::ENOENT));
        }
        self.chdirs.push(dir.to_string());
        Ok(())
    }
}

fn get(config: &Config, name: &str) -> String {
    config.get(Config::lookup(name).unwrap_or_else(|| panic!("no option {name}")))
}

fn set(config: &mut Config, pairs: &[(&str, &str)]) -> Result<(), String> {
    let pairs: Vec<(&[u8], &[u8])> = pairs.iter().map(|(k, v)| (k.as_bytes(), v.as_bytes())).collect();
    config.set_many(&pairs, false).map(|_| ()).map_err(|e| e.to_string())
}

#[test]
fn defaults_match_redis() {
    // Proves every default parses and prints as CONFIG GET shows it on a fresh Redis 7.0.15.
    let config = Config::default();
    let cases = [
        ("port", "6379"),
        ("bind", "* -::*"),
        ("protected-mode", "yes"),
        ("save", "3600 1 300 100 60 10000"),
        ("maxmemory", "0"),
        ("maxmemory-policy", "noeviction"),
        ("hz", "10"),
        ("client-output-buffer-limit", "normal 0 0 0 slave 268435456 67108864 60 pubsub 33554432 8388608 60"),
        ("proto-max-bulk-len", "536870912"),
        ("client-query-buffer-limit", "1073741824"),
        ("unixsocketperm", "0"),
        ("latency-tracking-info-percentiles", "50 99 99.9"),
        ("shutdown-on-sigterm", "default"),
        ("notify-keyspace-events", ""),
        ("oom-score-adj-values", "0 200 800"),
        ("appendfsync", "everysec"),
        ("pidfile", ""),
        ("proc-title-template", "{title} {listen-addr} {server-mode}"),
    ];
    for (name, want) in cases {
        assert_eq!(get(&config, name), want, "{name}");
    }
    assert_eq!((config.port, config.databases, config.maxclients, config.hz), (6379, 16, 10000, 10));
    assert_eq!(config.bind, ["*", "-::*"]);
    assert_eq!(config.engine.proto_max_bulk_len, 512 << 20);
    assert!(config.pidfile.is_none() && config.requirepass.is_none());
}

#[test]
fn every_row_round_trips_its_default_and_every_enum_value() {
    // Proves each row's printed value parses back to itself (CONFIG GET output is valid CONFIG
    // SET input) and that every enum name maps to a field value and back.
    let mut config = Config::default();
    for row in Config::rows() {
        let printed = config.get(row);
        let args: Vec<&str> = if row.is_multi_arg() { printed.split(' ').collect() } else { vec![&printed] };
        config.set_from_args(row, &args).unwrap_or_else(|e| panic!("{}: {e}", row.name));
        assert_eq!(config.get(row), printed, "{}", row.name);
        if let table::Kind::Enum(names) = row.kind {
            for name in names {
                config.set_from_args(row, &[name]).unwrap();
                assert_eq!(config.get(row), *name, "{}", row.name);
            }
        }
    }
}

#[test]
fn names_and_aliases_are_unique() {
    // Proves no name or alias is declared twice (lookup would silently pick the first).
    let mut all: Vec<&str> = Config::rows().iter().flat_map(|r| std::iter::once(r.name).chain(r.alias)).collect();
    let count = all.len();
    all.sort_unstable();
    all.dedup();
    assert_eq!(all.len(), count);
}

#[test]
fn values_parse_and_print_like_redis() {
    // Proves each kind's accepted forms and normalised output, as CONFIG SET then GET on Redis.
    let cases: &[(&str, &str, &str)] = &[
        ("maxmemory", "1gb", "1073741824"),
        ("maxmemory", "5k", "5000"),
        ("maxmemory", "", "0"),
        ("maxmemory", "18446744073709551615", "18446744073709551615"),
        ("maxmemory-clients", "10%", "10%"),
        ("maxmemory-policy", "ALLKEYS-LRU", "allkeys-lru"),
        ("hz", "0", "1"),
        ("hz", "1000000", "500"),
        ("protected-mode", "NO", "no"),
        ("save", "", ""),
        ("save", "+10 1", "10 1"),
        ("save", "3600 1 300 100", "3600 1 300 100"),
        ("notify-keyspace-events", "KEA", "AKE"),
        ("notify-keyspace-events", "An", "A"),
        ("notify-keyspace-events", "gn", "gn"),
        ("notify-keyspace-events", "Km$", "$Km"),
        ("latency-tracking-info-percentiles", "50 99.90 1", "50 99.9 1"),
        ("latency-tracking-info-percentiles", "+50", "50"),
        ("latency-tracking-info-percentiles", "", ""),
        (
            "client-output-buffer-limit",
            "pubsub 1mb 2 +3",
            "normal 0 0 0 slave 268435456 67108864 60 pubsub 1048576 2 3",
        ),
        ("shutdown-on-sigint", "now force", "now force"),
        ("shutdown-on-sigint", "default now", "now"),
        (
            "client-output-buffer-limit",
            "normal 1 2 3",
            "normal 1 2 3 slave 268435456 67108864 60 pubsub 33554432 8388608 60",
        ),
        ("lua-time-limit", "10", "10"),
        ("slave-read-only", "no", "no"),
        ("requirepass", "", ""),
        ("proc-title-template", "plain", "plain"),
        ("proc-title-template", "title}", "title}"),
        ("proc-title-template", "{{title}}", "{{title}}"),
        ("proc-title-template", "{title} {port} {tls-port} {unixsocket}", "{title} {port} {tls-port} {unixsocket}"),
    ];
    for (name, value, want) in cases {
        let mut config = Config::default();
        set(&mut config, &[(name, value)]).unwrap_or_else(|e| panic!("{name} {value}: {e}"));
        assert_eq!(get(&config, name), *want, "{name} {value}");
    }
    let mut config = Config::default();
    set(&mut config, &[("lua-time-limit", "10"), ("maxmemory-policy", "allkeys-lfu"), ("timeout", "30")]).unwrap();
    assert_eq!(get(&config, "busy-reply-threshold"), "10");
    assert_eq!(config.engine.maxmemory_policy, MaxmemoryPolicy::AllkeysLfu);
    assert_eq!(config.timeout_s, 30);
}

const TEMPLATE_ERR: &str = "template format is invalid or contains unknown variables";

#[test]
fn config_set_errors_match_redis() {
    // Proves every CONFIG SET failure text, byte for byte as Redis 7.0.15 replies.
    let failed =
        |name: &str, why: &str| format!("ERR CONFIG SET failed (possibly related to argument '{name}') - {why}");
    let cases: Vec<(Vec<(&str, &str)>, String)> = vec![
        (vec![("foo", "bar")], "ERR Unknown option or number of arguments for CONFIG SET - 'foo'".into()),
        (vec![("port", "abc")], failed("port", "argument couldn't be parsed into an integer")),
        (vec![("port", "99999")], failed("port", "argument must be between 0 and 65535 inclusive")),
        (vec![("timeout", "01")], failed("timeout", "argument couldn't be parsed into an integer")),
        (vec![("timeout", "+1")], failed("timeout", "argument couldn't be parsed into an integer")),
        (vec![("tcp-keepalive", "-1")], failed("tcp-keepalive", "argument must be between 0 and 2147483647 inclusive")),
        (vec![("hz", "-1")], failed("hz", "argument must be between 0 and 2147483647 inclusive")),
        (vec![("maxclients", "0")], failed("maxclients", "argument must be between 1 and 4294967295 inclusive")),
        (vec![("daemonize", "yes")], failed("daemonize", "can't set immutable config")),
        (vec![("databases", "20")], failed("databases", "can't set immutable config")),
        (vec![("dir", "/tmp")], failed("dir", "can't set protected config")),
        (vec![("dbfilename", "a/b")], failed("dbfilename", "can't set protected config")),
        (
            vec![("maxmemory-policy", "foo")],
            failed("maxmemory-policy", "argument(s) must be one of the following: volatile-lru, volatile-lfu, volatile-random, volatile-ttl, allkeys-lru, allkeys-lfu, allkeys-random, noeviction"),
        ),
        (vec![("loglevel", "LOUD")], failed("loglevel", "argument(s) must be one of the following: debug, verbose, notice, warning")),
        (vec![("protected-mode", "maybe")], failed("protected-mode", "argument must be 'yes' or 'no'")),
        (vec![("maxmemory", "1x")], failed("maxmemory", "argument must be a memory value")),
        (vec![("maxmemory", "-1")], failed("maxmemory", "argument must be a memory value")),
        (vec![("maxmemory", "1.5gb")], failed("maxmemory", "argument must be a memory value")),
        (vec![("maxmemory-clients", "200%")], failed("maxmemory-clients", "percentage argument must be less or equal to 100")),
        (vec![("maxmemory-clients", "-1")], failed("maxmemory-clients", "argument must be a memory or percent value")),
        (
            vec![("client-query-buffer-limit", "100")],
            failed("client-query-buffer-limit", "argument must be between 1048576 and 9223372036854775807 inclusive"),
        ),
        (vec![("save", "100 abc")], failed("save", "Invalid save parameters")),
        (vec![("save", "10  1")], failed("save", "Invalid save parameters")),
        (vec![("save", " 10 1")], failed("save", "Invalid save parameters")),
        (vec![("save", "0 1")], failed("save", "Invalid save parameters")),
        (vec![("hz", "10"), ("hz", "11")], failed("hz", "duplicate parameter")),
        (vec![("port", "7103"), ("PORT", "7103")], failed("PORT", "duplicate parameter")),
        (vec![("port", "x"), ("foo", "bar")], "ERR Unknown option or number of arguments for CONFIG SET - 'foo'".into()),
        (vec![("foo", "bar"), ("daemonize", "no")], "ERR Unknown option or number of arguments for CONFIG SET - 'foo'".into()),
        (vec![("daemonize", "no"), ("foo", "bar")], failed("daemonize", "can't set immutable config")),
        (vec![("port", "6379"), ("hz", "x")], failed("hz", "argument couldn't be parsed into an integer")),
        (vec![("HZ", "x")], failed("hz", "argument couldn't be parsed into an integer")),
        (vec![("notify-keyspace-events", "Q")], failed("notify-keyspace-events", "Invalid event class character. Use 'Ag$lshzxeKEtmdn'.")),
        (vec![("oom-score-adj-values", "1 2")], failed("oom-score-adj-values", "wrong number of arguments")),
        (
            vec![("oom-score-adj-values", "1 2 99999")],
            failed("oom-score-adj-values", "Invalid oom-score-adj-values, elements must be between -2000 and 2000."),
        ),
        (
            vec![("latency-tracking-info-percentiles", "101")],
            failed("latency-tracking-info-percentiles", "latency-tracking-info-percentiles parameters should sit between [0.0,100.0]"),
        ),
        (
            vec![("latency-tracking-info-percentiles", "inf")],
            failed("latency-tracking-info-percentiles", "latency-tracking-info-percentiles parameters should sit between [0.0,100.0]"),
        ),
        (
            vec![("latency-tracking-info-percentiles", "nan")],
            failed("latency-tracking-info-percentiles", "Invalid latency-tracking-info-percentiles parameters"),
        ),
        (
            vec![("latency-tracking-info-percentiles", "x")],
            failed("latency-tracking-info-percentiles", "Invalid latency-tracking-info-percentiles parameters"),
        ),
        (
            vec![("shutdown-on-sigint", "foo")],
            failed("shutdown-on-sigint", "argument(s) must be one of the following: default, save, nosave, now, force"),
        ),
        (
            vec![("shutdown-on-sigint", "save nosave")],
            failed("shutdown-on-sigint", "shutdown options SAVE and NOSAVE can't be used simultaneously"),
        ),
        (
            vec![("client-output-buffer-limit", "master 1 2 3")],
            failed("client-output-buffer-limit", "Invalid client class specified in buffer limit configuration."),
        ),
        (
            vec![("client-output-buffer-limit", "normal 1 2")],
            failed("client-output-buffer-limit", "Wrong number of arguments in buffer limit configuration."),
        ),
        (
            vec![("client-output-buffer-limit", "normal 1x 2 3")],
            failed("client-output-buffer-limit", "Error in hard, soft or soft_seconds setting in buffer limit configuration."),
        ),
        (vec![("replicaof", "no one")], failed("replicaof", "can't set immutable config")),
        (vec![("proc-title-template", "")], failed("proc-title-template", TEMPLATE_ERR)),
        (vec![("proc-title-template", "{title}")], failed("proc-title-template", TEMPLATE_ERR)),
        (vec![("proc-title-template", "{foo}")], failed("proc-title-template", TEMPLATE_ERR)),
        (vec![("proc-title-template", "{title")], failed("proc-title-template", TEMPLATE_ERR)),
        (vec![("port", "7000")], failed("port", "Unable to listen on this port. Check server logs.")),
        (vec![("bind", "127.0.0.1")], failed("bind", "Failed to bind to specified addresses.")),
        (vec![("appendonly", "YES!")], failed("appendonly", "argument must be 'yes' or 'no'")),
    ];
    for (pairs, want) in cases {
        let mut config = Config::default();
        assert_eq!(set(&mut config, &pairs), Err(want.clone()), "{pairs:?}");
    }
}

#[test]
fn config_set_is_all_or_nothing() {
    // Proves a failing pair leaves earlier pairs of the same CONFIG SET unapplied, while a name
    // and its alias may be set together (Redis treats them as different keys).
    let mut config = Config::default();
    assert!(set(&mut config, &[("timeout", "5"), ("maxmemory", "1gb"), ("hz", "x")]).is_err());
    assert_eq!((config.timeout_s, config.maxmemory), (0, 0));
    set(&mut config, &[("timeout", "5"), ("maxmemory", "1gb"), ("hz", "20")]).unwrap();
    assert_eq!((config.timeout_s, config.maxmemory, config.hz), (5, 1 << 30, 20));
    set(&mut config, &[("slave-read-only", "no"), ("replica-read-only", "yes")]).unwrap();
    assert_eq!(get(&config, "replica-read-only"), "yes");
    // Setting the current port or bind again is not a change, so it succeeds.
    set(&mut config, &[("port", "6379"), ("bind", "* -::*")]).unwrap();
}

#[test]
fn protected_configs_follow_enable_protected_configs() {
    // Proves dir and dbfilename can be set only when the client is allowed, and that the
    // dbfilename check then applies.
    let mut config = Config::default();
    let pairs: [(&[u8], &[u8]); 1] = [(b"dbfilename", b"x.rdb")];
    assert!(config.set_many(&pairs, false).is_err());
    config.set_many(&pairs, true).unwrap();
    assert_eq!(config.dbfilename, "x.rdb");
    let bad: [(&[u8], &[u8]); 1] = [(b"dbfilename", b"a/b")];
    assert_eq!(
        config.set_many(&bad, true).unwrap_err().to_string(),
        "ERR CONFIG SET failed (possibly related to argument 'dbfilename') - dbfilename can't be a path, just a filename"
    );
    assert!(ProtectedAction::Local.allows("127.0.0.1:5000") && ProtectedAction::Local.allows("[::1]:5000"));
    assert!(!ProtectedAction::Local.allows("10.0.0.1:5000") && !ProtectedAction::No.allows("127.0.0.1:1"));
    assert!(ProtectedAction::Yes.allows("10.0.0.1:5000"));
}

#[test]
fn config_get_matches_like_redis() {
    // Proves exact names echo as given (any case), globs list names and aliases once each,
    // hidden options need their exact name, and duplicates across patterns are dropped.
    let config = Config::default();
    let names = |patterns: &[&str]| -> Vec<String> {
        let p: Vec<&[u8]> = patterns.iter().map(|s| s.as_bytes()).collect();
        config.get_matching(&p).into_iter().map(|(k, _)| k).collect()
    };
    assert_eq!(names(&["PORT"]), ["PORT"]);
    assert_eq!(config.get_matching(&[b"port"]), [("port".to_string(), "6379".to_string())]);
    assert_eq!(names(&["port", "PORT", "po*"]), ["port"]);
    assert_eq!(names(&["nosuch"]), Vec::<String>::new());
    assert_eq!(names(&["slave-read-only", "replica-read-only"]), ["slave-read-only", "replica-read-only"]);
    let mut slave = names(&["slave*"]);
    slave.sort();
    assert_eq!(
        slave,
        [
            "slave-announce-ip",
            "slave-announce-port",
            "slave-ignore-maxmemory",
            "slave-lazy-flush",
            "slave-priority",
            "slave-read-only",
            "slave-serve-stale-data",
            "slaveof"
        ]
    );
    let mut p = names(&["P*"]);
    p.sort();
    assert_eq!(
        p,
        [
            "pidfile",
            "port",
            "proc-title-template",
            "propagation-error-behavior",
            "protected-mode",
            "proto-max-bulk-len"
        ]
    );
    // CONFIG GET * on Redis 7.0.15 lists 192 names and aliases; hidden options are not among them.
    assert_eq!(names(&["*"]).len(), 192);
    assert!(!names(&["*"]).contains(&"watchdog-period".to_string()));
    assert_eq!(names(&["watchdog-period"]), ["watchdog-period"]);
}

#[test]
fn protected_mode_refuses_only_remote_clients() {
    // Proves Redis 7.0's protected-mode rule: 127.0.0.1, ::1 and unix-socket peers always pass;
    // others only when protected mode is off or the default user has a password (requirepass).
    let mut config = Config::default();
    assert!(config.protected_mode_refuses("10.1.2.3:5555"));
    assert!(!config.protected_mode_refuses("127.0.0.1:5555"));
    assert!(!config.protected_mode_refuses("[::1]:5555"));
    assert!(!config.protected_mode_refuses("/tmp/verdis.sock:0"));
    assert!(config.protected_mode_refuses("127.0.0.2:5555"));
    assert!(config.protected_mode_refuses("[fe80::1%2]:5555"));
    set(&mut config, &[("requirepass", "secret")]).unwrap();
    assert!(!config.protected_mode_refuses("10.1.2.3:5555"));
    set(&mut config, &[("requirepass", "")]).unwrap();
    assert!(config.protected_mode_refuses("10.1.2.3:5555"));
    set(&mut config, &[("protected-mode", "no")]).unwrap();
    assert!(!config.protected_mode_refuses("10.1.2.3:5555"));
    assert!(
        PROTECTED_MODE_DENIED.starts_with("-DENIED Redis is running in protected mode")
            && PROTECTED_MODE_DENIED.ends_with("outside.\r\n")
    );
}

fn load(text: &str) -> Result<Config, String> {
    let mut config = Config::default();
    let mut host = FakeHost { dirs: vec!["/data".into()], ..FakeHost::default() };
    host.files.insert("/inc.conf".into(), "maxclients 5\nbogus x\n".into());
    config.load_str(text, &mut host).map(|()| config).map_err(|e| e.to_string())
}

fn fatal(line: usize, text: &str, why: &str) -> String {
    format!("\n*** FATAL CONFIG FILE ERROR (Redis 7.0.15) ***\nReading the configuration file, at line {line}\n>>> '{text}'\n{why}\n")
}

#[test]
fn config_file_errors_match_redis() {
    // Proves the FATAL block for each kind of bad line, as redis-server 7.0.15 prints it.
    let cases = [
        ("port 7199\nport 99999\n", fatal(2, "port 99999", "argument must be between 0 and 65535 inclusive")),
        ("foo bar", fatal(1, "foo bar", "Bad directive or wrong number of arguments")),
        ("  port  ", fatal(1, "port", "wrong number of arguments")),
        ("port 1 2", fatal(1, "port 1 2", "wrong number of arguments")),
        ("port \"unbal", fatal(1, "port \"unbal", "Unbalanced quotes in configuration line")),
        ("# c\n\ndir /nonexist", fatal(3, "dir /nonexist", "No such file or directory")),
        ("save 0 1", fatal(1, "save 0 1", "Invalid save parameters")),
        ("include /inc.conf", fatal(2, "bogus x", "Bad directive or wrong number of arguments")),
        ("rename-command nosuch x", fatal(1, "rename-command nosuch x", "No such command in rename-command")),
        ("rename-command get set", fatal(1, "rename-command get set", "Target command name already exists")),
        ("rename-command get a b", fatal(1, "rename-command get a b", "Bad directive or wrong number of arguments")),
        ("loadmodule /x.so", fatal(1, "loadmodule /x.so", "Modules are not supported by verdis")),
    ];
    for (text, want) in cases {
        assert_eq!(load(text).unwrap_err(), want, "{text:?}");
    }
    assert_eq!(
        load("include /missing.conf").unwrap_err(),
        "Fatal error, can't open config file '/missing.conf': No such file or directory"
    );
    assert_eq!(
        ConfigFileError::fatal("Can't open the log file: No such file or directory").to_string(),
        "\n*** FATAL CONFIG FILE ERROR (Redis 7.0.15) ***\nCan't open the log file: No such file or directory\n"
    );
}

#[test]
fn config_file_lines_apply_like_redis() {
    // Proves comments, quoting, case-insensitive names, deprecated directives, the save
    // accumulation rules and `dir` entering the directory.
    let config = load(
        "# comment\n  PORT 7001\nbind 127.0.0.1 ::1\nlist-max-ziplist-entries 512\nsave 10 1\nsave 20 2\nlogfile \"a b.log\"\n",
    )
    .unwrap();
    assert_eq!((config.port, config.logfile.as_str()), (7001, "a b.log"));
    assert_eq!(config.bind, ["127.0.0.1", "::1"]);
    assert_eq!(get(&config, "save"), "10 1 20 2");
    assert_eq!(get(&load("save 10 1\nsave \"\"\nsave 20 2").unwrap(), "save"), "20 2");
    assert_eq!(get(&load("save 10 1\nsave \"\"").unwrap(), "save"), "");
    assert_eq!(get(&load("maxmemory 100mb\nhz 1000").unwrap(), "maxmemory"), "104857600");
    let mut host = FakeHost { dirs: vec!["/data".into()], ..FakeHost::default() };
    let mut config = Config::default();
    config.load_str("dir /data\n", &mut host).unwrap();
    assert_eq!((host.chdirs.as_slice(), config.dir.as_str()), (["/data".to_string()].as_slice(), "/data"));
}

#[test]
fn load_joins_file_stdin_and_options_like_redis() {
    // Proves the options follow the file after a newline, so their line numbers count on from
    // it, and an unreadable file is the Open error.
    let mut host = FakeHost::default();
    host.files.insert("/r.conf".into(), "port 7000\n".into());
    let mut config = Config::default();
    let options =
        command_line_options(&["/r.conf".into(), "--hz".into(), "1000".into(), "--port".into(), "70000".into()])
            .options;
    let err = config.load(Some("/r.conf"), None, &options, &mut host).unwrap_err();
    assert_eq!(err.to_string(), fatal(4, "port \"70000\"", "argument must be between 0 and 65535 inclusive"));
    let mut config = Config::default();
    config.load(Some("/r.conf"), Some("maxclients 7\n"), "hz 20 ", &mut host).unwrap();
    assert_eq!((config.port, config.maxclients, config.hz), (7000, 7, 20));
    assert_eq!(
        Config::default().load(Some("/nope"), None, "", &mut host).unwrap_err(),
        ConfigFileError::Open { path: "/nope".into(), reason: "No such file or directory".into() }
    );
}

#[test]
fn command_line_follows_redis_server() {
    // Proves how arguments become config lines: file first, quoted values, `--name value` in
    // one argument, `-` for stdin, and the bare `--save` special cases.
    let cl = |args: &[&str]| command_line_options(&args.iter().map(|s| s.to_string()).collect::<Vec<_>>());
    let c = cl(&["/etc/r.conf", "--port", "7000", "--loglevel", "verbose", "-"]);
    assert_eq!(c.config_file.as_deref(), Some("/etc/r.conf"));
    assert!(c.from_stdin);
    assert_eq!(c.options, "port \"7000\" \nloglevel \"verbose\" ");
    assert_eq!(cl(&["--save", "--port", "1"]).options, "save \"\"\nport \"1\" ");
    assert_eq!(cl(&["--save"]).options, "save \"\"");
    assert_eq!(cl(&["--save", "10", "1"]).options, "save \"10\" \"1\" ");
    assert_eq!(cl(&["--port 7000", "--hz", "5"]).options, "port 7000 \nhz \"5\" ");
    assert_eq!(cl(&["--bind", "a b"]).options, "bind \"a b\" ");
    assert_eq!(cl(&["-"]), CommandLine { config_file: None, from_stdin: true, options: String::new() });
    assert_eq!(cl(&[]), CommandLine::default());
}

#[test]
fn every_row_is_audited() {
    // Proves the audit (support::AUDIT) has exactly one line per option, in the table's order,
    // so an option added to the table without saying what verdis does with it fails here.
    let rows: Vec<&str> = Config::rows().iter().map(|r| r.name).collect();
    let audited: Vec<&str> = AUDIT.iter().map(|a| a.name).collect();
    assert_eq!(audited, rows);
    for audit in AUDIT {
        assert!(!audit.why.is_empty(), "{} has no reason", audit.name);
    }
}

/// Values other than the default that `row` may accept, to try every audited row generically.
fn non_default_samples(row: &Row) -> Vec<String> {
    let samples: Vec<String> = match row.kind {
        table::Kind::Bool => vec!["yes".into(), "no".into()],
        table::Kind::Int { min, max, unit } => {
            let text = |n: i128| if unit == table::Unit::Octal { format!("{n:o}") } else { n.to_string() };
            vec![text(min), text(min + 1), text(max)]
        }
        table::Kind::Enum(names) => names.iter().map(|n| n.to_string()).collect(),
        table::Kind::Str(_) => vec!["x".into()],
        table::Kind::Special { .. } => match row.name {
            "activedefrag" => vec!["yes".into()],
            "shutdown-on-sigint" | "shutdown-on-sigterm" => vec!["nosave now".into()],
            "dir" => vec!["/data".into()],
            "save" => vec!["10 1".into()],
            "client-output-buffer-limit" => vec!["normal 1mb 1mb 10".into()],
            "oom-score-adj-values" => vec!["1 2 3".into()],
            "notify-keyspace-events" => vec!["KEA".into()],
            "bind" => vec!["127.0.0.1".into()],
            "replicaof" => vec!["127.0.0.1 6379".into()],
            "latency-tracking-info-percentiles" => vec!["50".into()],
            other => panic!("give the special option {other} a sample value here"),
        },
    };
    let default = Config::default().get(row);
    samples.into_iter().filter(|s| *s != default).collect()
}

#[test]
fn every_non_default_value_is_acted_on_refused_or_warned() {
    // Proves, for every option and value other than its default, the audit's promise at both
    // entry points: a Refused option stops the config file and fails CONFIG SET; a Warned
    // option loads with a startup warning naming it and CONFIG SET returns that warning; an
    // ActedOn option loads and sets without warnings. A row that silently stores a non-default
    // value fails here.
    for row in Config::rows() {
        let audit = super::support::audit_of(row);
        let mut tried = 0;
        for value in non_default_samples(row) {
            let line =
                if row.is_multi_arg() { format!("{} {value}", row.name) } else { format!("{} \"{value}\"", row.name) };
            let loaded = load(&line);
            let mut config = Config::default();
            let set = config.set_many(&[(row.name.as_bytes(), value.as_bytes())], true);
            if audit.support == Support::Refused {
                let error = loaded.expect_err(&line);
                assert!(error.contains("FATAL CONFIG FILE ERROR"), "{line}: {error}");
                assert!(set.is_err(), "CONFIG SET {} {value} was accepted", row.name);
                tried += 1;
                continue;
            }
            let Ok(loaded) = loaded else { continue };
            tried += 1;
            let warned = matches!(audit.support, Support::Warned);
            let named = |w: &Vec<String>| w.iter().any(|w| w.contains(&format!("'{}'", row.name)));
            assert_eq!(named(&loaded.warnings()), warned, "startup warning for {line}");
            if !row.is_immutable() && !matches!(row.name, "port" | "tls-port" | "bind") {
                let warnings = set.unwrap_or_else(|e| panic!("CONFIG SET {} {value}: {e}", row.name));
                assert_eq!(named(&warnings), warned, "CONFIG SET warning for {line}");
            }
        }
        assert!(tried > 0, "no non-default sample of {} was accepted or refused", row.name);
    }
}

#[test]
fn replicaof_is_refused_at_startup_and_on_config_set() {
    // Proves replicaof (and its alias slaveof) stops the server with the FATAL block instead of
    // running as a master, that `replicaof no one` (the default) still loads, and that CONFIG SET
    // refuses it.
    let why = "'replicaof' is not supported: verdis has no replication yet: this server would run as a master, not as a replica";
    assert_eq!(load("replicaof 10.0.0.1 6379").unwrap_err(), fatal(1, "replicaof 10.0.0.1 6379", why));
    assert_eq!(load("port 1\nSLAVEOF 10.0.0.1 6379").unwrap_err(), fatal(2, "SLAVEOF 10.0.0.1 6379", why));
    assert!(load("replicaof no one").is_ok());
    let mut config = Config::default();
    assert_eq!(
        set(&mut config, &[("slaveof", "10.0.0.1 6379")]).unwrap_err(),
        "ERR CONFIG SET failed (possibly related to argument 'slaveof') - can't set immutable config"
    );
    // A mutable refused option gets the refusal as Redis's apply-failure text, and nothing changes.
    assert_eq!(
        set(&mut config, &[("timeout", "5"), ("tls-key-file-pass", "secret")]).unwrap_err(),
        "ERR CONFIG SET failed (possibly related to argument 'tls-key-file-pass') - 'tls-key-file-pass' is not supported: verdis cannot read encrypted private keys (rustls reads only unencrypted PEM keys): decrypt the key file (openssl pkey -in KEY -out PLAIN) and leave tls-key-file-pass empty"
    );
    assert_eq!((config.timeout_s, get(&config, "tls-key-file-pass").as_str()), (0, ""));
    set(&mut config, &[("tls-key-file-pass", "")]).unwrap();
    // A running server does not open a new TLS port (as for `port`).
    assert_eq!(
        set(&mut config, &[("tls-port", "6380")]).unwrap_err(),
        "ERR CONFIG SET failed (possibly related to argument 'tls-port') - Unable to listen on this port. Check server logs."
    );
}

#[test]
fn maxmemory_warns_at_startup_and_on_config_set() {
    // Proves the warning users most need, that maxmemory is not enforced, both at startup and on
    // CONFIG SET; that setting an option back to its default warns no more; and that
    // requirepass, enforced now, warns no more.
    let config = load("maxmemory 1gb\nrequirepass s3cret\nhz 20").unwrap();
    assert_eq!(
        config.warnings(),
        ["Warning: 'maxmemory' is set but verdis does not enforce maxmemory yet: memory use is not limited and nothing is evicted"]
    );
    let mut config = Config::default();
    assert!(config.warnings().is_empty());
    let warnings = config.set_many(&[(b"maxmemory", b"100mb"), (b"timeout", b"3")], false).unwrap();
    assert_eq!(warnings, [config.warnings()[0].clone()]);
    assert!(warnings[0].contains("'maxmemory'"));
    assert!(config.set_many(&[(b"maxmemory", b"0")], false).unwrap().is_empty());
    assert!(config.warnings().is_empty());
    assert!(config.set_many(&[(b"requirepass", b"s3cret")], false).unwrap().is_empty());
}

#[test]
fn output_limits_and_notify_classes_reach_their_typed_fields() {
    // Proves CONFIG SET of client-output-buffer-limit merges one class into the typed limits the
    // node enforces, and notify-keyspace-events keeps `n` in the flags though `A` hides it in
    // CONFIG GET, as Redis does.
    use crate::config::OutputLimit;
    use verdis_engine::cmd::effects::NotifyClass;
    let mut config = Config::default();
    assert_eq!(
        config.client_output_buffer_limit.pubsub,
        OutputLimit { hard_bytes: 33_554_432, soft_bytes: 8_388_608, soft_seconds: 60 }
    );
    set(&mut config, &[("client-output-buffer-limit", "pubsub 1mb 2 3")]).unwrap();
    assert_eq!(
        config.client_output_buffer_limit.pubsub,
        OutputLimit { hard_bytes: 1_048_576, soft_bytes: 2, soft_seconds: 3 }
    );
    assert_eq!(config.client_output_buffer_limit.normal, OutputLimit::default());
    assert_eq!(config.client_output_buffer_limit.replica.hard_bytes, 268_435_456);
    set(&mut config, &[("notify-keyspace-events", "AnK")]).unwrap();
    assert_eq!(get(&config, "notify-keyspace-events"), "AK");
    assert!(config.notify_keyspace_events.contains(NotifyClass::NEW));
    assert!(config.notify_keyspace_events.contains(NotifyClass::ALL));
}
