//! The benchmark harness behind `quire-bench` (see `bench/README.md`).

pub mod browser;
pub mod cells;
pub mod files;
pub mod floor;
pub mod history;
pub mod machine;
pub mod peer;
pub mod plan;
pub mod report;
pub mod report_browser;
pub mod servers;
pub mod stats;
pub mod target;
pub mod wire;
pub mod workloads;
