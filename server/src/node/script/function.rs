//! Redis Functions: FUNCTION LOAD/DELETE/LIST/FLUSH/DUMP/RESTORE/STATS/KILL/HELP and FCALL,
//! FCALL_RO (Redis 7.0.15's `functions.c` and `functions_lua.c`).
//!
//! A library is its code (`#!lua name=<lib>` then Lua); loading runs the code once in the
//! functions' own Lua state (a second `ScriptLua`, as Redis keeps a second `lua_State`), where
//! it may only call `redis.register_function`, `redis.log` and read the version (`sandbox.lua`'s
//! `load_library`). FCALL then runs a registered callback as EVAL runs a script
//! (`Node::script_run`), with the function's flags in place of a shebang's. The engine keeps no
//! Lua: RDB files, FUNCTION DUMP payloads and the AOF carry each library's code, and the node
//! compiles it again when it reads them.
//!
//! Differences from Redis: libraries and functions are listed (and dumped) in name order, where
//! Redis follows its hash tables' order; the 500 ms load timeout (`luaEngineLoadHook`) is not
//! enforced, as no script is ever interrupted here (see `mod.rs`).

use std::collections::BTreeMap;

use mlua::{Function, Table, Value};
use verdis_engine::cmd::node::NodeCmd;
use verdis_engine::glob::string_match_nocase;
use verdis_engine::rdb::payload;
use verdis_engine::{CmdError, Reply};

use super::flags::ScriptFlags;
use super::state::ScriptLua;
use crate::node::exec::Effects;
use crate::node::{ClientId, Node};

/// One registered function.
struct Func {
    /// Its name as registered (FCALL finds it in any case).
    name: Vec<u8>,
    callback: Function,
    flags: ScriptFlags,
    description: Option<Vec<u8>>,
}

/// A loaded library: its whole code (shebang included) and its functions by name (within a
/// library names are case-sensitive, as Redis's `li->functions`).
struct Library {
    code: Vec<u8>,
    functions: BTreeMap<Vec<u8>, Func>,
}

/// Libraries by name, and which library holds each function (Redis's `functionsLibCtx`).
#[derive(Default)]
struct Registry {
    libraries: BTreeMap<Vec<u8>, Library>,
    /// Lowercase function name to the library and the name as registered: across libraries
    /// FCALL and the collision check ignore case (Redis's `lib_ctx->functions`); of two names
    /// differing in case only within one library, the first linked keeps the entry.
    functions: BTreeMap<Vec<u8>, (Vec<u8>, Vec<u8>)>,
}

impl Registry {
    /// The first of `lib`'s functions another library already holds.
    fn collision<'a>(&self, lib: &'a Library) -> Option<&'a Func> {
        lib.functions.iter().find(|(name, _)| self.functions.contains_key(&name.to_ascii_lowercase())).map(|(_, f)| f)
    }

    fn link(&mut self, name: Vec<u8>, lib: Library) {
        for fname in lib.functions.keys() {
            self.functions.entry(fname.to_ascii_lowercase()).or_insert_with(|| (name.clone(), fname.clone()));
        }
        self.libraries.insert(name, lib);
    }

    fn unlink(&mut self, name: &[u8]) -> Option<Library> {
        let lib = self.libraries.remove(name)?;
        self.functions.retain(|_, (owner, _)| owner.as_slice() != name);
        Some(lib)
    }

    /// Redis's `libraryJoin`: adds `src`'s libraries; one of the same name is an error unless
    /// `replace`; a function another library holds is an error. On error nothing changes.
    fn join(&mut self, src: Registry, replace: bool) -> Result<(), String> {
        let mut replaced = Vec::new();
        for name in src.libraries.keys() {
            if self.libraries.contains_key(name) {
                if !replace {
                    self.relink(replaced);
                    return Err(format!("Library {} already exists", String::from_utf8_lossy(name)));
                }
                let old = self.unlink(name).expect("present");
                replaced.push((name.clone(), old));
            }
        }
        if let Some(f) = src.libraries.values().find_map(|lib| self.collision(lib)) {
            let text = format!("Function {} already exists", String::from_utf8_lossy(&f.name));
            self.relink(replaced);
            return Err(text);
        }
        for (name, lib) in src.libraries {
            self.link(name, lib);
        }
        Ok(())
    }

    fn relink(&mut self, libs: Vec<(Vec<u8>, Library)>) {
        for (name, lib) in libs {
            self.link(name, lib);
        }
    }

    /// FUNCTION STATS's `functions_count`: every library's functions (Redis's engine stats),
    /// names differing in case only counted apart.
    fn function_count(&self) -> usize {
        self.libraries.values().map(|l| l.functions.len()).sum()
    }
}

/// The functions' Lua state and the loaded libraries.
pub(in crate::node) struct Functions {
    pub(super) lua: ScriptLua,
    registry: Registry,
}

/// Redis's `functionsVerifyName`.
fn valid_name(name: &[u8]) -> bool {
    !name.is_empty() && name.iter().all(|b| b.is_ascii_alphanumeric() || *b == b'_')
}

/// A library's name and where its Lua code starts (`functionExtractLibMetaData`), with
/// Redis's errors (without their `ERR `).
fn metadata(code: &[u8]) -> Result<(Vec<u8>, usize), String> {
    if !code.starts_with(b"#!") {
        return Err("Missing library metadata".into());
    }
    let Some(end) = code.iter().position(|&b| b == b'\n') else {
        return Err("Invalid library metadata".into());
    };
    let parts = verdis_engine::sds::split_args(&code[..end]).unwrap_or_default();
    let Some(first) = parts.first() else { return Err("Invalid library metadata".into()) };
    let mut name = None;
    for part in &parts[1..] {
        if part.len() >= 5 && part[..5].eq_ignore_ascii_case(b"name=") {
            if name.is_some() {
                return Err("Invalid metadata value, name argument was given multiple times".into());
            }
            name = Some(part[5..].to_vec());
            continue;
        }
        return Err(format!("Invalid metadata value given: {}", String::from_utf8_lossy(part)));
    }
    let Some(name) = name else { return Err("Library name was not given".into()) };
    if !valid_name(&name) {
        return Err(
            "Library names can only contain letters, numbers, or underscores(_) and must be at least one character long"
                .into(),
        );
    }
    let engine = &first[2.min(first.len())..];
    if !engine.eq_ignore_ascii_case(b"lua") {
        return Err(format!("Engine '{}' not found", String::from_utf8_lossy(engine)));
    }
    Ok((name, end))
}

impl Functions {
    /// A fresh functions state with no library.
    pub(super) fn new(lua: ScriptLua) -> Functions {
        Functions { lua, registry: Registry::default() }
    }

    /// Redis's `functionsCreateWithLibraryCtx`: compiles `code` and links it into `registry`
    /// (replacing a library of the same name when `replace`); the library's name, or Redis's
    /// error (without its `ERR `). On error `registry` is unchanged.
    fn create(&self, registry: &mut Registry, code: &[u8], replace: bool) -> Result<Vec<u8>, String> {
        let (name, start) = metadata(code)?;
        if registry.libraries.contains_key(&name) && !replace {
            return Err(format!("Library '{}' already exists", String::from_utf8_lossy(&name)));
        }
        let lib = self.compile(code, start)?;
        if lib.functions.is_empty() {
            return Err("No functions registered".into());
        }
        let old = registry.unlink(&name);
        if let Some(f) = registry.collision(&lib) {
            let text = format!("Function {} already exists", String::from_utf8_lossy(&f.name));
            if let Some(old) = old {
                registry.link(name, old);
            }
            return Err(text);
        }
        registry.link(name.clone(), lib);
        Ok(name)
    }

    /// Runs the library's code (from `start`, its shebang line's newline) and collects what it
    /// registered.
    fn compile(&self, code: &[u8], start: usize) -> Result<Library, String> {
        let lua_error = |e: mlua::Error| format!("Error registering functions: {e}");
        let text = self.lua.lua.create_string(&code[start..]).map_err(lua_error)?;
        let (ok, result): (bool, Value) = self.lua.load_library.call(text).map_err(lua_error)?;
        if !ok {
            return Err(super::convert::lua_text(&result)
                .map(|t| String::from_utf8_lossy(&t).into_owned())
                .unwrap_or_default());
        }
        let Value::Table(list) = result else { return Err("Error registering functions".into()) };
        let mut functions = BTreeMap::new();
        for entry in list.sequence_values::<Table>() {
            let entry = entry.map_err(lua_error)?;
            let name: mlua::String = entry.get("name").map_err(lua_error)?;
            let flags: Vec<String> = entry.get("flags").map_err(lua_error)?;
            let description: Option<mlua::String> = entry.get("description").map_err(lua_error)?;
            let func = Func {
                name: name.as_bytes().to_vec(),
                callback: entry.get("callback").map_err(lua_error)?,
                flags: ScriptFlags::from_names(flags.iter().map(String::as_str)),
                description: description.map(|d| d.as_bytes().to_vec()),
            };
            functions.insert(name.as_bytes().to_vec(), func);
        }
        Ok(Library { code: code.to_vec(), functions })
    }

    /// Loaded libraries.
    pub(super) fn library_count(&self) -> usize {
        self.registry.libraries.len()
    }

    /// Registered functions, as FUNCTION STATS counts them.
    pub(super) fn function_count(&self) -> usize {
        self.registry.function_count()
    }

    /// What the libraries hold: names, code, function names and descriptions.
    pub(super) fn bytes(&self) -> usize {
        let of_function = |f: &Func| f.name.len() + f.description.as_ref().map_or(0, Vec::len);
        let of_library = |(name, lib): (&Vec<u8>, &Library)| {
            name.len() + lib.code.len() + lib.functions.values().map(of_function).sum::<usize>()
        };
        self.registry.libraries.iter().map(of_library).sum()
    }

    /// The libraries' code in order (RDB, AOF rewrite, FUNCTION DUMP).
    pub(in crate::node) fn codes(&self) -> impl Iterator<Item = &[u8]> {
        self.registry.libraries.values().map(|l| l.code.as_slice())
    }

    /// Loads libraries read from an RDB file (Redis's `rdbFunctionLoad`): all of them, or none
    /// and the first one's error.
    pub(in crate::node) fn load_from_rdb(&mut self, codes: &[Vec<u8>], replace_all: bool) -> Result<(), String> {
        let mut fresh = Registry::default();
        for code in codes {
            self.create(&mut fresh, code, false).map_err(|e| format!("Failed loading library, {e}"))?;
        }
        if replace_all {
            self.registry = fresh;
            return Ok(());
        }
        self.registry.join(fresh, false).map_err(|e| format!("Failed loading library, {e}"))
    }

    /// The function FCALL names, and its flags.
    fn find(&self, name: &[u8]) -> Option<(&Func, ScriptFlags)> {
        let (lib, fname) = self.registry.functions.get(&name.to_ascii_lowercase())?;
        let f = &self.registry.libraries[lib].functions[fname];
        Some((f, f.flags))
    }

    /// FCALL's admission flags for `name`: `None` when no such function exists.
    pub(super) fn flags_of(&self, name: &[u8]) -> Option<ScriptFlags> {
        self.find(name).map(|(_, flags)| flags)
    }
}

/// FUNCTION HELP's lines after the intro, as Redis 7.0.15 prints them.
const HELP: &[&str] = &[
    "LOAD [REPLACE] <FUNCTION CODE>",
    "    Create a new library with the given library name and code.",
    "DELETE <LIBRARY NAME>",
    "    Delete the given library.",
    "LIST [LIBRARYNAME PATTERN] [WITHCODE]",
    "    Return general information on all the libraries:",
    "    * Library name",
    "    * The engine used to run the Library",
    "    * Library description",
    "    * Functions list",
    "    * Library code (if WITHCODE is given)",
    "    It also possible to get only function that matches a pattern using LIBRARYNAME argument.",
    "STATS",
    "    Return information about the current function running:",
    "    * Function name",
    "    * Command used to run the function",
    "    * Duration in MS that the function is running",
    "    If no function is running, return nil",
    "    In addition, returns a list of available engines.",
    "KILL",
    "    Kill the current running function.",
    "FLUSH [ASYNC|SYNC]",
    "    Delete all the libraries.",
    "    When called without the optional mode argument, the behavior is determined by the",
    "    lazyfree-lazy-user-flush configuration directive. Valid modes are:",
    "    * ASYNC: Asynchronously flush the libraries.",
    "    * SYNC: Synchronously flush the libraries.",
    "DUMP",
    "    Return a serialized payload representing the current libraries, can be restored using FUNCTION RESTORE command",
    "RESTORE <PAYLOAD> [FLUSH|APPEND|REPLACE]",
    "    Restore the libraries represented by the given payload, it is possible to give a restore policy to",
    "    control how to handle existing libraries (default APPEND):",
    "    * FLUSH: delete all existing libraries.",
    "    * APPEND: appends the restored libraries to the existing libraries. On collision, abort.",
    "    * REPLACE: appends the restored libraries to the existing libraries, On collision, replace the old",
    "      libraries with the new libraries (notice that even on this option there is a chance of failure",
    "      in case of functions name collision with another library).",
];

/// An error reply with Redis's `ERR ` before `text`.
fn err(text: impl AsRef<str>) -> CmdError {
    CmdError::Message(format!("ERR {}", text.as_ref()).into())
}

/// Redis's `addReplySubcommandSyntaxError` for FUNCTION `sub`.
fn syntax_error(sub: &[u8]) -> CmdError {
    err(format!(
        "unknown subcommand or wrong number of arguments for '{}'. Try FUNCTION HELP.",
        String::from_utf8_lossy(sub)
    ))
}

impl Node {
    /// Runs FCALL, FCALL_RO or a FUNCTION subcommand. `id` is the calling client (`None` for
    /// the AOF loader, which replays the library changes only). A change of the libraries counts
    /// as one change and propagates as the command itself, as in Redis.
    pub(in crate::node) fn exec_function(
        &mut self,
        cmd: NodeCmd,
        id: Option<ClientId>,
        argv: &[&[u8]],
        effects: &mut Effects,
    ) -> Result<Reply, CmdError> {
        let reply = match cmd {
            NodeCmd::Fcall | NodeCmd::FcallRo => {
                let id = id.expect("FCALL has a calling client");
                return self.fcall(id, argv, cmd == NodeCmd::FcallRo, effects);
            }
            NodeCmd::FunctionLoad => {
                let loaded = self.function_load(argv);
                self.script_logs_to_log();
                loaded?
            }
            NodeCmd::FunctionDelete => {
                if self.scripts.functions.registry.unlink(argv[2]).is_none() {
                    return Err(err("Library not found"));
                }
                Reply::Ok
            }
            NodeCmd::FunctionList => return self.function_list(argv),
            NodeCmd::FunctionFlush => {
                if argv.len() > 3 {
                    return Err(syntax_error(argv[1]));
                }
                let mode_ok =
                    argv.len() == 2 || argv[2].eq_ignore_ascii_case(b"sync") || argv[2].eq_ignore_ascii_case(b"async");
                if !mode_ok {
                    return Err(err("FUNCTION FLUSH only supports SYNC|ASYNC option"));
                }
                self.scripts.functions.registry = Registry::default();
                Reply::Ok
            }
            NodeCmd::FunctionDump => {
                let compress = self.config.persist.rdbcompression;
                return Ok(Reply::Bulk(payload::dump_functions(self.scripts.functions.codes(), compress)));
            }
            NodeCmd::FunctionRestore => {
                let restored = self.function_restore(argv);
                self.script_logs_to_log();
                restored?
            }
            NodeCmd::FunctionStats => return Ok(self.function_stats()),
            // Functions run to their end within one input: none is running when this arrives.
            NodeCmd::FunctionKill => return Err(CmdError::msg("NOTBUSY No scripts in execution right now.")),
            NodeCmd::FunctionHelp => return Ok(Reply::help(argv[0], HELP)),
            _ => unreachable!("exec_function is called for the functions commands only"),
        };
        effects.dirty += 1;
        if let Some(id) = id {
            if self.propagation_wanted() {
                let db = self.clients[&id].db;
                effects.propagation.add_command(db, argv, None, 1);
            }
        }
        Ok(reply)
    }

    /// FUNCTION LOAD [REPLACE] code.
    fn function_load(&mut self, argv: &[&[u8]]) -> Result<Reply, CmdError> {
        let mut replace = false;
        for arg in &argv[2..argv.len() - 1] {
            if !arg.eq_ignore_ascii_case(b"replace") {
                return Err(err(format!("Unknown option given: {}", String::from_utf8_lossy(arg))));
            }
            replace = true;
        }
        let code = argv[argv.len() - 1];
        let functions = &mut self.scripts.functions;
        let mut registry = std::mem::take(&mut functions.registry);
        let result = functions.create(&mut registry, code, replace);
        functions.registry = registry;
        result.map(Reply::Bulk).map_err(err)
    }

    /// FUNCTION RESTORE payload [FLUSH|APPEND|REPLACE].
    fn function_restore(&mut self, argv: &[&[u8]]) -> Result<Reply, CmdError> {
        if argv.len() > 4 {
            return Err(syntax_error(argv[1]));
        }
        #[derive(PartialEq)]
        enum Policy {
            Flush,
            Append,
            Replace,
        }
        let policy = match argv.get(3) {
            None => Policy::Append,
            Some(p) if p.eq_ignore_ascii_case(b"flush") => Policy::Flush,
            Some(p) if p.eq_ignore_ascii_case(b"append") => Policy::Append,
            Some(p) if p.eq_ignore_ascii_case(b"replace") => Policy::Replace,
            Some(_) => return Err(err("Wrong restore policy given, value should be either FLUSH, APPEND or REPLACE.")),
        };
        let codes = payload::restore_functions(argv[2]).map_err(|e| CmdError::Message(e.to_string().into()))?;
        let functions = &mut self.scripts.functions;
        let mut fresh = Registry::default();
        for code in &codes {
            functions.create(&mut fresh, code, false).map_err(err)?;
        }
        if policy == Policy::Flush {
            functions.registry = fresh;
        } else {
            functions.registry.join(fresh, policy == Policy::Replace).map_err(err)?;
        }
        Ok(Reply::Ok)
    }

    /// FUNCTION LIST [LIBRARYNAME pattern] [WITHCODE].
    fn function_list(&self, argv: &[&[u8]]) -> Result<Reply, CmdError> {
        let (mut with_code, mut pattern) = (false, None);
        let mut i = 2;
        while i < argv.len() {
            let arg = argv[i];
            if !with_code && arg.eq_ignore_ascii_case(b"withcode") {
                with_code = true;
            } else if pattern.is_none() && arg.eq_ignore_ascii_case(b"libraryname") {
                if i + 1 >= argv.len() {
                    return Err(err("library name argument was not given"));
                }
                i += 1;
                pattern = Some(argv[i]);
            } else {
                return Err(err(format!("Unknown argument {}", String::from_utf8_lossy(arg))));
            }
            i += 1;
        }
        let bulk = |s: &str| Reply::Bulk(s.as_bytes().to_vec());
        let libraries = self.scripts.functions.registry.libraries.iter();
        let listed = libraries.filter(|(name, _)| pattern.is_none_or(|p| string_match_nocase(p, name)));
        let reply = listed
            .map(|(name, lib)| {
                let functions = lib
                    .functions
                    .values()
                    .map(|f| {
                        Reply::Map(vec![
                            (bulk("name"), Reply::Bulk(f.name.clone())),
                            (bulk("description"), f.description.clone().map_or(Reply::Null, Reply::Bulk)),
                            (bulk("flags"), Reply::Set(f.flags.names().map(|n| Reply::Simple(n.into())).collect())),
                        ])
                    })
                    .collect();
                let mut fields = vec![
                    (bulk("library_name"), Reply::Bulk(name.clone())),
                    (bulk("engine"), bulk("LUA")),
                    (bulk("functions"), Reply::Array(functions)),
                ];
                if with_code {
                    fields.push((bulk("library_code"), Reply::Bulk(lib.code.clone())));
                }
                Reply::Map(fields)
            })
            .collect();
        Ok(Reply::Array(reply))
    }

    /// FUNCTION STATS: no function is ever running when it arrives (see `mod.rs`).
    fn function_stats(&self) -> Reply {
        let bulk = |s: &str| Reply::Bulk(s.as_bytes().to_vec());
        let registry = &self.scripts.functions.registry;
        let lua = Reply::Map(vec![
            (bulk("libraries_count"), Reply::Int(registry.libraries.len() as i64)),
            (bulk("functions_count"), Reply::Int(registry.function_count() as i64)),
        ]);
        Reply::Map(vec![(bulk("running_script"), Reply::Null), (bulk("engines"), Reply::Map(vec![(bulk("LUA"), lua)]))])
    }

    /// FCALL and FCALL_RO (`fcallCommandGeneric`).
    fn fcall(
        &mut self,
        id: ClientId,
        argv: &[&[u8]],
        ro_command: bool,
        effects: &mut Effects,
    ) -> Result<Reply, CmdError> {
        self.feed_monitors_eval(id, argv);
        let numkeys = verdis_engine::num::parse_i64(argv[2]).ok_or_else(|| err("Bad number of keys provided"))?;
        if numkeys > argv.len() as i64 - 3 {
            return Err(err("Number of keys can't be greater than number of args"));
        }
        if numkeys < 0 {
            return Err(err("Number of keys can't be negative"));
        }
        let Some((func, flags)) = self.scripts.functions.find(argv[1]) else {
            return Err(err("Function not found"));
        };
        let (callback, name) = (func.callback.clone(), String::from_utf8_lossy(&func.name).into_owned());
        self.run_script(id, argv, (&callback, true), (flags, ro_command), numkeys as usize, &name, effects)
    }
}
