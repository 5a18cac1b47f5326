//! `verdis-server [/path/to/redis.conf] [options] [-]`: redis-server's command line.
//!
//! The arguments after the file become config lines (`--port 7000` reads as `port "7000"`), `-`
//! adds standard input, and everything is read as one configuration, exactly as redis-server
//! does, with its error output: a bad line prints the `*** FATAL CONFIG FILE ERROR ***` block on
//! stderr and exits 1; an unreadable file logs Redis's warning line and exits 1.
//!
//! Then: the working directory is `dir` (entered while reading, as Redis does), `logfile` must be
//! writable, `daemonize yes` forks into the background, the pid file is written (and removed at
//! exit), and the server runs until SHUTDOWN or a signal.
//!
//! Deliberate difference: `--version` prints Redis's line with the Redis version verdis is
//! compatible with (tools parse `v=`), and names verdis in `build=`; `--help` names
//! `verdis-server` and omits Redis's `--test-memory`, `--check-system` and Sentinel forms.

use std::io::Read;

use verdis_server::config::{command_line_options, strerror, Config, ConfigFileError, RealHost};
use verdis_server::node::LogLevel;
use verdis_server::runtime::{self, Logger};

#[global_allocator]
static ALLOCATOR: verdis_server::runtime::alloc::CountingAllocator = verdis_server::runtime::alloc::CountingAllocator;

/// Where a daemonized server without `pidfile` writes its pid (Redis's default).
const DEFAULT_PIDFILE: &str = "/var/run/redis.pid";

const USAGE: &str = "Usage: verdis-server [/path/to/redis.conf] [options] [-]
       verdis-server - (read config from stdin)
       verdis-server -v or --version
       verdis-server -h or --help

Examples:
       verdis-server (run the server with default conf)
       echo 'maxmemory 128mb' | verdis-server -
       verdis-server /etc/redis/6379.conf
       verdis-server --port 7777
       verdis-server /etc/myredis.conf --loglevel verbose -
       verdis-server /etc/myredis.conf --loglevel verbose
";

fn main() {
    let args: Vec<String> = std::env::args_os().skip(1).map(|a| a.to_string_lossy().into_owned()).collect();
    match args.first().map(String::as_str) {
        Some("-v" | "--version") => {
            println!(
                "Redis server v=7.0.15 sha=00000000:0 malloc=libc bits=64 build=verdis-{}",
                env!("CARGO_PKG_VERSION")
            );
            std::process::exit(0);
        }
        Some("-h" | "--help") => {
            eprint!("{USAGE}");
            std::process::exit(1);
        }
        _ => {}
    }
    let config = match load_config(&args) {
        Ok(config) => config,
        Err(ConfigFileError::Open { path, reason }) => {
            // Redis logs this one (to stdout, the log file not being known yet) rather than
            // printing the FATAL block.
            let logger = Logger { level: LogLevel::Warning, file: None };
            logger.log_as('C', LogLevel::Warning, &format!("Fatal error, can't open config file '{path}': {reason}"));
            std::process::exit(1);
        }
        Err(e) => {
            eprint!("{e}");
            std::process::exit(1);
        }
    };
    let logger = Logger::for_config(&config);
    if config.config_file.is_none() {
        let program = std::env::args().next().unwrap_or_else(|| "verdis-server".into());
        logger.log_as(
            'C',
            LogLevel::Warning,
            &format!(
                "Warning: no config file specified, using the default config. In order to specify a config file use {program} /path/to/redis.conf"
            ),
        );
    }
    logger.log_as('C', LogLevel::Warning, "Configuration loaded");
    for warning in config.warnings() {
        logger.log_as('C', LogLevel::Warning, &warning);
    }
    if config.daemonize {
        daemonize();
    }
    let pidfile = write_pidfile(&config, &logger);
    // The running node filters its log lines by the live `loglevel` (CONFIG SET can change it),
    // so the shell's logger passes everything through.
    let logger = Logger { level: LogLevel::Debug, ..logger };
    let code = match runtime::run(config, logger) {
        Ok(code) => code,
        Err(e) => {
            eprintln!("verdis-server: {e:#}");
            1
        }
    };
    if let Some(path) = pidfile {
        let _ = std::fs::remove_file(path);
    }
    std::process::exit(code);
}

/// Reads the configuration the command line names and checks what Redis checks after reading
/// it. `dir` has been entered on the way.
fn load_config(args: &[String]) -> Result<Config, ConfigFileError> {
    let command_line = command_line_options(args);
    let mut config = Config::default();
    let stdin_text = if command_line.from_stdin {
        Logger { level: LogLevel::Warning, file: None }.log_as('C', LogLevel::Warning, "Reading config from stdin");
        let mut text = String::new();
        std::io::stdin().read_to_string(&mut text).map_err(|e| ConfigFileError::fatal(strerror(&e)))?;
        Some(text)
    } else {
        None
    };
    config.load(command_line.config_file.as_deref(), stdin_text.as_deref(), &command_line.options, &mut RealHost)?;
    if let Some(file) = &command_line.config_file {
        config.config_file = Some(std::path::absolute(file).map_or(file.clone(), |p| p.to_string_lossy().into_owned()));
    }
    if !config.logfile.is_empty() {
        std::fs::OpenOptions::new()
            .create(true)
            .append(true)
            .open(&config.logfile)
            .map_err(|e| ConfigFileError::fatal(format!("Can't open the log file: {}", strerror(&e))))?;
    }
    // CONFIG GET dir reports the absolute working directory, as Redis's getcwd() does.
    if let Ok(cwd) = std::env::current_dir() {
        config.dir = cwd.to_string_lossy().into_owned();
    }
    Ok(config)
}

/// `daemonize yes`: fork, let the parent exit, detach from the terminal, and point the standard
/// streams at /dev/null (a daemon without `logfile` logs nowhere, as Redis's does).
fn daemonize() {
    // SAFETY: called before the runtime starts any thread, so fork duplicates the only thread;
    // setsid, open and dup2 act on this process's own descriptors.
    unsafe {
        match libc::fork() {
            -1 => {
                eprintln!("verdis-server: fork failed: {}", std::io::Error::last_os_error());
                std::process::exit(1);
            }
            0 => {}
            _ => libc::_exit(0),
        }
        libc::setsid();
        let fd = libc::open(c"/dev/null".as_ptr(), libc::O_RDWR);
        if fd != -1 {
            libc::dup2(fd, libc::STDIN_FILENO);
            libc::dup2(fd, libc::STDOUT_FILENO);
            libc::dup2(fd, libc::STDERR_FILENO);
            if fd > libc::STDERR_FILENO {
                libc::close(fd);
            }
        }
    }
}

/// Writes the pid file when `pidfile` is set or the server is daemonized; returns its path so it
/// can be removed at exit. A failure is logged and the server runs on, as Redis does.
fn write_pidfile(config: &Config, logger: &Logger) -> Option<String> {
    let path = match (&config.pidfile, config.daemonize) {
        (Some(path), _) => path.clone(),
        (None, true) => DEFAULT_PIDFILE.to_string(),
        (None, false) => return None,
    };
    match std::fs::write(&path, format!("{}\n", std::process::id())) {
        Ok(()) => Some(path),
        Err(e) => {
            logger.log(LogLevel::Warning, &format!("Failed to write PID file: {}", strerror(&e)));
            None
        }
    }
}
