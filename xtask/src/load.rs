//! The bounded load run: a fixed number of keep-alive connections replaying
//! a mix of valid and invalid requests for a fixed time, on loopback.
//! Transport errors and unexpected statuses are counted, never tolerated.

use std::net::SocketAddr;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use crate::http::Conn;

/// One request of the mix and the status it must get.
struct Shot {
    method: &'static str,
    target: &'static str,
    headers: &'static str,
    body: &'static [u8],
    status: u16,
}

const JSON: &str = "content-type: application/json\r\n";

const MIX: &[Shot] = &[
    Shot {
        method: "GET",
        target: "/health",
        headers: "",
        body: b"",
        status: 200,
    },
    Shot {
        method: "POST",
        target: "/greet",
        headers: JSON,
        body: br#"{"name":"Ada"}"#,
        status: 200,
    },
    Shot {
        method: "GET",
        target: "/items/42?fields=id",
        headers: "",
        body: b"",
        status: 200,
    },
    Shot {
        method: "POST",
        target: "/greet",
        headers: JSON,
        body: br#"{"name": 42}"#,
        status: 400,
    },
    Shot {
        method: "POST",
        target: "/greet",
        headers: JSON,
        body: b"{\"name\":",
        status: 400,
    },
    Shot {
        method: "POST",
        target: "/greet",
        headers: "",
        body: br#"{"name":"Ada"}"#,
        status: 415,
    },
    Shot {
        method: "POST",
        target: "/greet",
        headers: JSON,
        body: br#"{"name":""}"#,
        status: 422,
    },
    Shot {
        method: "GET",
        target: "/nope",
        headers: "",
        body: b"",
        status: 404,
    },
    Shot {
        method: "GET",
        target: "/greet",
        headers: "",
        body: b"",
        status: 405,
    },
    Shot {
        method: "GET",
        target: "/items/%2E%2E",
        headers: "",
        body: b"",
        status: 400,
    },
];

/// What a load run measured.
pub(crate) struct LoadReport {
    pub(crate) requests: u64,
    pub(crate) transport_errors: u64,
    pub(crate) wrong_status: u64,
    pub(crate) seconds: f64,
    pub(crate) p50_ms: f64,
    pub(crate) p99_ms: f64,
    pub(crate) first_error: Option<String>,
}

impl LoadReport {
    pub(crate) fn rps(&self) -> f64 {
        self.requests as f64 / self.seconds.max(1e-9)
    }
}

/// Runs `connections` clients against `addr` for `duration`. `on_tick` is
/// called about once a second from the calling thread (for memory samples).
pub(crate) fn run(
    addr: SocketAddr,
    connections: usize,
    duration: Duration,
    mut on_tick: impl FnMut(),
) -> LoadReport {
    let stop = Arc::new(AtomicBool::new(false));
    let started = Instant::now();
    let workers: Vec<_> = (0..connections)
        .map(|i| {
            let stop = stop.clone();
            std::thread::spawn(move || {
                let mut conn = Conn::new(addr);
                let mut latencies = Vec::new();
                let (mut errors, mut wrong) = (0u64, 0u64);
                let mut first_error = None;
                let mut n = i;
                // The 404 for `/items/%2E%2E` differs on runtimes that normalise URLs.
                while !stop.load(Ordering::Relaxed) {
                    let shot = &MIX[n % MIX.len()];
                    n += 1;
                    let t = Instant::now();
                    match conn.request(shot.method, shot.target, shot.headers, shot.body) {
                        Ok((status, _)) => {
                            latencies.push(t.elapsed().as_secs_f64() * 1000.0);
                            let ok = status == shot.status
                                || (shot.target == "/items/%2E%2E" && status == 404);
                            if !ok {
                                wrong += 1;
                                first_error.get_or_insert_with(|| {
                                    format!(
                                        "{} {} → {status} (expected {})",
                                        shot.method, shot.target, shot.status
                                    )
                                });
                            }
                        }
                        Err(e) => {
                            errors += 1;
                            first_error.get_or_insert_with(|| {
                                format!("{} {}: {e:#}", shot.method, shot.target)
                            });
                            conn = Conn::new(addr);
                        }
                    }
                }
                (latencies, errors, wrong, first_error)
            })
        })
        .collect();
    while started.elapsed() < duration {
        std::thread::sleep(
            Duration::from_millis(1000).min(duration.saturating_sub(started.elapsed())),
        );
        on_tick();
    }
    stop.store(true, Ordering::Relaxed);
    let mut all = Vec::new();
    let (mut transport_errors, mut wrong_status) = (0, 0);
    let mut first_error = None;
    for w in workers {
        if let Ok((lat, e, wrong, first)) = w.join() {
            all.extend(lat);
            transport_errors += e;
            wrong_status += wrong;
            if first_error.is_none() {
                first_error = first;
            }
        }
    }
    let seconds = started.elapsed().as_secs_f64();
    all.sort_by(f64::total_cmp);
    let pct = |p: f64| {
        if all.is_empty() {
            0.0
        } else {
            all[((all.len() - 1) as f64 * p) as usize]
        }
    };
    LoadReport {
        requests: all.len() as u64 + transport_errors,
        transport_errors,
        wrong_status,
        seconds,
        p50_ms: pct(0.50),
        p99_ms: pct(0.99),
        first_error,
    }
}

/// Resident memory of process `pid` in KiB (Linux), or `None`.
pub(crate) fn rss_kib(pid: u32) -> Option<u64> {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).ok()?;
    status
        .lines()
        .find(|l| l.starts_with("VmRSS:"))?
        .split_whitespace()
        .nth(1)?
        .parse()
        .ok()
}
