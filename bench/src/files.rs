//! `quire-bench files`: what images and files cost (issue 18), through the
//! real server (`target/release/quire`, or `QUIRE_BENCH_BIN`) as a child
//! process, on SQLite and, where `QUIRE_BENCH_POSTGRES_URL` (or the test
//! suite's `QUIRE_TEST_POSTGRES_URL`) names a server, PostgreSQL:
//!
//! - upload and download throughput of a 25 MiB file over loopback HTTP,
//!   against the disk's own speed on this machine (writing the same bytes to
//!   a file with fsync, and reading them back from the page cache);
//! - the server's memory (VmRSS from /proc, sampled every 10 ms) while 20
//!   uploads of 25 MiB each run at once: the bound is what the peak adds.
//!
//! Writes `files.json` and `files.md` to the output folder.

use std::io::Write as _;
use std::path::Path;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use anyhow::{bail, Context};
use serde::{Deserialize, Serialize};

use crate::servers::{quire_token, rss_kib, wait_for_port};

/// The file each measurement moves.
const FILE_BYTES: usize = 25 * 1024 * 1024;
/// Uploads at once in the memory measurement.
const AT_ONCE: usize = 20;
/// Runs of each throughput measurement (the median is reported).
const RUNS: usize = 3;

#[derive(Debug, Default, Serialize, Deserialize)]
pub struct FilesResults {
    pub disk_write_mb_s: f64,
    pub disk_read_mb_s: f64,
    pub databases: Vec<DatabaseResult>,
}

#[derive(Debug, Default, Serialize, Deserialize)]
pub struct DatabaseResult {
    pub database: String,
    pub upload_mb_s: f64,
    pub download_mb_s: f64,
    pub rss_idle_kib: u64,
    pub rss_peak_kib: u64,
    pub concurrent_uploads_s: f64,
    /// Of the 20 at once: stored, and told to try again (429).
    pub stored: usize,
    pub turned_away: usize,
}

pub async fn run(out: &Path) -> anyhow::Result<()> {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("..");
    let bytes = noise(FILE_BYTES, 1);
    let mut results = FilesResults::default();
    let (write, read) = disk_speed(&bytes)?;
    results.disk_write_mb_s = write;
    results.disk_read_mb_s = read;
    println!("disk: write {write:.0} MB/s (fsync), read {read:.0} MB/s");

    let dir = tempfile::tempdir()?;
    let mut databases = vec![("SQLite".to_string(), format!("sqlite://{}/quire.db", dir.path().display()))];
    let postgres = std::env::var("QUIRE_BENCH_POSTGRES_URL").or_else(|_| std::env::var("QUIRE_TEST_POSTGRES_URL"));
    if let Ok(base) = postgres {
        databases.push(("PostgreSQL".to_string(), fresh_postgres(&base).await?));
    }
    for (name, url) in databases {
        let result = measure(&root, &name, &url, &bytes).await?;
        println!(
            "{name}: upload {:.0} MB/s, download {:.0} MB/s; RSS idle {} KiB, peak {} KiB with {AT_ONCE} uploads of 25 MiB at once ({:.1} s)",
            result.upload_mb_s, result.download_mb_s, result.rss_idle_kib, result.rss_peak_kib, result.concurrent_uploads_s
        );
        results.databases.push(result);
    }
    std::fs::create_dir_all(out)?;
    std::fs::write(out.join("files.json"), serde_json::to_string_pretty(&results)?)?;
    std::fs::write(out.join("files.md"), markdown(&results))?;
    Ok(())
}

async fn measure(root: &Path, name: &str, url: &str, bytes: &[u8]) -> anyhow::Result<DatabaseResult> {
    let port = std::net::TcpListener::bind("127.0.0.1:0")?.local_addr()?.port();
    let addr: std::net::SocketAddr = format!("127.0.0.1:{port}").parse()?;
    let binary =
        std::env::var_os("QUIRE_BENCH_BIN").map_or_else(|| root.join("target/release/quire"), std::path::PathBuf::from);
    let mut child = Command::new(&binary)
        .current_dir(root)
        .env("DATABASE_URL", url)
        .env("QUIRE_ADDR", addr.to_string())
        .env("LEPTOS_SITE_ROOT", "target/site")
        .env("RUST_LOG", "warn")
        .env("QUIRE_REGISTRATION", "open")
        // 21 files of 25 MiB, all different.
        .env("QUIRE_FILE_QUOTA_BYTES", "0")
        .stdout(Stdio::null())
        .stderr(Stdio::inherit())
        .spawn()
        .with_context(|| format!("starting {}", binary.display()))?;
    let pid = child.id();
    let result = async {
        wait_for_port(addr, Duration::from_secs(20))?;
        wait_healthy(addr).await?;
        let token = quire_token(addr).await?;
        let http = reqwest::Client::new();
        let base = format!("http://{addr}");
        let doc: serde_json::Value = http
            .post(format!("{base}/api/docs"))
            .bearer_auth(&token)
            .json(&serde_json::json!({ "title": "Files" }))
            .send()
            .await?
            .error_for_status()?
            .json()
            .await?;
        let upload_url = format!("{base}/api/docs/{}/files?name=big.bin", doc["id"].as_str().context("an id")?);

        let mut uploads = Vec::new();
        let mut downloads = Vec::new();
        for run in 0..RUNS {
            // Different bytes each run: the same ones would be stored once.
            let body = noise(bytes.len(), 100 + run as u64);
            let started = Instant::now();
            let file: serde_json::Value =
                http.post(&upload_url).bearer_auth(&token).body(body).send().await?.error_for_status()?.json().await?;
            uploads.push(mb_s(bytes.len(), started.elapsed()));
            let started = Instant::now();
            let got = http
                .get(format!("{base}{}", file["url"].as_str().context("a url")?))
                .bearer_auth(&token)
                .send()
                .await?
                .error_for_status()?
                .bytes()
                .await?;
            downloads.push(mb_s(got.len(), started.elapsed()));
            if got.len() != bytes.len() {
                bail!("downloaded {} bytes of {}", got.len(), bytes.len());
            }
        }

        let idle = rss_kib(pid).unwrap_or(0);
        let sampling = std::sync::Arc::new(std::sync::atomic::AtomicBool::new(true));
        let sampler = {
            let sampling = sampling.clone();
            std::thread::spawn(move || {
                let mut peak = 0;
                while sampling.load(std::sync::atomic::Ordering::Relaxed) {
                    peak = peak.max(rss_kib(pid).unwrap_or(0));
                    std::thread::sleep(Duration::from_millis(10));
                }
                peak
            })
        };
        let started = Instant::now();
        let bodies: Vec<Vec<u8>> = (0..AT_ONCE).map(|i| noise(bytes.len(), 1000 + i as u64)).collect();
        let sends = bodies.into_iter().map(|body| {
            let (http, url, token) = (http.clone(), upload_url.clone(), token.clone());
            async move { http.post(url).bearer_auth(token).body(body).send().await }
        });
        let (mut stored, mut turned_away) = (0, 0);
        for answer in futures::future::join_all(sends).await {
            match answer?.status().as_u16() {
                201 => stored += 1,
                429 => turned_away += 1,
                other => bail!("an upload answered {other}"),
            }
        }
        let concurrent = started.elapsed();
        sampling.store(false, std::sync::atomic::Ordering::Relaxed);
        let peak = sampler.join().unwrap_or(0);
        Ok(DatabaseResult {
            database: name.to_string(),
            upload_mb_s: median(uploads),
            download_mb_s: median(downloads),
            rss_idle_kib: idle,
            rss_peak_kib: peak,
            concurrent_uploads_s: concurrent.as_secs_f64(),
            stored,
            turned_away,
        })
    }
    .await;
    let _ = child.kill();
    let _ = child.wait();
    result
}

async fn wait_healthy(addr: std::net::SocketAddr) -> anyhow::Result<()> {
    for _ in 0..400 {
        if reqwest::get(format!("http://{addr}/healthz")).await.is_ok_and(|r| r.status().is_success()) {
            return Ok(());
        }
        tokio::time::sleep(Duration::from_millis(25)).await;
    }
    bail!("Quire on {addr} did not become healthy")
}

/// A fresh database on the PostgreSQL server at `base`.
async fn fresh_postgres(base: &str) -> anyhow::Result<String> {
    use sqlx::Connection;
    let name = format!("quire_bench_{}", std::process::id());
    let mut admin = sqlx::PgConnection::connect(base).await?;
    sqlx::query(&format!("DROP DATABASE IF EXISTS {name}")).execute(&mut admin).await?;
    sqlx::query(&format!("CREATE DATABASE {name}")).execute(&mut admin).await?;
    let (prefix, _) = base.rsplit_once('/').context("a database URL with a path")?;
    Ok(format!("{prefix}/{name}"))
}

/// The disk's own speed: the bytes written to a file and fsynced, then read back.
fn disk_speed(bytes: &[u8]) -> anyhow::Result<(f64, f64)> {
    let dir = tempfile::tempdir()?;
    let mut writes = Vec::new();
    let mut reads = Vec::new();
    for run in 0..RUNS {
        let path = dir.path().join(format!("copy-{run}"));
        let started = Instant::now();
        let mut file = std::fs::File::create(&path)?;
        file.write_all(bytes)?;
        file.sync_all()?;
        writes.push(mb_s(bytes.len(), started.elapsed()));
        let started = Instant::now();
        let read = std::fs::read(&path)?;
        reads.push(mb_s(read.len(), started.elapsed()));
    }
    Ok((median(writes), median(reads)))
}

fn noise(len: usize, seed: u64) -> Vec<u8> {
    // xorshift: fast, and no two runs' bytes alike.
    let mut state = seed.wrapping_mul(0x9E37_79B9_7F4A_7C15) | 1;
    let mut out = Vec::with_capacity(len);
    while out.len() < len {
        state ^= state << 13;
        state ^= state >> 7;
        state ^= state << 17;
        out.extend_from_slice(&state.to_le_bytes());
    }
    out.truncate(len);
    out
}

fn mb_s(bytes: usize, took: Duration) -> f64 {
    bytes as f64 / 1e6 / took.as_secs_f64().max(1e-9)
}

fn median(mut values: Vec<f64>) -> f64 {
    values.sort_by(f64::total_cmp);
    values.get(values.len() / 2).copied().unwrap_or(0.0)
}

fn markdown(results: &FilesResults) -> String {
    let mut text = String::from(
        "## h. Images and files\n\n\
         What files cost (issue 18), through the real server (`target/release/quire` as its own process, \
         `quire-bench files`): a 25 MiB file uploaded (raw body, with a bearer token) and downloaded over \
         loopback HTTP, the median of 3, next to the disk's own speed on this machine (the same bytes \
         written to a file with fsync, and read back); then the server's memory (VmRSS, sampled every \
         10 ms) while 20 uploads of 25 MiB each run at once. No other server here stores files, so the \
         disk is the anchor. Files are stored in 256 KiB chunks, one short write each, and an upload \
         holds one chunk in memory: the bound is 16 uploads at once per instance (the next gets 429) \
         times a chunk and the HTTP stack's buffers.\n\n\
         | | upload (MB/s) | download (MB/s) | server RSS idle | peak with 20 × 25 MiB uploads at once | stored / told to retry (429) | those 20 took |\n\
         |---|---|---|---|---|---|---|\n",
    );
    text.push_str(&format!(
        "| the disk itself (write + fsync / read) | {:.0} | {:.0} | | | | |\n",
        results.disk_write_mb_s, results.disk_read_mb_s
    ));
    for db in &results.databases {
        text.push_str(&format!(
            "| Quire on {} | {:.0} | {:.0} | {:.1} MiB | {:.1} MiB (+{:.1} MiB) | {} / {} | {:.1} s |\n",
            db.database,
            db.upload_mb_s,
            db.download_mb_s,
            db.rss_idle_kib as f64 / 1024.0,
            db.rss_peak_kib as f64 / 1024.0,
            db.rss_peak_kib.saturating_sub(db.rss_idle_kib) as f64 / 1024.0,
            db.stored,
            db.turned_away,
            db.concurrent_uploads_s
        ));
    }
    text
}
