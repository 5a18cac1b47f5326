//! Proves the architecture invariant of DESIGN.md section 3: no clock, thread, socket, file,
//! async runtime or unseeded randomness in the engine, the sans-IO node or the RESP codec.
//!
//! How: every file is parsed with `syn` and walked. Each path — in expressions, types, patterns,
//! attributes, the arguments of macro calls and every leaf of a `use` tree, grouped ones included —
//! is resolved through the file's imports (after `use std::{fs, time}`, `time::Instant` means
//! `std::time::Instant`) and compared with [`FORBIDDEN`]. Comments and string literals are data to
//! the parser, so text inside them neither hides code nor fakes a finding.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use proc_macro2::{Spacing, Span, TokenStream, TokenTree};
use syn::punctuated::Punctuated;
use syn::visit::{self, Visit};

/// What a forbidden item looks like in the code.
#[derive(Clone, Copy, Debug)]
enum Pattern {
    /// A path that starts with these segments once the file's imports are applied.
    Prefix(&'static str),
    /// These segments, consecutive, anywhere in a path: a name forbidden under any re-export.
    Anywhere(&'static str),
    /// `std`'s hash map or set with its default hasher, `RandomState`: a type that leaves the
    /// hasher parameter out (`HashMap<K, V>`, whoever builds it: `#[derive(Default)]`,
    /// `Default::default()`, `collect()`), or a constructor that exists only for `RandomState`
    /// (`HashMap::new`, `with_capacity`, `from`). `params` counts the type's parameters with it.
    RandomHasher { ty: &'static str, params: usize },
    /// A field read or a method call with this name: a function the shell hands in that reads
    /// the outside (`(probe.clock_us)()`, or `probe.clock_us()` if it becomes a method).
    Field(&'static str),
}

/// One forbidden item, why the core may not use it, and a plant the lint must catch.
struct Forbidden {
    pattern: Pattern,
    why: &'static str,
    /// A one-line source file that uses the item; `every_row_catches_its_plant` scans it.
    plant: &'static str,
}

/// Constructors of `HashMap` and `HashSet` that exist only for `RandomState`.
const RANDOM_HASHER_CONSTRUCTORS: &[&str] = &["new", "with_capacity", "from"];

/// The forbidden items.
const FORBIDDEN: &[Forbidden] = &[
    Forbidden {
        pattern: Pattern::Prefix("std::time"),
        why: "the clock: time comes from the event the shell passes in (`now`)",
        plant: "fn f() { let _ = std::time::Instant::now(); }",
    },
    Forbidden {
        pattern: Pattern::Anywhere("SystemTime"),
        why: "the wall clock, under any re-export",
        plant: "use crate::clock::SystemTime;",
    },
    Forbidden {
        pattern: Pattern::Anywhere("Instant::now"),
        why: "the monotonic clock, under any re-export",
        plant: "fn f() { let _ = crate::clock::Instant::now(); }",
    },
    Forbidden {
        pattern: Pattern::Field("clock_us"),
        why: "the shell's monotonic clock handed in through `ProcessProbe`: time comes from the event",
        plant: "fn f(n: &Node) -> u64 { (n.probe.clock_us)() }",
    },
    Forbidden {
        pattern: Pattern::Prefix("std::thread"),
        why: "threads: the core is one state machine driven by one caller",
        plant: "fn f() { std::thread::yield_now(); }",
    },
    Forbidden {
        pattern: Pattern::Anywhere("thread::spawn"),
        why: "a thread, under any re-export",
        plant: "fn f() { crate::rt::thread::spawn(|| ()); }",
    },
    Forbidden {
        pattern: Pattern::Prefix("std::fs"),
        why: "files: the core asks for disk operations as actions and gets their results as events",
        plant: "fn f() { let _ = std::fs::read(\"dump.rdb\"); }",
    },
    Forbidden {
        pattern: Pattern::Prefix("std::net"),
        why: "sockets: bytes arrive and leave as events and actions",
        plant: "fn f() { let _ = std::net::TcpStream::connect(\"127.0.0.1:6379\"); }",
    },
    Forbidden {
        pattern: Pattern::Prefix("std::process"),
        why: "the process (pid, exit): the shell owns it",
        plant: "fn f() -> u32 { std::process::id() }",
    },
    Forbidden {
        pattern: Pattern::Prefix("std::env"),
        why: "the environment: configuration reaches the node as config, not ambient state",
        plant: "fn f() { let _ = std::env::var(\"HOME\"); }",
    },
    Forbidden {
        pattern: Pattern::Anywhere("tokio"),
        why: "the async runtime belongs to the production shell",
        plant: "#[tokio::main] async fn main() {}",
    },
    Forbidden {
        pattern: Pattern::Prefix("crate::runtime"),
        why: "the production shell (tokio, files, clock): the node never reaches back into it",
        plant: "use crate::runtime::process::clock_us;",
    },
    Forbidden {
        pattern: Pattern::Anywhere("thread_rng"),
        why: "unseeded randomness: draws come from the node's seeded RNG",
        plant: "fn f() -> u64 { rand::thread_rng().gen() }",
    },
    Forbidden {
        pattern: Pattern::Prefix("rand::random"),
        why: "unseeded randomness",
        plant: "fn f() -> u64 { rand::random() }",
    },
    Forbidden {
        pattern: Pattern::Anywhere("getrandom"),
        why: "the OS's randomness",
        plant: "fn f(b: &mut [u8]) { getrandom::fill(b).unwrap(); }",
    },
    Forbidden {
        pattern: Pattern::Anywhere("RandomState"),
        why: "a hasher keyed from the OS: iteration order differs run to run (use a seeded SipHasher13)",
        plant: "type Map = std::collections::HashMap<u8, u8, std::hash::RandomState>;",
    },
    Forbidden {
        pattern: Pattern::RandomHasher { ty: "HashMap", params: 3 },
        why: "a HashMap with RandomState: its iteration order can reach a client or a file",
        plant: "fn f() { let _ = std::collections::HashMap::<u8, u8>::new(); }",
    },
    Forbidden {
        pattern: Pattern::RandomHasher { ty: "HashSet", params: 2 },
        why: "a HashSet with RandomState: its iteration order can reach a client or a file",
        plant: "fn f() { let _ = std::collections::HashSet::<u8>::new(); }",
    },
];

/// A finding the core still has on purpose, with why and until when. A row that no longer matches
/// a finding fails `every_allowance_still_matches`, so the table cannot outlive the code it excuses.
struct Allowance {
    /// The file, from the workspace root.
    file: &'static str,
    /// The row's label (`Pattern::label`).
    label: &'static str,
    why: &'static str,
}

const ALLOWED: &[Allowance] = &[];

impl Pattern {
    /// How a finding names the row.
    fn label(&self) -> String {
        match self {
            Pattern::Prefix(p) | Pattern::Anywhere(p) | Pattern::Field(p) => (*p).to_string(),
            Pattern::RandomHasher { ty, .. } => format!("{ty} with RandomState"),
        }
    }

    /// Whether `path` (imports applied) is this item.
    fn matches_path(&self, path: &[Segment]) -> bool {
        let names: Vec<&str> = path.iter().map(|s| s.name.as_str()).collect();
        match self {
            Pattern::Prefix(p) => {
                let want: Vec<&str> = p.split("::").collect();
                names.starts_with(&want)
            }
            Pattern::Anywhere(p) => {
                let want: Vec<&str> = p.split("::").collect();
                names.windows(want.len()).any(|w| w == want.as_slice())
            }
            Pattern::RandomHasher { ty, params } => path.iter().enumerate().any(|(i, s)| {
                let hasher_left_out = s.type_args.is_some_and(|n| n < *params);
                let constructor =
                    path.get(i + 1).is_some_and(|next| RANDOM_HASHER_CONSTRUCTORS.contains(&next.name.as_str()));
                s.name == *ty && (hasher_left_out || constructor)
            }),
            Pattern::Field(_) => false,
        }
    }
}

/// One segment of a path: its name and, when it has `<...>`, how many type arguments.
#[derive(Clone, Debug)]
struct Segment {
    name: String,
    type_args: Option<usize>,
}

impl Segment {
    fn plain(name: &str) -> Segment {
        Segment { name: name.to_string(), type_args: None }
    }
}

/// A forbidden use: the line and the row's label.
type Hit = (usize, String);

/// Every `use` leaf of a file: its full path and the name it brings into scope (none for a glob).
struct UseLeaf {
    path: Vec<String>,
    name: Option<String>,
    line: usize,
}

fn use_leaves(tree: &syn::UseTree, prefix: &mut Vec<String>, out: &mut Vec<UseLeaf>) {
    match tree {
        syn::UseTree::Path(p) => {
            prefix.push(p.ident.to_string());
            use_leaves(&p.tree, prefix, out);
            prefix.pop();
        }
        syn::UseTree::Name(n) => {
            let line = line_of(n.ident.span());
            if n.ident == "self" {
                out.push(UseLeaf { path: prefix.clone(), name: prefix.last().cloned(), line });
            } else {
                let path = prefix.iter().cloned().chain([n.ident.to_string()]).collect();
                out.push(UseLeaf { path, name: Some(n.ident.to_string()), line });
            }
        }
        syn::UseTree::Rename(r) => {
            let path = prefix.iter().cloned().chain([r.ident.to_string()]).collect();
            out.push(UseLeaf { path, name: Some(r.rename.to_string()), line: line_of(r.ident.span()) });
        }
        syn::UseTree::Glob(g) => {
            out.push(UseLeaf { path: prefix.clone(), name: None, line: line_of(g.star_token.span) })
        }
        syn::UseTree::Group(g) => {
            for t in &g.items {
                use_leaves(t, prefix, out);
            }
        }
    }
}

fn line_of(span: Span) -> usize {
    span.start().line
}

/// Collects the `use` items of a file, in modules and function bodies too.
#[derive(Default)]
struct Uses(Vec<UseLeaf>);

impl<'ast> Visit<'ast> for Uses {
    fn visit_item_use(&mut self, item: &'ast syn::ItemUse) {
        use_leaves(&item.tree, &mut Vec::new(), &mut self.0);
    }
}

/// How many rounds of alias-through-alias resolution a `use` gets (`use std::time; use time::X;`).
const ALIAS_DEPTH_MAX: usize = 8;

/// The names a file's imports bring into scope, each with every path it stands for (a name
/// imported differently in two modules stands for both: the lint errs towards reporting).
#[derive(Default)]
struct Aliases(BTreeMap<String, Vec<Vec<String>>>);

impl Aliases {
    fn from_leaves(leaves: &[UseLeaf]) -> Aliases {
        let mut aliases = Aliases::default();
        for leaf in leaves {
            if let Some(name) = &leaf.name {
                aliases.0.entry(name.clone()).or_default().push(leaf.path.clone());
            }
        }
        for _ in 0..ALIAS_DEPTH_MAX {
            let mut next = Aliases::default();
            for (name, paths) in &aliases.0 {
                let expanded = paths.iter().flat_map(|p| aliases.expand_once(p)).collect();
                next.0.insert(name.clone(), expanded);
            }
            aliases = next;
        }
        aliases
    }

    /// `path` with its first segment replaced by what it aliases (one step), or as it is.
    fn expand_once(&self, path: &[String]) -> Vec<Vec<String>> {
        let Some((first, rest)) = path.split_first() else { return vec![path.to_vec()] };
        match self.0.get(first) {
            Some(targets) => targets
                .iter()
                .map(|t| if t.first() == Some(first) { path.to_vec() } else { t.iter().chain(rest).cloned().collect() })
                .collect(),
            None => vec![path.to_vec()],
        }
    }

    /// Every full path `path` may stand for; the first segment's type arguments move to the
    /// alias's last segment (`Map<K, V>` with `use std::collections::HashMap as Map`).
    fn resolve(&self, path: &[Segment]) -> Vec<Vec<Segment>> {
        let Some((first, rest)) = path.split_first() else { return Vec::new() };
        let Some(targets) = self.0.get(&first.name) else { return vec![path.to_vec()] };
        let resolved = targets.iter().map(|t| {
            let mut full: Vec<Segment> = t.iter().map(|n| Segment::plain(n)).collect();
            if let Some(last) = full.last_mut() {
                last.type_args = first.type_args;
            }
            full.extend(rest.iter().cloned());
            full
        });
        resolved.collect()
    }
}

/// The walk over one parsed file.
struct Scan<'a> {
    aliases: &'a Aliases,
    hits: Vec<Hit>,
}

impl Scan<'_> {
    fn check_path(&mut self, line: usize, path: &[Segment]) {
        for full in self.aliases.resolve(path) {
            for row in FORBIDDEN {
                if row.pattern.matches_path(&full) {
                    self.hits.push((line, row.pattern.label()));
                }
            }
        }
    }

    fn check_member(&mut self, name: &syn::Ident) {
        for row in FORBIDDEN {
            if matches!(row.pattern, Pattern::Field(f) if name == f) {
                self.hits.push((line_of(name.span()), row.pattern.label()));
            }
        }
    }

    /// The paths in tokens the parser could not read as expressions (a `macro_rules!` body,
    /// `vec![x; n]`): every `a::b::c` run of identifiers.
    fn check_tokens(&mut self, tokens: TokenStream) {
        let mut run: Vec<(Segment, Span)> = Vec::new();
        let mut colons = 0;
        for tree in tokens {
            match tree {
                TokenTree::Ident(ident) => {
                    if colons != 2 {
                        self.flush_run(&mut run);
                    }
                    run.push((Segment::plain(&ident.to_string()), ident.span()));
                    colons = 0;
                }
                TokenTree::Punct(p)
                    if p.as_char() == ':' && (colons == 0 && p.spacing() == Spacing::Joint || colons == 1) =>
                {
                    colons += 1;
                }
                TokenTree::Group(g) => {
                    self.flush_run(&mut run);
                    colons = 0;
                    self.check_tokens(g.stream());
                }
                _ => {
                    self.flush_run(&mut run);
                    colons = 0;
                }
            }
        }
        self.flush_run(&mut run);
    }

    fn flush_run(&mut self, run: &mut Vec<(Segment, Span)>) {
        if let Some((_, span)) = run.first() {
            let line = line_of(*span);
            let path: Vec<Segment> = run.drain(..).map(|(s, _)| s).collect();
            self.check_path(line, &path);
        }
    }
}

impl<'ast> Visit<'ast> for Scan<'_> {
    fn visit_path(&mut self, path: &'ast syn::Path) {
        let segments: Vec<Segment> = path
            .segments
            .iter()
            .map(|s| {
                let type_args = match &s.arguments {
                    syn::PathArguments::AngleBracketed(a) => {
                        Some(a.args.iter().filter(|g| matches!(g, syn::GenericArgument::Type(_))).count())
                    }
                    _ => None,
                };
                Segment { name: s.ident.to_string(), type_args }
            })
            .collect();
        if let Some(first) = path.segments.first() {
            self.check_path(line_of(first.ident.span()), &segments);
        }
        visit::visit_path(self, path);
    }

    fn visit_expr_field(&mut self, expr: &'ast syn::ExprField) {
        if let syn::Member::Named(name) = &expr.member {
            self.check_member(name);
        }
        visit::visit_expr_field(self, expr);
    }

    fn visit_expr_method_call(&mut self, call: &'ast syn::ExprMethodCall) {
        self.check_member(&call.method);
        visit::visit_expr_method_call(self, call);
    }

    fn visit_macro(&mut self, mac: &'ast syn::Macro) {
        self.visit_path(&mac.path);
        let parser = Punctuated::<syn::Expr, syn::Token![,]>::parse_terminated;
        match mac.parse_body_with(parser) {
            Ok(args) => args.iter().for_each(|e| self.visit_expr(e)),
            Err(_) => self.check_tokens(mac.tokens.clone()),
        }
    }

    fn visit_item_extern_crate(&mut self, item: &'ast syn::ItemExternCrate) {
        self.check_path(line_of(item.ident.span()), &[Segment::plain(&item.ident.to_string())]);
    }
}

/// Every forbidden use in one source file, as `(line, label)`.
fn scan_source(source: &str) -> Result<Vec<Hit>, syn::Error> {
    let file = syn::parse_file(source)?;
    let mut uses = Uses::default();
    uses.visit_file(&file);
    let aliases = Aliases::from_leaves(&uses.0);
    let mut scan = Scan { aliases: &aliases, hits: Vec::new() };
    for leaf in &uses.0 {
        let path: Vec<Segment> = leaf.path.iter().map(|n| Segment::plain(n)).collect();
        scan.check_path(leaf.line, &path);
    }
    scan.visit_file(&file);
    scan.hits.sort();
    scan.hits.dedup();
    Ok(scan.hits)
}

fn rust_files(dir: &Path, out: &mut Vec<PathBuf>) {
    for entry in std::fs::read_dir(dir).expect("readable source dir") {
        let path = entry.expect("dir entry").path();
        if path.is_dir() {
            rust_files(&path, out);
        } else if path.extension().is_some_and(|e| e == "rs") {
            out.push(path);
        }
    }
}

fn workspace_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).parent().expect("workspace root").to_path_buf()
}

/// The deterministic core: the engine, the sans-IO node and the RESP codec.
const CORE_DIRS: &[&str] = &["engine/src", "server/src/node", "server/src/resp"];

/// Every forbidden use in the core, as `(file from the workspace root, line, label)`.
fn core_findings() -> Vec<(String, usize, String)> {
    let root = workspace_root();
    let mut files = Vec::new();
    for dir in CORE_DIRS {
        rust_files(&root.join(dir), &mut files);
    }
    files.sort();
    let mut found = Vec::new();
    for file in files {
        let text = std::fs::read_to_string(&file).expect("readable source");
        let hits = scan_source(&text).unwrap_or_else(|e| panic!("{} does not parse: {e}", file.display()));
        let name = file.strip_prefix(&root).expect("under the root").to_string_lossy().into_owned();
        found.extend(hits.into_iter().map(|(line, label)| (name.clone(), line, label)));
    }
    found
}

fn allowed(file: &str, label: &str) -> bool {
    ALLOWED.iter().any(|a| a.file == file && a.label == label)
}

/// The labels `source` is reported for.
fn labels(source: &str) -> Vec<String> {
    scan_source(source).expect("the plant parses").into_iter().map(|(_, label)| label).collect()
}

#[test]
fn core_sources_never_touch_the_outside_world() {
    // The core passes the lint, apart from the findings ALLOWED names.
    let found: Vec<_> = core_findings().into_iter().filter(|(file, _, label)| !allowed(file, label)).collect();
    let why: Vec<String> = found
        .iter()
        .map(|(file, line, label)| {
            let row = FORBIDDEN.iter().find(|r| r.pattern.label() == *label).expect("a row");
            format!("{file}:{line}: {label} — {}", row.why)
        })
        .collect();
    assert!(why.is_empty(), "the deterministic core reaches outside:\n{}", why.join("\n"));
}

#[test]
fn every_allowance_still_matches() {
    // An allowance whose code is gone must be removed, so the table never excuses new code.
    let found = core_findings();
    for a in ALLOWED {
        assert!(
            found.iter().any(|(file, _, label)| file == a.file && label == a.label),
            "ALLOWED names {} in {} but the lint no longer finds it there: remove the row ({})",
            a.label,
            a.file,
            a.why
        );
    }
}

#[test]
fn every_row_catches_its_plant() {
    // Each forbidden item is caught in its own plant, so no row of the table is dead.
    for row in FORBIDDEN {
        let label = row.pattern.label();
        assert!(labels(row.plant).contains(&label), "the row {label} misses its plant {:?}", row.plant);
    }
}

#[test]
fn a_grouped_import_is_seen_through() {
    // `use std::{fs, time}` is caught at the import and at each use through the short names,
    // which a line-by-line match for "std::time" missed.
    let source = "use std::{fs, time};\nfn f() {\n    let _ = time::Instant::now();\n    let _ = fs::read(\"k\");\n}\n";
    let hits = scan_source(source).unwrap();
    for want in [(1, "std::fs"), (1, "std::time"), (3, "std::time"), (4, "std::fs")] {
        assert!(hits.contains(&(want.0, want.1.to_string())), "{want:?} missing from {hits:?}");
    }
}

#[test]
fn a_renamed_or_nested_import_is_seen_through() {
    // `as` renames and an import through an earlier import (`use std::time; use time::Instant;`)
    // resolve to the forbidden path.
    let hits = scan_source("use std::time;\nuse time::Instant as Clock;\nfn f() { let _ = Clock::now(); }\n").unwrap();
    assert!(hits.contains(&(3, "std::time".to_string())), "{hits:?}");
    let hits = scan_source("use std::thread as t;\nfn f() { t::yield_now(); }\n").unwrap();
    assert!(hits.contains(&(2, "std::thread".to_string())), "{hits:?}");
}

#[test]
fn hash_map_new_and_hash_set_new_are_caught() {
    // `HashMap::new()` and `HashSet::new()` build the random hasher though no line says "RandomState".
    let map = "use std::collections::HashMap;\nfn f() -> usize {\n    let mut m = HashMap::new();\n    m.insert(1, 2);\n    m.len()\n}\n";
    assert!(scan_source(map).unwrap().contains(&(3, "HashMap with RandomState".to_string())));
    let set = "use std::collections::HashSet;\nfn f() {\n    let _ = HashSet::<u8>::with_capacity(4);\n}\n";
    assert!(scan_source(set).unwrap().contains(&(3, "HashSet with RandomState".to_string())));
}

#[test]
fn a_random_hasher_built_by_default_is_caught() {
    // `#[derive(Default)]` over a `HashMap<K, V>` field and `Default::default()` into a `HashSet<T>`
    // build RandomState with no constructor call in sight: the type that leaves the hasher out is.
    let derive =
        "use std::collections::HashMap as Map;\n#[derive(Default)]\nstruct Index {\n    names: Map<String, u32>,\n}\n";
    assert_eq!(scan_source(derive).unwrap(), vec![(4, "HashMap with RandomState".to_string())]);
    let binding = "fn f() {\n    let s: std::collections::HashSet<u8> = Default::default();\n    drop(s);\n}\n";
    assert_eq!(scan_source(binding).unwrap(), vec![(2, "HashSet with RandomState".to_string())]);
}

#[test]
fn a_seeded_hasher_passes() {
    // A map that names its hasher is deterministic: the lint stays quiet, so it can be used.
    let source = "use std::collections::HashMap;\nuse std::hash::BuildHasherDefault;\n\
                  type Seeded = BuildHasherDefault<siphasher::sip::SipHasher13>;\n\
                  struct S { m: HashMap<u8, u8, Seeded> }\n\
                  fn f() -> HashMap<u8, u8, Seeded> { HashMap::default() }\n";
    assert_eq!(scan_source(source).unwrap(), vec![]);
}

#[test]
fn code_after_slashes_in_a_string_is_scanned() {
    // A line cut at its first "//" lost everything after a URL in a string; parsing does not.
    let source = "fn f() -> (&'static str, u32) { (\"http://example.com\", std::process::id()) }\n";
    assert_eq!(scan_source(source).unwrap(), vec![(1, "std::process".to_string())]);
}

#[test]
fn text_in_strings_and_comments_is_not_code() {
    // Words in a string literal or a comment are neither findings nor hiding places.
    let source = "// std::time is forbidden\n/// tokio too\nfn f() -> &'static str { \"std::fs thread_rng\" }\n";
    assert_eq!(scan_source(source).unwrap(), vec![]);
}

#[test]
fn macro_arguments_are_scanned() {
    // Paths inside `format!`-style arguments and unparsable macro bodies are checked too.
    let source =
        "fn f() {\n    println!(\"{:?}\", std::time::SystemTime::now());\n    let _ = vec![std::env::args(); 2];\n}\n";
    let hits = scan_source(source).unwrap();
    assert!(hits.contains(&(2, "std::time".to_string())), "{hits:?}");
    assert!(hits.contains(&(3, "std::env".to_string())), "{hits:?}");
}

#[test]
fn the_shell_clock_through_the_probe_is_seen() {
    // The node's `(self.probe.clock_us)()` reads the shell's clock through a field, and would
    // through a method of that name: the lint sees both (ALLOWED holds the real call site while it
    // is rewritten).
    let source = "impl Node {\n    fn f(&self) -> u64 {\n        (self.probe.clock_us)()\n    }\n}\n";
    assert_eq!(scan_source(source).unwrap(), vec![(3, "clock_us".to_string())]);
    let method = "fn f(n: &Node) -> u64 {\n    n.probe.clock_us()\n}\n";
    assert_eq!(scan_source(method).unwrap(), vec![(2, "clock_us".to_string())]);
}
