//! Other people's carets and selections, drawn over the `<textarea>`.
//!
//! A textarea cannot hold markup, so an invisible *mirror* lies on top of it:
//! same box, same font, same wrapping, holding a copy of the text in one text
//! node. DOM Ranges over that node give the pixel rectangles of any offset or
//! span, where coloured carets, name labels and selection highlights are
//! placed. The copy is patched with the same splices as the textarea (never
//! re-set per keystroke), and only kept while someone's caret is shown.

use js_sys::{JsString, Reflect};
use wasm_bindgen::{JsCast, JsValue};
use web_sys::{HtmlElement, HtmlTextAreaElement, Range, Text};

/// One caret or selection to draw, in UTF-16 offsets of the current text.
pub struct Mark<'a> {
    pub name: &'a str,
    /// `#rrggbb`, already validated.
    pub color: &'a str,
    pub anchor: u32,
    pub head: u32,
}

/// Style properties that decide where text wraps; copied from the textarea.
const MIRRORED: &[&str] = &[
    "font-family", "font-size", "font-weight", "font-style", "line-height", "letter-spacing",
    "word-spacing", "tab-size", "text-indent", "text-transform", "white-space", "overflow-wrap",
    "word-break", "padding-top", "padding-right", "padding-bottom", "padding-left",
    "border-top-width", "border-right-width", "border-bottom-width", "border-left-width",
];

pub struct Cursors {
    textarea: HtmlTextAreaElement,
    layer: HtmlElement,
    mirror: HtmlElement,
    text: Text,
    marks: HtmlElement,
    /// The mirror's text equals the textarea's.
    synced: bool,
    visible: bool,
}

impl Cursors {
    /// Builds the mirror inside `layer` (an empty element positioned over the textarea).
    pub fn new(textarea: HtmlTextAreaElement, layer: HtmlElement) -> Option<Self> {
        let document = web_sys::window()?.document()?;
        let mirror: HtmlElement = document.create_element("div").ok()?.dyn_into().ok()?;
        mirror.set_class_name("cursor-mirror");
        let text = document.create_text_node("");
        let end = document.create_text_node("\u{200B}");
        let marks: HtmlElement = document.create_element("div").ok()?.dyn_into().ok()?;
        marks.set_class_name("cursor-marks");
        mirror.append_child(&text).ok()?;
        mirror.append_child(&end).ok()?;
        mirror.append_child(&marks).ok()?;
        layer.replace_children_with_node_1(&mirror);
        Some(Cursors { textarea, layer, mirror, text, marks, synced: false, visible: false })
    }

    /// Mirrors a change the textarea just went through.
    pub fn splice(&mut self, at: u32, delete: u32, insert: &str) {
        if !self.visible || !self.synced {
            self.synced = false;
            return;
        }
        if self.text.replace_data(at, delete, insert).is_err() {
            self.synced = false;
        }
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
            // The textarea's value as a JS string handle: no copy through wasm.
            if let Ok(value) = Reflect::get(&self.textarea, &JsValue::from_str("value")) {
                let _ = Reflect::set(&self.text, &JsValue::from_str("data"), &value);
            }
            self.synced = true;
        }
        self.match_textarea();
        let len = self.text.length();
        let origin = self.mirror.get_bounding_client_rect();
        let mut html = String::new();
        for mark in marks {
            let (start, end) = (mark.anchor.min(mark.head).min(len), mark.anchor.max(mark.head).min(len));
            if start < end {
                for (x, y, w, h) in self.rects(start, end) {
                    html.push_str(&format!(
                        r#"<div class="remote-selection" style="left:{:.1}px;top:{:.1}px;width:{:.1}px;height:{:.1}px;background:{}33"></div>"#,
                        x - origin.left(), y - origin.top(), w, h, mark.color
                    ));
                }
            }
            let Some((x, y, h)) = self.caret(mark.head.min(len)) else { continue };
            let (x, y) = (x - origin.left(), y - origin.top());
            let below = if y < 18.0 { " below" } else { "" };
            html.push_str(&format!(
                r#"<div class="remote-caret{below}" data-testid="remote-caret" data-name="{name}" style="left:{x:.1}px;top:{y:.1}px;height:{h:.1}px;--peer:{color}"><span class="remote-label">{name}</span></div>"#,
                name = escape(mark.name),
                color = mark.color,
            ));
        }
        self.marks.set_inner_html(&html);
    }

    /// Gives the mirror the textarea's wrapping width, font and scroll offset.
    fn match_textarea(&self) {
        let Some(style) = web_sys::window().and_then(|w| w.get_computed_style(&self.textarea).ok().flatten()) else {
            return;
        };
        let mirror = self.mirror.style();
        for property in MIRRORED {
            if let Ok(value) = style.get_property_value(property) {
                let _ = mirror.set_property(property, &value);
            }
        }
        // The wrapping width: the textarea's minus its scrollbar (borders are
        // copied above, so add them back; client_left is the left border).
        let width = self.textarea.client_width() + 2 * self.textarea.client_left();
        let _ = mirror.set_property("width", &format!("{width}px"));
        let _ = mirror.set_property(
            "transform",
            &format!("translate({}px, {}px)", -self.textarea.scroll_left(), -self.textarea.scroll_top()),
        );
    }

    fn range(&self, start: u32, end: u32) -> Option<Range> {
        let range = web_sys::window()?.document()?.create_range().ok()?;
        range.set_start(&self.text, start).ok()?;
        range.set_end(&self.text, end).ok()?;
        Some(range)
    }

    /// Viewport rectangles (x, y, width, height) covering a span of text.
    fn rects(&self, start: u32, end: u32) -> Vec<(f64, f64, f64, f64)> {
        let Some(list) = self.range(start, end).and_then(|r| r.get_client_rects()) else { return Vec::new() };
        (0..list.length())
            .filter_map(|i| list.get(i))
            .filter(|r| r.width() > 0.5)
            .map(|r| (r.left(), r.top(), r.width(), r.height()))
            .collect()
    }

    /// Where a caret at `offset` stands: viewport x, y and line height.
    fn caret(&self, offset: u32) -> Option<(f64, f64, f64)> {
        let len = self.text.length();
        let rect = self.range(offset, offset)?.get_bounding_client_rect();
        let after_newline = offset > 0 && self.char_at(offset - 1) == Some('\n');
        if rect.height() > 0.0 && !after_newline {
            return Some((rect.left(), rect.top(), rect.height()));
        }
        // A collapsed range right after a line break reports the end of the
        // previous line; the next character (or the end marker) is where the
        // caret really is.
        let next = if offset < len {
            self.range(offset, offset + 1)?.get_bounding_client_rect()
        } else {
            let marker = self.text.next_sibling()?;
            let range = web_sys::window()?.document()?.create_range().ok()?;
            range.select_node_contents(&marker).ok()?;
            range.get_bounding_client_rect()
        };
        Some((next.left(), next.top(), next.height()))
    }

    fn char_at(&self, offset: u32) -> Option<char> {
        let data: JsString = Reflect::get(&self.text, &JsValue::from_str("data")).ok()?.dyn_into().ok()?;
        char::from_u32(data.char_code_at(offset) as u32)
    }
}

fn escape(text: &str) -> String {
    text.replace('&', "&amp;").replace('<', "&lt;").replace('>', "&gt;").replace('"', "&quot;")
}
