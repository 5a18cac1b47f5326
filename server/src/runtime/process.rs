//! What the node learns about the process from the shell: its identity (`info`) and its current
//! memory and CPU use (`sample`, the node's `ProcessProbe`). This is the one place that asks the
//! OS for them, so the node stays free of I/O.

use crate::node::{CpuUsage, ProcessInfo, ProcessSample};

use super::alloc;

/// The process's fixed facts.
pub fn info() -> ProcessInfo {
    ProcessInfo {
        process_id: std::process::id(),
        executable: std::env::current_exe().map(|p| p.display().to_string()).unwrap_or_default(),
        os: os_name(),
        total_system_memory_bytes: sysconf(libc::_SC_PHYS_PAGES).saturating_mul(page_bytes()),
    }
}

/// The process's current counters (the probe the node calls for INFO and in cron).
pub fn sample() -> ProcessSample {
    let (sys_us, user_us) = rusage(libc::RUSAGE_SELF);
    let (sys_children_us, user_children_us) = rusage(libc::RUSAGE_CHILDREN);
    // The node runs on the runtime's one thread, which is the thread calling the probe.
    let (sys_main_thread_us, user_main_thread_us) = rusage(libc::RUSAGE_THREAD);
    ProcessSample {
        used_memory_bytes: alloc::allocated_bytes() as u64,
        used_memory_rss_bytes: rss_bytes(),
        cpu: CpuUsage { sys_us, user_us, sys_children_us, user_children_us, sys_main_thread_us, user_main_thread_us },
    }
}

/// Monotonic microseconds (CLOCK_MONOTONIC), for timing commands.
pub fn clock_us() -> u64 {
    // SAFETY: timespec is plain integers; clock_gettime fills it and returns 0 on success.
    let mut ts: libc::timespec = unsafe { std::mem::zeroed() };
    if unsafe { libc::clock_gettime(libc::CLOCK_MONOTONIC, &mut ts) } != 0 {
        return 0;
    }
    ts.tv_sec as u64 * 1_000_000 + ts.tv_nsec as u64 / 1000
}

fn sysconf(name: libc::c_int) -> u64 {
    // SAFETY: sysconf has no preconditions; a negative answer means "unknown".
    u64::try_from(unsafe { libc::sysconf(name) }).unwrap_or(0)
}

fn page_bytes() -> u64 {
    sysconf(libc::_SC_PAGESIZE)
}

/// `uname -s -r -m`, as Redis prints it for `os`.
fn os_name() -> String {
    // SAFETY: utsname is plain bytes; uname fills it and returns 0 on success.
    let mut uts: libc::utsname = unsafe { std::mem::zeroed() };
    if unsafe { libc::uname(&mut uts) } != 0 {
        return String::new();
    }
    let text = |field: &[libc::c_char]| {
        let bytes: Vec<u8> = field.iter().take_while(|&&c| c != 0).map(|&c| c as u8).collect();
        String::from_utf8_lossy(&bytes).into_owned()
    };
    format!("{} {} {}", text(&uts.sysname), text(&uts.release), text(&uts.machine))
}

/// Resident set size from `/proc/self/statm` (its second field, in pages), as Redis's
/// `zmalloc_get_rss` reads it; 0 where it cannot be read.
fn rss_bytes() -> u64 {
    let statm = std::fs::read_to_string("/proc/self/statm").unwrap_or_default();
    let pages: u64 = statm.split_whitespace().nth(1).and_then(|p| p.parse().ok()).unwrap_or(0);
    pages * page_bytes()
}

/// `(system, user)` CPU microseconds for `who`.
fn rusage(who: libc::c_int) -> (u64, u64) {
    // SAFETY: rusage is plain integers; getrusage fills it and returns 0 on success.
    let mut usage: libc::rusage = unsafe { std::mem::zeroed() };
    if unsafe { libc::getrusage(who, &mut usage) } != 0 {
        return (0, 0);
    }
    let us = |t: libc::timeval| (t.tv_sec as u64) * 1_000_000 + t.tv_usec as u64;
    (us(usage.ru_stime), us(usage.ru_utime))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn probe_reads_this_process() {
        // Proves the probe reads real values: our pid, a resident size, an OS name, a clock tick.
        let info = info();
        assert_eq!(info.process_id, std::process::id());
        assert!(info.os.starts_with("Linux "), "{}", info.os);
        assert!(info.total_system_memory_bytes > 0);
        let busy: u64 = (0..2_000_000u64).fold(0, |a, b| a ^ b.wrapping_mul(31));
        assert!(busy > 0);
        let s = sample();
        assert!(s.used_memory_rss_bytes > 0);
        assert!(s.cpu.user_us + s.cpu.sys_us > 0);
        assert!(s.cpu.user_main_thread_us + s.cpu.sys_main_thread_us <= s.cpu.user_us + s.cpu.sys_us);
        let t0 = clock_us();
        std::thread::sleep(std::time::Duration::from_millis(2));
        assert!(clock_us() >= t0 + 2000);
    }
}
