//! COMMAND, COMMAND COUNT|INFO|DOCS|LIST|GETKEYS|GETKEYSANDFLAGS|HELP
//!
//! Replies are rendered from the command table, which pairs Redis's generated specs with
//! handlers, so only implemented commands (and implemented subcommands) are listed. Redis lists
//! commands in its dict's order; verdis lists them in table order (clients treat it as a set).

use crate::cmd::args::{eq_ci, Args};
use crate::cmd::ctx::Ctx;
use crate::cmd::getkeys::command_keys;
use crate::cmd::spec::{CmdFlag, CommandSpec, DocValue};
use crate::cmd::table::{self, Command};
use crate::error::CmdError;
use crate::glob::string_match_nocase;
use crate::reply::Reply;

fn status_set<T: Copy>(items: &[T], name: impl Fn(T) -> String) -> Reply {
    Reply::Set(items.iter().map(|&i| Reply::Simple(name(i).into())).collect())
}

/// The implemented subcommands of `spec`, in Redis's order.
fn implemented_subcommands(spec: &'static CommandSpec) -> impl Iterator<Item = &'static Command> {
    spec.subcommands.iter().filter_map(|sub| table::all_rows().find(|row| std::ptr::eq(row.spec, *sub)))
}

fn key_spec_reply(ks: &crate::cmd::spec::KeySpec) -> Reply {
    use crate::cmd::spec::{BeginSearch, FindKeys};
    let b = |s: &str| Reply::bulk(s.as_bytes());
    let typed =
        |kind: &str, spec: Vec<(Reply, Reply)>| Reply::Map(vec![(b("type"), b(kind)), (b("spec"), Reply::Map(spec))]);
    let begin = match ks.begin_search {
        BeginSearch::Index { pos } => typed("index", vec![(b("index"), Reply::Int(pos as i64))]),
        BeginSearch::Keyword { keyword, startfrom } => {
            typed("keyword", vec![(b("keyword"), b(keyword)), (b("startfrom"), Reply::Int(startfrom as i64))])
        }
        BeginSearch::Unknown => typed("unknown", vec![]),
    };
    let find = match ks.find_keys {
        FindKeys::Range { lastkey, keystep, limit } => typed(
            "range",
            vec![
                (b("lastkey"), Reply::Int(lastkey as i64)),
                (b("keystep"), Reply::Int(keystep as i64)),
                (b("limit"), Reply::Int(limit as i64)),
            ],
        ),
        FindKeys::Keynum { keynumidx, firstkey, keystep } => typed(
            "keynum",
            vec![
                (b("keynumidx"), Reply::Int(keynumidx as i64)),
                (b("firstkey"), Reply::Int(firstkey as i64)),
                (b("keystep"), Reply::Int(keystep as i64)),
            ],
        ),
        FindKeys::Unknown => typed("unknown", vec![]),
    };
    let mut map = Vec::with_capacity(4);
    if let Some(notes) = ks.notes {
        map.push((b("notes"), b(notes)));
    }
    map.push((b("flags"), status_set(ks.flags, |f| f.name().into())));
    map.push((b("begin_search"), begin));
    map.push((b("find_keys"), find));
    Reply::Map(map)
}

/// One command's COMMAND INFO entry (Redis's `addReplyCommandInfo`).
fn info_reply(row: &Command) -> Reply {
    let spec = row.spec;
    let subcommands: Vec<Reply> = implemented_subcommands(spec).map(info_reply).collect();
    Reply::Array(vec![
        Reply::bulk(spec.name.as_bytes()),
        Reply::Int(spec.arity as i64),
        status_set(spec.flags, |f: CmdFlag| f.name().into()),
        Reply::Int(spec.first_key as i64),
        Reply::Int(spec.last_key as i64),
        Reply::Int(spec.key_step as i64),
        status_set(spec.acl_categories, |c| format!("@{}", c.name())),
        Reply::Set(spec.tips.iter().map(|t| Reply::bulk(t.as_bytes())).collect()),
        Reply::Set(spec.key_specs.iter().map(key_spec_reply).collect()),
        if subcommands.is_empty() { Reply::Set(vec![]) } else { Reply::Array(subcommands) },
    ])
}

fn doc_reply(v: &DocValue) -> Reply {
    match *v {
        DocValue::Bulk(s) => Reply::bulk(s.as_bytes()),
        DocValue::Simple(s) => Reply::simple(s),
        DocValue::Int(n) => Reply::Int(n),
        DocValue::Array(items) => Reply::Array(items.iter().map(doc_reply).collect()),
        DocValue::Set(items) => Reply::Set(items.iter().map(doc_reply).collect()),
        DocValue::Map(pairs) => {
            Reply::Map(pairs.iter().map(|(k, v)| (Reply::bulk(k.as_bytes()), doc_reply(v))).collect())
        }
    }
}

/// One command's COMMAND DOCS map (Redis's `addReplyCommandDocs`).
fn docs_reply(row: &Command) -> Reply {
    let mut map: Vec<(Reply, Reply)> =
        row.spec.docs.iter().map(|(k, v)| (Reply::bulk(k.as_bytes()), doc_reply(v))).collect();
    if !row.spec.subcommands.is_empty() {
        let subs = implemented_subcommands(row.spec).map(|s| (Reply::bulk(s.spec.name.as_bytes()), docs_reply(s)));
        map.push((Reply::bulk(b"subcommands"), Reply::Map(subs.collect())));
    }
    Reply::Map(map)
}

/// The row a name refers to: `get`, or `config|get` for a subcommand (Redis's `lookupCommandBySds`).
fn row_by_full_name(name: &[u8]) -> Option<&'static Command> {
    let mut parts = name.splitn(2, |&b| b == b'|');
    let base = table::lookup(parts.next()?)?;
    match parts.next() {
        None => Some(base),
        Some(sub) if !base.spec.subcommands.is_empty() => table::lookup_sub(base, sub),
        Some(_) => None,
    }
}

/// COMMAND: every command's info.
pub fn command(_: &mut Ctx, _argv: &[&[u8]]) -> Result<Reply, CmdError> {
    Ok(Reply::Array(table::commands().map(info_reply).collect()))
}

/// COMMAND COUNT
pub fn count(_: &mut Ctx, _argv: &[&[u8]]) -> Result<Reply, CmdError> {
    Ok(Reply::Int(table::commands().count() as i64))
}

/// COMMAND INFO [command-name ...]
pub fn info(_: &mut Ctx, argv: &[&[u8]]) -> Result<Reply, CmdError> {
    if argv.len() == 2 {
        return Ok(Reply::Array(table::commands().map(info_reply).collect()));
    }
    let entries = argv[2..].iter().map(|name| row_by_full_name(name).map_or(Reply::Null, info_reply));
    Ok(Reply::Array(entries.collect()))
}

/// COMMAND DOCS [command-name ...]: unknown names are left out.
pub fn docs(_: &mut Ctx, argv: &[&[u8]]) -> Result<Reply, CmdError> {
    let rows: Vec<&Command> = if argv.len() == 2 {
        table::commands().collect()
    } else {
        argv[2..].iter().filter_map(|name| row_by_full_name(name)).collect()
    };
    Ok(Reply::Map(rows.into_iter().map(|r| (Reply::bulk(r.spec.name.as_bytes()), docs_reply(r))).collect()))
}

/// COMMAND LIST [FILTERBY MODULE name | ACLCAT category | PATTERN pattern]
pub fn list(_: &mut Ctx, argv: &[&[u8]]) -> Result<Reply, CmdError> {
    enum Filter<'a> {
        None,
        Module,
        AclCat(&'a [u8]),
        Pattern(&'a [u8]),
    }
    let mut filter = Filter::None;
    let mut args = Args::after(argv, 2);
    while let Some(opt) = args.next_opt() {
        // Redis takes FILTERBY only as the last three arguments.
        if !(eq_ci(opt, "filterby") && args.remaining() == 2) {
            return Err(CmdError::Syntax);
        }
        let (kind, arg) = (args.next_arg()?, args.next_arg()?);
        filter = if eq_ci(kind, "module") {
            Filter::Module
        } else if eq_ci(kind, "aclcat") {
            Filter::AclCat(arg)
        } else if eq_ci(kind, "pattern") {
            Filter::Pattern(arg)
        } else {
            return Err(CmdError::Syntax);
        };
    }
    let keep = |spec: &CommandSpec| match filter {
        Filter::None => true,
        Filter::Module => false,
        Filter::AclCat(cat) => spec.acl_categories.iter().any(|c| cat.eq_ignore_ascii_case(c.name().as_bytes())),
        Filter::Pattern(p) => string_match_nocase(p, spec.name.as_bytes()),
    };
    let mut names = Vec::new();
    for row in table::commands() {
        if keep(row.spec) {
            names.push(Reply::bulk(row.spec.name.as_bytes()));
        }
        for sub in implemented_subcommands(row.spec) {
            if keep(sub.spec) {
                names.push(Reply::bulk(sub.spec.name.as_bytes()));
            }
        }
    }
    Ok(Reply::Array(names))
}

/// The keys of the command in `argv[2..]`, with Redis's COMMAND GETKEYS errors.
fn keys_for(argv: &[&[u8]]) -> Result<(Vec<crate::cmd::getkeys::KeyRef>, usize), CmdError> {
    let target = &argv[2..];
    let row = table::lookup(target[0]).and_then(|base| {
        if target.len() == 1 || base.spec.subcommands.is_empty() {
            Some(base)
        } else {
            table::lookup_sub(base, target[1])
        }
    });
    let Some(row) = row else { return Err(CmdError::msg("ERR Invalid command specified")) };
    // Redis's doesCommandHaveKeys: a key spec not marked `not_key` (SPUBLISH's shard channel is
    // described by one that is).
    let has_keys = row.spec.key_specs.iter().any(|ks| !ks.flags.contains(&crate::cmd::spec::KeySpecFlag::NotKey));
    if !has_keys {
        return Err(CmdError::msg("ERR The command has no key arguments"));
    }
    if !row.spec.arity_ok(target.len()) {
        return Err(CmdError::msg("ERR Invalid number of arguments specified for command"));
    }
    let keys = command_keys(row.spec, target);
    if keys.is_empty() && !row.spec.has(CmdFlag::NoMandatoryKeys) {
        return Err(CmdError::msg("ERR Invalid arguments specified for command"));
    }
    Ok((keys, 2))
}

/// COMMAND GETKEYS command [arg ...]
pub fn getkeys(_: &mut Ctx, argv: &[&[u8]]) -> Result<Reply, CmdError> {
    let (keys, offset) = keys_for(argv)?;
    Ok(Reply::Array(keys.iter().map(|k| Reply::bulk(argv[k.pos + offset])).collect()))
}

/// COMMAND GETKEYSANDFLAGS command [arg ...]
pub fn getkeys_and_flags(_: &mut Ctx, argv: &[&[u8]]) -> Result<Reply, CmdError> {
    let (keys, offset) = keys_for(argv)?;
    let entries = keys
        .iter()
        .map(|k| Reply::Array(vec![Reply::bulk(argv[k.pos + offset]), status_set(k.flags, |f| f.name().into())]));
    Ok(Reply::Array(entries.collect()))
}

/// COMMAND HELP
pub fn help(_: &mut Ctx, argv: &[&[u8]]) -> Result<Reply, CmdError> {
    Ok(Reply::help(
        argv[0],
        &[
            "(no subcommand)",
            "    Return details about all Redis commands.",
            "COUNT",
            "    Return the total number of commands in this Redis server.",
            "LIST",
            "    Return a list of all commands in this Redis server.",
            "INFO [<command-name> ...]",
            "    Return details about multiple Redis commands.",
            "    If no command names are given, documentation details for all",
            "    commands are returned.",
            "DOCS [<command-name> ...]",
            "    Return documentation details about multiple Redis commands.",
            "    If no command names are given, documentation details for all",
            "    commands are returned.",
            "GETKEYS <full-command>",
            "    Return the keys from a full Redis command.",
            "GETKEYSANDFLAGS <full-command>",
            "    Return the keys and the access flags from a full Redis command.",
        ],
    ))
}
