//! Loading a configuration as redis-server does: the file, then standard input, then the
//! command-line options, joined into one text and read line by line; the first bad line stops
//! the server with Redis's `*** FATAL CONFIG FILE ERROR ***` block.

use std::fmt;

use super::syntax::{repr, split_args, strerror};
use super::Config;

/// The Redis version named in configuration errors. verdis prints Redis's exact text so scripts
/// and operators that recognise Redis's errors recognise ours; `--version` names verdis.
const REDIS_VERSION: &str = "7.0.15";

/// Deepest `include` chain followed (Redis has no limit and would overflow its stack).
const INCLUDE_DEPTH_MAX: usize = 16;

/// What loading a configuration needs from the outside world. The binary passes `RealHost`;
/// tests pass a fake, so the loader itself is pure.
pub trait ConfigHost {
    /// The bytes of the file at `path`.
    fn read_file(&mut self, path: &str) -> std::io::Result<Vec<u8>>;
    /// Makes `dir` the working directory (Redis does this while reading `dir`, so a later
    /// relative `logfile` or `include` resolves inside it).
    fn chdir(&mut self, dir: &str) -> std::io::Result<()>;
}

/// The real file system and working directory.
pub struct RealHost;

impl ConfigHost for RealHost {
    fn read_file(&mut self, path: &str) -> std::io::Result<Vec<u8>> {
        std::fs::read(path)
    }

    fn chdir(&mut self, dir: &str) -> std::io::Result<()> {
        std::env::set_current_dir(dir)
    }
}

/// A configuration that cannot be loaded. `Display` is exactly what Redis prints.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum ConfigFileError {
    /// A file could not be read. Redis logs this as a warning log line (to the log, not stderr).
    Open {
        /// The path as given.
        path: String,
        /// `strerror` text.
        reason: String,
    },
    /// A line (or a check after the last line) refused the configuration: the FATAL block,
    /// which Redis writes to stderr.
    Fatal {
        /// 1-based line number and the trimmed line, when a line is to blame.
        line: Option<(usize, String)>,
        /// Why.
        reason: String,
    },
}

impl ConfigFileError {
    /// A FATAL error not tied to a line (e.g. the log file cannot be opened).
    pub fn fatal(reason: impl Into<String>) -> ConfigFileError {
        ConfigFileError::Fatal { line: None, reason: reason.into() }
    }
}

impl fmt::Display for ConfigFileError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ConfigFileError::Open { path, reason } => {
                write!(f, "Fatal error, can't open config file '{path}': {reason}")
            }
            ConfigFileError::Fatal { line, reason } => {
                write!(f, "\n*** FATAL CONFIG FILE ERROR (Redis {REDIS_VERSION}) ***\n")?;
                if let Some((number, text)) = line {
                    write!(f, "Reading the configuration file, at line {number}\n>>> '{text}'\n")?;
                }
                writeln!(f, "{reason}")
            }
        }
    }
}

impl std::error::Error for ConfigFileError {}

/// What redis-server's command line asks for: `[file] [-] [--option value ...]`.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct CommandLine {
    /// The configuration file (the first argument, when it does not start with `-`).
    pub config_file: Option<String>,
    /// `-`: read more configuration from standard input.
    pub from_stdin: bool,
    /// The remaining options as config lines (`--port 7000` becomes `port "7000"`).
    pub options: String,
}

/// Turns the arguments after the program name into a `CommandLine`, exactly as redis-server's
/// `main` does (including its special cases for a bare `--save` and `--sentinel`).
pub fn command_line_options(args: &[String]) -> CommandLine {
    let mut out = CommandLine::default();
    let mut j = 0;
    if let Some(first) = args.first().filter(|a| !a.starts_with('-')) {
        out.config_file = Some(first.clone());
        j = 1;
    }
    let last = args.len().saturating_sub(1);
    let mut handled_last_arg = true;
    while j < args.len() {
        let arg = &args[j];
        let next_is_option = j != last && args[j + 1].starts_with("--");
        if arg == "-" && (j == 0 || j == last) {
            out.from_stdin = true;
        } else if handled_last_arg && arg.starts_with("--") {
            if !out.options.is_empty() {
                out.options.push('\n');
            }
            out.options.push_str(&arg[2..]);
            out.options.push(' ');
            if split_args(arg.as_bytes()).is_some_and(|a| a.len() == 1) {
                // Only a name (`--port`): its value follows, except for the bare forms below.
                handled_last_arg = false;
                if arg.eq_ignore_ascii_case("--save") && (next_is_option || j == last) {
                    out.options.push_str("\"\"");
                    handled_last_arg = true;
                } else if arg.eq_ignore_ascii_case("--sentinel") && next_is_option {
                    handled_last_arg = true;
                }
            } else {
                handled_last_arg = true;
            }
        } else {
            out.options.push_str(&repr(arg.as_bytes()));
            out.options.push(' ');
            handled_last_arg = true;
        }
        j += 1;
    }
    out
}

/// Progress shared by every line of one load (across includes).
struct LoadState<'h> {
    host: &'h mut dyn ConfigHost,
    /// The first `save` line replaces the default save points; later ones add to them.
    save_loaded: bool,
    depth: usize,
}

/// Directives Redis still accepts and ignores, with the argument count it accepts.
const DEPRECATED: [&str; 3] = ["list-max-ziplist-entries", "list-max-ziplist-value", "lua-replicate-commands"];

impl Config {
    /// Loads the configuration as redis-server does: the file (if any), then `stdin_text`, then
    /// the command-line `options`, read as one text.
    pub fn load(
        &mut self,
        file: Option<&str>,
        stdin_text: Option<&str>,
        options: &str,
        host: &mut dyn ConfigHost,
    ) -> Result<(), ConfigFileError> {
        let mut text = String::new();
        if let Some(path) = file {
            let bytes = host
                .read_file(path)
                .map_err(|e| ConfigFileError::Open { path: path.to_string(), reason: strerror(&e) })?;
            text.push_str(&String::from_utf8_lossy(&bytes));
        }
        if let Some(stdin_text) = stdin_text {
            text.push_str(stdin_text);
        }
        text.push('\n');
        text.push_str(options);
        let mut state = LoadState { host, save_loaded: false, depth: 0 };
        self.load_text(&text, &mut state)
    }

    /// Reads configuration text; line numbers in errors count from its first line.
    pub fn load_str(&mut self, text: &str, host: &mut dyn ConfigHost) -> Result<(), ConfigFileError> {
        let mut state = LoadState { host, save_loaded: false, depth: 0 };
        self.load_text(text, &mut state)
    }

    fn load_text(&mut self, text: &str, state: &mut LoadState) -> Result<(), ConfigFileError> {
        for (i, raw) in text.split('\n').enumerate() {
            let line = raw.trim_matches(|c| matches!(c, ' ' | '\t' | '\r' | '\n'));
            if line.is_empty() || line.starts_with('#') {
                continue;
            }
            let fail = |reason: String| ConfigFileError::Fatal { line: Some((i + 1, line.to_string())), reason };
            let Some(argv) = split_args(line.as_bytes()) else {
                return Err(fail("Unbalanced quotes in configuration line".into()));
            };
            let argv: Vec<String> = argv.iter().map(|a| String::from_utf8_lossy(a).into_owned()).collect();
            let Some(name) = argv.first().map(|n| n.to_ascii_lowercase()) else { continue };
            let args: Vec<&str> = argv[1..].iter().map(String::as_str).collect();
            if name == "include" && args.len() == 1 {
                // The included file is read as its own text: its errors name its own lines.
                if state.depth >= INCLUDE_DEPTH_MAX {
                    return Err(fail(format!("include nested more than {INCLUDE_DEPTH_MAX} deep")));
                }
                let bytes = state
                    .host
                    .read_file(args[0])
                    .map_err(|e| ConfigFileError::Open { path: args[0].to_string(), reason: strerror(&e) })?;
                state.depth += 1;
                let result = self.load_text(&String::from_utf8_lossy(&bytes), state);
                state.depth -= 1;
                result?;
                continue;
            }
            self.load_line(&name, &args, state).map_err(fail)?;
        }
        Ok(())
    }

    /// One directive. `Err` is the reason Redis prints under the line.
    fn load_line(&mut self, name: &str, args: &[&str], state: &mut LoadState) -> Result<(), String> {
        if let Some(row) = Config::lookup(name) {
            if !row.is_multi_arg() && args.len() != 1 {
                return Err("wrong number of arguments".into());
            }
            // Redis 7: a multi-argument option given as one quoted argument with spaces
            // (`save "900 1 300 10"`) is split on the spaces.
            let split: Vec<&str>;
            let args = if row.is_multi_arg() && args.len() == 1 && args[0].contains(' ') {
                split = args[0].split(' ').collect();
                &split[..]
            } else {
                args
            };
            let previous_save = self.save.clone();
            self.set_from_args(row, args).map_err(|e| e.into_owned())?;
            if let Some(reason) = self.refusal(row) {
                return Err(reason);
            }
            if row.name == "save" {
                // Redis: the first save line replaces the defaults, `save ""` clears, and every
                // other save line adds its points to the ones read so far.
                if state.save_loaded && args != [""] {
                    self.save.splice(0..0, previous_save);
                }
                state.save_loaded = true;
            }
            if row.name == "dir" {
                state.host.chdir(&self.dir).map_err(|e| strerror(&e))?;
            }
            return Ok(());
        }
        if DEPRECATED.contains(&name) && args.len() == 1 {
            return Ok(());
        }
        match (name, args.len()) {
            ("rename-command", 2) => self.rename_commands.add(args[0], args[1]),
            // Deliberate differences: these need subsystems verdis does not have yet. Refusing
            // is safer than ignoring.
            ("user", n) if n >= 1 => Err("ACL users are not supported by verdis yet".into()),
            ("loadmodule", n) if n >= 1 => Err("Modules are not supported by verdis".into()),
            ("sentinel", 0) => Err("Sentinel mode is not supported by verdis yet".into()),
            ("sentinel", _) => Err("sentinel directive while not in sentinel mode".into()),
            (n, 1) if n.contains('.') => Err("Module configuration is not supported by verdis".into()),
            (n, _) if n.contains('.') => Err("Module config specified without value".into()),
            _ => Err("Bad directive or wrong number of arguments".into()),
        }
    }
}
