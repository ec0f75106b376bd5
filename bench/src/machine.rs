//! What the numbers were measured on, and the size of what a browser downloads.

use std::io::Write;
use std::path::Path;
use std::process::Command;

use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Machine {
    pub cpu: String,
    pub cores: usize,
    pub memory_gib: f64,
    pub kernel: String,
    pub node: String,
    pub date: String,
    pub pinning: String,
}

pub fn describe() -> Machine {
    let cpuinfo = std::fs::read_to_string("/proc/cpuinfo").unwrap_or_default();
    let cpu = cpuinfo
        .lines()
        .find(|line| line.starts_with("model name"))
        .and_then(|line| line.split(':').nth(1))
        .unwrap_or("unknown")
        .trim()
        .to_string();
    let meminfo = std::fs::read_to_string("/proc/meminfo").unwrap_or_default();
    let memory_kib: f64 = meminfo
        .lines()
        .find(|line| line.starts_with("MemTotal:"))
        .and_then(|line| line.split_whitespace().nth(1))
        .and_then(|kib| kib.parse().ok())
        .unwrap_or(0.0);
    Machine {
        cpu,
        cores: std::thread::available_parallelism()
            .map(|n| n.get())
            .unwrap_or(1)
            .max(cpuinfo.matches("processor\t").count()),
        memory_gib: (memory_kib / 1024.0 / 1024.0 * 10.0).round() / 10.0,
        kernel: output("uname", &["-sr"]),
        node: output("node", &["--version"]),
        date: output("date", &["-u", "+%Y-%m-%d %H:%M UTC"]),
        pinning: "every server process (and Redis) on CPU 0 with taskset; the load generator on CPU 1, one thread"
            .into(),
    }
}

fn output(program: &str, args: &[&str]) -> String {
    Command::new(program)
        .args(args)
        .output()
        .map(|out| String::from_utf8_lossy(&out.stdout).trim().to_string())
        .unwrap_or_else(|_| "unknown".into())
}

/// The release bundle: what a first visit downloads besides the HTML.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Bundle {
    pub wasm_bytes: usize,
    pub js_bytes: usize,
    pub css_bytes: usize,
    /// wasm + js, each gzipped (level 6, as the server's compression sends them).
    pub wasm_js_gzip_bytes: usize,
}

pub fn bundle(root: &Path) -> anyhow::Result<Bundle> {
    let pkg = root.join("target/site/pkg");
    let wasm = std::fs::read(pkg.join("quire_bg.wasm")).or_else(|_| std::fs::read(pkg.join("quire.wasm")))?;
    let js = std::fs::read(pkg.join("quire.js"))?;
    let css = std::fs::read(pkg.join("quire.css")).unwrap_or_default();
    Ok(Bundle {
        wasm_bytes: wasm.len(),
        js_bytes: js.len(),
        css_bytes: css.len(),
        wasm_js_gzip_bytes: gzip_len(&wasm)? + gzip_len(&js)?,
    })
}

fn gzip_len(bytes: &[u8]) -> anyhow::Result<usize> {
    let mut encoder = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
    encoder.write_all(bytes)?;
    Ok(encoder.finish()?.len())
}
