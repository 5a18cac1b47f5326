//! A campaign's verdict must not depend on timing: with the CPU saturated beside it and the
//! oracle slowed by a proxy that delays every reply, verdis still matches Redis everywhere.
//! (Every clock-dependent rule measures its tolerance, so slowness widens it honestly; a
//! mismatch here is a timing dependence in verdis or in the runner.)

use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::Arc;
use std::time::Duration;

use verdis_conformance::campaign::{Campaign, Settings};
use verdis_conformance::proxy::FaultProxy;
use verdis_conformance::resp::Reply;
use verdis_conformance::{Generator, Server, Target};

/// Threads that spin for the whole campaign (the machine's cores, so every process waits).
const HOG_THREADS: usize = 2;
/// Longest delay the proxy adds to one oracle reply.
const DELAY_MS_MAX: u64 = 3;

/// Spinning threads, stopped on drop.
struct CpuHog {
    stop: Arc<AtomicBool>,
    threads: Vec<std::thread::JoinHandle<u64>>,
}

impl CpuHog {
    fn start() -> CpuHog {
        let stop = Arc::new(AtomicBool::new(false));
        let threads = (0..HOG_THREADS)
            .map(|_| {
                let stop = stop.clone();
                std::thread::spawn(move || {
                    let mut spins = 0u64;
                    while !stop.load(Ordering::Relaxed) {
                        spins = std::hint::black_box(spins.wrapping_add(1));
                    }
                    spins
                })
            })
            .collect();
        CpuHog { stop, threads }
    }
}

impl Drop for CpuHog {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::Relaxed);
        for thread in self.threads.drain(..) {
            let _ = thread.join();
        }
    }
}

#[test]
fn a_campaign_under_cpu_load_with_a_slow_oracle_finds_no_mismatch() {
    // Proves no rule or runner step depends on the two sides answering promptly: verdis against
    // a delayed Redis, beside spinning threads, over the families with time-dependent commands
    // (expiries, TTLs, blocking pops), shows no mismatch.
    let upstream = Server::start(&Target::Redis).expect("redis-server (apt-get install redis-server)");
    let calls = Arc::new(AtomicU64::new(0));
    let counted = calls.clone();
    let delay = move |_: &[Vec<u8>], _: &Reply| -> Option<Vec<u8>> {
        let n = counted.fetch_add(1, Ordering::Relaxed);
        std::thread::sleep(Duration::from_millis(n % (DELAY_MS_MAX + 1)));
        None
    };
    let proxy = FaultProxy::start(&upstream.addr, Arc::new(delay)).expect("proxy");
    let oracle = Server::start(&Target::Address { addr: proxy.addr.clone(), password: None }).unwrap();
    let subject = Server::start(&Target::VerdisInProcess).expect("verdis");
    let settings = Settings {
        families: ["strings", "keys", "lists", "hashes", "sets", "zsets"].map(String::from).to_vec(),
        cases: 150,
        seed: 77,
        resp: 2,
        regressions_dir: None,
        shrink_max: 3,
    };
    let generator = Generator::from_table(&settings.families).unwrap();
    let mut c = Campaign::new(oracle, subject, settings.resp).unwrap();
    let hog = CpuHog::start();
    c.run(&generator, &settings, |_, _| {}).unwrap();
    drop(hog);
    let shown: Vec<_> = c.findings.iter().map(|f| f.transcript.clone()).collect();
    assert_eq!(c.failed_sequences, 0, "{}", shown.join("\n"));
    assert!(calls.load(Ordering::Relaxed) > 1000, "the oracle was not slowed for the whole run");
}
