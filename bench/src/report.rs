//! Turns `results.json` into BENCHMARKS.md at the repository root: the
//! headline ratios, the targets with pass/fail, and every table (with the
//! version-history section `quire-bench history` wrote and a before/after
//! comparison of two builds, when they are there).

use std::fmt::Write as _;
use std::path::Path;

use crate::cells::{num, ratio, verdict};
use crate::plan::{Results, ServerResults, P99_LIMIT_MS};
use crate::report_browser;

pub fn write(out: &Path) -> anyhow::Result<()> {
    let results: Results = serde_json::from_slice(&std::fs::read(out.join("results.json"))?)?;
    let mut markdown = render(&results);
    // `quire-bench history` writes its own section, and a before/after
    // comparison of two builds (bench/README.md) may follow it, then the
    // section `quire-bench files` writes: all go before the errors.
    for section in ["history.md", "before-after.md", "files.md"] {
        if let Ok(text) = std::fs::read_to_string(out.join(section)) {
            let at = markdown.find("## Errors during the run").unwrap_or(markdown.len());
            markdown.insert_str(at, &format!("{text}\n"));
        }
    }
    let path = if results.quick { out.join("BENCHMARKS.quick.md") } else { std::path::PathBuf::from("BENCHMARKS.md") };
    std::fs::write(&path, markdown)?;
    eprintln!("wrote {}", path.display());
    Ok(())
}

fn server<'a>(results: &'a Results, label: &str) -> Option<&'a ServerResults> {
    results.servers.iter().find(|server| server.label == label)
}

/// Highest delivered updates/s with every chunk delivered and p99 under the bar.
pub fn saturation(server: &ServerResults, clients: usize) -> Option<f64> {
    server
        .fanout
        .iter()
        .filter(|point| point.clients == clients && point.sustained(P99_LIMIT_MS))
        .map(|point| point.delivered_per_sec)
        .fold(None, |best, value| Some(best.map_or(value, |best: f64| best.max(value))))
}

pub fn render(results: &Results) -> String {
    let mut md = String::new();
    let room_sizes: Vec<usize> = {
        let mut sizes: Vec<usize> = results.servers.iter().flat_map(|s| s.fanout.iter().map(|p| p.clients)).collect();
        sizes.sort_unstable();
        sizes.dedup();
        sizes
    };
    let quire = server(results, "quire");
    let ywebsocket = server(results, "y-websocket");
    let floor = server(results, "floor");
    let m = &results.machine;

    let _ = writeln!(md, "# Benchmarks\n");
    let _ = writeln!(
        md,
        "Quire against the reference Yjs server (`y-websocket` 1.5.4), Hocuspocus (`@hocuspocus/server` 4.7.0) and a bare \
         WebSocket relay with no CRDT (the *floor*: no server here can beat it), in one run on one machine. Regenerate \
         everything here, chart included, with `bash bench/run.sh` (see [bench/README.md](bench/README.md) for the method).\n"
    );
    let _ = writeln!(
        md,
        "Machine: {}, {} cores, {} GiB, {}, Node {}. Measured {}. Pinning: {}.\n",
        m.cpu, m.cores, m.memory_gib, m.kernel, m.node, m.date, m.pinning
    );
    if results.quick {
        let _ = writeln!(
            md,
            "> **Quick run**: short points, small sizes. These numbers only show that the harness works.\n"
        );
    }

    // Headline.
    let _ = writeln!(md, "## Headline\n");
    let _ = writeln!(md, "| room size | Quire sustained deliveries/s | vs y-websocket | vs Hocuspocus | vs floor | Quire p99 at the floor's highest sustained rate | floor p99 there |");
    let _ = writeln!(md, "|---|---|---|---|---|---|---|");
    for &n in &room_sizes {
        let q = quire.and_then(|s| saturation(s, n));
        let y = ywebsocket.and_then(|s| saturation(s, n));
        let h = server(results, "hocuspocus").and_then(|s| saturation(s, n));
        let f = floor.and_then(|s| saturation(s, n));
        let (qp, fp) = p99_at_floor_limit(results, n);
        let _ = writeln!(
            md,
            "| {n} | {} | {} | {} | {} | {} ms | {} ms |",
            num(q, 0),
            ratio(q, y),
            ratio(q, h),
            ratio(q, f),
            num(qp, 2),
            num(fp, 2)
        );
    }
    let _ = writeln!(
        md,
        "\nSustained: every update delivered with p99 ≤ {P99_LIMIT_MS} ms, the highest of the rates tried (50 to 50,000 updates/s, at most 2 M deliveries/s). \
         Where two servers both sustained the highest rate tried, their ratio reads 1.00× and means neither was saturated.\n"
    );
    let _ = writeln!(md, "![fan-out latency against load](bench/results/fanout.png)\n");

    // Targets.
    let _ = writeln!(md, "## Targets (issue 7)\n");
    let _ = writeln!(md, "| target | measured | |");
    let _ = writeln!(md, "|---|---|---|");
    let fanout_ok = fanout_within_floor(results, &room_sizes);
    let _ = writeln!(
        md,
        "| fan-out p99 ≤ 1.5× the floor's at every load the floor sustains | {} | {} |",
        fanout_ok.1,
        verdict(fanout_ok.0)
    );
    let sat = room_sizes
        .iter()
        .map(|&n| (n, quire.and_then(|s| saturation(s, n)), ywebsocket.and_then(|s| saturation(s, n))))
        .collect::<Vec<_>>();
    let sat_ok = if sat.is_empty() {
        None
    } else {
        Some(sat.iter().all(|(_, q, y)| {
            matches!((q, y), (Some(q), Some(y)) if *q >= 2.0 * y) || matches!((q, y), (Some(_), None))
        }))
    };
    let sat_text = sat.iter().map(|(n, q, y)| format!("N={n}: {}", ratio(*q, *y))).collect::<Vec<_>>().join(", ");
    let _ = writeln!(md, "| saturation ≥ 2× y-websocket's | {sat_text} | {} |", verdict(sat_ok));
    let biggest = quire.and_then(|s| s.capacity.iter().max_by_key(|c| c.connections));
    let cap_ok = biggest.map(|c| c.connections >= 10_000 && c.held == c.connections && c.kib_per_connection <= 6.0);
    let cap_text = biggest.map_or("–".into(), |c| {
        format!("{} of {} held, {:.1} KiB each", c.held, c.connections, c.kib_per_connection)
    });
    let _ = writeln!(
        md,
        "| ≥ 10,000 idle synced connections with presence at ≤ 6 KiB each | {cap_text} | {} |",
        verdict(cap_ok)
    );
    let hs = |s: Option<&ServerResults>| {
        s.and_then(|s| s.capacity.iter().max_by_key(|c| c.connections)).map(|c| c.handshakes_per_sec)
    };
    let hs_ok = match (hs(quire), hs(ywebsocket)) {
        (Some(q), Some(y)) => Some(q >= 2.0 * y),
        _ => None,
    };
    let _ = writeln!(
        md,
        "| handshakes/s ≥ 2× y-websocket's | {} vs {} ({}) | {} |",
        num(hs(quire), 0),
        num(hs(ywebsocket), 0),
        ratio(hs(quire), hs(ywebsocket)),
        verdict(hs_ok)
    );
    for (name, limit) in [("B4", 20.0), ("B4×100", 1000.0)] {
        let load = quire.and_then(|s| s.cold.iter().find(|c| c.document == name)).map(|c| c.load.max_ms);
        let _ = writeln!(
            md,
            "| cold load of {name} ≤ {limit} ms | {} ms (slowest of the restarts) | {} |",
            num(load, 1),
            verdict(load.map(|l| l <= limit))
        );
    }
    let ack = results.save_ack.as_ref().map(|a| a.latency.p99_ms);
    let _ = writeln!(
        md,
        "| save acknowledgement p99 ≤ 15 ms (SQLite) | {} ms | {} |",
        num(ack, 2),
        verdict(ack.map(|a| a <= 15.0))
    );
    report_browser::targets(&mut md, results);

    // Fan-out.
    let _ = writeln!(md, "## a. Fan-out latency\n");
    let _ = writeln!(md, "One writer appends 8 characters per update at a steady rate into a room of N; latency is send → arrival at each of the N−1 others. A point is *sustained* when every chunk arrived and p99 ≤ {P99_LIMIT_MS} ms; each sweep stops at its first unsustained point.\n");
    for &n in &room_sizes {
        let _ = writeln!(md, "### N = {n}\n");
        let _ = writeln!(md, "| server | rate (updates/s) | delivered/s | p50 ms | p99 ms | max ms | delivered |");
        let _ = writeln!(md, "|---|---|---|---|---|---|---|");
        for s in &results.servers {
            for p in s.fanout.iter().filter(|p| p.clients == n) {
                let _ = writeln!(
                    md,
                    "| {} | {} | {:.0} | {:.2} | {:.2} | {:.2} | {}/{} |",
                    s.label,
                    p.rate,
                    p.delivered_per_sec,
                    p.latency.p50_ms,
                    p.latency.p99_ms,
                    p.latency.max_ms,
                    p.delivered,
                    p.expected
                );
            }
        }
        let _ = writeln!(md);
    }

    let _ = writeln!(md, "## b. Saturation\n");
    let _ = writeln!(md, "Highest delivered updates/s (all delivered, p99 ≤ {P99_LIMIT_MS} ms).\n");
    let _ = write!(md, "| server |");
    for n in &room_sizes {
        let _ = write!(md, " N={n} |");
    }
    let _ = writeln!(md, "\n|---|{}", "---|".repeat(room_sizes.len()));
    for s in &results.servers {
        let _ = write!(md, "| {} |", s.label);
        for &n in &room_sizes {
            let _ = write!(md, " {} |", num(saturation(s, n), 0));
        }
        let _ = writeln!(md);
    }

    let _ = writeln!(md, "\n## c. Capacity\n");
    let _ = writeln!(md, "Idle connections in rooms of 10, each synced and with a presence state (64 handshakes in flight). RSS is the server's resident memory before the first and with all connections (plus their rooms).\n");
    let _ = writeln!(
        md,
        "| server | connections | held | handshakes/s | RSS before MiB | RSS after MiB | KiB per connection |"
    );
    let _ = writeln!(md, "|---|---|---|---|---|---|---|");
    for s in &results.servers {
        for c in &s.capacity {
            let _ = writeln!(
                md,
                "| {} | {} | {} | {:.0} | {:.1} | {:.1} | {:.1} |",
                s.label,
                c.connections,
                c.held,
                c.handshakes_per_sec,
                c.rss_before_kib as f64 / 1024.0,
                c.rss_after_kib as f64 / 1024.0,
                c.kib_per_connection
            );
        }
    }

    let _ = writeln!(md, "\n## d. Cold load\n");
    if let Some(d) = &results.documents {
        let _ = writeln!(
            md,
            "B4: the Automerge-paper trace, {} edits sent one per update ({} characters at the end). B4×100: the same history written by 100 authors at once into one text ({} characters, {:.1} MB as one Yjs update), sent as {} updates, one per author. After writing, each server is restarted (SIGTERM, so it flushes) and a fresh client's time from opening the socket to having received the whole document is measured, once per restart. y-websocket persists with its built-in LevelDB (`YPERSISTENCE`), Hocuspocus with its Database extension writing one file per document; the floor keeps nothing.\n",
            d.b4_updates, d.b4_chars, d.x100_chars, d.x100_bytes as f64 / 1e6, d.x100_updates
        );
    }
    let _ = writeln!(md, "| server | document | write time s | loads | p50 ms | max ms |");
    let _ = writeln!(md, "|---|---|---|---|---|---|");
    for s in &results.servers {
        for c in &s.cold {
            let _ = writeln!(
                md,
                "| {} | {} | {:.1} | {} | {:.1} | {:.1} |",
                s.label, c.document, c.write_secs, c.load.samples, c.load.p50_ms, c.load.max_ms
            );
        }
    }

    let _ = writeln!(md, "\n## e. Durability cost\n");
    if let Some(a) = &results.save_ack {
        let _ = writeln!(
            md,
            "Quire on SQLite: {} small updates at {}/s, each timed from send to the server's `saved` (103) covering it, i.e. to the commit of the transaction holding it. p50 {:.2} ms, p99 {:.2} ms, max {:.2} ms. (y-websocket and Hocuspocus have no such acknowledgement: they write later, or never, without telling the client.)\n",
            a.writes, a.rate, a.latency.p50_ms, a.latency.p99_ms, a.latency.max_ms
        );
    }

    report_browser::section(&mut md, results);

    let errors: Vec<String> = results
        .servers
        .iter()
        .flat_map(|s| s.errors.iter().map(move |e| format!("{}: {e}", s.label)))
        .chain(results.errors.iter().cloned())
        .collect();
    if !errors.is_empty() {
        let _ = writeln!(md, "## Errors during the run\n");
        for error in errors {
            let _ = writeln!(md, "- {}", error.replace('\n', " "));
        }
        let _ = writeln!(md);
    }

    let _ = writeln!(
        md,
        "## Credits\n\nThe B4 document is the Automerge-paper editing trace by Martin Kleppmann, from Joseph Gentle's \
         [editing-traces](https://github.com/josephg/editing-traces) collection, licensed CC BY 4.0."
    );
    md
}

/// Quire's and the floor's p99 at the floor's highest sustained rate for N.
fn p99_at_floor_limit(results: &Results, clients: usize) -> (Option<f64>, Option<f64>) {
    let Some(floor) = server(results, "floor") else { return (None, None) };
    let Some(best) =
        floor.fanout.iter().filter(|p| p.clients == clients && p.sustained(P99_LIMIT_MS)).max_by_key(|p| p.rate)
    else {
        return (None, None);
    };
    let quire =
        server(results, "quire").and_then(|s| s.fanout.iter().find(|p| p.clients == clients && p.rate == best.rate));
    (quire.map(|p| p.latency.p99_ms), Some(best.latency.p99_ms))
}

/// Is Quire's p99 within 1.5× of the floor's at every point the floor sustains?
/// Under 1 ms both are noise, so the floor's p99 counts as at least 1 ms.
fn fanout_within_floor(results: &Results, sizes: &[usize]) -> (Option<bool>, String) {
    let (Some(floor), Some(quire)) = (server(results, "floor"), server(results, "quire")) else {
        return (None, "–".into());
    };
    let mut worst: Option<(f64, usize, u32)> = None;
    let mut all = true;
    for &n in sizes {
        for f in floor.fanout.iter().filter(|p| p.clients == n && p.sustained(P99_LIMIT_MS)) {
            let Some(q) = quire.fanout.iter().find(|p| p.clients == n && p.rate == f.rate) else {
                all = false;
                continue;
            };
            let r =
                if q.delivered == q.expected { q.latency.p99_ms / f.latency.p99_ms.max(1.0) } else { f64::INFINITY };
            if worst.is_none_or(|(w, _, _)| r > w) {
                worst = Some((r, n, f.rate));
            }
        }
    }
    match worst {
        Some((r, n, rate)) => (Some(all && r <= 1.5), format!("worst {r:.2}× (N={n} at {rate}/s)")),
        None => (None, "–".into()),
    }
}
