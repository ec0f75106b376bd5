//! The live preview: re-renders the Markdown and replaces only the top-level
//! blocks that changed, so a keystroke in a long document touches a paragraph
//! of the page, not all of it.

use web_sys::Element;

use crate::collab::edits::{common_prefix, common_suffix};
use crate::markdown::{render_blocks, BLOCK_CLOSE, BLOCK_OPEN};

pub struct Preview {
    /// The `<article>` whose children are one `div.md-block` per block.
    article: Element,
    /// The HTML of each block as currently shown.
    blocks: Vec<String>,
}

impl Preview {
    /// Takes over a preview rendered (on the server) from `markdown`.
    pub fn adopt(article: Element, markdown: &str) -> Self {
        Preview { article, blocks: render_blocks(markdown) }
    }

    pub fn show(&mut self, markdown: &str) {
        let new = render_blocks(markdown);
        let prefix = common_prefix(&self.blocks, &new);
        let suffix = common_suffix(&self.blocks, &new, self.blocks.len().min(new.len()) - prefix);
        let children = self.article.children();
        // If the DOM is not what we think (it never should be), redraw it all.
        if children.length() as usize != self.blocks.len() {
            let html: String = new.iter().map(|b| format!("{BLOCK_OPEN}{b}{BLOCK_CLOSE}")).collect();
            self.article.set_inner_html(&html);
            self.blocks = new;
            return;
        }
        for _ in prefix..self.blocks.len() - suffix {
            if let Some(stale) = children.item(prefix as u32) {
                stale.remove();
            }
        }
        let before = children.item(prefix as u32);
        let Some(document) = self.article.owner_document() else { return };
        for block in &new[prefix..new.len() - suffix] {
            if let Ok(div) = document.create_element("div") {
                div.set_class_name("md-block");
                div.set_inner_html(block);
                let _ = self.article.insert_before(&div, before.as_ref().map(|e| e.as_ref()));
            }
        }
        self.blocks = new;
    }
}
