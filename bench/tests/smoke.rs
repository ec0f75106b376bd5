//! The harness works, in seconds: real clients against the relay and against
//! an in-process Quire on SQLite, through the same code paths `quire-bench run`
//! uses, and the report renders their numbers. No speed is asserted here.

use std::time::Duration;

use leptos::config::LeptosOptions;
use quire_bench::plan::{Results, ServerResults};
use quire_bench::target::{Kind, Target};
use quire_bench::workloads::{fanout, saveack};

async fn floor() -> Target {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(quire_bench::floor::serve(listener));
    Target { label: "floor".into(), kind: Kind::Floor, instances: vec![addr], token: None }
}

async fn quire(database: &tempfile::TempDir) -> Target {
    let url = format!("sqlite://{}/quire.db", database.path().display());
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let options = LeptosOptions::builder().output_name("quire").site_root("target/site").site_pkg_dir("pkg").build();
    // As `bench/run.sh` runs it: the per-client limits off (see servers.rs).
    let mut config = server::Config::defaults_with_database(url);
    config.max_messages_per_second = 0;
    config.max_sockets_per_person = 0;
    config.max_sockets_per_address = 0;
    tokio::spawn(server::run(config, options, listener, std::future::pending()));
    for _ in 0..400 {
        if reqwest::get(format!("http://{addr}/healthz")).await.is_ok_and(|r| r.status().is_success()) {
            break;
        }
        tokio::time::sleep(Duration::from_millis(25)).await;
    }
    let token = quire_bench::servers::quire_token(addr).await.expect("bench account and token");
    Target { label: "quire".into(), kind: Kind::Quire, instances: vec![addr], token: Some(token) }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_harness_measures_every_chunk_through_the_relay_and_quire() {
    let database = tempfile::tempdir().unwrap();
    let mut servers = Vec::new();
    for target in [floor().await, quire(&database).await] {
        let point = fanout::run_point(&target, 4, 200, Duration::from_millis(300)).await.expect("fan-out point");
        assert_eq!(point.sent, 60, "{}: 200/s for 0.3 s", target.label);
        assert_eq!(point.delivered, point.expected, "{}: every chunk reached the 3 readers", target.label);
        assert_eq!(point.latency.samples, 180);
        assert!(point.latency.p50_ms > 0.0 && point.latency.p50_ms <= point.latency.p99_ms);
        servers.push(ServerResults { label: target.label.clone(), fanout: vec![point], ..Default::default() });
        if target.kind == Kind::Quire {
            let acks = saveack::run(&target, 200, 20).await.expect("save acknowledgements");
            assert_eq!(acks.latency.samples, 20, "every write acknowledged once");
        }
    }
    let results = Results {
        machine: quire_bench::machine::describe(),
        quick: true,
        servers,
        save_ack: None,
        documents: None,
        bundle: None,
        browser: None,
        errors: Vec::new(),
    };
    let report = quire_bench::report::render(&results);
    assert!(report.contains("| quire | 200 |"), "Quire's point is in the fan-out table:\n{report}");
    assert!(report.contains("| floor | 200 |"), "the floor's point is in the fan-out table:\n{report}");
}

#[test]
fn the_b4_trace_replays_to_its_final_text() {
    let trace = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../../shared/data/editing-traces/automerge-paper.json.gz");
    let (patches, end) = quire_bench::workloads::coldload::load_trace(&trace).unwrap();
    assert_eq!(patches.len(), 259_778);
    let replay = quire_bench::workloads::coldload::Replay::new();
    // The whole replay takes minutes unoptimised; `quire-bench run` checks
    // the final text. Here: the first edits, one update each, add up.
    let mut expected_len = 0i64;
    for patch in &patches[..5000] {
        assert!(!replay.apply(0, patch).is_empty(), "every edit is an update");
        expected_len += patch.2.len() as i64 - patch.1 as i64;
    }
    assert_eq!(replay.len() as i64, expected_len);
    assert_eq!(end.len(), 104_852);
}
