//! `verdis-server [config-file] [--option value ...]`: redis-server's command line.

use verdis_server::config::Config;
use verdis_server::node::LogLevel;
use verdis_server::runtime::{self, Logger};

fn main() {
    let config = Config::default();
    let logger = Logger { level: LogLevel::Notice, file: None };
    match runtime::run(config, logger) {
        Ok(code) => std::process::exit(code),
        Err(e) => {
            eprintln!("verdis-server: {e:#}");
            std::process::exit(1);
        }
    }
}
