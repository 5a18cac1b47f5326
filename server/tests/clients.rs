//! Per-client commands and INFO against a real server process: CLIENT LIST/INFO fields, CLIENT
//! KILL, QUIT, HELLO 3, INFO sections and the keyspace line.
//!
//! Each test runs on verdis and on real Redis (`verdis::` and `redis::` test names), so every
//! expectation is shown to be Redis's own behaviour; `info_layout_equals_redis` runs both servers
//! side by side and compares INFO's sections and fields directly.

mod common;

use common::{resp_command, Backend, Raw, Server};

/// CLIENT LIST's fields in Redis 7.0's order.
const CLIENT_FIELDS: &[&str] = &[
    "id",
    "addr",
    "laddr",
    "fd",
    "name",
    "age",
    "idle",
    "flags",
    "db",
    "sub",
    "psub",
    "ssub",
    "multi",
    "qbuf",
    "qbuf-free",
    "argv-mem",
    "multi-mem",
    "rbs",
    "rbp",
    "obl",
    "oll",
    "omem",
    "tot-mem",
    "events",
    "cmd",
    "user",
    "redir",
    "resp",
];

/// Reads one RESP2 reply line (`+`, `-`, `:`), without its CRLF.
fn read_line(raw: &mut Raw) -> String {
    let mut line = Vec::new();
    while !line.ends_with(b"\r\n") {
        line.extend(raw.read_n(1));
    }
    line.truncate(line.len() - 2);
    String::from_utf8(line).expect("ASCII reply line")
}

/// Sends `args` and reads a bulk-string reply's payload.
fn bulk(raw: &mut Raw, args: &[&[u8]]) -> String {
    raw.send(&resp_command(args));
    let header = read_line(raw);
    let len: usize =
        header.strip_prefix('$').and_then(|n| n.parse().ok()).unwrap_or_else(|| panic!("bulk header {header:?}"));
    let body = raw.read_n(len + 2);
    String::from_utf8_lossy(&body[..len]).into_owned()
}

/// Sends `args` and reads a one-line reply.
fn line(raw: &mut Raw, args: &[&[u8]]) -> String {
    raw.send(&resp_command(args));
    read_line(raw)
}

/// The connection's CLIENT ID, as decimal text.
fn client_id(raw: &mut Raw) -> String {
    let reply = line(raw, &[b"CLIENT", b"ID"]);
    reply.strip_prefix(':').unwrap_or_else(|| panic!("CLIENT ID replied {reply:?}")).to_owned()
}

/// `key=value` fields of a CLIENT LIST line.
fn fields(client_line: &str) -> Vec<(&str, &str)> {
    client_line.split(' ').map(|f| f.split_once('=').unwrap_or_else(|| panic!("field {f:?}"))).collect()
}

fn field<'a>(fields: &[(&str, &'a str)], name: &str) -> &'a str {
    fields.iter().find(|(k, _)| *k == name).unwrap_or_else(|| panic!("no {name}")).1
}

/// CLIENT LIST and CLIENT INFO have Redis's fields in Redis's order, with the caller's real
/// addresses, id, command and defaults; TYPE and ID filter.
fn client_list_fields(backend: Backend) {
    let server = Server::start(backend);
    let mut a = server.raw();
    let mut b = server.raw();
    let id_a = client_id(&mut a);
    let id_b = client_id(&mut b);
    assert_eq!(line(&mut b, &[b"CLIENT", b"SETNAME", b"bee"]), "+OK");
    let list = bulk(&mut a, &[b"CLIENT", b"LIST"]);
    let lines: Vec<&str> = list.lines().collect();
    assert_eq!(lines.len(), 2, "{list}");
    for l in &lines {
        let names: Vec<&str> = fields(l).iter().map(|(k, _)| *k).collect();
        assert_eq!(names, CLIENT_FIELDS, "{l}");
    }
    let mine = fields(lines[0]);
    assert_eq!(field(&mine, "id"), id_a);
    assert_eq!(field(&mine, "addr"), a.stream.local_addr().unwrap().to_string());
    assert_eq!(field(&mine, "laddr"), server.addr());
    assert!(field(&mine, "fd").parse::<i64>().is_ok());
    for (name, value) in [
        ("name", ""),
        ("flags", "N"),
        ("db", "0"),
        ("sub", "0"),
        ("multi", "-1"),
        ("argv-mem", "10"),
        ("cmd", "client|list"),
        ("user", "default"),
        ("redir", "-1"),
        ("resp", "2"),
    ] {
        assert_eq!(field(&mine, name), value, "{name} in {}", lines[0]);
    }
    let other = fields(lines[1]);
    assert_eq!(field(&other, "id"), id_b);
    assert_eq!(field(&other, "name"), "bee");
    assert_eq!(field(&other, "cmd"), "client|setname");

    let by_id = bulk(&mut a, &[b"CLIENT", b"LIST", b"ID", id_b.as_bytes()]);
    assert_eq!(by_id.lines().count(), 1);
    assert!(by_id.starts_with(&format!("id={id_b} ")), "{by_id}");
    assert_eq!(bulk(&mut a, &[b"CLIENT", b"LIST", b"TYPE", b"normal"]).lines().count(), 2);
    assert_eq!(bulk(&mut a, &[b"CLIENT", b"LIST", b"TYPE", b"master"]), "");

    let info = bulk(&mut b, &[b"CLIENT", b"INFO"]);
    assert!(info.ends_with('\n') && info.lines().count() == 1, "{info:?}");
    let info = fields(info.trim_end());
    assert_eq!(field(&info, "id"), id_b);
    assert_eq!(field(&info, "cmd"), "client|info");
}

/// CLIENT KILL closes another client (new and old forms), skips the caller by default, and
/// reports Redis's errors.
fn client_kill(backend: Backend) {
    let server = Server::start(backend);
    let mut a = server.raw();
    let mut b = server.raw();
    let mut c = server.raw();
    let id_b = client_id(&mut b);
    assert_eq!(line(&mut a, &[b"CLIENT", b"KILL", b"ID", id_b.as_bytes()]), ":1");
    assert_eq!(b.read_until_closed(), b"");
    let addr_c = c.stream.local_addr().unwrap().to_string();
    assert_eq!(line(&mut a, &[b"CLIENT", b"KILL", addr_c.as_bytes()]), "+OK");
    assert_eq!(c.read_until_closed(), b"");
    assert_eq!(line(&mut a, &[b"CLIENT", b"KILL", addr_c.as_bytes()]), "-ERR No such client");
    let addr_a = a.stream.local_addr().unwrap().to_string();
    assert_eq!(line(&mut a, &[b"CLIENT", b"KILL", b"ADDR", addr_a.as_bytes()]), ":0");
    assert_eq!(line(&mut a, &[b"CLIENT", b"KILL", b"ID", b"0"]), "-ERR client-id should be greater than 0");
    assert_eq!(line(&mut a, &[b"CLIENT", b"KILL", b"TYPE", b"foo"]), "-ERR Unknown client type 'foo'");
    assert_eq!(line(&mut a, &[b"CLIENT", b"KILL", b"ADDR", addr_a.as_bytes(), b"SKIPME", b"no"]), ":1");
    assert_eq!(a.read_until_closed(), b"");
}

/// QUIT answers +OK and the server closes the connection.
fn quit_closes(backend: Backend) {
    let server = Server::start(backend);
    let mut raw = server.raw();
    raw.send(&resp_command(&[b"QUIT"]));
    assert_eq!(raw.read_until_closed(), b"+OK\r\n");
}

/// HELLO 3 switches to RESP3 and answers Redis's map; RESET returns to RESP2.
fn hello_3_map(backend: Backend) {
    let server = Server::start(backend);
    let mut raw = server.raw();
    let id = client_id(&mut raw);
    let expected = format!(
        "%7\r\n$6\r\nserver\r\n$5\r\nredis\r\n$7\r\nversion\r\n$6\r\n7.0.15\r\n$5\r\nproto\r\n:3\r\n$2\r\nid\r\n:{id}\r\n\
         $4\r\nmode\r\n$10\r\nstandalone\r\n$4\r\nrole\r\n$6\r\nmaster\r\n$7\r\nmodules\r\n*0\r\n"
    );
    raw.roundtrip(&resp_command(&[b"HELLO", b"3"]), expected.as_bytes());
    raw.roundtrip(&resp_command(&[b"CLIENT", b"GETNAME"]), b"_\r\n");
    raw.roundtrip(&resp_command(&[b"HELLO", b"4"]), b"-NOPROTO unsupported protocol version\r\n");
    raw.roundtrip(&resp_command(&[b"RESET"]), b"+RESET\r\n");
    raw.roundtrip(&resp_command(&[b"CLIENT", b"GETNAME"]), b"$-1\r\n");
}

/// INFO's default sections, section selection and the keyspace line, through redis-rs.
fn info_sections_and_keyspace(backend: Backend) {
    let server = Server::start(backend);
    let mut con = server.client();
    let titles =
        |text: &str| -> Vec<String> { text.lines().filter_map(|l| l.strip_prefix("# ")).map(str::to_owned).collect() };
    let info: String = redis::cmd("INFO").query(&mut con).unwrap();
    assert_eq!(
        titles(&info),
        [
            "Server",
            "Clients",
            "Memory",
            "Persistence",
            "Stats",
            "Replication",
            "CPU",
            "Modules",
            "Errorstats",
            "Cluster",
            "Keyspace"
        ]
    );
    assert!(info.contains("\r\nredis_version:7.0.15\r\n"));
    assert!(info.contains(&format!("\r\ntcp_port:{}\r\n", server.port())));
    assert!(info.contains("\r\nrole:master\r\n"));
    let sections: String = redis::cmd("INFO").arg("CPU").arg("clients").query(&mut con).unwrap();
    assert_eq!(titles(&sections), ["Clients", "CPU"]);
    // The harness's readiness probe may still be closing, so at least this connection is counted.
    let connected: u64 = sections
        .split("\r\n")
        .find_map(|l| l.strip_prefix("connected_clients:"))
        .and_then(|v| v.parse().ok())
        .expect("connected_clients field");
    assert!((1..=2).contains(&connected), "connected_clients:{connected}");
    let none: String = redis::cmd("INFO").arg("nosuchsection").query(&mut con).unwrap();
    assert_eq!(none, "");

    let empty: String = redis::cmd("INFO").arg("keyspace").query(&mut con).unwrap();
    assert_eq!(empty, "# Keyspace\r\n");
    let _: () = redis::cmd("SET").arg("k1").arg("v").arg("EX").arg(100).query(&mut con).unwrap();
    let _: () = redis::cmd("SET").arg("k2").arg("v").query(&mut con).unwrap();
    let keyspace: String = redis::cmd("INFO").arg("keyspace").query(&mut con).unwrap();
    // avg_ttl is an estimate in Redis (0 until its expire cycle samples the key).
    assert!(keyspace.starts_with("# Keyspace\r\ndb0:keys=2,expires=1,avg_ttl="), "{keyspace}");
    let stats: String = redis::cmd("INFO").arg("stats").query(&mut con).unwrap();
    assert!(stats.contains("\r\ntotal_connections_received:"), "{stats}");
}

/// The integer value of `name` in an INFO text.
fn info_field(text: &str, name: &str) -> u64 {
    let prefix = format!("{name}:");
    let line = text.lines().find(|l| l.starts_with(&prefix)).unwrap_or_else(|| panic!("no {name} in {text}"));
    line[prefix.len()..].parse().unwrap_or_else(|_| panic!("{line}"))
}

/// `used_memory` counts the process's allocations: storing a 4 MB value raises it by about that
/// much (which proves the counting allocator is installed in the binary).
fn used_memory_follows_data(backend: Backend) {
    const VALUE_BYTES: u64 = 4 << 20;
    let server = Server::start(backend);
    let mut con = server.client();
    let used = |con: &mut redis::Connection| -> u64 {
        let memory: String = redis::cmd("INFO").arg("memory").query(con).unwrap();
        info_field(&memory, "used_memory")
    };
    let before = used(&mut con);
    assert!(before > 0);
    let _: () = redis::cmd("SET").arg("big").arg(vec![b'x'; VALUE_BYTES as usize]).query(&mut con).unwrap();
    let after = used(&mut con);
    assert!(after >= before + VALUE_BYTES * 9 / 10, "before {before}, after {after}");
    let memory: String = redis::cmd("INFO").arg("memory").query(&mut con).unwrap();
    assert!(info_field(&memory, "used_memory_rss") > 0);
    assert!(info_field(&memory, "used_memory_peak") >= after);
}

/// `(section, field names)` of an INFO text, without the fields whose presence depends on
/// history (per-command and per-error lines, databases) and verdis's own `verdis_version`.
fn info_layout(text: &str) -> Vec<(String, Vec<String>)> {
    let mut out: Vec<(String, Vec<String>)> = Vec::new();
    for line in text.split("\r\n").filter(|l| !l.is_empty()) {
        if let Some(title) = line.strip_prefix("# ") {
            out.push((title.to_owned(), Vec::new()));
            continue;
        }
        let name = line.split(':').next().unwrap();
        let history = ["cmdstat_", "errorstat_", "latency_percentiles_usec_", "db"].iter().any(|p| name.starts_with(p));
        if !history && name != "verdis_version" {
            out.last_mut().expect("field after a header").1.push(name.to_owned());
        }
    }
    out
}

/// `INFO everything` on verdis has exactly real Redis's sections and fields, in its order.
#[test]
fn info_layout_equals_redis() {
    let verdis = Server::start(Backend::Verdis);
    let redis = Server::start(Backend::Redis);
    let everything = |server: &Server| -> String {
        let mut con = server.client();
        redis::cmd("INFO").arg("everything").query(&mut con).unwrap()
    };
    assert_eq!(info_layout(&everything(&verdis)), info_layout(&everything(&redis)));
}

on_both_backends!(
    client_list_fields,
    client_kill,
    quit_closes,
    hello_3_map,
    info_sections_and_keyspace,
    used_memory_follows_data
);
