//! Authentication with real connections: `requirepass` enforced from the command line and set
//! at runtime, the commands allowed before AUTH, AUTH's and HELLO's replies and errors, RESET
//! logging out, redis-cli with `-a`, and a server that keeps serving through a thousand wrong
//! passwords and a 1 MiB one.
//!
//! Each test runs on verdis and on real Redis (`on_verdis::` and `on_redis::`), so every
//! expectation is Redis 7.0's own behaviour.

mod common;

use std::collections::BTreeSet;

use common::{resp_command, Backend, Raw, Server};

const NOAUTH: &str = "-NOAUTH Authentication required.\r\n";
const WRONGPASS: &str = "-WRONGPASS invalid username-password pair or user is disabled.\r\n";
const HELLO_NOAUTH: &str = "-NOAUTH HELLO must be called with the client already authenticated, otherwise the \
                            HELLO AUTH <user> <pass> option can be used to authenticate the client and select \
                            the RESP protocol version at the same time\r\n";

/// Reads one line reply (status, error or integer) whole.
fn read_line(conn: &mut Raw) -> String {
    let mut line = Vec::new();
    while !line.ends_with(b"\r\n") {
        line.extend(conn.read_n(1));
    }
    String::from_utf8(line).expect("a text line")
}

/// Sends `args` as one command (arguments may hold spaces or be empty) and asserts the reply.
fn step_args(conn: &mut Raw, args: &[&[u8]], expected: &str) {
    conn.roundtrip(&resp_command(args), expected.as_bytes());
}

/// HELLO 2's reply for client `id`.
fn hello2(id: i64) -> String {
    format!(
        "*14\r\n$6\r\nserver\r\n$5\r\nredis\r\n$7\r\nversion\r\n$6\r\n7.0.15\r\n$5\r\nproto\r\n:2\r\n$2\r\nid\r\n:{id}\r\n\
         $4\r\nmode\r\n$10\r\nstandalone\r\n$4\r\nrole\r\n$6\r\nmaster\r\n$7\r\nmodules\r\n*0\r\n"
    )
}

fn requirepass_refuses_until_auth(backend: Backend) {
    // Proves a server started with `requirepass` refuses commands before AUTH with NOAUTH (after
    // the unknown-command and arity checks, as Redis orders them), lets AUTH, HELLO, QUIT and
    // RESET through, refuses MULTI and aborts EXEC, answers AUTH's and HELLO's errors with
    // Redis's texts (HELLO's SETNAME taking effect before its NOAUTH), keeps a client logged in
    // after a later wrong AUTH, and logs it out on RESET.
    let server = Server::start_with(backend, &["--requirepass", "pw"]);
    let mut c = server.raw();
    c.script(&[
        ("SET a 1", NOAUTH),
        ("PING", NOAUTH),
        ("NOSUCH x", "-ERR unknown command 'NOSUCH', with args beginning with: 'x' \r\n"),
        ("GET", "-ERR wrong number of arguments for 'get' command\r\n"),
        ("MULTI", NOAUTH),
        ("EXEC", "-EXECABORT Transaction discarded because of: NOAUTH Authentication required.\r\n"),
        ("CLIENT SETNAME early", NOAUTH),
        ("HELLO 3", HELLO_NOAUTH),
        ("HELLO 3 SETNAME x", HELLO_NOAUTH),
        ("HELLO 4", "-NOPROTO unsupported protocol version\r\n"),
        ("HELLO 3 AUTH default", "-ERR Syntax error in HELLO option 'AUTH'\r\n"),
        ("HELLO 3 AUTH default wrong", WRONGPASS),
        ("AUTH a b c", "-ERR syntax error\r\n"),
        ("AUTH", "-ERR wrong number of arguments for 'auth' command\r\n"),
        ("AUTH wrong", WRONGPASS),
        ("AUTH default wrong", WRONGPASS),
        ("AUTH nosuchuser pw", WRONGPASS),
        ("AUTH pw", "+OK\r\n"),
        // HELLO's SETNAME ran before it was refused.
        ("CLIENT GETNAME", "$1\r\nx\r\n"),
        ("SET a 1", "+OK\r\n"),
        ("AUTH wrong", WRONGPASS),
        ("GET a", "$1\r\n1\r\n"),
        ("MULTI", "+OK\r\n"),
        ("AUTH pw", "+QUEUED\r\n"),
        ("EXEC", "*1\r\n+OK\r\n"),
    ]);
    c.step("CLIENT ID", "");
    let id: i64 = read_line(&mut c)[1..].trim_end().parse().expect("an integer");
    c.script(&[("RESET", "+RESET\r\n"), ("GET a", NOAUTH), ("AUTH default pw", "+OK\r\n")]);
    c.script(&[("CLIENT GETNAME", "$-1\r\n"), ("RESET", "+RESET\r\n")]);
    c.step("HELLO 2 AUTH default pw", &hello2(id));
    c.script(&[("GET a", "$1\r\n1\r\n"), ("RESET", "+RESET\r\n")]);
    c.step("HELLO 2 AUTH default pw SETNAME a-b", &hello2(id));
    c.step("CLIENT GETNAME", "$3\r\na-b\r\n");
    let mut other = server.raw();
    other.step("QUIT", "+OK\r\n");
    assert!(other.read_until_closed().is_empty(), "QUIT closes an unauthenticated client");
}

fn requirepass_set_at_runtime(backend: Backend) {
    // Proves CONFIG SET requirepass: without a password AUTH <password> is Redis's configuration
    // error and AUTH default <anything> passes; once set, clients already connected stay
    // authenticated and new ones must AUTH; once cleared (empty), everyone is served again, but
    // HELLO still refuses a client that never authenticated, as Redis's does.
    let server = Server::start(backend);
    let mut admin = server.raw();
    admin.script(&[
        (
            "AUTH x",
            "-ERR AUTH <password> called without any password configured for the default user. Are you sure your \
             configuration is correct?\r\n",
        ),
        ("AUTH default anything", "+OK\r\n"),
        ("AUTH someone x", WRONGPASS),
        ("CONFIG SET requirepass pw", "+OK\r\n"),
        ("CONFIG GET requirepass", "*2\r\n$11\r\nrequirepass\r\n$2\r\npw\r\n"),
        ("PING", "+PONG\r\n"),
    ]);
    let mut late = server.raw();
    late.script(&[("PING", NOAUTH), ("AUTH x", WRONGPASS)]);
    let mut never = server.raw();
    never.step("PING", NOAUTH);
    late.step("AUTH pw", "+OK\r\n");
    admin.step("CONFIG SET requirepass newpw", "+OK\r\n");
    late.script(&[("PING", "+PONG\r\n"), ("AUTH pw", WRONGPASS), ("AUTH newpw", "+OK\r\n")]);
    step_args(&mut admin, &[b"CONFIG", b"SET", b"requirepass", b""], "+OK\r\n");
    never.script(&[("PING", "+PONG\r\n"), ("HELLO 2", HELLO_NOAUTH)]);
    let mut fresh = server.raw();
    fresh.script(&[("SET k v", "+OK\r\n"), ("AUTH default x", "+OK\r\n")]);
}

fn redis_cli_with_a_password(backend: Backend) {
    // Proves redis-cli's `-a` (AUTH before the command) and `--user`/`--pass` (AUTH user pass)
    // are served, and that without them the command is refused.
    let server = Server::start_with(backend, &["--requirepass", "pw"]);
    let run = |args: &[&str]| String::from_utf8_lossy(&server.cli_run(args).stdout).into_owned();
    assert_eq!(run(&["SET", "k", "v"]), "NOAUTH Authentication required.\n\n");
    assert_eq!(run(&["-a", "pw", "--no-auth-warning", "SET", "k", "v"]), "OK\n");
    assert_eq!(run(&["--user", "default", "--pass", "pw", "--no-auth-warning", "GET", "k"]), "v\n");
    let wrong = server.cli_run(&["-a", "nope", "--no-auth-warning", "GET", "k"]);
    let text = String::from_utf8_lossy(&wrong.stdout).into_owned() + &String::from_utf8_lossy(&wrong.stderr);
    assert!(text.contains("WRONGPASS invalid username-password pair"), "{text}");
}

fn wrong_passwords_do_not_stop_the_server(backend: Backend) {
    // Proves a thousand wrong AUTHs in a row are each answered WRONGPASS and leave the server
    // serving another client, and that a 1 MiB password is refused cleanly when wrong and works
    // when it is the password (from a client already authenticated: before AUTH, Redis takes no
    // argument over 16 KiB, see `unauthenticated_clients_are_bounded`).
    const ATTEMPTS: usize = 1000;
    let server = Server::start_with(backend, &["--requirepass", "pw"]);
    let mut attacker = server.raw();
    for i in 0..ATTEMPTS {
        step_args(&mut attacker, &[b"AUTH", format!("guess{i}").as_bytes()], WRONGPASS);
    }
    let mut user = server.raw();
    user.script(&[("AUTH pw", "+OK\r\n"), ("SET k v", "+OK\r\n"), ("GET k", "$1\r\nv\r\n")]);
    attacker.step("GET k", NOAUTH);

    let huge = vec![b'p'; 1 << 20];
    step_args(&mut user, &[b"AUTH", &huge], WRONGPASS);
    step_args(&mut user, &[b"CONFIG", b"SET", b"requirepass", &huge], "+OK\r\n");
    step_args(&mut user, &[b"AUTH", b"default", &huge], "+OK\r\n");
    user.step("GET k", "$1\r\nv\r\n");
    step_args(&mut user, &[b"AUTH", b"pw"], WRONGPASS);
}

fn unauthenticated_clients_are_bounded(backend: Backend) {
    // Proves Redis's limits on a client that must still authenticate: more than 10 arguments or
    // an argument over 16 KiB is a protocol error that closes it (10 arguments and 16 KiB
    // pass), and a flood of pipelined wrong AUTHs whose replies it does not read gets it
    // disconnected, while a client that authenticates is served.
    let server = Server::start_with(backend, &["--requirepass", "pw"]);
    let ten: Vec<&[u8]> = vec![b"AUTH"; 10];
    let mut c = server.raw();
    step_args(&mut c, &ten, "-ERR syntax error\r\n");
    step_args(&mut c, &[b"AUTH", &[b'p'; 16384]], WRONGPASS);
    let eleven: Vec<&[u8]> = vec![b"AUTH"; 11];
    step_args(&mut c, &eleven, "-ERR Protocol error: unauthenticated multibulk length\r\n");
    assert!(c.read_until_closed().is_empty());
    let mut c = server.raw();
    c.send(b"*2\r\n$4\r\nAUTH\r\n$16385\r\n");
    assert_eq!(c.read_until_closed(), b"-ERR Protocol error: unauthenticated bulk length\r\n");

    let mut flood = server.raw();
    let mut burst = Vec::new();
    for i in 0..1000 {
        burst.extend(resp_command(&[b"AUTH", format!("guess{i}").as_bytes()]));
    }
    // The server may close before it has read it all: a failed write is part of the outcome.
    let _ = std::io::Write::write_all(&mut flood.stream, &burst);
    let got = flood.read_until_closed();
    assert!(got.len() < WRONGPASS.len() * 1000, "the flood was answered whole ({} bytes)", got.len());
    let mut user = server.raw();
    user.script(&[("AUTH pw", "+OK\r\n"), ("PING", "+PONG\r\n")]);
    // Once authenticated, the limits are gone.
    let many: Vec<&[u8]> = [&b"MSET"[..]].into_iter().chain(std::iter::repeat_n(&b"k"[..], 20)).collect();
    step_args(&mut user, &many, "+OK\r\n");
}

fn acl_reads_the_default_user(backend: Backend) {
    // Proves ACL WHOAMI, USERS, LIST and GETUSER (RESP2 and RESP3) describe the default user with
    // no password and with `requirepass` (its SHA-256), that a missing user is null, ACL
    // DRYRUN's answers and errors, and ACL CAT's category list, HELP and errors.
    let server = Server::start(backend);
    let mut c = server.raw();
    let getuser = |flags: &str, passwords: &str| {
        format!(
            "$5\r\nflags\r\n{flags}$9\r\npasswords\r\n{passwords}$8\r\ncommands\r\n$5\r\n+@all\r\n$4\r\nkeys\r\n\
             $2\r\n~*\r\n$8\r\nchannels\r\n$2\r\n&*\r\n$9\r\nselectors\r\n*0\r\n"
        )
    };
    let hash = "30c952fab122c3f9759f02a6d95c3758b246b4fee239957b2d4fee46e26170c4";
    c.script(&[
        ("ACL WHOAMI", "$7\r\ndefault\r\n"),
        ("ACL WHOAMI x", "-ERR wrong number of arguments for 'acl|whoami' command\r\n"),
        ("ACL USERS", "*1\r\n$7\r\ndefault\r\n"),
        ("ACL LIST", "*1\r\n$34\r\nuser default on nopass ~* &* +@all\r\n"),
        ("ACL GETUSER default", &format!("*12\r\n{}", getuser("*2\r\n$2\r\non\r\n$6\r\nnopass\r\n", "*0\r\n"))),
        ("ACL GETUSER nobody", "$-1\r\n"),
        ("ACL CAT nosuch", "-ERR Unknown category 'nosuch'\r\n"),
        ("ACL CAT a b", "-ERR unknown subcommand or wrong number of arguments for 'CAT'. Try ACL HELP.\r\n"),
        ("ACL NOSUCH", "-ERR unknown subcommand 'NOSUCH'. Try ACL HELP.\r\n"),
        ("ACL DRYRUN default GET k", "+OK\r\n"),
        ("ACL DRYRUN default CONFIG GET x", "+OK\r\n"),
        ("ACL DRYRUN bob GET k", "-ERR User 'bob' not found\r\n"),
        ("ACL DRYRUN default nosuch", "-ERR Command 'nosuch' not found\r\n"),
        ("ACL DRYRUN default config nosuch", "-ERR Command 'config' not found\r\n"),
        ("ACL DRYRUN default GET", "-ERR wrong number of arguments for 'get' command\r\n"),
        ("ACL DRYRUN default CONFIG", "-ERR wrong number of arguments for 'config' command\r\n"),
        ("ACL DRYRUN default CONFIG GET", "-ERR wrong number of arguments for 'config|get' command\r\n"),
        ("ACL DRYRUN default", "-ERR wrong number of arguments for 'acl|dryrun' command\r\n"),
        ("CONFIG SET requirepass pw", "+OK\r\n"),
        ("ACL LIST", &format!("*1\r\n$93\r\nuser default on #{hash} ~* &* +@all\r\n")),
        (
            "ACL GETUSER default",
            &format!("*12\r\n{}", getuser("*1\r\n$2\r\non\r\n", &format!("*1\r\n$64\r\n{hash}\r\n"))),
        ),
        ("HELLO 3", ""),
    ]);
    // HELLO 3's map (its id varies) is read and set aside: the next reply starts after it.
    let mut hello = Vec::new();
    while !hello.ends_with(b"modules\r\n*0\r\n") {
        hello.extend(c.read_n(1));
    }
    c.script(&[
        (
            "ACL GETUSER default",
            &format!("%6\r\n{}", getuser("~1\r\n$2\r\non\r\n", &format!("*1\r\n$64\r\n{hash}\r\n"))),
        ),
        ("ACL GETUSER nobody", "_\r\n"),
    ]);
    let mut con = server.client();
    let _: () = redis::cmd("AUTH").arg("pw").query(&mut con).expect("AUTH");
    let categories: Vec<String> = redis::cmd("ACL").arg("CAT").query(&mut con).expect("ACL CAT");
    assert_eq!(
        categories.join(" "),
        "keyspace read write set sortedset list hash string bitmap hyperloglog geo stream pubsub admin fast slow \
         blocking dangerous connection transaction scripting"
    );
    let help: Vec<String> = redis::cmd("ACL").arg("HELP").query(&mut con).expect("ACL HELP");
    assert_eq!(help.len(), 29);
    assert_eq!(help[0], "ACL <subcommand> [<arg> [value] [opt] ...]. Subcommands are:");
    assert_eq!((help[25].as_str(), help[28].as_str()), ("WHOAMI", "    Prints this help."));
}

/// ACL LOG's entries as (field, value) lists, each value as text; `age-seconds` is checked to
/// be a small non-negative number and replaced by `AGE`, and client-info is kept only for its
/// field names and its `name`, `cmd` and `user` (ids, ports and sizes differ run to run).
fn acl_log(con: &mut redis::Connection, args: &[&str]) -> Vec<Vec<(String, String)>> {
    let entries: Vec<Vec<redis::Value>> = redis::cmd("ACL").arg("LOG").arg(args).query(con).expect("ACL LOG");
    let text = |v: &redis::Value| match v {
        redis::Value::Int(i) => i.to_string(),
        other => redis::from_redis_value::<String>(other).expect("text"),
    };
    entries
        .iter()
        .map(|flat| {
            flat.chunks(2)
                .map(|pair| {
                    let (name, value) = (text(&pair[0]), text(&pair[1]));
                    let value = match name.as_str() {
                        "age-seconds" => {
                            let age: f64 = value.parse().expect("a number");
                            assert!((0.0..60.0).contains(&age), "{age}");
                            "AGE".to_string()
                        }
                        "client-info" => value
                            .split(' ')
                            .map(|kv| match kv.split_once('=') {
                                Some((k @ ("name" | "cmd" | "user"), v)) => format!("{k}={v}"),
                                Some((k, _)) => k.to_string(),
                                None => kv.to_string(),
                            })
                            .collect::<Vec<_>>()
                            .join(" "),
                        _ => value,
                    };
                    (name, value)
                })
                .collect()
        })
        .collect()
}

fn acl_log_records_failed_auth(backend: Backend) {
    // Proves ACL LOG's entries for failed AUTH and HELLO AUTH field by field (count, reason,
    // context toplevel or multi, object, username, age, client-info's fields), like denials
    // grouped, the count argument, RESET, its errors, and `acllog-max-len`.
    let server = Server::start_with(backend, &["--requirepass", "pw"]);
    let mut c = server.raw();
    c.script(&[
        ("AUTH wrong", WRONGPASS),
        ("AUTH default wrong2", WRONGPASS),
        ("HELLO 3 AUTH bob y SETNAME never", WRONGPASS),
        ("AUTH pw", "+OK\r\n"),
        ("CLIENT SETNAME tx", "+OK\r\n"),
        ("MULTI", "+OK\r\n"),
        ("AUTH bad", "+QUEUED\r\n"),
        ("EXEC", &format!("*1\r\n{WRONGPASS}")),
        ("ACL LOG x", "-ERR value is not an integer or out of range\r\n"),
        ("ACL LOG 1 2", "-ERR unknown subcommand or wrong number of arguments for 'LOG'. Try ACL HELP.\r\n"),
        ("ACL LOG -1", "*0\r\n"),
    ]);
    let mut con = server.client();
    let _: () = redis::cmd("AUTH").arg("pw").query(&mut con).expect("AUTH");
    let entry = |count: &str, context: &str, object: &str, user: &str, name: &str, cmd: &str| {
        let info = format!(
            "id addr laddr fd name={name} age idle flags db sub psub ssub multi qbuf qbuf-free argv-mem multi-mem rbs rbp \
             obl oll omem tot-mem events cmd={cmd} user=default redir resp"
        );
        [
            ("count", count),
            ("reason", "auth"),
            ("context", context),
            ("object", object),
            ("username", user),
            ("age-seconds", "AGE"),
            ("client-info", &info),
        ]
        .iter()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect::<Vec<_>>()
    };
    let all = acl_log(&mut con, &[]);
    assert_eq!(
        all,
        [
            entry("1", "multi", "AUTH", "default", "tx", "exec"),
            entry("1", "toplevel", "HELLO", "bob", "", "hello"),
            entry("2", "toplevel", "AUTH", "default", "", "auth"),
        ]
    );
    assert_eq!(acl_log(&mut con, &["1"]), all[..1]);
    let _: () = redis::cmd("CONFIG").arg("SET").arg("acllog-max-len").arg("2").query(&mut con).expect("CONFIG SET");
    c.step("AUTH carol z", WRONGPASS);
    let trimmed = acl_log(&mut con, &[]);
    assert_eq!((trimmed.len(), &trimmed[0][4].1, &trimmed[1]), (2, &"carol".to_string(), &all[0]));
    let _: () = redis::cmd("ACL").arg("LOG").arg("RESET").query(&mut con).expect("ACL LOG RESET");
    assert!(acl_log(&mut con, &[]).is_empty());
}

#[test]
fn acl_cat_lists_what_redis_lists() {
    // Proves ACL CAT <category>, for every category, names exactly the commands (subcommands as
    // `container|sub`) that Redis 7.0 names and verdis implements: compared as sets, since
    // Redis's order is its hash table's.
    let verdis = Server::start(Backend::Verdis);
    let redis = Server::start(Backend::Redis);
    let implemented: BTreeSet<String> =
        verdis_engine::cmd::table::all_rows().map(|row| row.spec.name.to_string()).collect();
    let (mut v, mut r) = (verdis.client(), redis.client());
    let categories: Vec<String> = redis::cmd("ACL").arg("CAT").query(&mut r).expect("ACL CAT");
    for category in categories {
        let cat = |con: &mut redis::Connection| -> BTreeSet<String> {
            redis::cmd("ACL").arg("CAT").arg(&category).query(con).expect("ACL CAT category")
        };
        let ours = cat(&mut v);
        let theirs: BTreeSet<String> = cat(&mut r).intersection(&implemented).cloned().collect();
        assert_eq!(ours, theirs, "ACL CAT {category}");
    }
}

on_both_backends!(
    requirepass_refuses_until_auth,
    requirepass_set_at_runtime,
    redis_cli_with_a_password,
    wrong_passwords_do_not_stop_the_server,
    unauthenticated_clients_are_bounded,
    acl_reads_the_default_user,
    acl_log_records_failed_auth,
);
