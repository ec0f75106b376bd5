//! `quire-bench`: Quire against the Yjs servers people run today, side by side
//! in one run on one machine. `bench/run.sh` is the documented way in (it
//! builds, installs the other servers, pins cores and draws the chart).
//!
//! - `quire-bench run [--quick] [--out DIR] [--only fanout,capacity,cold,quire]
//!   [--servers floor,quire,...]`: the workloads against the servers (all by
//!   default); writes `DIR/results.json` and `BENCHMARKS.md`.
//! - `quire-bench history [--out DIR]`: what version history costs (storage
//!   on the editing traces, listing, opening, restoring); writes
//!   `DIR/history.json` and `DIR/history.md`, which BENCHMARKS.md includes.
//! - `quire-bench files [--out DIR]`: what images and files cost (upload and
//!   download throughput against the disk, memory under 20 uploads at once);
//!   writes `DIR/files.json` and `DIR/files.md`.
//! - `quire-bench floor --addr HOST:PORT`: the bare relay, as a process of its own.

use std::path::PathBuf;

use anyhow::Context;

use quire_bench::plan::{self, Plan};

fn main() -> anyhow::Result<()> {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let flag = |name: &str| args.iter().position(|arg| arg == name).and_then(|i| args.get(i + 1)).cloned();
    match args.first().map(String::as_str) {
        Some("floor") => {
            let addr = flag("--addr").context("floor needs --addr HOST:PORT")?.parse()?;
            quire_bench::floor::run(addr)
        }
        Some("run") => {
            let quick = args.iter().any(|arg| arg == "--quick");
            let out = PathBuf::from(flag("--out").unwrap_or_else(|| "bench/results".into()));
            let mut plan = if quick { Plan::quick() } else { Plan::full() };
            let list = |name: &str| flag(name).map(|v| v.split(',').map(str::to_string).collect()).unwrap_or_default();
            plan.only = list("--only");
            plan.servers = list("--servers");
            let runtime = tokio::runtime::Builder::new_current_thread().enable_all().build()?;
            runtime.block_on(plan::run(plan, &out))
        }
        Some("history") => {
            let out = PathBuf::from(flag("--out").unwrap_or_else(|| "bench/results".into()));
            let runtime = tokio::runtime::Builder::new_multi_thread().enable_all().build()?;
            runtime.block_on(quire_bench::history::run(&out))
        }
        Some("files") => {
            let out = PathBuf::from(flag("--out").unwrap_or_else(|| "bench/results".into()));
            let runtime = tokio::runtime::Builder::new_multi_thread().enable_all().build()?;
            runtime.block_on(quire_bench::files::run(&out))
        }
        Some("report") => {
            let out = PathBuf::from(flag("--out").unwrap_or_else(|| "bench/results".into()));
            quire_bench::report::write(&out)
        }
        _ => {
            eprintln!("usage: quire-bench run [--quick] [--out DIR] [--only W,..] [--servers S,..] | history [--out DIR] | files [--out DIR] | report [--out DIR] | floor --addr HOST:PORT");
            std::process::exit(2);
        }
    }
}
