// The editing surface of a Quire document: CodeMirror 6 as a *view* of the
// document, never its owner. The yrs Doc in WebAssembly holds the text; this
// module reports what the person types (`hooks.local`) and shows what others
// wrote (`applyRemote`), with other people's carets and selections drawn as
// decorations (`setPeers`).
//
// CodeMirror's own history is left out: undo and redo go to the yrs
// UndoManager (`hooks.undo` / `hooks.redo`), which knows which changes are
// yours. Remote changes are marked so they never come back as local ones.
//
// During an IME composition nothing is reported: the changes are composed and
// reported once CodeMirror says the composition is over (`view.composing`,
// polled, since composition events do not always arrive: Safari can skip
// `compositionend`, EditContext sends none to the DOM). While anything is held
// back, `hooks.composing(true)` has told the session to hold remote updates,
// so the view and the document never disagree about offsets.

import { Annotation, Compartment, EditorSelection, EditorState, StateEffect, StateField, Transaction } from '@codemirror/state';
import {
  Decoration, EditorView, WidgetType, drawSelection, highlightActiveLine, highlightActiveLineGutter,
  highlightSpecialChars, keymap, lineNumbers,
} from '@codemirror/view';
import { defaultKeymap, indentWithTab } from '@codemirror/commands';
import { markdownKeymap } from '@codemirror/lang-markdown';
import { LanguageSupport, bracketMatching, indentOnInput, syntaxHighlighting } from '@codemirror/language';
import { highlightSelectionMatches, search, searchKeymap } from '@codemirror/search';
import { tagHighlighter, tags } from '@lezer/highlight';
import { commands, formatKeymap } from './format.js';
import { quireMarkdown } from './languages.js';
import { PreviewSync } from './scroll.js';
import { Uploads } from './uploads.js';

/** Markdown and code tokens as CSS classes (`tok-*`, coloured in style/main.css for light and dark). */
const highlighter = tagHighlighter([
  // Code in fences.
  { tag: [tags.keyword, tags.controlKeyword, tags.moduleKeyword, tags.operatorKeyword], class: 'tok-keyword' },
  { tag: [tags.string, tags.special(tags.string), tags.regexp], class: 'tok-string' },
  { tag: [tags.number, tags.bool, tags.null, tags.atom], class: 'tok-number' },
  { tag: [tags.typeName, tags.className, tags.namespace], class: 'tok-type' },
  { tag: [tags.function(tags.variableName), tags.function(tags.propertyName), tags.macroName], class: 'tok-function' },
  { tag: [tags.definition(tags.variableName), tags.definition(tags.propertyName)], class: 'tok-definition' },
  { tag: [tags.propertyName, tags.attributeName], class: 'tok-property' },
  { tag: [tags.tagName, tags.angleBracket], class: 'tok-tag' },
  { tag: [tags.meta, tags.annotation, tags.self], class: 'tok-meta' },
  // Markdown.
  { tag: tags.heading, class: 'tok-heading' },
  { tag: tags.strong, class: 'tok-strong' },
  { tag: tags.emphasis, class: 'tok-emphasis' },
  { tag: tags.strikethrough, class: 'tok-strike' },
  { tag: tags.link, class: 'tok-link' },
  { tag: tags.url, class: 'tok-url' },
  { tag: tags.monospace, class: 'tok-code' },
  { tag: tags.quote, class: 'tok-quote' },
  { tag: [tags.processingInstruction, tags.contentSeparator, tags.labelName], class: 'tok-mark' },
  { tag: [tags.comment, tags.lineComment, tags.blockComment], class: 'tok-comment' },
  { tag: tags.invalid, class: 'tok-invalid' },
]);

/** Marks a transaction that carries other people's changes (or a reset). */
const remote = Annotation.define();

/** Replaces the drawn carets and selections of other people. */
const setPeersEffect = StateEffect.define();

/** A remote caret: a thin bar in the person's colour with their name above it. */
class CaretWidget extends WidgetType {
  constructor(name, color, quiet) {
    super();
    this.name = name;
    this.color = color;
    this.quiet = quiet;
  }

  eq(other) {
    return other.name === this.name && other.color === this.color && other.quiet === this.quiet;
  }

  toDOM() {
    const caret = document.createElement('span');
    caret.className = this.quiet ? 'remote-caret quiet' : 'remote-caret';
    caret.dataset.testid = 'remote-caret';
    caret.dataset.name = this.name;
    caret.setAttribute('aria-hidden', 'true');
    // Colours were validated as #rrggbb by the session; set as a property,
    // never spliced into markup.
    caret.style.setProperty('--peer', this.color);
    const label = document.createElement('span');
    label.className = 'remote-label';
    label.textContent = this.name;
    caret.appendChild(label);
    return caret;
  }

  ignoreEvent() {
    return true;
  }
}

/** Other people's carets and selections; follows the text between redraws. */
const peersField = StateField.define({
  create: () => Decoration.none,
  update(decorations, tr) {
    for (const effect of tr.effects) {
      if (effect.is(setPeersEffect)) return effect.value;
    }
    return tr.docChanged ? decorations.map(tr.changes) : decorations;
  },
  provide: (field) => EditorView.decorations.from(field),
});

function peerDecorations(marks, length) {
  const ranges = [];
  for (const [name, color, anchor, head, quiet] of marks) {
    // Validated by the session already; checked again where it meets CSS.
    if (!/^#[0-9a-f]{3}([0-9a-f]{3})?$/i.test(color)) continue;
    const a = Math.min(anchor, length);
    const h = Math.min(head, length);
    if (a !== h) {
      const selection = Decoration.mark({
        class: 'remote-selection',
        attributes: { style: `background-color: color-mix(in srgb, ${color} 28%, transparent)` },
      });
      ranges.push(selection.range(Math.min(a, h), Math.max(a, h)));
    }
    ranges.push(Decoration.widget({ widget: new CaretWidget(name, color, quiet), side: 1 }).range(h));
  }
  return Decoration.set(ranges, true);
}

/** Flattens a change set into `[from, to, insert, …]` in the old document's offsets, last change first. */
function flatten(changes) {
  const out = [];
  changes.iterChanges((fromA, toA, _fromB, _toB, inserted) => {
    out.push(fromA, toA, inserted.toString());
  });
  // Applied last to first, each change's offsets are still those of the old
  // document when it is applied.
  const reversed = [];
  for (let i = out.length - 3; i >= 0; i -= 3) reversed.push(out[i], out[i + 1], out[i + 2]);
  return reversed;
}

export class QuireEditor {
  /**
   * @param {HTMLElement} parent where the editor goes
   * @param {string} text the document as the page was served
   * @param {object} hooks `local(changes)`, `selection()`, `undo()`, `redo()`, `composing(bool)`
   * @param {object} attributes extra attributes of the editable element
   * @param {object} options `lineNumbers` (bool), `uploadUrl` (where pasted,
   *   dropped and picked files go; none: files are not taken)
   */
  constructor(parent, text, hooks, attributes, options) {
    this.hooks = hooks;
    this.editable = new Compartment();
    this.gutter = new Compartment();
    // Changes typed during a composition, composed into one.
    this.pending = null;
    this.composing = false;
    this.uploads = options.uploadUrl ? new Uploads(options.uploadUrl) : null;
    const editor = this;
    const history = [
      { key: 'Mod-z', run: () => (hooks.undo(), true), preventDefault: true },
      { key: 'Mod-Shift-z', run: () => (hooks.redo(), true), preventDefault: true },
      { key: 'Ctrl-y', run: () => (hooks.redo(), true), preventDefault: true },
    ];
    const state = EditorState.create({
      doc: text,
      extensions: [
        // Lines end in "\n" only, so offsets agree with Y.Text; what is
        // pasted or dropped with Windows (or old Mac) line endings is
        // normalised first, so no stray "\r" lands in the document.
        EditorState.lineSeparator.of('\n'),
        EditorView.clipboardInputFilter.of((text) => text.replace(/\r\n?/g, '\n')),
        // Several cursors (Ctrl/Cmd+D adds the next occurrence, Alt+click adds a cursor).
        EditorState.allowMultipleSelections.of(true),
        this.editable.of(readOnly(true)),
        this.gutter.of(gutter(options.lineNumbers)),
        highlightSpecialChars(),
        drawSelection(),
        highlightActiveLine(),
        bracketMatching(),
        indentOnInput(),
        EditorView.lineWrapping,
        // GitHub-flavoured Markdown, code in fences highlighted by language.
        new LanguageSupport(quireMarkdown),
        syntaxHighlighting(highlighter),
        search({ top: true }),
        highlightSelectionMatches(),
        keymap.of([...history, ...formatKeymap, ...markdownKeymap, ...searchKeymap, ...defaultKeymap, indentWithTab]),
        peersField,
        this.uploads ? this.uploads.extension() : [],
        EditorView.contentAttributes.of({ spellcheck: 'true', autocapitalize: 'sentences', ...attributes }),
        EditorView.domEventHandlers({
          // The browser's own undo (a menu, a gesture) would replay its
          // private history, which knows nothing of other people's edits.
          beforeinput(event) {
            if (event.inputType === 'historyUndo' || event.inputType === 'historyRedo') {
              event.preventDefault();
              if (event.inputType === 'historyRedo') hooks.redo();
              else hooks.undo();
              return true;
            }
            return false;
          },
          compositionstart() {
            editor.setComposing(true);
            editor.flushSoon();
            return false;
          },
        }),
        // Where the person may not write, only other people's changes (and
        // the first sync) reach the text: commands that do not check
        // read-only themselves (list continuation on Enter…) change nothing.
        EditorState.transactionFilter.of((tr) =>
          tr.docChanged && tr.startState.readOnly && !tr.annotation(remote) ? [] : tr),
        EditorView.updateListener.of((update) => this.onUpdate(update)),
      ],
    });
    this.view = new EditorView({ state, parent });
    if (this.uploads) this.uploads.attach(this.view);
    this.previewSync = null;
    // For tests and tools: the document and selection as CodeMirror has them.
    this.view.dom.quire = {
      text: () => this.view.state.doc.toString(),
      selection: () => this.selection(),
      select: (anchor, head) => this.setSelection(anchor, head, true),
      scrollToLine: (number) => this.view.dispatch({
        effects: EditorView.scrollIntoView(this.view.state.doc.line(number).from, { y: 'start' }),
      }),
    };
  }

  onUpdate(update) {
    let local = false;
    for (const tr of update.transactions) {
      if (!tr.docChanged || tr.annotation(remote)) continue;
      local = true;
      this.pending = this.pending ? this.pending.compose(tr.changes) : tr.changes;
    }
    if (local) {
      if (this.view.composing) {
        this.setComposing(true);
        this.flushSoon();
      } else if (!this.composing) {
        this.reportPending();
      }
    }
    const remoteOnly = update.transactions.length > 0 && update.transactions.every((tr) => tr.annotation(remote));
    if (update.selectionSet && !remoteOnly) this.hooks.selection();
  }

  reportPending() {
    const changes = this.pending;
    this.pending = null;
    if (changes && !changes.empty) this.hooks.local(flatten(changes));
  }

  setComposing(composing) {
    if (this.composing === composing) return;
    this.composing = composing;
    this.hooks.composing(composing);
  }

  /** Reports what was held back once the composition is over (checked until it is). */
  flushSoon() {
    if (this.flushTimer) return;
    this.flushTimer = setTimeout(() => {
      this.flushTimer = null;
      if (this.view.composing) {
        this.flushSoon();
        return;
      }
      this.reportPending();
      this.setComposing(false);
    }, 30);
  }

  /** Whether typed changes are held back (a composition in progress). */
  holding() {
    return this.composing || this.pending !== null;
  }

  /** The whole text (a copy). */
  text() {
    return this.view.state.doc.toString();
  }

  /** Length in UTF-16 units. */
  length() {
    return this.view.state.doc.length;
  }

  /** Shows other people's changes: `[from, to, insert, …]`, ascending, in
   * the current document's offsets. Never called while `holding()`. */
  applyRemote(flat) {
    const changes = [];
    for (let i = 0; i < flat.length; i += 3) changes.push({ from: flat[i], to: flat[i + 1], insert: flat[i + 2] });
    this.view.dispatch({
      changes,
      annotations: [remote.of(true), Transaction.addToHistory.of(false)],
    });
  }

  /** Replaces the whole text (the first sync), keeping the caret as far as it fits. */
  setText(text) {
    const { anchor, head } = this.view.state.selection.main;
    this.view.dispatch({
      changes: { from: 0, to: this.view.state.doc.length, insert: text },
      selection: EditorSelection.single(Math.min(anchor, text.length), Math.min(head, text.length)),
      annotations: [remote.of(true), Transaction.addToHistory.of(false)],
    });
  }

  /** `[anchor, head]` of the main selection. */
  selection() {
    const { anchor, head } = this.view.state.selection.main;
    return [anchor, head];
  }

  setSelection(anchor, head, focus) {
    const length = this.view.state.doc.length;
    this.view.dispatch({
      selection: EditorSelection.single(Math.min(anchor, length), Math.min(head, length)),
      scrollIntoView: true,
      annotations: remote.of(true),
    });
    if (focus) this.view.focus();
  }

  setReadOnly(value) {
    this.view.dispatch({ effects: this.editable.reconfigure(readOnly(value)) });
  }

  readOnly() {
    return this.view.state.readOnly;
  }

  /** Draws other people: `[[name, color, anchor, head, quiet], …]`. */
  setPeers(marks) {
    this.view.dispatch({ effects: setPeersEffect.of(peerDecorations(marks, this.view.state.doc.length)) });
  }

  focus() {
    this.view.focus();
  }

  /** Runs a formatting command by name (see format.js), as the toolbar does. */
  format(name) {
    // Not a text command: opens the file picker (uploads.js).
    if (name === 'attach') {
      if (this.uploads) this.uploads.pick();
      return;
    }
    const command = commands[name];
    if (command) command(this.view);
    this.view.focus();
  }

  setLineNumbers(on) {
    this.view.dispatch({ effects: this.gutter.reconfigure(gutter(on)) });
  }

  /** The preview that follows this editor's scroll position when both are
   * on screen side by side; `lines` are its blocks' first source lines. */
  followWith(article) {
    this.previewSync = new PreviewSync(this.view, article);
  }

  setBlockLines(lines) {
    if (this.previewSync) this.previewSync.setLines(lines);
  }

  destroy() {
    if (this.previewSync) this.previewSync.destroy();
    this.view.destroy();
  }
}

function gutter(on) {
  return on ? [lineNumbers(), highlightActiveLineGutter()] : [];
}

/** Read-only still lets people place the caret, select, search and copy
 * (the element stays focusable; CodeMirror marks it aria-readonly). */
function readOnly(value) {
  return EditorState.readOnly.of(value);
}
