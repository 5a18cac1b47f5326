//! Log lines in Redis's format: `pid:role dd Mon yyyy HH:MM:SS.mmm <level-char> message`.

use std::io::Write;
use std::time::{SystemTime, UNIX_EPOCH};

use crate::node::LogLevel;

/// Where log lines go and which are kept.
pub struct Logger {
    /// Lines below this level are dropped (`loglevel`).
    pub level: LogLevel,
    /// `logfile`: `None` writes to standard output.
    pub file: Option<std::path::PathBuf>,
}

impl Logger {
    /// The logger `loglevel` and `logfile` ask for.
    pub fn for_config(config: &crate::config::Config) -> Logger {
        let file = Some(&config.logfile).filter(|f| !f.is_empty()).map(std::path::PathBuf::from);
        Logger { level: config.loglevel, file }
    }

    /// Writes one line from the running server (role `M`, master) if `level` passes the
    /// threshold. The binary runs the server with a pass-through threshold because the node
    /// filters its own lines by the live `loglevel` (which CONFIG SET can change).
    pub fn log(&self, level: LogLevel, message: &str) {
        self.log_as('M', level, message);
    }

    /// Writes one line with the given role character: `C` before the server has started (while
    /// the configuration is read), `M` once it runs, as Redis marks them.
    pub fn log_as(&self, role: char, level: LogLevel, message: &str) {
        if level < self.level {
            return;
        }
        let line = format!("{}:{role} {} {} {}\n", std::process::id(), timestamp(), level_char(level), message);
        match &self.file {
            None => {
                let _ = std::io::stdout().lock().write_all(line.as_bytes());
            }
            Some(path) => {
                if let Ok(mut f) = std::fs::OpenOptions::new().create(true).append(true).open(path) {
                    let _ = f.write_all(line.as_bytes());
                }
            }
        }
    }
}

fn level_char(level: LogLevel) -> char {
    match level {
        LogLevel::Debug => '.',
        LogLevel::Verbose => '-',
        LogLevel::Notice => '*',
        LogLevel::Warning => '#',
    }
}

/// Local time as Redis prints it: `26 Nov 2026 06:33:56.123`.
fn timestamp() -> String {
    let now = SystemTime::now().duration_since(UNIX_EPOCH).unwrap_or_default();
    let secs = now.as_secs() as libc::time_t;
    // SAFETY: localtime_r and strftime write only into the buffers given, sized here.
    unsafe {
        let mut tm: libc::tm = std::mem::zeroed();
        libc::localtime_r(&secs, &mut tm);
        let mut buf = [0u8; 64];
        let n = libc::strftime(buf.as_mut_ptr().cast(), buf.len(), c"%d %b %Y %H:%M:%S".as_ptr(), &tm);
        format!("{}.{:03}", String::from_utf8_lossy(&buf[..n]), now.subsec_millis())
    }
}
