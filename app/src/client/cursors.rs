//! Other people's carets and selections, drawn over the `<textarea>`.
//!
//! A textarea cannot hold markup, so an invisible *mirror* lies on top of it:
//! same box, same font, same wrapping, holding a copy of the text. DOM Ranges
//! over that copy give the pixel rectangles of any offset or span, where
//! coloured carets, name labels and selection highlights are placed.
//!
//! The copy is split into blocks of a few thousand characters, each ending
//! just after a line break (so wrapping is exactly the textarea's). An edit
//! patches one block, and the browser re-lays-out that block alone: in a
//! 1 MB document a keystroke costs the same as in a small one. The copy is
//! only kept while someone's caret is shown.

use js_sys::{JsString, Reflect};
use wasm_bindgen::{JsCast, JsValue};
use web_sys::{Document, HtmlElement, HtmlTextAreaElement, Range, Text};

/// Target block size in UTF-16 units; blocks end after a line break.
const BLOCK: u32 = 4_096;

/// One caret or selection to draw, in UTF-16 offsets of the current text.
pub struct Mark<'a> {
    pub name: &'a str,
    /// `#rrggbb`, already validated.
    pub color: &'a str,
    pub anchor: u32,
    pub head: u32,
    /// Their caret has been still for a while: the name label fades out.
    pub quiet: bool,
}

/// Style properties that decide where text wraps; copied from the textarea.
const MIRRORED: &[&str] = &[
    "font-family",
    "font-size",
    "font-weight",
    "font-style",
    "line-height",
    "letter-spacing",
    "word-spacing",
    "tab-size",
    "text-indent",
    "text-transform",
    "white-space",
    "overflow-wrap",
    "word-break",
    "padding-top",
    "padding-right",
    "padding-bottom",
    "padding-left",
    "border-top-width",
    "border-right-width",
    "border-bottom-width",
    "border-left-width",
];

/// One block of the mirror: a `<div>` holding one text node.
struct Block {
    div: HtmlElement,
    text: Text,
    len: u32,
}

pub struct Cursors {
    document: Document,
    textarea: HtmlTextAreaElement,
    layer: HtmlElement,
    mirror: HtmlElement,
    /// The copy of the text, in order; empty until first shown.
    blocks: Vec<Block>,
    /// Marks the line after a final line break (where a caret there stands).
    end: HtmlElement,
    marks: HtmlElement,
    /// The blocks hold exactly the textarea's text.
    synced: bool,
    visible: bool,
    /// The textarea width the mirror's styles were copied at.
    styled_for: Option<i32>,
}

impl Cursors {
    /// Builds the mirror inside `layer` (an empty element positioned over the textarea).
    pub fn new(textarea: HtmlTextAreaElement, layer: HtmlElement) -> Option<Self> {
        let document = web_sys::window()?.document()?;
        let mirror = div(&document, "cursor-mirror")?;
        let end = div(&document, "")?;
        end.set_text_content(Some("\u{200B}"));
        let marks = div(&document, "cursor-marks")?;
        mirror.append_child(&end).ok()?;
        mirror.append_child(&marks).ok()?;
        layer.replace_children_with_node_1(&mirror);
        Some(Cursors {
            document,
            textarea,
            layer,
            mirror,
            blocks: Vec::new(),
            end,
            marks,
            synced: false,
            visible: false,
            styled_for: None,
        })
    }

    /// Mirrors a change the textarea just went through.
    pub fn splice(&mut self, at: u32, delete: u32, insert: &str) {
        if !self.visible || !self.synced {
            self.synced = false;
            return;
        }
        let Some((index, local)) = self.locate(at) else {
            self.synced = false;
            return;
        };
        let last = index + 1 == self.blocks.len();
        let block = &mut self.blocks[index];
        // A deletion that reaches a block's final line break (or beyond the
        // block) would move a boundary: rebuild instead (rare).
        let stays_inside = if last { local + delete <= block.len } else { local + delete < block.len };
        let inserted = insert.encode_utf16().count() as u32;
        if !stays_inside || block.len + inserted > BLOCK * 4 || block.text.replace_data(local, delete, insert).is_err()
        {
            self.synced = false;
            return;
        }
        block.len = block.len - delete + inserted;
    }

    /// The text changed wholesale (first sync).
    pub fn invalidate(&mut self) {
        self.synced = false;
    }

    /// Draws `marks` (replacing whatever was drawn).
    pub fn draw(&mut self, marks: &[Mark<'_>]) {
        if marks.is_empty() {
            if self.visible {
                self.marks.set_inner_html("");
                let _ = self.layer.style().set_property("display", "none");
                self.visible = false;
            }
            return;
        }
        if !self.visible {
            let _ = self.layer.style().remove_property("display");
            self.visible = true;
        }
        if !self.synced {
            self.rebuild();
        }
        self.match_textarea();
        let len: u32 = self.blocks.iter().map(|b| b.len).sum();
        let origin = self.mirror.get_bounding_client_rect();
        let mut html = String::new();
        for mark in marks {
            let (start, end) = (mark.anchor.min(mark.head).min(len), mark.anchor.max(mark.head).min(len));
            for (x, y, w, h) in self.rects(start, end) {
                html.push_str(&format!(
                    r#"<div class="remote-selection" style="left:{:.1}px;top:{:.1}px;width:{:.1}px;height:{:.1}px;background:{}33"></div>"#,
                    x - origin.left(), y - origin.top(), w, h, mark.color
                ));
            }
            let Some((x, y, h)) = self.caret(mark.head.min(len)) else { continue };
            let (x, y) = (x - origin.left(), y - origin.top());
            let below = if y < 18.0 { " below" } else { "" };
            let quiet = if mark.quiet { " quiet" } else { "" };
            html.push_str(&format!(
                r#"<div class="remote-caret{below}{quiet}" data-testid="remote-caret" data-name="{name}" style="left:{x:.1}px;top:{y:.1}px;height:{h:.1}px;--peer:{color}"><span class="remote-label">{name}</span></div>"#,
                name = escape(mark.name),
                color = mark.color,
            ));
        }
        self.marks.set_inner_html(&html);
    }

    /// Re-splits the textarea's text into blocks.
    fn rebuild(&mut self) {
        for block in self.blocks.drain(..) {
            block.div.remove();
        }
        // The value as a JS string handle: slicing happens in the browser.
        let value: JsString = Reflect::get(&self.textarea, &JsValue::from_str("value"))
            .ok()
            .and_then(|v| v.dyn_into().ok())
            .unwrap_or_else(|| JsString::from(""));
        let total = value.length();
        let mut start = 0;
        loop {
            let mut end = (start + BLOCK).min(total);
            if end < total {
                // Extend to just after the next line break.
                let newline = value.index_of("\n", end as i32);
                end = if newline < 0 { total } else { newline as u32 + 1 };
            }
            let Some(block) = self.block(value.slice(start, end)) else { break };
            self.blocks.push(block);
            start = end;
            if start >= total {
                break;
            }
        }
        self.synced = true;
    }

    fn block(&self, text: JsString) -> Option<Block> {
        let div = div(&self.document, "")?;
        let node = self.document.create_text_node("");
        let _ = Reflect::set(&node, &JsValue::from_str("data"), &text);
        div.append_child(&node).ok()?;
        self.mirror.insert_before(&div, Some(&self.end)).ok()?;
        Some(Block { div, text: node, len: text.length() })
    }

    /// The block holding `offset` and the offset inside it (the end of the
    /// text belongs to the last block).
    fn locate(&self, offset: u32) -> Option<(usize, u32)> {
        let mut start = 0;
        for (index, block) in self.blocks.iter().enumerate() {
            if offset < start + block.len || index + 1 == self.blocks.len() {
                return (offset <= start + block.len).then_some((index, offset - start));
            }
            start += block.len;
        }
        None
    }

    /// Gives the mirror the textarea's font and wrapping width (again only
    /// when the width changed) and its scroll offset.
    fn match_textarea(&mut self) {
        let mirror = self.mirror.style();
        let width = self.textarea.client_width();
        if self.styled_for != Some(width) {
            if let Some(style) = web_sys::window().and_then(|w| w.get_computed_style(&self.textarea).ok().flatten()) {
                for property in MIRRORED {
                    if let Ok(value) = style.get_property_value(property) {
                        let _ = mirror.set_property(property, &value);
                    }
                }
            }
            // The wrapping width: the textarea's minus its scrollbar (borders
            // are copied above, so add them back; client_left is the left border).
            let _ = mirror.set_property("width", &format!("{}px", width + 2 * self.textarea.client_left()));
            self.styled_for = Some(width);
        }
        let _ = mirror.set_property(
            "transform",
            &format!("translate({}px, {}px)", -self.textarea.scroll_left(), -self.textarea.scroll_top()),
        );
    }

    fn range(&self, node: &Text, start: u32, end: u32) -> Option<Range> {
        let range = self.document.create_range().ok()?;
        range.set_start(node, start).ok()?;
        range.set_end(node, end).ok()?;
        Some(range)
    }

    /// Viewport rectangles (x, y, width, height) covering a span of text.
    fn rects(&self, start: u32, end: u32) -> Vec<(f64, f64, f64, f64)> {
        let mut rects = Vec::new();
        let mut block_start = 0;
        for block in &self.blocks {
            let block_end = block_start + block.len;
            if start < block_end && end > block_start {
                let (from, to) = (start.max(block_start) - block_start, end.min(block_end) - block_start);
                if let Some(list) = self.range(&block.text, from, to).and_then(|r| r.get_client_rects()) {
                    rects.extend(
                        (0..list.length())
                            .filter_map(|i| list.get(i))
                            .filter(|r| r.width() > 0.5)
                            .map(|r| (r.left(), r.top(), r.width(), r.height())),
                    );
                }
            }
            block_start = block_end;
        }
        rects
    }

    /// Where a caret at `offset` stands: viewport x, y and line height.
    fn caret(&self, offset: u32) -> Option<(f64, f64, f64)> {
        let (index, local) = self.locate(offset)?;
        let block = &self.blocks[index];
        let after_newline = local > 0 && char_at(&block.text, local - 1) == Some('\n');
        if !after_newline {
            let rect = self.range(&block.text, local, local)?.get_bounding_client_rect();
            if rect.height() > 0.0 {
                return Some((rect.left(), rect.top(), rect.height()));
            }
        }
        // A collapsed range right after a line break reports the end of the
        // previous line; the next character (or the end marker) is where the
        // caret really is.
        let next = if local < block.len {
            self.range(&block.text, local, local + 1)?.get_bounding_client_rect()
        } else {
            let range = self.document.create_range().ok()?;
            range.select_node_contents(&self.end).ok()?;
            range.get_bounding_client_rect()
        };
        Some((next.left(), next.top(), next.height()))
    }
}

fn div(document: &Document, class: &str) -> Option<HtmlElement> {
    let div: HtmlElement = document.create_element("div").ok()?.dyn_into().ok()?;
    if !class.is_empty() {
        div.set_class_name(class);
    }
    Some(div)
}

fn char_at(node: &Text, offset: u32) -> Option<char> {
    let data: JsString = Reflect::get(node, &JsValue::from_str("data")).ok()?.dyn_into().ok()?;
    char::from_u32(data.char_code_at(offset) as u32)
}

fn escape(text: &str) -> String {
    text.replace('&', "&amp;").replace('<', "&lt;").replace('>', "&gt;").replace('"', "&quot;")
}
