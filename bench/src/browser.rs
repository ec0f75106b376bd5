//! Workload f, the part a person feels: keystroke-to-screen in a 1 MB
//! document, measured in headless Chromium by `bench/browser.cjs` against the
//! release build of Quire.

use std::path::Path;
use std::time::Duration;

use anyhow::{bail, Context};
use serde::{Deserialize, Serialize};
use yrs::{Doc, Text, Transact};

use crate::peer::Peer;
use crate::stats::{summarize, Summary};
use crate::target::Target;

/// Size of the document typed into, in characters.
pub const DOCUMENT_CHARS: usize = 1 << 20;

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Browser {
    pub document_chars: usize,
    /// keydown → the next frame after the editor handled the input.
    pub editor: Summary,
    /// keydown → the next frame after the preview changed.
    pub preview: Summary,
    /// Page load until the editor is ready (synced, writable).
    pub ready_ms: f64,
    /// The same keystrokes into a bare `<textarea>` holding the same text:
    /// what the browser itself costs.
    pub bare_textarea: Summary,
    /// Chrome's main-thread counters over the typing, per keystroke.
    pub per_keystroke_ms: PerKeystroke,
}

#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub struct PerKeystroke {
    pub script: f64,
    pub layout: f64,
    pub style: f64,
    pub task: f64,
}

#[derive(Deserialize)]
struct Measured {
    editor: Vec<f64>,
    preview: Vec<f64>,
    ready_ms: f64,
    bare_editor: Vec<f64>,
    per_keystroke_ms: PerKeystroke,
}

pub async fn run(target: &Target, root: &Path) -> anyhow::Result<Browser> {
    let room = target.new_rooms("browser", 1).await?.remove(0);
    let (mut peer, _) = Peer::join(target, 0, &room, Duration::from_secs(30)).await?;
    let doc = Doc::new();
    let text = doc.get_or_insert_text("content");
    let update = {
        let mut txn = doc.transact_mut();
        text.insert(&mut txn, 0, &markdown(DOCUMENT_CHARS));
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
    .context("the 1 MB document was not saved")??;

    let output = tokio::process::Command::new("node")
        .arg(root.join("bench/browser.cjs"))
        .env("QUIRE_URL", format!("http://{}", target.instances[0]))
        .env("QUIRE_DOC", &room)
        .env("QUIRE_USER", crate::servers::BENCH_USER)
        .env("QUIRE_PASSWORD", crate::servers::BENCH_PASSWORD)
        .output()
        .await
        .context("running node bench/browser.cjs")?;
    if !output.status.success() {
        bail!("the browser run failed: {}", String::from_utf8_lossy(&output.stderr));
    }
    let measured: Measured = serde_json::from_slice(&output.stdout).context("reading the browser's numbers")?;
    let micros = |ms: &[f64]| ms.iter().map(|ms| (ms * 1000.0) as u32).collect::<Vec<_>>();
    Ok(Browser {
        document_chars: DOCUMENT_CHARS,
        editor: summarize(micros(&measured.editor)),
        preview: summarize(micros(&measured.preview)),
        ready_ms: measured.ready_ms,
        bare_textarea: summarize(micros(&measured.bare_editor)),
        per_keystroke_ms: measured.per_keystroke_ms,
    })
}

/// A Markdown document of exactly `chars` ASCII characters: headings, prose,
/// lists and code, as a long real document has.
fn markdown(chars: usize) -> String {
    let mut text = String::with_capacity(chars + 256);
    let mut section = 0;
    while text.len() < chars {
        section += 1;
        text.push_str(&format!(
            "## Section {section}\n\nSome *emphasis*, some **strong** text and a [link](https://example.com/{section}). \
             The paragraph goes on for a while, as paragraphs in long documents do.\n\n\
             - first item\n- second item with `code`\n\n```rust\nfn section() -> u32 {{ {section} }}\n```\n\n"
        ));
    }
    text.truncate(chars);
    text
}
