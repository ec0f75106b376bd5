//! The CodeMirror editor (`app/js/src/editor.js`, bundled at build time into
//! `app/js/dist/editor.js`) as the view of the document's Y.Text.
//!
//! CodeMirror reports what the person typed through [`Hooks`]; the session
//! turns that into Y.Text edits. Changes from others (and undo, which belongs
//! to the yrs history) are shown with [`Editor::show`], which CodeMirror keeps
//! out of any history and maps everyone's selection through. Other people's
//! carets are decorations ([`Editor::draw_peers`]).

use std::cell::RefCell;
use std::rc::Rc;

use js_sys::{Array, Function, Object, Reflect};
use wasm_bindgen::prelude::*;
use web_sys::{Element, HtmlElement};

use crate::collab::edits::Change;

#[wasm_bindgen(module = "/js/dist/editor.js")]
extern "C" {
    type QuireEditor;

    #[wasm_bindgen(constructor)]
    fn new(parent: &HtmlElement, text: &str, hooks: &Object, attributes: &Object, options: &Object) -> QuireEditor;
    #[wasm_bindgen(method)]
    fn text(this: &QuireEditor) -> String;
    #[wasm_bindgen(method)]
    fn length(this: &QuireEditor) -> u32;
    #[wasm_bindgen(method, js_name = applyRemote)]
    fn apply_remote(this: &QuireEditor, flat: &Array);
    #[wasm_bindgen(method, js_name = setText)]
    fn set_text(this: &QuireEditor, text: &str);
    #[wasm_bindgen(method)]
    fn selection(this: &QuireEditor) -> Array;
    #[wasm_bindgen(method, js_name = setSelection)]
    fn set_selection(this: &QuireEditor, anchor: u32, head: u32, focus: bool);
    #[wasm_bindgen(method, js_name = setReadOnly)]
    fn set_read_only(this: &QuireEditor, value: bool);
    #[wasm_bindgen(method, js_name = readOnly)]
    fn read_only(this: &QuireEditor) -> bool;
    #[wasm_bindgen(method)]
    fn holding(this: &QuireEditor) -> bool;
    #[wasm_bindgen(method, js_name = setPeers)]
    fn set_peers(this: &QuireEditor, marks: &Array);
    #[wasm_bindgen(method)]
    fn focus(this: &QuireEditor);
    #[wasm_bindgen(method)]
    fn format(this: &QuireEditor, name: &str);
    #[wasm_bindgen(method, js_name = setLineNumbers)]
    fn set_line_numbers(this: &QuireEditor, on: bool);
    #[wasm_bindgen(method, js_name = followWith)]
    fn follow_with(this: &QuireEditor, article: &Element);
    #[wasm_bindgen(method, js_name = setBlockLines)]
    fn set_block_lines(this: &QuireEditor, lines: &[u32]);
    #[wasm_bindgen(method)]
    fn destroy(this: &QuireEditor);
}

// Never called: naming the module makes wasm-bindgen copy it beside
// editor.js, which imports it itself (languages.js) when a fence first needs
// it, so a page without code does not download it.
#[wasm_bindgen(module = "/js/dist/modes.js")]
extern "C" {
    #[allow(dead_code)]
    #[wasm_bindgen(js_name = diff)]
    fn modes_module_marker();
}

/// Changes as CodeMirror reports them: `(from, to, insert)`, last change first.
pub type Triples = Vec<(u32, u32, String)>;

/// A callback CodeMirror holds, by the name editor.js calls it.
type NamedClosure = (&'static str, Closure<dyn FnMut(JsValue)>);

/// What the editor tells the session. Each runs outside CodeMirror's update
/// cycle as far as the session is concerned: none of them may show changes
/// in the editor synchronously except `undo`/`redo` (keyboard commands).
pub struct Hooks {
    /// The person changed the text: `(from, to, insert)`, last change first.
    pub local: Box<dyn FnMut(Triples)>,
    /// The person moved their caret or selection.
    pub selection: Box<dyn FnMut()>,
    pub undo: Box<dyn FnMut()>,
    pub redo: Box<dyn FnMut()>,
    /// An IME composition started (true) or ended and was reported (false).
    pub composing: Box<dyn FnMut(bool)>,
}

/// One caret or selection to draw, in UTF-16 offsets of the current text.
pub struct Mark {
    pub name: String,
    /// `#rgb` or `#rrggbb`, already validated (and checked again in JS).
    pub color: String,
    pub anchor: u32,
    pub head: u32,
    /// Their caret has been still for a while: the name label fades out.
    pub quiet: bool,
}

/// The editor in the page; destroyed when dropped.
pub struct Editor {
    view: QuireEditor,
    /// The text the editor opened on, while nothing has changed it since:
    /// the first sync usually brings exactly that, and knowing it here
    /// spares reading a long text back out of the editor to compare.
    opened_on: Rc<RefCell<Option<String>>>,
    /// The callbacks CodeMirror holds, kept alive as long as it is.
    _closures: Vec<Closure<dyn FnMut(JsValue)>>,
}

impl Editor {
    /// Mounts the editor in `parent`, showing `text` (read-only until
    /// [`Editor::set_read_only`] says otherwise); files pasted, dropped or
    /// picked into it are posted to `upload_url`.
    pub fn mount(parent: &HtmlElement, text: &str, hooks: Hooks, line_numbers: bool, upload_url: &str) -> Editor {
        let Hooks { mut local, mut selection, mut undo, mut redo, mut composing } = hooks;
        let opened_on = Rc::new(RefCell::new(Some(text.to_string())));
        let typed = opened_on.clone();
        let closures: Vec<NamedClosure> = vec![
            (
                "local",
                Closure::new(move |flat: JsValue| {
                    typed.borrow_mut().take();
                    local(parse_flat(&flat))
                }),
            ),
            ("selection", Closure::new(move |_: JsValue| selection())),
            ("undo", Closure::new(move |_: JsValue| undo())),
            ("redo", Closure::new(move |_: JsValue| redo())),
            ("composing", Closure::new(move |value: JsValue| composing(value.is_truthy()))),
        ];
        let object = Object::new();
        for (name, closure) in &closures {
            let function: &Function = closure.as_ref().unchecked_ref();
            let _ = Reflect::set(&object, &JsValue::from_str(name), function);
        }
        let attributes = Object::new();
        for (name, value) in [("data-testid", "editor"), ("aria-label", "Markdown source")] {
            let _ = Reflect::set(&attributes, &JsValue::from_str(name), &JsValue::from_str(value));
        }
        let options = Object::new();
        let _ = Reflect::set(&options, &JsValue::from_str("lineNumbers"), &JsValue::from_bool(line_numbers));
        let _ = Reflect::set(&options, &JsValue::from_str("uploadUrl"), &JsValue::from_str(upload_url));
        let view = QuireEditor::new(parent, text, &object, &attributes, &options);
        Editor { view, opened_on, _closures: closures.into_iter().map(|(_, c)| c).collect() }
    }

    /// The whole text, as shown.
    pub fn text(&self) -> String {
        self.view.text()
    }

    pub fn len_utf16(&self) -> u32 {
        self.view.length()
    }

    /// Replaces the whole text (the first sync).
    pub fn reset(&self, text: &str) {
        // What it opened on holds only while nothing changed the editor
        // (it is read-only until the first sync); its length is checked too,
        // as that costs nothing.
        let opened_on = self.opened_on.borrow_mut().take();
        let unchanged = match opened_on {
            Some(opened_on) if opened_on.encode_utf16().count() == self.view.length() as usize => opened_on == text,
            _ => self.view.text() == text,
        };
        if !unchanged {
            self.view.set_text(text);
        }
    }

    /// Shows changes that did not come from typing here (ascending, offsets
    /// in the text before them).
    pub fn show(&self, changes: &[Change]) {
        if changes.is_empty() {
            return;
        }
        self.opened_on.borrow_mut().take();
        let flat = Array::new();
        for change in changes {
            flat.push(&change.from.into());
            flat.push(&change.to.into());
            flat.push(&change.insert.as_str().into());
        }
        self.view.apply_remote(&flat);
    }

    /// The main selection as `(anchor, head)`.
    pub fn selection(&self) -> (u32, u32) {
        let pair = self.view.selection();
        let at = |i: u32| pair.get(i).as_f64().unwrap_or(0.0) as u32;
        (at(0), at(1))
    }

    /// Puts the caret (or selection) somewhere and brings it into view.
    pub fn select(&self, anchor: u32, head: u32) {
        self.view.set_selection(anchor, head, true);
    }

    pub fn set_read_only(&self, value: bool) {
        if self.view.read_only() != value {
            self.view.set_read_only(value);
        }
    }

    pub fn read_only(&self) -> bool {
        self.view.read_only()
    }

    /// Typed changes are held back (an IME composition): remote changes
    /// must wait, or their offsets would not match the view.
    pub fn holding(&self) -> bool {
        self.view.holding()
    }

    /// Draws other people's carets and selections (replacing the last drawing).
    pub fn draw_peers(&self, marks: &[Mark]) {
        let list = Array::new();
        for mark in marks {
            let entry = Array::new();
            entry.push(&mark.name.as_str().into());
            entry.push(&mark.color.as_str().into());
            entry.push(&mark.anchor.into());
            entry.push(&mark.head.into());
            entry.push(&mark.quiet.into());
            list.push(&entry);
        }
        self.view.set_peers(&list);
    }

    pub fn focus(&self) {
        self.view.focus();
    }

    /// Runs a Markdown formatting command (`bold`, `link`, `tasks`…: see
    /// `app/js/src/format.js`) on the selection, as its shortcut would.
    pub fn format(&self, name: &str) {
        self.view.format(name);
    }
}

impl Editor {
    pub fn set_line_numbers(&self, on: bool) {
        self.view.set_line_numbers(on);
    }

    /// Keeps `article` (the preview, one child per block) scrolled beside
    /// the editor when both are on screen side by side.
    pub fn follow_with(&self, article: &Element) {
        self.view.follow_with(article);
    }

    /// The source line each preview block starts on, after a re-render.
    pub fn set_block_lines(&self, lines: &[u32]) {
        self.view.set_block_lines(lines);
    }
}

impl Drop for Editor {
    fn drop(&mut self) {
        self.view.destroy();
    }
}

/// `[from, to, insert, …]` from the editor, as triples; anything malformed
/// ends the list (and `local_edits` then checks what is left).
fn parse_flat(flat: &JsValue) -> Triples {
    let Some(array) = flat.dyn_ref::<Array>() else { return Vec::new() };
    let mut changes = Vec::with_capacity(array.length() as usize / 3);
    let mut i = 0;
    while i + 2 < array.length() {
        let (Some(from), Some(to), Some(insert)) =
            (array.get(i).as_f64(), array.get(i + 1).as_f64(), array.get(i + 2).as_string())
        else {
            break;
        };
        changes.push((from as u32, to as u32, insert));
        i += 3;
    }
    changes
}
