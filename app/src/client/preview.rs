//! The live preview: re-renders the Markdown and replaces only the top-level
//! blocks that changed, so a keystroke in a long document touches a paragraph
//! of the page, not all of it. It also knows where each block starts in the
//! source, for the editor to keep the preview beside what it shows.

use web_sys::Element;

use crate::collab::edits::{common_prefix, common_suffix};
use crate::markdown::{render_blocks, Block, BLOCK_CLOSE, BLOCK_OPEN};

pub struct Preview {
    /// The `<article>` whose children are one `div.md-block` per block.
    article: Element,
    /// The HTML of each block as currently shown.
    blocks: Vec<String>,
    /// The source line (1-based) each block starts on.
    lines: Vec<u32>,
    /// The Markdown shown: the same text is not rendered again (the first
    /// sync usually brings exactly the text the page was served with, and
    /// rendering 1 MiB is a long task just as the page opens).
    shown: String,
}

impl Preview {
    /// Takes over the preview of `markdown` the server rendered into
    /// `article`; if the article is empty (the page was drawn in the
    /// browser), renders it.
    pub fn adopt(article: Element, markdown: &str) -> Self {
        let (blocks, lines) = split(render_blocks(markdown));
        if article.child_element_count() as usize != blocks.len() {
            article.set_inner_html(&all_blocks(&blocks));
        }
        Preview { article, blocks, lines, shown: markdown.to_string() }
    }

    /// The preview's element.
    pub fn article(&self) -> &Element {
        &self.article
    }

    /// Where each block starts in the source shown last.
    pub fn lines(&self) -> &[u32] {
        &self.lines
    }

    /// Shows `markdown`; false if it is what was shown already.
    pub fn show(&mut self, markdown: &str) -> bool {
        if self.shown == markdown {
            return false;
        }
        markdown.clone_into(&mut self.shown);
        let (new, lines) = split(render_blocks(markdown));
        self.lines = lines;
        let prefix = common_prefix(&self.blocks, &new);
        let suffix = common_suffix(&self.blocks, &new, self.blocks.len().min(new.len()) - prefix);
        let children = self.article.children();
        // If the DOM is not what we think (it never should be), redraw it all.
        if children.length() as usize != self.blocks.len() {
            self.article.set_inner_html(&all_blocks(&new));
            self.blocks = new;
            return true;
        }
        for _ in prefix..self.blocks.len() - suffix {
            if let Some(stale) = children.item(prefix as u32) {
                stale.remove();
            }
        }
        let before = children.item(prefix as u32);
        let Some(document) = self.article.owner_document() else { return true };
        for block in &new[prefix..new.len() - suffix] {
            if let Ok(div) = document.create_element("div") {
                div.set_class_name("md-block");
                div.set_inner_html(block);
                let _ = self.article.insert_before(&div, before.as_ref().map(|e| e.as_ref()));
            }
        }
        self.blocks = new;
        true
    }
}

fn all_blocks(blocks: &[String]) -> String {
    blocks.iter().map(|b| format!("{BLOCK_OPEN}{b}{BLOCK_CLOSE}")).collect()
}

fn split(blocks: Vec<Block>) -> (Vec<String>, Vec<u32>) {
    blocks.into_iter().map(|block| (block.html, block.line)).unzip()
}
