//! Prometheus metrics: requests by route pattern and status, a latency
//! histogram, licenses verified by result.

use std::collections::BTreeMap;
use std::fmt::Write;
use std::sync::Mutex;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

/// Upper bounds of the latency buckets, in seconds.
const BUCKETS: [f64; 12] = [
    0.000_25, 0.000_5, 0.001, 0.002, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 1.0, 5.0,
];

#[derive(Default)]
pub(crate) struct Metrics {
    requests: Mutex<BTreeMap<(String, u16), u64>>,
    buckets: [AtomicU64; BUCKETS.len()],
    count: AtomicU64,
    sum_micros: AtomicU64,
    valid: AtomicU64,
    rejected: AtomicU64,
}

impl Metrics {
    pub(crate) fn observe(&self, route: &str, status: u16, elapsed: Duration) {
        {
            let mut m = self.requests.lock().unwrap_or_else(|e| e.into_inner());
            // Look up by reference first: no allocation for a route seen before.
            match m.iter_mut().find(|((r, s), _)| r == route && *s == status) {
                Some((_, n)) => *n += 1,
                None => {
                    m.insert((route.to_owned(), status), 1);
                }
            }
        }
        let secs = elapsed.as_secs_f64();
        if let Some(i) = BUCKETS.iter().position(|b| secs <= *b)
            && let Some(b) = self.buckets.get(i)
        {
            b.fetch_add(1, Ordering::Relaxed);
        }
        self.count.fetch_add(1, Ordering::Relaxed);
        self.sum_micros.fetch_add(
            u64::try_from(elapsed.as_micros()).unwrap_or(u64::MAX),
            Ordering::Relaxed,
        );
    }

    pub(crate) fn verified(&self, valid: u64, rejected: u64) {
        self.valid.fetch_add(valid, Ordering::Relaxed);
        self.rejected.fetch_add(rejected, Ordering::Relaxed);
    }

    /// The Prometheus text exposition.
    pub(crate) fn render(&self) -> String {
        let mut out = String::new();
        let _ = writeln!(
            out,
            "# HELP elicense_http_requests_total HTTP requests by route pattern and status.\n\
             # TYPE elicense_http_requests_total counter"
        );
        {
            let m = self.requests.lock().unwrap_or_else(|e| e.into_inner());
            for ((route, status), n) in m.iter() {
                let _ = writeln!(
                    out,
                    "elicense_http_requests_total{{route=\"{}\",status=\"{status}\"}} {n}",
                    route.replace('\\', "\\\\").replace('"', "\\\"")
                );
            }
        }
        let _ = writeln!(
            out,
            "# HELP elicense_http_request_duration_seconds Time to answer a request.\n\
             # TYPE elicense_http_request_duration_seconds histogram"
        );
        let mut cumulative = 0;
        for (b, n) in BUCKETS.iter().zip(&self.buckets) {
            cumulative += n.load(Ordering::Relaxed);
            let _ = writeln!(
                out,
                "elicense_http_request_duration_seconds_bucket{{le=\"{b}\"}} {cumulative}"
            );
        }
        let count = self.count.load(Ordering::Relaxed);
        let _ = writeln!(
            out,
            "elicense_http_request_duration_seconds_bucket{{le=\"+Inf\"}} {count}\n\
             elicense_http_request_duration_seconds_sum {}\n\
             elicense_http_request_duration_seconds_count {count}",
            self.sum_micros.load(Ordering::Relaxed) as f64 / 1e6
        );
        let _ = writeln!(
            out,
            "# HELP elicense_licenses_verified_total Licenses verified, by result.\n\
             # TYPE elicense_licenses_verified_total counter\n\
             elicense_licenses_verified_total{{result=\"valid\"}} {}\n\
             elicense_licenses_verified_total{{result=\"rejected\"}} {}",
            self.valid.load(Ordering::Relaxed),
            self.rejected.load(Ordering::Relaxed)
        );
        out
    }
}
