//! The bench's load runs: contenders interleaved in short rounds of
//! [`run_for`], each replaying one [`Shot`] on keep-alive connections.

use std::net::SocketAddr;
use std::time::Duration;

use crate::load::{run_for, Shot, Stats};

/// The median, minimum and maximum over rounds of `a`'s req/s divided by
/// `b`'s in the same round: a drift of the machine during the run moves
/// both sides of each round alike, so this is steadier than the ratio of
/// the totals.
pub(crate) fn round_ratios(a: &Stats, b: &Stats) -> (f64, f64, f64) {
    let r: Vec<f64> = a.per_round.iter().zip(&b.per_round).map(|(x, y)| x / y.max(1e-9)).collect();
    if r.is_empty() {
        return (0.0, 0.0, 0.0);
    }
    let lo = r.iter().copied().fold(f64::INFINITY, f64::min);
    let hi = r.iter().copied().fold(f64::NEG_INFINITY, f64::max);
    (super::median(r), lo, hi)
}

/// Runs every contender (name, address, request) for `total` each, in
/// `rounds` rounds whose order rotates (A B C, B C A, …), after a warm-up of
/// `warmup` each. Returns their merged stats in the contenders' order.
pub(crate) fn interleaved(
    contenders: &[(&str, SocketAddr, &Shot)],
    connections: usize,
    total: Duration,
    rounds: usize,
    warmup: Duration,
) -> Vec<Stats> {
    for (name, addr, shot) in contenders {
        let w = run_for(*addr, std::slice::from_ref(*shot), connections, warmup, || {});
        eprintln!("  warm-up {name}: {:.0} req/s, {} errors", w.rps(), w.errors());
    }
    let rounds = rounds.max(1);
    let slice = total / rounds as u32;
    let mut stats: Vec<Stats> = contenders.iter().map(|_| Stats::default()).collect();
    for round in 0..rounds {
        for k in 0..contenders.len() {
            let i = (round + k) % contenders.len();
            let (_, addr, shot) = contenders[i];
            let s = run_for(addr, std::slice::from_ref(shot), connections, slice, || {});
            stats[i].per_round.push(s.rps());
            stats[i].merge(s);
        }
    }
    // `merge` added each round's time; that is the time the contender ran.
    for (s, (name, ..)) in stats.iter().zip(contenders) {
        eprintln!(
            "  {name}: {} requests, {} errors, {:.0} req/s, p50 {:.2} ms, p99 {:.2} ms{}",
            s.requests,
            s.errors(),
            s.rps(),
            s.percentile(0.50),
            s.percentile(0.99),
            s.first_error.as_deref().map(|e| format!("; first error: {e}")).unwrap_or_default()
        );
    }
    stats
}
