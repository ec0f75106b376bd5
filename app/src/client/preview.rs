//! The live preview: re-renders the Markdown around each edit and replaces
//! only the top-level blocks that changed, so a keystroke in a long document
//! costs a few blocks of parsing and of the page, not all of it. It also
//! knows where each block starts in the source, for the editor to keep the
//! preview beside what it shows.

use web_sys::Element;

use crate::markdown::{chunked, Block, Rendered, BLOCKS_PER_CHUNK};

pub struct Preview {
    /// The `<article>`: chunks (`div.md-chunk`) of one `div.md-block` per block.
    article: Element,
    /// The block elements, in order: held here because looking one up in a
    /// long document's live collections costs a walk of it after every change.
    shown_blocks: Vec<Element>,
    /// The blocks as currently shown.
    rendered: Rendered,
    /// The Markdown shown: the same text is not rendered again (the first
    /// sync usually brings exactly the text the page was served with).
    shown: String,
}

impl Preview {
    /// Takes over the preview of `markdown` the server rendered into
    /// `article`; if the article is empty (the page was drawn in the
    /// browser), renders it.
    pub fn adopt(article: Element, markdown: &str) -> Self {
        let rendered = Rendered::new(markdown);
        let mut shown_blocks = blocks_in(&article);
        if shown_blocks.len() != rendered.blocks().len() {
            article.set_inner_html(&chunked(rendered.blocks()));
            shown_blocks = blocks_in(&article);
        }
        Preview { article, shown_blocks, rendered, shown: markdown.to_string() }
    }

    /// The preview's element.
    pub fn article(&self) -> &Element {
        &self.article
    }

    /// Whether showing the next edit costs time in proportion to the
    /// document's length, not to the edit's.
    pub fn renders_whole(&self) -> bool {
        self.rendered.renders_whole()
    }

    /// The source line (1-based) each block starts on.
    pub fn lines(&self) -> Vec<u32> {
        self.rendered.blocks().iter().map(|block| block.line).collect()
    }

    /// Shows `markdown`; false if it is what was shown already.
    pub fn show(&mut self, markdown: &str) -> bool {
        if self.shown == markdown {
            return false;
        }
        let splice = self.rendered.update(&self.shown, markdown);
        markdown.clone_into(&mut self.shown);
        let blocks = self.rendered.blocks();
        // If the DOM is not what we think (it never should be), redraw it all.
        if self.shown_blocks.len() != blocks.len() - splice.inserted + splice.removed.len() {
            self.redraw();
            return true;
        }
        // The stretch parsed again has margins that did not change: keep them.
        let (old, new) = (&splice.removed[..], &blocks[splice.at..splice.at + splice.inserted]);
        let same = |a: &Block, b: &Block| a.html == b.html;
        let prefix = old.iter().zip(new).take_while(|(a, b)| same(a, b)).count();
        let limit = old.len().min(new.len()) - prefix;
        let suffix = old.iter().rev().zip(new.iter().rev()).take(limit).take_while(|(a, b)| same(a, b)).count();
        let at = splice.at + prefix;
        let stale_end = splice.at + old.len() - suffix;
        let Some(document) = self.article.owner_document() else { return true };
        // New blocks go into the chunk of their neighbour (before them, or
        // else after them); only an empty preview needs a chunk made.
        let mut anchor = match at.checked_sub(1).and_then(|i| self.shown_blocks.get(i)) {
            Some(previous) => Anchor::After(previous.clone()),
            None => match self.shown_blocks.get(stale_end) {
                Some(next) => Anchor::Before(next.clone()),
                None => Anchor::Empty,
            },
        };
        let mut fresh = Vec::with_capacity(new.len() - prefix - suffix);
        for block in &new[prefix..new.len() - suffix] {
            let Ok(div) = document.create_element("div") else { continue };
            div.set_class_name("md-block");
            div.set_inner_html(&block.html);
            let placed = match &anchor {
                Anchor::After(previous) => previous.after_with_node_1(&div),
                Anchor::Before(next) => next.before_with_node_1(&div),
                Anchor::Empty => document.create_element("div").and_then(|chunk| {
                    chunk.set_class_name("md-chunk");
                    chunk.append_child(&div)?;
                    self.article.append_child(&chunk).map(drop)
                }),
            };
            if placed.is_err() {
                self.redraw();
                return true;
            }
            anchor = Anchor::After(div.clone());
            fresh.push(div);
        }
        let grown = fresh.len() > BLOCKS_PER_CHUNK;
        for stale in self.shown_blocks.splice(at..stale_end, fresh) {
            let chunk = stale.parent_element();
            stale.remove();
            if let Some(chunk) = chunk.filter(|chunk| chunk.child_element_count() == 0) {
                chunk.remove();
            }
        }
        // A long paste went into one chunk: cut it again, so no chunk is
        // big enough to cost what chunks are there to save.
        if grown {
            self.redraw();
        }
        true
    }

    fn redraw(&mut self) {
        self.article.set_inner_html(&chunked(self.rendered.blocks()));
        self.shown_blocks = blocks_in(&self.article);
    }
}

/// Where the next new block goes.
enum Anchor {
    After(Element),
    Before(Element),
    Empty,
}

/// The block elements of the preview, in order.
fn blocks_in(article: &Element) -> Vec<Element> {
    let mut blocks = Vec::new();
    let mut chunk = article.first_element_child();
    while let Some(current) = chunk {
        let mut block = current.first_element_child();
        while let Some(element) = block {
            block = element.next_element_sibling();
            blocks.push(element);
        }
        chunk = current.next_element_sibling();
    }
    blocks
}
