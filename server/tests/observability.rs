//! The commands operators' tools read, against a real server process: SLOWLOG, LATENCY, ROLE,
//! LOLWUT, CONFIG RESETSTAT and INFO commandstats / errorstats / latencystats.
//!
//! Each test runs on verdis and on real Redis (`on_verdis::` and `on_redis::`), so every
//! expectation is Redis 7.0's own behaviour. What cannot be equal across two servers is masked by
//! narrow rules: a timestamp must lie between the test's clock readings before and after, a
//! duration must be a non-negative integer (or at least a sleep's length), an address must be
//! this test's own socket.

mod common;

use std::time::{Duration, SystemTime, UNIX_EPOCH};

use common::{resp_command, Backend, Raw, Server};

/// A RESP2 reply.
#[derive(Clone, Debug, PartialEq, Eq)]
enum V {
    Status(String),
    Error(String),
    Int(i64),
    Bulk(Option<Vec<u8>>),
    Array(Vec<V>),
}

impl V {
    fn bulk(text: &str) -> V {
        V::Bulk(Some(text.as_bytes().to_vec()))
    }

    fn int(&self) -> i64 {
        match self {
            V::Int(n) => *n,
            other => panic!("expected an integer, got {other:?}"),
        }
    }

    fn array(&self) -> &[V] {
        match self {
            V::Array(items) => items,
            other => panic!("expected an array, got {other:?}"),
        }
    }

    fn text(&self) -> String {
        match self {
            V::Bulk(Some(b)) => String::from_utf8_lossy(b).into_owned(),
            V::Status(s) | V::Error(s) => s.clone(),
            other => panic!("expected text, got {other:?}"),
        }
    }
}

/// Reads one line without its CRLF.
fn line(raw: &mut Raw) -> String {
    let mut out = Vec::new();
    while !out.ends_with(b"\r\n") {
        out.extend(raw.read_n(1));
    }
    out.truncate(out.len() - 2);
    String::from_utf8(out).expect("ASCII header")
}

/// Reads one RESP2 reply (bounded by the reply itself: the server sends finite replies).
fn read_value(raw: &mut Raw) -> V {
    let header = line(raw);
    let (kind, rest) = header.split_at(1);
    match kind {
        "+" => V::Status(rest.into()),
        "-" => V::Error(rest.into()),
        ":" => V::Int(rest.parse().expect("integer")),
        "$" => {
            let len: i64 = rest.parse().expect("bulk length");
            if len < 0 {
                return V::Bulk(None);
            }
            let mut body = raw.read_n(len as usize + 2);
            body.truncate(len as usize);
            V::Bulk(Some(body))
        }
        "*" => {
            let len: i64 = rest.parse().expect("array length");
            V::Array((0..len.max(0)).map(|_| read_value(raw)).collect())
        }
        _ => panic!("unexpected reply header {header:?}"),
    }
}

/// Sends `line` (split on spaces) and reads its reply.
fn call(raw: &mut Raw, line: &str) -> V {
    let args: Vec<&[u8]> = line.split(' ').map(str::as_bytes).collect();
    call_args(raw, &args)
}

/// Sends `args` and reads the reply.
fn call_args(raw: &mut Raw, args: &[&[u8]]) -> V {
    raw.send(&resp_command(args));
    read_value(raw)
}

fn unix_now_s() -> i64 {
    SystemTime::now().duration_since(UNIX_EPOCH).expect("clock after 1970").as_secs() as i64
}

/// One SLOWLOG GET entry, masked: its arguments and client name, after checking its id is an
/// integer, its time lies in `[from_s, to_s]`, its duration is not negative and its address is
/// `addr`.
fn masked_entry(entry: &V, (from_s, to_s): (i64, i64), addr: &str) -> (i64, Vec<String>, String) {
    let fields = entry.array();
    assert_eq!(fields.len(), 6, "an entry has 6 fields: {entry:?}");
    let time_s = fields[1].int();
    assert!((from_s..=to_s).contains(&time_s), "entry time {time_s} outside [{from_s}, {to_s}]");
    assert!(fields[2].int() >= 0);
    assert_eq!(fields[4].text(), addr);
    let args = fields[3].array().iter().map(V::text).collect();
    (fields[0].int(), args, fields[5].text())
}

fn slowlog_help_and_errors(backend: Backend) {
    // Proves SLOWLOG HELP's text, the count rules of GET (default, -1, 0, bad counts) and every
    // arity and subcommand error, byte for byte.
    let server = Server::start(backend);
    let mut c = server.raw();
    c.script(&[
        (
            "SLOWLOG HELP",
            "*12\r\n+SLOWLOG <subcommand> [<arg> [value] [opt] ...]. Subcommands are:\r\n+GET [<count>]\r\n\
             +    Return top <count> entries from the slowlog (default: 10, -1 mean all).\r\n\
             +    Entries are made of:\r\n\
             +    id, timestamp, time in microseconds, arguments array, client IP and port,\r\n\
             +    client name\r\n+LEN\r\n+    Return the length of the slowlog.\r\n+RESET\r\n\
             +    Reset the slowlog.\r\n+HELP\r\n+    Prints this help.\r\n",
        ),
        ("SLOWLOG", "-ERR wrong number of arguments for 'slowlog' command\r\n"),
        ("SLOWLOG GET", "*0\r\n"),
        ("SLOWLOG GET -1", "*0\r\n"),
        ("SLOWLOG GET x", "-ERR count should be greater than or equal to -1\r\n"),
        ("SLOWLOG GET -2", "-ERR count should be greater than or equal to -1\r\n"),
        ("SLOWLOG GET 2.0", "-ERR count should be greater than or equal to -1\r\n"),
        ("SLOWLOG GET 1 2", "-ERR unknown subcommand or wrong number of arguments for 'GET'. Try SLOWLOG HELP.\r\n"),
        ("SLOWLOG LEN x", "-ERR wrong number of arguments for 'slowlog|len' command\r\n"),
        ("SLOWLOG RESET x", "-ERR wrong number of arguments for 'slowlog|reset' command\r\n"),
        ("SLOWLOG HELP x", "-ERR wrong number of arguments for 'slowlog|help' command\r\n"),
        ("SLOWLOG FOO", "-ERR unknown subcommand 'FOO'. Try SLOWLOG HELP.\r\n"),
        ("SLOWLOG RESET", "+OK\r\n"),
        ("SLOWLOG LEN", ":0\r\n"),
    ]);
}

fn slowlog_records_commands_as_redis(backend: Backend) {
    // Proves, with slowlog-log-slower-than 0: what is logged and in which order (EXEC's
    // commands one by one and not EXEC, MULTI, queued commands once, the client's name as it is
    // after the command, refused commands not at all), Redis's argument trimming and redaction,
    // increasing ids that survive SLOWLOG RESET, GET's count, and a blocked command logged when
    // it is served (one that times out never).
    let server = Server::start_with(backend, &["--slowlog-log-slower-than", "0"]);
    let mut c = server.raw();
    let mut other = server.raw();
    let addr = c.stream.local_addr().expect("local addr").to_string();
    let other_addr = other.stream.local_addr().expect("local addr").to_string();
    let from_s = unix_now_s();
    c.script(&[
        ("SLOWLOG RESET", "+OK\r\n"),
        ("CLIENT SETNAME me", "+OK\r\n"),
        ("SET a 1", "+OK\r\n"),
        ("GET", "-ERR wrong number of arguments for 'get' command\r\n"),
        ("NOSUCH x", "-ERR unknown command 'NOSUCH', with args beginning with: 'x' \r\n"),
        ("MULTI", "+OK\r\n"),
        ("SET b 2", "+QUEUED\r\n"),
        ("GET a", "+QUEUED\r\n"),
        ("EXEC", "*2\r\n+OK\r\n$1\r\n1\r\n"),
        (
            "CONFIG SET nosuch x MasterAuth y",
            "-ERR Unknown option or number of arguments for CONFIG SET - 'nosuch'\r\n",
        ),
        ("CONFIG SET masterauth secret", "+OK\r\n"),
        ("BLPOP empty 0.01", "*-1\r\n"),
    ]);
    let numbers: Vec<String> = (0..40).map(|n| n.to_string()).collect();
    let mut rpush: Vec<&[u8]> = vec![b"RPUSH", b"l"];
    rpush.extend(numbers.iter().map(|n| n.as_bytes()));
    assert_eq!(call_args(&mut c, &rpush), V::Int(40));
    let long = "x".repeat(200);
    assert_eq!(call_args(&mut c, &[b"SET", b"k", long.as_bytes()]), V::Status("OK".into()));
    let exact = "y".repeat(128);
    assert_eq!(call_args(&mut c, &[b"SET", b"k", exact.as_bytes()]), V::Status("OK".into()));
    // A blocked BLPOP is logged after the push that serves it.
    c.send(&resp_command(&[b"BLPOP", b"q", b"0"]));
    std::thread::sleep(Duration::from_millis(100));
    other.step("RPUSH q v", ":1\r\n");
    assert_eq!(read_value(&mut c), V::Array(vec![V::bulk("q"), V::bulk("v")]));
    let to_s = unix_now_s();
    let entries = call(&mut c, "SLOWLOG GET -1");
    let got: Vec<(i64, Vec<String>, String)> = entries
        .array()
        .iter()
        .map(|e| {
            let from = if e.array()[4].text() == other_addr { &other_addr } else { &addr };
            masked_entry(e, (from_s, to_s), from)
        })
        .collect();
    let first = got.last().expect("entries").0;
    let long_logged = format!("{}... (72 more bytes)", &long[..128]);
    let want: Vec<(Vec<&str>, &str)> = vec![
        (vec!["BLPOP", "q", "0"], "me"),
        (vec!["RPUSH", "q", "v"], ""),
        (vec!["SET", "k", &exact], "me"),
        (vec!["SET", "k", &long_logged], "me"),
        (
            [
                &["RPUSH", "l"][..],
                &numbers[..29].iter().map(String::as_str).collect::<Vec<_>>(),
                &["... (11 more arguments)"],
            ]
            .concat(),
            "me",
        ),
        (vec!["CONFIG", "SET", "masterauth", "(redacted)"], "me"),
        (vec!["CONFIG", "SET", "nosuch", "x", "MasterAuth", "(redacted)"], "me"),
        (vec!["GET", "a"], "me"),
        (vec!["SET", "b", "2"], "me"),
        (vec!["MULTI"], "me"),
        (vec!["SET", "a", "1"], "me"),
        (vec!["CLIENT", "SETNAME", "me"], "me"),
        (vec!["SLOWLOG", "RESET"], ""),
    ];
    let got_masked: Vec<(Vec<String>, String)> = got.iter().map(|(_, a, n)| (a.clone(), n.clone())).collect();
    let want_owned: Vec<(Vec<String>, String)> =
        want.iter().map(|(a, n)| (a.iter().map(|s| s.to_string()).collect(), n.to_string())).collect();
    assert_eq!(got_masked, want_owned);
    let ids: Vec<i64> = got.iter().map(|e| e.0).collect();
    let want_ids: Vec<i64> = (first..first + want.len() as i64).rev().collect();
    assert_eq!(ids, want_ids, "ids count up by one per entry");
    // SLOWLOG GET itself was logged after it answered; GET's count takes the newest.
    let newest = call(&mut c, "SLOWLOG GET 1");
    let (id, args, _) = masked_entry(&newest.array()[0], (from_s, unix_now_s()), &addr);
    assert_eq!((id, args), (first + want.len() as i64, vec!["SLOWLOG".into(), "GET".into(), "-1".into()]));
    assert_eq!(call(&mut c, "SLOWLOG GET 0"), V::Array(vec![]));
    c.step("SLOWLOG RESET", "+OK\r\n");
    let (id, _, _) = masked_entry(&call(&mut c, "SLOWLOG GET").array()[0], (from_s, unix_now_s()), &addr);
    assert_eq!(id, first + want.len() as i64 + 3, "ids go on after a reset");
}

fn slowlog_threshold_and_length(backend: Backend) {
    // Proves the default threshold (10 ms) logs a 20 ms DEBUG SLEEP and not a PING, -1 turns the
    // log off, slowlog-max-len trims on the next command (0 empties it), the command line sets
    // both options, and CONFIG GET / SET of them answer as Redis.
    let server = Server::start_with(backend, &["--enable-debug-command", "yes", "--slowlog-max-len", "3"]);
    let mut c = server.raw();
    let addr = c.stream.local_addr().expect("local addr").to_string();
    let from_s = unix_now_s();
    c.script(&[
        // One option per CONFIG GET: a glob's order is Redis's hash order.
        ("CONFIG GET slowlog-max-len", "*2\r\n$15\r\nslowlog-max-len\r\n$1\r\n3\r\n"),
        ("CONFIG GET slowlog-log-slower-than", "*2\r\n$23\r\nslowlog-log-slower-than\r\n$5\r\n10000\r\n"),
        ("PING", "+PONG\r\n"),
        ("SLOWLOG LEN", ":0\r\n"),
        ("DEBUG SLEEP 0.02", "+OK\r\n"),
    ]);
    let entries = call(&mut c, "SLOWLOG GET");
    assert_eq!(entries.array().len(), 1);
    let (_, args, _) = masked_entry(&entries.array()[0], (from_s, unix_now_s()), &addr);
    assert_eq!(args, ["DEBUG", "SLEEP", "0.02"]);
    assert!(entries.array()[0].array()[2].int() >= 20_000, "the sleep is the command's time: {entries:?}");
    c.script(&[
        ("CONFIG SET slowlog-log-slower-than -1", "+OK\r\n"),
        ("DEBUG SLEEP 0.02", "+OK\r\n"),
        ("SLOWLOG LEN", ":1\r\n"),
        ("CONFIG SET slowlog-log-slower-than 0", "+OK\r\n"),
        ("PING", "+PONG\r\n"),
        ("PING", "+PONG\r\n"),
        ("SLOWLOG LEN", ":3\r\n"),
        ("CONFIG SET slowlog-max-len 1", "+OK\r\n"),
        ("SLOWLOG LEN", ":1\r\n"),
        ("CONFIG SET slowlog-max-len 0", "+OK\r\n"),
        ("SLOWLOG LEN", ":0\r\n"),
        (
            "CONFIG SET slowlog-log-slower-than -2",
            "-ERR CONFIG SET failed (possibly related to argument 'slowlog-log-slower-than') - argument must be between -1 and 9223372036854775807 inclusive\r\n",
        ),
        (
            "CONFIG SET slowlog-max-len -1",
            "-ERR CONFIG SET failed (possibly related to argument 'slowlog-max-len') - argument must be between 0 and 9223372036854775807 inclusive\r\n",
        ),
    ]);
    // A sleep inside EXEC is its command's time and EXEC's too.
    c.script(&[
        ("CONFIG SET slowlog-max-len 10", "+OK\r\n"),
        ("CONFIG RESETSTAT", "+OK\r\n"),
        ("MULTI", "+OK\r\n"),
        ("DEBUG SLEEP 0.02", "+QUEUED\r\n"),
        ("EXEC", "*1\r\n+OK\r\n"),
    ]);
    let usec = |stats: &[(String, String)], name: &str| -> i64 {
        let (_, value) = stats.iter().find(|(k, _)| k == name).unwrap_or_else(|| panic!("{name} in {stats:?}"));
        value.split(',').find_map(|f| f.strip_prefix("usec=")).expect("usec").parse().expect("integer")
    };
    let stats = info_fields(&mut c, "commandstats");
    assert!(usec(&stats, "cmdstat_debug") >= 20_000, "{stats:?}");
    assert!(usec(&stats, "cmdstat_exec") >= 20_000, "{stats:?}");
    let entries = call(&mut c, "SLOWLOG GET 3");
    let logged: Vec<String> = entries.array().iter().map(|e| e.array()[3].array()[0].text()).collect();
    assert_eq!(logged, ["INFO", "DEBUG", "MULTI"], "EXEC itself is not logged");
}

fn latency_replies_and_errors(backend: Backend) {
    // Proves LATENCY HELP's text, the empty monitor's replies (DOCTOR's "disabled" text while
    // the threshold is 0, its "no spike" text once set), GRAPH's error and the arity and
    // subcommand errors, byte for byte.
    let server = Server::start(backend);
    let mut c = server.raw();
    let disabled = "I'm sorry, Dave, I can't do that. Latency monitoring is disabled in this Redis instance. You may use \"CONFIG SET latency-monitor-threshold <milliseconds>.\" in order to enable it. If we weren't in a deep space mission I'd suggest to take a look at https://redis.io/topics/latency-monitor.\n";
    let no_spike = "Dave, no latency spike was observed during the lifetime of this Redis instance, not in the slightest bit. I honestly think you ought to sit down calmly, take a stress pill, and think things over.\n";
    c.script(&[
        (
            "LATENCY HELP",
            "*17\r\n+LATENCY <subcommand> [<arg> [value] [opt] ...]. Subcommands are:\r\n+DOCTOR\r\n\
             +    Return a human readable latency analysis report.\r\n+GRAPH <event>\r\n\
             +    Return an ASCII latency graph for the <event> class.\r\n+HISTORY <event>\r\n\
             +    Return time-latency samples for the <event> class.\r\n+LATEST\r\n\
             +    Return the latest latency samples for all events.\r\n+RESET [<event> ...]\r\n\
             +    Reset latency data of one or more <event> classes.\r\n\
             +    (default: reset all data for all event classes)\r\n+HISTOGRAM [COMMAND ...]\r\n\
             +    Return a cumulative distribution of latencies in the format of a histogram for the specified command names.\r\n\
             +    If no commands are specified then all histograms are replied.\r\n+HELP\r\n+    Prints this help.\r\n",
        ),
        ("LATENCY LATEST", "*0\r\n"),
        ("LATENCY HISTORY command", "*0\r\n"),
        ("LATENCY GRAPH command", "-ERR No samples available for event 'command'\r\n"),
        ("LATENCY RESET", ":0\r\n"),
        ("LATENCY RESET command nosuch", ":0\r\n"),
        ("LATENCY DOCTOR", &format!("${}\r\n{disabled}\r\n", disabled.len())),
        ("CONFIG SET latency-monitor-threshold 100", "+OK\r\n"),
        ("LATENCY DOCTOR", &format!("${}\r\n{no_spike}\r\n", no_spike.len())),
        ("LATENCY", "-ERR wrong number of arguments for 'latency' command\r\n"),
        ("LATENCY HISTORY", "-ERR wrong number of arguments for 'latency|history' command\r\n"),
        ("LATENCY GRAPH a b", "-ERR wrong number of arguments for 'latency|graph' command\r\n"),
        ("LATENCY LATEST x", "-ERR wrong number of arguments for 'latency|latest' command\r\n"),
        ("LATENCY FOO", "-ERR unknown subcommand 'FOO'. Try LATENCY HELP.\r\n"),
        ("LATENCY HISTOGRAM nosuch", "*0\r\n"),
    ]);
}

fn latency_monitor_records_slow_commands(backend: Backend) {
    // Proves a 20 ms DEBUG SLEEP past a 1 ms threshold becomes a `command` event: LATEST's row,
    // HISTORY's pair, GRAPH's header and DOCTOR's report line and advice; fast commands under
    // the threshold record nothing; RESET forgets it and says how many it forgot.
    let server = Server::start_with(backend, &["--enable-debug-command", "yes", "--latency-monitor-threshold", "1"]);
    let mut c = server.raw();
    let from_s = unix_now_s();
    c.script(&[("PING", "+PONG\r\n"), ("LATENCY LATEST", "*0\r\n"), ("DEBUG SLEEP 0.02", "+OK\r\n")]);
    let to_s = unix_now_s();
    let latest = call(&mut c, "LATENCY LATEST");
    let rows = latest.array();
    assert_eq!(rows.len(), 1, "{latest:?}");
    let row = rows[0].array();
    assert_eq!(row[0], V::bulk("command"));
    assert!((from_s..=to_s).contains(&row[1].int()));
    let latency_ms = row[2].int();
    assert!(latency_ms >= 20, "{latest:?}");
    assert_eq!(row[3].int(), latency_ms, "the worst ever is the only one");
    let history = call(&mut c, "LATENCY HISTORY command");
    assert_eq!(history, V::Array(vec![V::Array(vec![row[1].clone(), V::Int(latency_ms)])]));
    let graph = call(&mut c, "LATENCY GRAPH command").text();
    let header = format!(
        "command - high {latency_ms} ms, low {latency_ms} ms (all time high {latency_ms} ms)\n{}\n",
        "-".repeat(80)
    );
    assert!(graph.starts_with(&header), "{graph}");
    // One sample: the lowest bar, then the margin and its age label ("0s", "1s"...).
    let chart: Vec<&str> = graph[header.len()..].lines().collect();
    assert_eq!(&chart[..5], [" ", " ", " ", "_", " "], "{graph}");
    assert!(chart[5].len() == 1 && chart[6] == "s", "{graph}");
    let doctor = call(&mut c, "LATENCY DOCTOR").text();
    let intro = "Dave, I have observed latency spikes in this Redis instance. You don't mind talking about it, do you Dave?\n\n";
    let line = format!("1. command: 1 latency spikes (average {latency_ms}ms, mean deviation 0ms, period ");
    assert!(doctor.starts_with(&format!("{intro}{line}")), "{doctor}");
    assert!(doctor.contains(&format!(" sec). Worst all time event {latency_ms}ms.\n\nI have a few advices for you:\n\n- Your current Slow Log configuration only logs events that are slower than your configured latency monitor threshold. Please use 'CONFIG SET slowlog-log-slower-than 1000'.\n- Check your Slow Log to understand what are the commands you are running which are too slow to execute. Please check https://redis.io/commands/slowlog for more information.\n")), "{doctor}");
    c.script(&[("LATENCY RESET COMMAND nosuch", ":1\r\n"), ("LATENCY LATEST", "*0\r\n")]);
}

/// Switches `raw` to RESP3, reading HELLO's map (not under test here) up to its last field.
fn hello3(raw: &mut Raw) {
    raw.send(&resp_command(&[b"HELLO", b"3"]));
    let mut hello = Vec::new();
    // HELLO's map is a few hundred bytes.
    while !hello.ends_with(b"modules\r\n*0\r\n") {
        assert!(hello.len() < 4096, "HELLO 3 reply: {}", String::from_utf8_lossy(&hello));
        hello.extend(raw.read_n(1));
    }
}

/// `text` with every run of digits replaced by `N`.
fn mask_numbers(text: &str) -> String {
    let mut out = String::new();
    let mut in_number = false;
    for ch in text.chars() {
        if ch.is_ascii_digit() {
            if !in_number {
                out.push('N');
            }
            in_number = true;
        } else {
            in_number = false;
            out.push(ch);
        }
    }
    out
}

fn latency_histogram_shapes(backend: Backend) {
    // Proves LATENCY HISTOGRAM's shape in RESP2 and RESP3 (a map of command to calls and
    // cumulative buckets), that a container names its timed subcommands, that unknown and
    // never-run commands are skipped, and that the call counts are exact; bucket bounds
    // (durations) are masked.
    let server = Server::start(backend);
    let mut c = server.raw();
    c.script(&[("CONFIG RESETSTAT", "+OK\r\n"), ("SET a 1", "+OK\r\n"), ("SET a 2", "+OK\r\n")]);
    c.send(&resp_command(&[b"LATENCY", b"HISTOGRAM", b"set", b"get", b"nosuch", b"config"]));
    let reply = read_value(&mut c);
    let items = reply.array();
    assert_eq!(items.len(), 4, "{reply:?}");
    assert_eq!((items[0].clone(), items[2].clone()), (V::bulk("set"), V::bulk("config|resetstat")));
    let set = items[1].array();
    assert_eq!(&set[..3], [V::bulk("calls"), V::Int(2), V::bulk("histogram_usec")]);
    let buckets = set[3].array();
    assert!(buckets.len() >= 2 && buckets.len().is_multiple_of(2));
    assert_eq!(buckets[buckets.len() - 1], V::Int(2), "the last bucket counts every call");
    hello3(&mut c);
    c.send(&resp_command(&[b"LATENCY", b"HISTOGRAM", b"config|resetstat"]));
    let mut bytes = Vec::new();
    let tail = b"\r\n";
    // `%1 $16 config|resetstat %2 $5 calls :1 $14 histogram_usec %1 :N :1`: 12 lines.
    while bytes.iter().filter(|&&b| b == b'\n').count() < 12 {
        bytes.extend(c.read_n(1));
    }
    assert!(bytes.ends_with(tail));
    assert_eq!(
        mask_numbers(&String::from_utf8_lossy(&bytes)),
        "%N\r\n$N\r\nconfig|resetstat\r\n%N\r\n$N\r\ncalls\r\n:N\r\n$N\r\nhistogram_usec\r\n%N\r\n:N\r\n:N\r\n"
    );
}

fn role_and_lolwut(backend: Backend) {
    // Proves ROLE for a master without replicas and LOLWUT's version line (default, explicit
    // versions without art, a bad version) in RESP2 and RESP3.
    let server = Server::start(backend);
    let mut c = server.raw();
    c.script(&[
        ("ROLE", "*3\r\n$6\r\nmaster\r\n:0\r\n*0\r\n"),
        ("ROLE x", "-ERR wrong number of arguments for 'role' command\r\n"),
        ("LOLWUT", "$18\r\nRedis ver. 7.0.15\n\r\n"),
        ("LOLWUT VERSION 7", "$18\r\nRedis ver. 7.0.15\n\r\n"),
        ("LOLWUT VERSION 1 extra", "$18\r\nRedis ver. 7.0.15\n\r\n"),
        ("LOLWUT VERSION", "$18\r\nRedis ver. 7.0.15\n\r\n"),
        ("LOLWUT VERSION x", "-ERR value is not an integer or out of range\r\n"),
    ]);
    hello3(&mut c);
    c.script(&[("LOLWUT", "=22\r\ntxt:Redis ver. 7.0.15\n\r\n"), ("ROLE", "*3\r\n$6\r\nmaster\r\n:0\r\n*0\r\n")]);
}

/// Reads one bulk reply's payload after sending `line`.
fn bulk_text(raw: &mut Raw, line: &str) -> String {
    call(raw, line).text()
}

#[test]
fn lolwut_art_equals_redis_where_redis_draws_it_without_randomness() {
    // Proves LOLWUT 5's Schotter (canvas size, square geometry with C's float rounding, braille
    // encoding) and LOLWUT 6's one-row skyline are Redis's bytes, by asking both servers for the
    // pieces Redis draws without `rand()` (at most two rows of squares, one row of sky), and that
    // bad numbers and out-of-range sizes are handled as Redis handles them.
    let verdis = Server::start(Backend::Verdis);
    let redis = Server::start(Backend::Redis);
    let (mut v, mut r) = (verdis.raw(), redis.raw());
    for line in [
        "LOLWUT VERSION 5 1 1 1",
        "LOLWUT VERSION 5 66 8 2",
        "LOLWUT VERSION 5 40 3 1",
        "LOLWUT VERSION 5 7 7 2",
        "LOLWUT VERSION 5 2000 300 1",
        "LOLWUT VERSION 5 -5 0 -1",
        "LOLWUT VERSION 5 x",
        "LOLWUT VERSION 6 5 1",
        "LOLWUT VERSION 6 0 -3",
        "LOLWUT VERSION 6 5 x",
        "LOLWUT VERSION 4294967301 3 2 2",
    ] {
        assert_eq!(call(&mut v, line), call(&mut r, line), "{line}");
    }
}

fn lolwut_random_art_has_redis_shape(backend: Backend) {
    // Proves the random pieces' shape: the default Schotter is 49 rows of 66 braille cells and
    // the default skyline 20 rows of 80 colored cells, each followed by Redis's caption.
    let server = Server::start(backend);
    let mut c = server.raw();
    let schotter = bulk_text(&mut c, "LOLWUT VERSION 5");
    let rows: Vec<&str> = schotter.lines().collect();
    assert_eq!(rows.len(), 51, "{schotter}");
    assert!(rows[..49]
        .iter()
        .all(|r| r.chars().count() == 66 && r.chars().all(|ch| ('\u{2800}'..='\u{28ff}').contains(&ch))));
    assert_eq!(rows[50], "Georg Nees - schotter, plotter on paper, 1968. Redis ver. 7.0.15");
    let skyline = bulk_text(&mut c, "LOLWUT VERSION 6");
    let rows: Vec<&str> = skyline.lines().collect();
    assert_eq!(rows.len(), 22);
    assert!(rows[..20].iter().all(|r| r.matches(" \x1b[0m").count() == 80));
    assert_eq!(rows[21], "Original 8 bit image from Plaguemon by hikikomori. Redis ver. 7.0.15");
}

/// The `name:value` lines of an INFO section, as `(name, value)`.
fn info_fields(raw: &mut Raw, section: &str) -> Vec<(String, String)> {
    let text = call(raw, &format!("INFO {section}")).text();
    text.lines()
        .filter(|l| !l.is_empty() && !l.starts_with('#'))
        .map(|l| {
            let (k, v) = l.split_once(':').expect("name:value");
            (k.to_owned(), v.to_owned())
        })
        .collect()
}

fn resetstat_resets_what_redis_resets(backend: Backend) {
    // Proves CONFIG RESETSTAT zeroes the stats counters, the save count, commandstats,
    // errorstats and latencystats, keeps the slow log and the changes since the last save, and
    // that the counters then restart exactly as Redis's do (the INFO call's own bytes, reads
    // and writes).
    let server = Server::start_with(backend, &["--slowlog-log-slower-than", "0"]);
    let mut c = server.raw();
    c.script(&[
        ("SET a 1", "+OK\r\n"),
        ("GET nosuch", "$-1\r\n"),
        ("GET a", "$1\r\n1\r\n"),
        ("LPUSH a x", "-WRONGTYPE Operation against a key holding the wrong kind of value\r\n"),
        ("GET", "-ERR wrong number of arguments for 'get' command\r\n"),
        ("SAVE", "+OK\r\n"),
        ("SET b 2", "+OK\r\n"),
    ]);
    let slowlog_before = call(&mut c, "SLOWLOG LEN").int();
    c.step("CONFIG RESETSTAT", "+OK\r\n");
    let info_bytes = resp_command(&[b"INFO", b"stats"]).len().to_string();
    let stats = info_fields(&mut c, "stats");
    let value = |name: &str| stats.iter().find(|(k, _)| k == name).map(|(_, v)| v.clone()).expect(name);
    for (name, want) in [
        ("total_connections_received", "0"),
        ("total_commands_processed", "1"),
        ("total_net_input_bytes", info_bytes.as_str()),
        ("total_net_output_bytes", "5"),
        ("rejected_connections", "0"),
        ("expired_keys", "0"),
        ("keyspace_hits", "0"),
        ("keyspace_misses", "0"),
        ("total_error_replies", "0"),
        ("total_reads_processed", "1"),
        ("total_writes_processed", "1"),
    ] {
        assert_eq!(value(name), want, "{name}");
    }
    let persistence = info_fields(&mut c, "persistence");
    let saved = |name: &str| persistence.iter().find(|(k, _)| k == name).map(|(_, v)| v.clone()).expect(name);
    assert_eq!((saved("rdb_saves"), saved("rdb_changes_since_last_save")), ("0".into(), "1".into()));
    // Sorted: Redis lists commands in its table's hash order, verdis in name order.
    let mut commands: Vec<String> = info_fields(&mut c, "commandstats").into_iter().map(|(k, _)| k).collect();
    commands.sort();
    assert_eq!(commands, ["cmdstat_config|resetstat", "cmdstat_info"]);
    assert_eq!(info_fields(&mut c, "errorstats"), []);
    let mut latency: Vec<String> = info_fields(&mut c, "latencystats").into_iter().map(|(k, _)| k).collect();
    latency.sort();
    assert_eq!(latency, ["latency_percentiles_usec_config|resetstat", "latency_percentiles_usec_info"]);
    // The slow log kept its entries and went on: SLOWLOG LEN, RESETSTAT and five INFOs.
    assert_eq!(call(&mut c, "SLOWLOG LEN").int(), slowlog_before + 7);
}

fn commandstats_count_rejected_and_failed(backend: Backend) {
    // Proves INFO commandstats' per-command counters (calls, rejected_calls for a refused call,
    // failed_calls for an error reply, a blocking command counted once) and errorstats' codes,
    // with the durations masked, in Redis's field names and order.
    let server = Server::start(backend);
    let mut c = server.raw();
    c.script(&[
        ("CONFIG RESETSTAT", "+OK\r\n"),
        ("SET a 1", "+OK\r\n"),
        ("LPUSH a x", "-WRONGTYPE Operation against a key holding the wrong kind of value\r\n"),
        ("GET", "-ERR wrong number of arguments for 'get' command\r\n"),
        ("GET a", "$1\r\n1\r\n"),
        ("NOSUCH", "-ERR unknown command 'NOSUCH', with args beginning with: \r\n"),
        ("CONFIG SET nosuch 1", "-ERR Unknown option or number of arguments for CONFIG SET - 'nosuch'\r\n"),
        ("BLPOP q 0.01", "*-1\r\n"),
        ("MULTI", "+OK\r\n"),
        ("INCR a", "+QUEUED\r\n"),
        ("EXEC", "*1\r\n:2\r\n"),
    ]);
    let masked = masked_commandstats(&mut c);
    let row = |name: &str, calls, rejected, failed| {
        (
            format!("cmdstat_{name}"),
            format!("calls={calls},usec,usec_per_call,rejected_calls={rejected},failed_calls={failed}"),
        )
    };
    let mut want = vec![
        row("blpop", 1, 0, 0),
        row("config|resetstat", 1, 0, 0),
        row("config|set", 1, 0, 1),
        row("exec", 1, 0, 0),
        row("get", 1, 1, 0),
        row("incr", 1, 0, 0),
        row("lpush", 1, 0, 1),
        row("multi", 1, 0, 0),
        row("set", 1, 0, 0),
    ];
    want.sort();
    assert_eq!(masked, want);
    assert_eq!(
        info_fields(&mut c, "errorstats"),
        [("errorstat_ERR".to_owned(), "count=3".to_owned()), ("errorstat_WRONGTYPE".to_owned(), "count=1".to_owned())]
    );
}

/// INFO commandstats with the durations masked, sorted by command (Redis lists them in hash
/// order).
fn masked_commandstats(raw: &mut Raw) -> Vec<(String, String)> {
    let mut masked: Vec<(String, String)> = info_fields(raw, "commandstats")
        .into_iter()
        .map(|(k, v)| {
            let fields: Vec<&str> =
                v.split(',').map(|f| if f.starts_with("usec") { f.split('=').next().unwrap() } else { f }).collect();
            (k, fields.join(","))
        })
        .collect();
    masked.sort();
    masked
}

fn commandstats_in_transactions_and_subscribed_mode(backend: Backend) {
    // Proves the rejected/failed split where Redis's rules are subtle: a command refused while
    // queueing is rejected (and has no call), EXEC answering EXECABORT or "without MULTI" has
    // failed, DISCARD without MULTI has failed, a command refused in subscribed mode is
    // rejected; and errorstats counts EXECABORT apart.
    let server = Server::start(backend);
    let mut c = server.raw();
    c.script(&[
        ("CONFIG RESETSTAT", "+OK\r\n"),
        ("MULTI", "+OK\r\n"),
        ("NOSUCH", "-ERR unknown command 'NOSUCH', with args beginning with: \r\n"),
        ("GET", "-ERR wrong number of arguments for 'get' command\r\n"),
        ("EXEC", "-EXECABORT Transaction discarded because of previous errors.\r\n"),
        ("MULTI", "+OK\r\n"),
        ("SET a", "-ERR wrong number of arguments for 'set' command\r\n"),
        ("EXEC", "-EXECABORT Transaction discarded because of previous errors.\r\n"),
        ("EXEC", "-ERR EXEC without MULTI\r\n"),
        ("DISCARD", "-ERR DISCARD without MULTI\r\n"),
        ("SUBSCRIBE x", "*3\r\n$9\r\nsubscribe\r\n$1\r\nx\r\n:1\r\n"),
        ("GET a", "-ERR Can't execute 'get': only (P|S)SUBSCRIBE / (P|S)UNSUBSCRIBE / PING / QUIT / RESET are allowed in this context\r\n"),
        ("RESET", "+RESET\r\n"),
    ]);
    let row = |name: &str, calls, rejected, failed| {
        (
            format!("cmdstat_{name}"),
            format!("calls={calls},usec,usec_per_call,rejected_calls={rejected},failed_calls={failed}"),
        )
    };
    let mut want = vec![
        row("config|resetstat", 1, 0, 0),
        row("discard", 1, 0, 1),
        row("exec", 3, 0, 3),
        row("get", 0, 2, 0),
        row("multi", 2, 0, 0),
        row("reset", 1, 0, 0),
        row("set", 0, 1, 0),
        row("subscribe", 1, 0, 0),
    ];
    want.sort();
    assert_eq!(masked_commandstats(&mut c), want);
    assert_eq!(
        info_fields(&mut c, "errorstats"),
        [("errorstat_ERR".to_owned(), "count=6".to_owned()), ("errorstat_EXECABORT".to_owned(), "count=2".to_owned())]
    );
}

on_both_backends!(
    slowlog_help_and_errors,
    slowlog_records_commands_as_redis,
    slowlog_threshold_and_length,
    latency_replies_and_errors,
    latency_monitor_records_slow_commands,
    latency_histogram_shapes,
    role_and_lolwut,
    lolwut_random_art_has_redis_shape,
    resetstat_resets_what_redis_resets,
    commandstats_count_rejected_and_failed,
    commandstats_in_transactions_and_subscribed_mode,
);

#[test]
fn mem_aof_buffer_reports_the_aof_buffer() {
    // Proves INFO's `mem_aof_buffer` is measured, on both servers: 0 with the AOF off, and
    // above 0 once a write has gone through the AOF buffer (its allocation is kept, as Redis's
    // `sdsclear` keeps it).
    for backend in [Backend::Verdis, Backend::Redis] {
        let field = |server: &Server| -> u64 {
            let info: String = redis::cmd("INFO").arg("memory").query(&mut server.client()).expect("INFO");
            let value = info.lines().find_map(|l| l.strip_prefix("mem_aof_buffer:")).expect("mem_aof_buffer");
            value.parse().expect("a number")
        };
        let off = Server::start(backend);
        let _: () = redis::cmd("SET").arg("k").arg("v").query(&mut off.client()).expect("SET");
        assert_eq!(field(&off), 0, "{backend:?} without AOF");
        let on = Server::start_with(backend, &["--appendonly", "yes"]);
        let _: () = redis::cmd("SET").arg("k").arg("v").query(&mut on.client()).expect("SET");
        assert!(field(&on) > 0, "{backend:?} with AOF");
    }
}
