//! Latency samples and their summary (percentiles by nearest rank).

use serde::{Deserialize, Serialize};

/// p50/p99/max of a set of latencies, in milliseconds.
#[derive(Debug, Clone, Copy, Default, Serialize, Deserialize, PartialEq)]
pub struct Summary {
    pub samples: usize,
    pub p50_ms: f64,
    pub p99_ms: f64,
    pub max_ms: f64,
}

/// Summarises latencies given in microseconds.
pub fn summarize(mut micros: Vec<u32>) -> Summary {
    if micros.is_empty() {
        return Summary::default();
    }
    micros.sort_unstable();
    let rank = |q: f64| {
        let index = ((q * micros.len() as f64).ceil() as usize).clamp(1, micros.len()) - 1;
        micros[index] as f64 / 1000.0
    };
    Summary {
        samples: micros.len(),
        p50_ms: rank(0.50),
        p99_ms: rank(0.99),
        max_ms: *micros.last().unwrap() as f64 / 1000.0,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn percentiles_by_nearest_rank() {
        let summary = summarize((1..=100).map(|ms| ms * 1000).collect());
        assert_eq!((summary.p50_ms, summary.p99_ms, summary.max_ms), (50.0, 99.0, 100.0));
        assert_eq!(summarize(vec![]).samples, 0);
    }
}
