//! The command table cannot drift from Redis: for every command and subcommand verdis
//! implements, `COMMAND INFO` and `COMMAND DOCS` give the same RESP3 bytes on verdis and on real
//! Redis 7.0.15. Containers are compared without their subcommand lists (verdis lists only the
//! subcommands it implements, Redis lists all, in its dict's order), and those lists must be a
//! subset of Redis's.

use verdis_conformance::resp::{Conn, Value};
use verdis_conformance::{Server, Target};
use verdis_engine::cmd::table;

fn connect_resp3(server: &Server) -> Conn {
    let mut conn = server.connect().expect("connect");
    let hello = conn.call_str(&["HELLO", "3"]).expect("HELLO 3");
    assert!(!hello.value.is_error(), "HELLO 3 failed");
    conn
}

fn call(conn: &mut Conn, words: &[&str]) -> Value {
    conn.call_str(words).expect("reply").value
}

/// The single entry of a one-name COMMAND INFO reply, split into its ten fields.
fn info_fields(reply: Value) -> Vec<Value> {
    let Value::Array(mut entries) = reply else { panic!("COMMAND INFO reply is not an array: {reply:?}") };
    assert_eq!(entries.len(), 1);
    match entries.remove(0) {
        Value::Array(fields) => fields,
        other => panic!("no COMMAND INFO entry: {other:?}"),
    }
}

fn sub_names(fields: &Value) -> Vec<Vec<u8>> {
    let items = match fields {
        Value::Array(items) | Value::Set(items) => items,
        other => panic!("subcommands field: {other:?}"),
    };
    items
        .iter()
        .map(|s| match s {
            Value::Array(f) => match &f[0] {
                Value::Bulk(name) => name.clone(),
                other => panic!("subcommand name: {other:?}"),
            },
            other => panic!("subcommand entry: {other:?}"),
        })
        .collect()
}

/// COMMAND DOCS's map for one name, without its `subcommands` entry.
fn docs_without_subcommands(reply: Value) -> Value {
    let Value::Map(mut entries) = reply else { panic!("COMMAND DOCS reply is not a map: {reply:?}") };
    assert_eq!(entries.len(), 1);
    let (_, docs) = entries.remove(0);
    let Value::Map(fields) = docs else { panic!("docs entry is not a map: {docs:?}") };
    Value::Map(fields.into_iter().filter(|(k, _)| *k != Value::Bulk(b"subcommands".to_vec())).collect())
}

#[test]
fn command_info_and_docs_match_redis_for_every_implemented_command() {
    let redis = Server::start(&Target::Redis).expect("redis-server (apt-get install redis-server)");
    let verdis = Server::start(&Target::VerdisInProcess).expect("verdis");
    let (mut oracle, mut subject) = (connect_resp3(&redis), connect_resp3(&verdis));
    let mut checked = 0;
    for row in table::all_rows() {
        let name = row.spec.name;
        let (mut want, mut got) = (
            info_fields(call(&mut oracle, &["COMMAND", "INFO", name])),
            info_fields(call(&mut subject, &["COMMAND", "INFO", name])),
        );
        assert_eq!(want.len(), 10, "{name}");
        assert_eq!(got.len(), 10, "{name}");
        let (want_subs, got_subs) = (sub_names(&want.pop().unwrap()), sub_names(&got.pop().unwrap()));
        assert!(
            got_subs.iter().all(|s| want_subs.contains(s)),
            "{name}: subcommands {got_subs:?} not in {want_subs:?}"
        );
        let (want_bytes, got_bytes) = (Value::Array(want).encode(), Value::Array(got).encode());
        assert_eq!(
            String::from_utf8_lossy(&got_bytes),
            String::from_utf8_lossy(&want_bytes),
            "COMMAND INFO {name} differs from Redis"
        );
        let want_docs = docs_without_subcommands(call(&mut oracle, &["COMMAND", "DOCS", name]));
        let got_docs = docs_without_subcommands(call(&mut subject, &["COMMAND", "DOCS", name]));
        assert_eq!(got_docs.encode(), want_docs.encode(), "COMMAND DOCS {name} differs from Redis");
        checked += 1;
    }
    assert!(checked > 100, "only {checked} rows checked");
}

#[test]
fn the_comparison_catches_a_spec_that_differs() {
    // Proves the check above can fail: GET's entry is not SET's.
    let verdis = Server::start(&Target::VerdisInProcess).expect("verdis");
    let mut conn = connect_resp3(&verdis);
    let get = Value::Array(info_fields(call(&mut conn, &["COMMAND", "INFO", "get"]))).encode();
    let set = Value::Array(info_fields(call(&mut conn, &["COMMAND", "INFO", "set"]))).encode();
    assert_ne!(get, set);
}
