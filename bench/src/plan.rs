//! What one benchmark run does, in order, and the results it records. A
//! workload that fails is recorded as an error for that server and the run
//! goes on: one broken server must not hide everyone else's numbers.

use std::path::{Path, PathBuf};
use std::time::Duration;

use serde::{Deserialize, Serialize};

use crate::servers::{Running, Setup, Spec};
use crate::workloads::capacity::{self, Capacity};
use crate::workloads::coldload::{self, ColdLoad};
use crate::workloads::fanout::{self, Point};
use crate::workloads::saveack::{self, SaveAck};
use crate::{browser, machine};

/// The p99 a point must stay under to count as sustained (workload b).
pub const P99_LIMIT_MS: f64 = 50.0;

#[derive(Debug, Clone)]
pub struct Plan {
    pub room_sizes: Vec<usize>,
    pub point_duration: Duration,
    pub capacities: Vec<usize>,
    /// Replays of the trace in the large cold-load document.
    pub copies: usize,
    pub restarts: usize,
    pub save_acks: usize,
    pub browser: bool,
    /// Workloads to run (`--only fanout,capacity,cold,quire`); all when empty.
    pub only: Vec<String>,
    /// Servers to run (`--servers floor,quire,...` by label); all when empty.
    pub servers: Vec<String>,
}

impl Plan {
    fn wants(&self, workload: &str) -> bool {
        self.only.is_empty() || self.only.iter().any(|w| w == workload)
    }

    fn includes(&self, spec: Spec) -> bool {
        self.servers.is_empty() || self.servers.iter().any(|s| *s == spec.label())
    }
}

impl Plan {
    pub fn full() -> Self {
        Plan {
            room_sizes: vec![2, 10, 100, 300],
            point_duration: Duration::from_secs(3),
            capacities: vec![1000, 5000, 10_000],
            copies: 100,
            restarts: 3,
            save_acks: 2000,
            browser: true,
            only: Vec::new(),
            servers: Vec::new(),
        }
    }

    /// A run of a few minutes that exercises every part (not for numbers).
    pub fn quick() -> Self {
        Plan {
            room_sizes: vec![2, 10],
            point_duration: Duration::from_millis(500),
            capacities: vec![200],
            copies: 2,
            restarts: 1,
            save_acks: 100,
            browser: true,
            only: Vec::new(),
            servers: Vec::new(),
        }
    }
}

#[derive(Debug, Default, Clone, Serialize, Deserialize)]
pub struct ServerResults {
    pub label: String,
    pub fanout: Vec<Point>,
    pub capacity: Vec<Capacity>,
    pub cold: Vec<ColdLoad>,
    pub errors: Vec<String>,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Results {
    pub machine: machine::Machine,
    pub quick: bool,
    pub servers: Vec<ServerResults>,
    pub save_ack: Option<SaveAck>,
    pub documents: Option<DocumentSizes>,
    #[serde(default, deserialize_with = "or_none")]
    pub bundle: Option<machine::Bundle>,
    /// Results of an older shape read as missing, so a partial run that
    /// measures them again keeps everything else.
    #[serde(default, deserialize_with = "or_none")]
    pub browser: Option<browser::Browser>,
    pub errors: Vec<String>,
}

fn or_none<'de, D: serde::Deserializer<'de>, T: serde::de::DeserializeOwned>(d: D) -> Result<Option<T>, D::Error> {
    let value = serde_json::Value::deserialize(d)?;
    Ok(serde_json::from_value(value).ok())
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct DocumentSizes {
    pub b4_updates: usize,
    pub b4_chars: u32,
    pub x100_updates: usize,
    pub x100_chars: u32,
    pub x100_bytes: usize,
}

/// The servers, in the order of every table.
const SPECS: [Spec; 5] =
    [Spec::Floor, Spec::Quire { instances: 1 }, Spec::Quire { instances: 2 }, Spec::YWebsocket, Spec::Hocuspocus];

pub async fn run(plan: Plan, out: &Path) -> anyhow::Result<()> {
    std::fs::create_dir_all(out)?;
    let root = std::env::current_dir()?;
    let setup = Setup { root: root.clone(), scratch: root.join("target/bench"), server_cpu: 0 };
    let quick = plan.capacities.iter().all(|&c| c < 1000);
    // A partial run (--only / --servers) updates the last results in place.
    let partial = !plan.only.is_empty() || !plan.servers.is_empty();
    let previous =
        std::fs::read(out.join("results.json")).ok().and_then(|json| serde_json::from_slice::<Results>(&json).ok());
    let mut results = match previous.filter(|previous| partial && previous.quick == quick) {
        Some(previous) => previous,
        None => Results {
            machine: machine::describe(),
            quick,
            servers: SPECS.iter().map(|spec| ServerResults { label: spec.label(), ..Default::default() }).collect(),
            save_ack: None,
            documents: None,
            bundle: None,
            browser: None,
            errors: Vec::new(),
        },
    };
    results.machine = machine::describe();
    results.bundle = machine::bundle(&root).ok();
    results.errors.clear();

    let documents = if plan.wants("cold") {
        eprintln!("building the cold-load documents (B4 and B4×{})", plan.copies);
        let trace = root.join("../shared/data/editing-traces/automerge-paper.json.gz");
        let documents = coldload::build(&trace, plan.copies)?;
        results.documents = Some(DocumentSizes {
            b4_updates: documents.b4_updates.len(),
            b4_chars: documents.b4_chars,
            x100_updates: documents.x100_updates.len(),
            x100_chars: documents.x100_chars,
            x100_bytes: documents.x100_bytes,
        });
        Some(documents)
    } else {
        None
    };

    for (index, spec) in SPECS.into_iter().enumerate() {
        if !plan.includes(spec) {
            continue;
        }
        let entry = &mut results.servers[index];
        eprintln!("== {}", spec.label());
        entry.errors.clear();
        if plan.wants("fanout") {
            entry.fanout.clear();
            if let Err(error) = fanout_sweep(spec, &setup, &plan, entry).await {
                entry.errors.push(format!("fan-out: {error:#}"));
            }
        }
        save(out, &results)?;
        let entry = &mut results.servers[index];
        if spec == (Spec::Quire { instances: 2 }) {
            continue; // capacity and cold load are per instance
        }
        if plan.wants("capacity") {
            entry.capacity.clear();
        }
        for &connections in plan.capacities.iter().filter(|_| plan.wants("capacity")) {
            match capacity_point(spec, &setup, connections).await {
                Ok(capacity) => {
                    eprintln!(
                        "  capacity {connections}: {:.0} handshakes/s, {:.1} KiB per connection",
                        capacity.handshakes_per_sec, capacity.kib_per_connection
                    );
                    entry.capacity.push(capacity);
                }
                Err(error) => entry.errors.push(format!("capacity {connections}: {error:#}")),
            }
        }
        if let Some(documents) = documents.as_ref().filter(|_| spec != Spec::Floor) {
            entry.cold.clear();
            let big = format!("B4×{}", plan.copies);
            for (name, updates, clocks) in [
                ("B4", &documents.b4_updates, &documents.b4_clocks),
                (big.as_str(), &documents.x100_updates, &documents.x100_clocks),
            ] {
                match cold_point(spec, &setup, name, updates, clocks, plan.restarts).await {
                    Ok(cold) => {
                        eprintln!(
                            "  cold load {name}: p50 {:.1} ms (written in {:.1} s)",
                            cold.load.p50_ms, cold.write_secs
                        );
                        entry.cold.push(cold);
                    }
                    Err(error) => entry.errors.push(format!("cold load {name}: {error:#}")),
                }
            }
        }
        if spec == (Spec::Quire { instances: 1 }) && plan.wants("quire") {
            match quire_extras(&setup, &plan, &root).await {
                Ok((save_ack, browser)) => {
                    results.save_ack = Some(save_ack);
                    results.browser = browser;
                }
                Err(error) => results.errors.push(format!("save acknowledgement / browser: {error:#}")),
            }
        }
        save(out, &results)?;
    }
    save(out, &results)?;
    crate::report::write(out)
}

/// Workloads a and b: for each room size, rates up to the first point the
/// server does not sustain.
async fn fanout_sweep(spec: Spec, setup: &Setup, plan: &Plan, entry: &mut ServerResults) -> anyhow::Result<()> {
    let server = Running::start(spec, setup).await?;
    for &clients in &plan.room_sizes {
        for rate in fanout::rates(clients) {
            let point = match fanout::run_point(&server.target, clients, rate, plan.point_duration).await {
                Ok(point) => point,
                Err(error) => {
                    entry.errors.push(format!("fan-out N={clients} at {rate}/s: {error:#}"));
                    break;
                }
            };
            eprintln!(
                "  N={clients:<3} {rate:>6}/s: p50 {:>7.2} ms  p99 {:>8.2} ms  delivered {}/{}",
                point.latency.p50_ms, point.latency.p99_ms, point.delivered, point.expected
            );
            let sustained = point.sustained(P99_LIMIT_MS);
            entry.fanout.push(point);
            if !sustained {
                break;
            }
        }
    }
    Ok(())
}

async fn capacity_point(spec: Spec, setup: &Setup, connections: usize) -> anyhow::Result<Capacity> {
    let server = Running::start(spec, setup).await?;
    capacity::run(&server, connections).await
}

async fn cold_point(
    spec: Spec,
    setup: &Setup,
    name: &str,
    updates: &[Vec<u8>],
    clocks: &std::collections::HashMap<u64, u32>,
    restarts: usize,
) -> anyhow::Result<ColdLoad> {
    let mut server = Running::start(spec, setup).await?;
    coldload::run(&mut server, name, updates, clocks, restarts).await
}

/// Workloads e and f, which only Quire has: save acknowledgements and the browser.
async fn quire_extras(setup: &Setup, plan: &Plan, root: &Path) -> anyhow::Result<(SaveAck, Option<browser::Browser>)> {
    let server = Running::start(Spec::Quire { instances: 1 }, setup).await?;
    let save_ack = saveack::run(&server.target, 100, plan.save_acks).await?;
    eprintln!("  save acknowledgement: p50 {:.2} ms, p99 {:.2} ms", save_ack.latency.p50_ms, save_ack.latency.p99_ms);
    let browser = if plan.browser { Some(browser::run(&server.target, root).await?) } else { None };
    Ok((save_ack, browser))
}

fn save(out: &Path, results: &Results) -> anyhow::Result<()> {
    let path: PathBuf = out.join("results.json");
    std::fs::write(path, serde_json::to_string_pretty(results)?)?;
    Ok(())
}
