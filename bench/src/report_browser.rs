//! The browser's part of BENCHMARKS.md (workload f): its rows in the targets
//! table, and its section: the bundle, keystrokes next to bare CodeMirror and
//! a bare `<textarea>`, remote keystrokes, opening times.

use std::fmt::Write as _;

use crate::cells::{num, verdict};
use crate::plan::Results;
use crate::stats::Summary;

const KIB: f64 = 1024.0;

fn p(map: &std::collections::BTreeMap<String, Summary>, name: &str, pick: fn(&Summary) -> f64) -> Option<f64> {
    map.get(name).map(pick)
}

/// Rows of the targets table.
pub fn targets(md: &mut String, results: &Results) {
    let total = results.bundle.as_ref().map(|b| b.total_gzip_bytes as f64 / KIB);
    let _ = writeln!(
        md,
        "| everything a document page downloads (wasm, js, css, editor) ≤ 750 KiB gzipped | {} KiB | {} |",
        num(total, 0),
        verdict(total.map(|t| t <= 750.0))
    );
    let b = results.browser.as_ref();
    let quire = |pick: fn(&Summary) -> f64| b.and_then(|b| p(&b.quire, "structured", pick));
    let bare = |pick: fn(&Summary) -> f64| b.and_then(|b| p(&b.bare_codemirror, "structured", pick));
    let (q50, q99, b50, b99) = (quire(|s| s.p50_ms), quire(|s| s.p99_ms), bare(|s| s.p50_ms), bare(|s| s.p99_ms));
    let within = match (q50, q99, b50, b99) {
        (Some(q50), Some(q99), Some(b50), Some(b99)) => Some(q50 <= 1.25 * b50 && q99 <= 1.5 * b99),
        _ => None,
    };
    let _ = writeln!(
        md,
        "| keystroke at 1 MiB: p50 ≤ 1.25× and p99 ≤ 1.5× bare CodeMirror | {} / {} ms (bare {} / {} ms) | {} |",
        num(q50, 1),
        num(q99, 1),
        num(b50, 1),
        num(b99, 1),
        verdict(within)
    );
    let _ = writeln!(
        md,
        "| keystroke-to-screen ≤ 16 ms at 1 MiB (p99) | {} ms | {} |",
        num(q99, 1),
        verdict(q99.map(|k| k <= 16.0))
    );
    let remote = b.map(|b| b.remote.p99_ms).filter(|_| b.is_some_and(|b| b.remote.samples > 0));
    let _ = writeln!(
        md,
        "| a remote keystroke costs a 1 MiB tab ≤ 16 ms of main thread (p99) | {} ms | {} |",
        num(remote, 1),
        verdict(remote.map(|r| r <= 16.0))
    );
    let open = |name: &str| b.and_then(|b| b.open_ms.get(name).copied());
    let (big, ten_k) = (open("structured"), open("ten_k"));
    let _ = writeln!(
        md,
        "| open until editable: ≤ 1 s at 1 MiB, ≤ 300 ms at 10 KiB | {} / {} ms | {} |\n",
        num(big, 0),
        num(ten_k, 0),
        verdict(big.zip(ten_k).map(|(big, ten_k)| big <= 1000.0 && ten_k <= 300.0))
    );
}

/// Section f.
pub fn section(md: &mut String, results: &Results) {
    let _ = writeln!(md, "## f. Browser\n");
    if let Some(b) = &results.bundle {
        let row = |name: &str, raw: usize, gz: usize| {
            format!("| {name} | {:.0} | {:.0} |\n", raw as f64 / KIB, gz as f64 / KIB)
        };
        let _ = writeln!(
            md,
            "What a document page downloads besides its HTML (release build):\n\n| file | KiB | KiB gzipped |\n|---|---|---|\n{}{}{}{}| **total** | {:.0} | **{:.0}** |\n",
            row("quire.wasm (the app: Leptos, yrs, the Markdown renderer)", b.wasm_bytes, b.wasm_gzip_bytes),
            row("editor.js (CodeMirror 6, Markdown, Quire's binding)", b.editor_bytes, b.editor_gzip_bytes),
            row("quire.js (wasm-bindgen glue)", b.js_bytes, b.js_gzip_bytes),
            row("quire.css", b.css_bytes, b.css_gzip_bytes),
            (b.wasm_bytes + b.editor_bytes + b.js_bytes + b.css_bytes) as f64 / KIB,
            b.total_gzip_bytes as f64 / KIB,
        );
        if b.modes_bytes > 0 {
            let _ = writeln!(
                md,
                "Not in the total: modes.js, the 13 fenced-code modes ({:.0} KiB, {:.0} KiB gzipped), which the editor fetches the first time a document has a fence naming one of them (and the service worker keeps for offline use, in the background).\n",
                b.modes_bytes as f64 / KIB,
                b.modes_gzip_bytes as f64 / KIB,
            );
        }
        if !b.wasm_crates.is_empty() {
            let _ = writeln!(md, "The wasm's code and data by crate (before `wasm-opt`; `twiggy top`, names and custom sections left out):\n\n| crate | KiB | share |\n|---|---|---|");
            for item in b.wasm_crates.iter().take(15) {
                let _ = writeln!(md, "| `{}` | {:.1} | {:.1} % |", item.name, item.bytes as f64 / KIB, item.percent);
            }
            let _ = writeln!(md);
        }
    }
    let Some(b) = &results.browser else { return };
    let _ = writeln!(
        md,
        "Headless Chromium (Debian's, software rendering), typing 60 keys at 120 ms into the middle of each document; \
         keydown → the frame after the editor handled the input. *Bare CodeMirror* is Quire's own editor module on a \
         page of its own, with the same text and nothing else (no yrs, no socket, no preview).\n\n\
         | document | Quire p50 | Quire p99 | bare CodeMirror p50 | bare CodeMirror p99 | Quire script / layout / style per key |\n|---|---|---|---|---|---|"
    );
    for (name, label) in [
        ("small", "1 KiB, structured"),
        ("structured", "1 MiB, headings and short paragraphs"),
        ("paragraph", "1 MiB, one paragraph (a pasted log)"),
    ] {
        let (q, bare) = (b.quire.get(name), b.bare_codemirror.get(name));
        let k = b.per_keystroke_ms.get(name);
        let _ = writeln!(
            md,
            "| {label} | {} | {} | {} | {} | {} |",
            num(q.map(|s| s.p50_ms), 1),
            num(q.map(|s| s.p99_ms), 1),
            num(bare.map(|s| s.p50_ms), 1),
            num(bare.map(|s| s.p99_ms), 1),
            k.map_or("–".into(), |k| format!("{:.1} / {:.1} / {:.1} ms", k.script, k.layout, k.style)),
        );
    }
    let over_small = |map: &std::collections::BTreeMap<String, Summary>, name: &str| {
        p(map, name, |s| s.p50_ms).zip(p(map, "small", |s| s.p50_ms)).map(|(a, b)| a - b)
    };
    let _ = writeln!(
        md,
        "| the browser alone: a bare `<textarea>` with the structured 1 MiB text | {:.1} | {:.1} | | | |\n\n\
         Cost of the document's size (p50 at 1 MiB minus p50 at 1 KiB): Quire +{} ms structured, +{} ms one paragraph; \
         bare CodeMirror +{} ms and +{} ms.\n",
        b.bare_textarea.p50_ms,
        b.bare_textarea.p99_ms,
        num(over_small(&b.quire, "structured"), 1),
        num(over_small(&b.quire, "paragraph"), 1),
        num(over_small(&b.bare_codemirror, "structured"), 1),
        num(over_small(&b.bare_codemirror, "paragraph"), 1),
    );
    let longest = b.remote_long_tasks_ms.iter().copied().fold(0.0, f64::max);
    let _ = writeln!(
        md,
        "A stock y-websocket client typing 200 keys at 150 ms into the middle of the structured 1 MiB document open in a tab: \
         each arriving message ({} in all: the keystrokes and the client's presence) cost that tab p50 {:.1} ms, p99 {:.1} ms, \
         max {:.1} ms of main thread (the socket handler, then the next frame's animation callbacks, style and layout, counted \
         from the later of the handler's end and the frame's start). The browser's processes and the load generator share one \
         core, so this counts time the tab waits for that core too. Long tasks (≥ 50 ms) meanwhile: {} (longest {:.0} ms; \
         the preview re-renders once typing pauses).\n",
        b.remote.samples,
        b.remote.p50_ms,
        b.remote.p99_ms,
        b.remote.max_ms,
        b.remote_long_tasks_ms.len(),
        longest,
    );
    let _ = writeln!(
        md,
        "The preview, typing then pausing at 1 MiB: keydown → the frame after it changed, p50 {:.1} ms, p99 {:.1} ms \
         ({} keystrokes; it waits for typing to pause: 60 ms plus 1 ms per 5,000 characters, at most 300 ms, since it re-renders only the blocks around an edit).\n",
        b.preview.p50_ms, b.preview.p99_ms, b.preview.samples,
    );
    let opens: Vec<String> =
        [("small", "1 KiB"), ("ten_k", "10 KiB"), ("structured", "1 MiB"), ("paragraph", "1 MiB, one paragraph")]
            .iter()
            .filter_map(|(name, label)| b.open_ms.get(*name).map(|ms| format!("{label} {ms:.0} ms")))
            .collect();
    let _ = writeln!(
        md,
        "Opening a document (a fresh browser context, loopback) until the editor is writable and synced: {}.\n",
        opens.join(", ")
    );
}
