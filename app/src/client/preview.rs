//! The live preview: re-renders the Markdown around each edit and replaces
//! only the top-level blocks that changed, so a keystroke in a long document
//! costs a few blocks of parsing and of the page, not all of it. It also
//! knows where each block starts in the source, for the editor to keep the
//! preview beside what it shows.
//!
//! A page the server drew already shows every block, so taking it over is
//! put off until the preview is next shown: parsing a 1 MiB text and
//! finding its 20,000 block elements would otherwise stand between opening
//! the page and typing in it.

use web_sys::Element;

use crate::markdown::{chunked, Block, Rendered, BLOCKS_PER_CHUNK};

pub struct Preview {
    /// The `<article>`: chunks (`div.md-chunk`) of one `div.md-block` per block.
    article: Element,
    /// What this preview knows of the blocks shown; `None` until first needed.
    known: Option<Known>,
    /// The Markdown shown: the same text is not rendered again (the first
    /// sync usually brings exactly the text the page was served with).
    shown: String,
}

struct Known {
    /// The block elements, in order: held here because looking one up in a
    /// long document's live collections costs a walk of it after every change.
    elements: Vec<Element>,
    /// The blocks as currently shown.
    rendered: Rendered,
}

impl Preview {
    /// Takes over the preview of `markdown` the server rendered into
    /// `article`; if the article is empty (the page was drawn in the
    /// browser), renders it now.
    pub fn adopt(article: Element, markdown: &str) -> Self {
        let mut preview = Preview { article, known: None, shown: markdown.to_string() };
        if preview.article.first_element_child().is_none() {
            preview.known();
        }
        preview
    }

    /// The preview's element.
    pub fn article(&self) -> &Element {
        &self.article
    }

    /// Whether showing the next edit costs time in proportion to the
    /// document's length, not to the edit's (as the first does, which takes
    /// the server's preview over).
    pub fn renders_whole(&self) -> bool {
        self.known.as_ref().is_none_or(|known| known.rendered.renders_whole())
    }

    /// The source line (1-based) each block starts on.
    pub fn lines(&mut self) -> Vec<u32> {
        self.known().rendered.blocks().iter().map(|block| block.line).collect()
    }

    fn known(&mut self) -> &mut Known {
        self.known.get_or_insert_with(|| Known::take_over(&self.article, &self.shown))
    }

    /// Shows `markdown`. False if nothing changed: the text was shown
    /// already, and the server's preview had been taken over before (the
    /// first call takes it over, and then the blocks' lines are news).
    pub fn show(&mut self, markdown: &str) -> bool {
        let first_show = self.known.is_none();
        let known = self.known.get_or_insert_with(|| Known::take_over(&self.article, &self.shown));
        if self.shown == markdown {
            return first_show;
        }
        let splice = known.rendered.update(&self.shown, markdown);
        markdown.clone_into(&mut self.shown);
        let article = &self.article;
        let blocks = known.rendered.blocks();
        // If the DOM is not what we think (it never should be), redraw it all.
        if known.elements.len() != blocks.len() - splice.inserted + splice.removed.len() {
            known.redraw(article);
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
        let Some(document) = article.owner_document() else { return true };
        // New blocks go into the chunk of their neighbour (before them, or
        // else after them); only an empty preview needs a chunk made.
        let mut anchor = match at.checked_sub(1).and_then(|i| known.elements.get(i)) {
            Some(previous) => Anchor::After(previous.clone()),
            None => match known.elements.get(stale_end) {
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
                    article.append_child(&chunk).map(drop)
                }),
            };
            if placed.is_err() {
                known.redraw(article);
                return true;
            }
            anchor = Anchor::After(div.clone());
            fresh.push(div);
        }
        let grown = fresh.len() > BLOCKS_PER_CHUNK;
        for stale in known.elements.splice(at..stale_end, fresh) {
            let chunk = stale.parent_element();
            stale.remove();
            if let Some(chunk) = chunk.filter(|chunk| chunk.child_element_count() == 0) {
                chunk.remove();
            }
        }
        // A long paste went into one chunk: cut it again, so no chunk is
        // big enough to cost what chunks are there to save.
        if grown {
            known.redraw(article);
        }
        true
    }
}

impl Known {
    /// Parses `shown` and finds its blocks in `article`, redrawing it if it
    /// does not show what the text renders to (or shows nothing yet).
    fn take_over(article: &Element, shown: &str) -> Self {
        let rendered = Rendered::new(shown);
        let mut known = Known { elements: blocks_in(article), rendered };
        if known.elements.len() != known.rendered.blocks().len() {
            known.redraw(article);
        }
        known
    }

    fn redraw(&mut self, article: &Element) {
        article.set_inner_html(&chunked(self.rendered.blocks()));
        self.elements = blocks_in(article);
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
