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

/// The release bundle: what a document page downloads besides the HTML.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Bundle {
    pub wasm_bytes: usize,
    pub js_bytes: usize,
    pub css_bytes: usize,
    /// The editor (CodeMirror 6 and Quire's binding), a wasm-bindgen snippet.
    pub editor_bytes: usize,
    /// Each gzipped (level 6, as the server's compression sends them).
    pub wasm_gzip_bytes: usize,
    pub js_gzip_bytes: usize,
    pub css_gzip_bytes: usize,
    pub editor_gzip_bytes: usize,
    /// Everything above, gzipped.
    pub total_gzip_bytes: usize,
    /// The fenced-code modes (modes.js beside editor.js), which the editor
    /// fetches only once a document has code: not in the total.
    #[serde(default)]
    pub modes_bytes: usize,
    #[serde(default)]
    pub modes_gzip_bytes: usize,
    /// The wasm's code and data by crate (before wasm-opt, twiggy top), if
    /// twiggy is installed; largest first.
    #[serde(default)]
    pub wasm_crates: Vec<WasmCrate>,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct WasmCrate {
    pub name: String,
    pub bytes: u64,
    pub percent: f64,
}

pub fn bundle(root: &Path) -> anyhow::Result<Bundle> {
    let pkg = root.join("target/site/pkg");
    let wasm = std::fs::read(pkg.join("quire_bg.wasm")).or_else(|_| std::fs::read(pkg.join("quire.wasm")))?;
    let js = std::fs::read(pkg.join("quire.js"))?;
    let css = std::fs::read(pkg.join("quire.css")).unwrap_or_default();
    let editor = snippet(&pkg.join("snippets"), "editor.js").map(std::fs::read).transpose()?.unwrap_or_default();
    let modes = snippet(&pkg.join("snippets"), "modes.js").map(std::fs::read).transpose()?.unwrap_or_default();
    let (wasm_gz, js_gz, css_gz, editor_gz) = (gzip_len(&wasm)?, gzip_len(&js)?, gzip_len(&css)?, gzip_len(&editor)?);
    let unoptimised = root.join("target/front/wasm32-unknown-unknown/wasm-release/quire.wasm");
    Ok(Bundle {
        wasm_bytes: wasm.len(),
        js_bytes: js.len(),
        css_bytes: css.len(),
        editor_bytes: editor.len(),
        wasm_gzip_bytes: wasm_gz,
        js_gzip_bytes: js_gz,
        css_gzip_bytes: css_gz,
        editor_gzip_bytes: editor_gz,
        total_gzip_bytes: wasm_gz + js_gz + css_gz + editor_gz,
        modes_bytes: modes.len(),
        modes_gzip_bytes: gzip_len(&modes)?,
        wasm_crates: wasm_crates(&unoptimised).unwrap_or_default(),
    })
}

/// The first file called `name` under `dir` (the snippet folders are named by hash).
fn snippet(dir: &Path, name: &str) -> Option<std::path::PathBuf> {
    for entry in std::fs::read_dir(dir).ok()?.flatten() {
        let path = entry.path();
        if path.is_dir() {
            if let Some(found) = snippet(&path, name) {
                return Some(found);
            }
        } else if path.file_name().is_some_and(|n| n == name) {
            return Some(path);
        }
    }
    None
}

/// The wasm's functions and data summed by the crate their name starts with
/// (`twiggy top`, every item). Custom sections (names, wasm-bindgen's
/// metadata) are left out: wasm-opt strips them.
fn wasm_crates(wasm: &Path) -> anyhow::Result<Vec<WasmCrate>> {
    #[derive(Deserialize)]
    struct Item {
        name: String,
        shallow_size: u64,
    }
    let out = std::process::Command::new("twiggy").args(["top", "--format", "json"]).arg(wasm).output()?;
    anyhow::ensure!(out.status.success(), "twiggy failed");
    let items: Vec<Item> = serde_json::from_slice(&out.stdout)?;
    let mut by_crate = std::collections::BTreeMap::<String, u64>::new();
    for item in items.iter().filter(|item| !is_custom_section(&item.name)) {
        *by_crate.entry(crate_of(&item.name)).or_default() += item.shallow_size;
    }
    let total = by_crate.values().sum::<u64>().max(1) as f64;
    let mut crates: Vec<WasmCrate> = by_crate
        .into_iter()
        .map(|(name, bytes)| WasmCrate { name, bytes, percent: 100.0 * bytes as f64 / total })
        .collect();
    crates.sort_by_key(|c| std::cmp::Reverse(c.bytes));
    Ok(crates)
}

fn is_custom_section(name: &str) -> bool {
    name.contains("custom section") || name.contains("subsection")
}

/// `yrs::doc::Doc::new::h…` → `yrs`; `<tachys::… as …>::…` → `tachys`;
/// `core[c5930c85]::fmt::…` → `core`; data segments → `data (strings, tables)`.
fn crate_of(name: &str) -> String {
    if name.starts_with("data segment") || name.starts_with("data[") {
        return "data (strings, tables)".into();
    }
    let path = name.trim_start_matches(['<', '&', ' ']);
    let path = path.strip_prefix("dyn ").or_else(|| path.strip_prefix("impl ")).unwrap_or(path);
    let end = path.find(|c: char| !(c.is_ascii_alphanumeric() || c == '_')).unwrap_or(path.len());
    let head = &path[..end];
    let rest = &path[end..];
    // `core[c5930c85]::…` names a crate; `elem[0]` is a table.
    let is_path = rest.starts_with("::")
        || rest.strip_prefix('[').and_then(|r| r.split_once(']')).is_some_and(|(_, after)| after.starts_with("::"));
    if is_path && !head.is_empty() && head.starts_with(|c: char| c.is_ascii_lowercase() || c == '_') {
        head.to_string()
    } else {
        "other (generic impls, tables, glue)".into()
    }
}

fn gzip_len(bytes: &[u8]) -> anyhow::Result<usize> {
    let mut encoder = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
    encoder.write_all(bytes)?;
    Ok(encoder.finish()?.len())
}

#[cfg(test)]
mod tests {
    use super::crate_of;

    #[test]
    fn items_are_counted_under_their_crate() {
        assert_eq!(crate_of("yrs::transaction::TransactionMut::commit::h5d79389c82d2b08b"), "yrs");
        assert_eq!(crate_of("<tachys::view::tuples::X as tachys::Y>::hydrate"), "tachys");
        assert_eq!(crate_of("core[c5930c85a12de822]::num::flt2dec::format"), "core");
        assert_eq!(crate_of("data segment \".rodata.77\""), "data (strings, tables)");
        assert_eq!(
            crate_of("<F as leptos_router::matching::ChooseView>::choose"),
            "other (generic impls, tables, glue)"
        );
        assert_eq!(crate_of("elem[0]"), "other (generic impls, tables, glue)");
    }
}
