//! Workload f, the part a person feels, measured in headless Chromium by
//! `bench/browser.cjs` against the release build of Quire: keystroke-to-screen
//! in 1 MiB documents (structured, and one long paragraph) next to bare
//! CodeMirror (the same editor module, no collaboration) and a bare
//! `<textarea>`; the main-thread cost of a remote keystroke; the time to open
//! a document until it can be edited.

use std::collections::BTreeMap;
use std::path::Path;
use std::time::Duration;

use anyhow::{bail, Context};
use serde::{Deserialize, Serialize};
use yrs::{Doc, Text, Transact};

use crate::peer::Peer;
use crate::stats::{summarize, Summary};
use crate::target::Target;

/// Size of the big documents typed into, in characters.
pub const DOCUMENT_CHARS: usize = 1 << 20;

/// The documents, by the name `browser.cjs` knows them by.
const DOCUMENTS: [(&str, Shape, usize); 4] = [
    ("small", Shape::Structured, 1 << 10),
    ("ten_k", Shape::Structured, 10 << 10),
    ("structured", Shape::Structured, DOCUMENT_CHARS),
    ("paragraph", Shape::Paragraph, DOCUMENT_CHARS),
];

#[derive(Clone, Copy)]
enum Shape {
    /// Headings, short paragraphs, lists and code, as a long real document has.
    Structured,
    /// One paragraph: log lines pasted without a blank line between them.
    Paragraph,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Browser {
    pub document_chars: usize,
    /// Page load (cold cache) until the editor was writable and synced, per document.
    pub open_ms: BTreeMap<String, f64>,
    /// keydown → the frame after the editor handled the input, in Quire, per document.
    pub quire: BTreeMap<String, Summary>,
    /// The same in bare CodeMirror: Quire's editor module with the same text
    /// and nothing else (no yrs, no socket, no preview).
    pub bare_codemirror: BTreeMap<String, Summary>,
    /// The same keystrokes into a bare `<textarea>` with the structured 1 MiB text.
    pub bare_textarea: Summary,
    /// keydown → the frame after the preview changed (typing, then a pause), 1 MiB.
    pub preview: Summary,
    /// Main-thread time per remote keystroke arriving in the 1 MiB tab.
    pub remote: Summary,
    /// Long tasks (≥ 50 ms) in that tab while the remote keystrokes arrived.
    pub remote_long_tasks_ms: Vec<f64>,
    /// Chrome's main-thread counters per keystroke, per document.
    pub per_keystroke_ms: BTreeMap<String, PerKeystroke>,
}

#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub struct PerKeystroke {
    pub script: f64,
    pub layout: f64,
    pub style: f64,
    pub task: f64,
}

#[derive(Deserialize)]
struct Remote {
    main_thread: Vec<f64>,
    long_tasks: Vec<f64>,
}

#[derive(Deserialize)]
struct Measured {
    open_ms: BTreeMap<String, f64>,
    quire: BTreeMap<String, Vec<f64>>,
    bare: BTreeMap<String, Vec<f64>>,
    textarea: Vec<f64>,
    preview: Vec<f64>,
    remote: Remote,
    per_keystroke_ms: BTreeMap<String, PerKeystroke>,
}

pub async fn run(target: &Target, root: &Path) -> anyhow::Result<Browser> {
    let rooms = target.new_rooms("browser", DOCUMENTS.len()).await?;
    let mut ids = BTreeMap::new();
    for ((name, shape, chars), room) in DOCUMENTS.iter().zip(rooms) {
        fill(target, &room, &text(*shape, *chars)).await.with_context(|| format!("filling the {name} document"))?;
        ids.insert(name.to_string(), room);
    }
    let output = tokio::process::Command::new("node")
        .arg(root.join("bench/browser.cjs"))
        .env("QUIRE_URL", format!("http://{}", target.instances[0]))
        .env("QUIRE_DOCS", serde_json::to_string(&ids)?)
        .env("QUIRE_USER", crate::servers::BENCH_USER)
        .env("QUIRE_PASSWORD", crate::servers::BENCH_PASSWORD)
        .output()
        .await
        .context("running node bench/browser.cjs")?;
    if !output.status.success() {
        bail!("the browser run failed: {}", String::from_utf8_lossy(&output.stderr));
    }
    let measured: Measured = serde_json::from_slice(&output.stdout).context("reading the browser's numbers")?;
    let summary = |ms: &[f64]| summarize(ms.iter().map(|ms| (ms * 1000.0) as u32).collect());
    let each = |map: &BTreeMap<String, Vec<f64>>| map.iter().map(|(k, v)| (k.clone(), summary(v))).collect();
    Ok(Browser {
        document_chars: DOCUMENT_CHARS,
        open_ms: measured.open_ms,
        quire: each(&measured.quire),
        bare_codemirror: each(&measured.bare),
        bare_textarea: summary(&measured.textarea),
        preview: summary(&measured.preview),
        remote: summary(&measured.remote.main_thread),
        remote_long_tasks_ms: measured.remote.long_tasks,
        per_keystroke_ms: measured.per_keystroke_ms,
    })
}

/// Writes `text` into `room` as one update and waits until it is saved.
async fn fill(target: &Target, room: &str, text: &str) -> anyhow::Result<()> {
    let (mut peer, _) = Peer::join(target, 0, room, Duration::from_secs(30)).await?;
    let doc = Doc::new();
    let content = doc.get_or_insert_text("content");
    let update = {
        let mut txn = doc.transact_mut();
        content.insert(&mut txn, 0, text);
        txn.encode_update_v1()
    };
    peer.send(peer.dialect.update(&update)).await?;
    tokio::time::timeout(Duration::from_secs(60), async {
        while peer.saved < 1 {
            peer.next().await?;
        }
        anyhow::Ok(())
    })
    .await
    .context("the document was not saved")?
}

/// A Markdown document of exactly `chars` ASCII characters.
fn text(shape: Shape, chars: usize) -> String {
    let mut text = String::with_capacity(chars + 256);
    let mut n = 0;
    while text.len() < chars {
        n += 1;
        match shape {
            Shape::Structured => text.push_str(&format!(
                "## Section {n}\n\nSome *emphasis*, some **strong** text and a [link](https://example.com/{n}). \
                 The paragraph goes on for a while, as paragraphs in long documents do.\n\n\
                 - first item\n- second item with `code`\n\n```rust\nfn section() -> u32 {{ {n} }}\n```\n\n"
            )),
            Shape::Paragraph => text.push_str(&format!(
                "2026-11-30T12:{:02}:{:02}Z INFO request id={n} path=/api/docs/{n} status=200 took {}ms\n",
                (n / 60) % 60,
                n % 60,
                n % 97
            )),
        }
    }
    text.truncate(chars);
    text
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn documents_have_the_size_and_shape_asked_for() {
        let structured = text(Shape::Structured, 10_000);
        assert_eq!(structured.len(), 10_000);
        assert!(structured.contains("\n\n## Section 2"));
        let paragraph = text(Shape::Paragraph, 10_000);
        assert_eq!(paragraph.len(), 10_000);
        assert!(!paragraph.contains("\n\n"), "one paragraph: no blank line");
    }
}
