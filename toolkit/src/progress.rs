//! Progress of a long run on stderr.
//!
//! On a terminal an `indicatif` bar redraws in place. Anywhere else (a CI log, a pipe, a file)
//! a redrawn bar is noise, so the same updates become plain lines, at most `lines_max` of them
//! over the run (each twentieth by default), which keeps a log short and still shows a run that
//! hangs.

use std::io::{IsTerminal, Write};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Mutex;

use indicatif::{ProgressBar, ProgressStyle};

/// Plain lines a run prints by default: one per twentieth of it.
const LINES_MAX_DEFAULT: u64 = 20;

/// The bar's look: what runs, how far, the caller's status and the time left.
const BAR_TEMPLATE: &str = "{prefix} [{bar:40}] {pos}/{len} {msg} (eta {eta})";

/// A run's progress; `update` and `println` take `&self`, so worker threads can share it.
pub struct Progress {
    label: String,
    total: u64,
    output: Output,
}

enum Output {
    Bar(ProgressBar),
    Lines {
        out: Mutex<Box<dyn Write + Send>>,
        lines_max: u64,
        /// The last `done * lines_max / total` a line was printed for.
        printed: AtomicU64,
    },
}

impl Progress {
    /// Progress on stderr: a bar when stderr is a terminal, plain lines otherwise.
    pub fn stderr(label: &str, total: u64) -> Progress {
        if std::io::stderr().is_terminal() {
            let bar = ProgressBar::new(total);
            let style = ProgressStyle::with_template(BAR_TEMPLATE).expect("a valid template").progress_chars("#>.");
            bar.set_style(style);
            bar.set_prefix(label.to_string());
            Progress { label: label.to_string(), total, output: Output::Bar(bar) }
        } else {
            Progress::lines(label, total, Box::new(std::io::stderr()))
        }
    }

    /// Progress as plain lines on `out`.
    pub fn lines(label: &str, total: u64, out: Box<dyn Write + Send>) -> Progress {
        let output = Output::Lines { out: Mutex::new(out), lines_max: LINES_MAX_DEFAULT, printed: AtomicU64::new(0) };
        Progress { label: label.to_string(), total, output }
    }

    /// At most `lines_max` plain lines over the run (`total` prints every update).
    pub fn with_lines_max(mut self, lines_max: u64) -> Progress {
        if let Output::Lines { lines_max: max, .. } = &mut self.output {
            *max = lines_max.max(1);
        }
        self
    }

    /// Whether this draws a bar (a terminal) rather than plain lines.
    pub fn is_bar(&self) -> bool {
        matches!(self.output, Output::Bar(_))
    }

    /// `done` of `total` steps finished; `status` says how it goes (`3 failing`).
    pub fn update(&self, done: u64, status: &str) {
        match &self.output {
            Output::Bar(bar) => {
                bar.set_position(done);
                bar.set_message(status.to_string());
            }
            Output::Lines { out, lines_max, printed } => {
                let step = done.min(self.total) * lines_max / self.total.max(1);
                // Workers may report out of order: a step prints once, the first time it is reached.
                if step > printed.fetch_max(step, Ordering::Relaxed) {
                    let mut line = format!("{}: {done}/{}", self.label, self.total);
                    if !status.is_empty() {
                        line = format!("{line} {status}");
                    }
                    Self::write_line(out, &line);
                }
            }
        }
    }

    /// A line for the log, above the bar on a terminal.
    pub fn println(&self, line: &str) {
        match &self.output {
            Output::Bar(bar) => bar.println(line),
            Output::Lines { out, .. } => Self::write_line(out, line),
        }
    }

    /// Ends the bar, leaving it drawn at its last state (plain lines need no ending).
    pub fn finish(&self) {
        if let Output::Bar(bar) = &self.output {
            bar.abandon();
        }
    }

    fn write_line(out: &Mutex<Box<dyn Write + Send>>, line: &str) {
        let mut out = out.lock().unwrap_or_else(|poisoned| poisoned.into_inner());
        // Progress is advisory: a closed stderr must not stop the run.
        let _ = writeln!(out, "{line}");
        let _ = out.flush();
    }
}

#[cfg(test)]
mod tests {
    use std::sync::{Arc, Mutex};

    use super::*;

    /// A `Write` whose bytes the test reads afterwards.
    #[derive(Clone, Default)]
    struct Shared(Arc<Mutex<Vec<u8>>>);

    impl Write for Shared {
        fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
            self.0.lock().unwrap().extend_from_slice(buf);
            Ok(buf.len())
        }
        fn flush(&mut self) -> std::io::Result<()> {
            Ok(())
        }
    }

    impl Shared {
        fn text(&self) -> String {
            String::from_utf8(self.0.lock().unwrap().clone()).unwrap()
        }
    }

    #[test]
    fn plain_lines_come_once_per_twentieth_and_at_the_end() {
        // 1000 updates make 20 lines, the last one at 1000/1000, so a CI log stays short.
        let out = Shared::default();
        let p = Progress::lines("campaign", 1000, Box::new(out.clone()));
        for done in 1..=1000 {
            p.update(done, &format!("{} failing", done / 500));
        }
        let text = out.text();
        let lines: Vec<&str> = text.lines().collect();
        assert_eq!(lines.len(), 20, "{text}");
        assert_eq!(lines[0], "campaign: 50/1000 0 failing");
        assert_eq!(lines[19], "campaign: 1000/1000 2 failing");
    }

    #[test]
    fn out_of_order_updates_print_each_step_once() {
        // Workers finishing out of order neither repeat a line nor go back.
        let out = Shared::default();
        let p = Progress::lines("run", 4, Box::new(out.clone())).with_lines_max(4);
        for done in [2, 1, 3, 3, 4] {
            p.update(done, "");
        }
        assert_eq!(out.text(), "run: 2/4\nrun: 3/4\nrun: 4/4\n");
    }

    #[test]
    fn println_passes_lines_through() {
        // Log lines reach the output unchanged in plain mode.
        let out = Shared::default();
        let p = Progress::lines("run", 2, Box::new(out.clone()));
        p.println("MISMATCH in get");
        assert!(!p.is_bar());
        assert_eq!(out.text(), "MISMATCH in get\n");
    }
}
