// Markdown formatting commands: the shortcuts and the toolbar run the same
// ones. Each is one CodeMirror transaction, so it is one step for the yrs
// undo history and one change for everyone else.

import { EditorSelection } from '@codemirror/state';

/** How many `char`s run from `pos` backwards (dir -1) or forwards (dir 1), at most 3. */
function run(state, pos, dir, char) {
  let count = 0;
  while (count < 3) {
    const at = dir < 0 ? pos - count - 1 : pos + count;
    if (at < 0 || at >= state.doc.length || state.sliceDoc(at, at + 1) !== char) break;
    count++;
  }
  return count;
}

/** Whether the selection sits right inside `mark` on both sides. For `*`
 * and `**`, the runs of asterisks decide: `**word**` is bold, not italic
 * inside italic; `***word***` is both. */
function wrappedIn(state, range, mark) {
  const char = mark[0];
  const around = Math.min(run(state, range.from, -1, char), run(state, range.to, 1, char));
  if (char === '*') return mark === '*' ? around % 2 === 1 : around >= 2;
  return state.sliceDoc(range.from - mark.length, range.from) === mark && state.sliceDoc(range.to, range.to + mark.length) === mark;
}

/** Wraps each selection in `mark` (or unwraps it if it is wrapped already);
 * an empty selection gets an empty pair with the caret inside. */
function wrap(mark) {
  return (view) => {
    const { state } = view;
    const n = mark.length;
    const tr = state.changeByRange((range) => {
      if (wrappedIn(state, range, mark)) {
        return {
          changes: [{ from: range.from - n, to: range.from }, { from: range.to, to: range.to + n }],
          range: EditorSelection.range(range.from - n, range.to - n),
        };
      }
      const inner = state.sliceDoc(range.from, range.to);
      if (inner.length >= 2 * n && inner.startsWith(mark) && inner.endsWith(mark)) {
        return {
          changes: { from: range.from, to: range.to, insert: inner.slice(n, inner.length - n) },
          range: EditorSelection.range(range.from, range.to - 2 * n),
        };
      }
      return {
        changes: [{ from: range.from, insert: mark }, { from: range.to, insert: mark }],
        range: EditorSelection.range(range.from + n, range.to + n),
      };
    });
    view.dispatch(state.update(tr, { scrollIntoView: true, userEvent: 'input.format' }));
    return true;
  };
}

/** `[text](https://)` around the selection, with the address selected to type over. */
function link(view) {
  const { state } = view;
  const tr = state.changeByRange((range) => {
    const text = state.sliceDoc(range.from, range.to);
    const url = 'https://';
    const insert = `[${text}](${url})`;
    const start = range.from + text.length + 3;
    return {
      changes: { from: range.from, to: range.to, insert },
      range: text ? EditorSelection.range(start, start + url.length) : EditorSelection.cursor(range.from + 1),
    };
  });
  view.dispatch(state.update(tr, { scrollIntoView: true, userEvent: 'input.format' }));
  return true;
}

/** The lines the selections touch, each once, in order. */
function selectedLines(state) {
  const lines = [];
  let last = -1;
  for (const range of state.selection.ranges) {
    for (let pos = range.from; pos <= range.to;) {
      const line = state.doc.lineAt(pos);
      if (line.number > last) {
        lines.push(line);
        last = line.number;
      }
      if (line.to + 1 > range.to) break;
      pos = line.to + 1;
    }
  }
  return lines;
}

const BLOCK_PREFIX = /^(#{1,6} |> |[-*+] \[[ xX]\] |[-*+] |\d+[.)] )/;

/** Gives the touched lines `prefix(i)` (replacing any other block prefix), or
 * removes it where every line has it already. */
function linePrefix(prefix, matches) {
  return (view) => {
    const { state } = view;
    const lines = selectedLines(state);
    const all = lines.every((line) => matches(line.text));
    const changes = lines.map((line, i) => {
      const existing = line.text.match(BLOCK_PREFIX);
      const length = existing ? existing[0].length : 0;
      return { from: line.from, to: line.from + length, insert: all ? '' : prefix(i) };
    });
    view.dispatch({ changes, scrollIntoView: true, userEvent: 'input.format' });
    return true;
  };
}

function heading(level) {
  const mark = `${'#'.repeat(level)} `;
  return linePrefix(() => mark, (text) => text.startsWith(mark));
}

/** The toolbar's heading button: none → # → ## → ### → none. */
function cycleHeading(view) {
  const line = view.state.doc.lineAt(view.state.selection.main.head);
  const level = (line.text.match(/^(#{1,6}) /) || ['', ''])[1].length;
  return level >= 3 ? heading(level)(view) : heading(level + 1)(view);
}

/** A command that does nothing where the person may not write. */
function writing(command) {
  return (view) => !view.state.readOnly && command(view);
}

export const commands = Object.fromEntries(Object.entries({
  bold: wrap('**'),
  italic: wrap('*'),
  strikethrough: wrap('~~'),
  code: wrap('`'),
  link,
  heading: cycleHeading,
  heading1: heading(1),
  heading2: heading(2),
  heading3: heading(3),
  quote: linePrefix(() => '> ', (text) => text.startsWith('> ')),
  bullets: linePrefix(() => '- ', (text) => /^[-*+] (?!\[[ xX]\] )/.test(text)),
  numbers: linePrefix((i) => `${i + 1}. `, (text) => /^\d+[.)] /.test(text)),
  tasks: linePrefix(() => '- [ ] ', (text) => /^[-*+] \[[ xX]\] /.test(text)),
}).map(([name, command]) => [name, writing(command)]));

/** The shortcuts (Mod is Ctrl, or ⌘ on a Mac); the toolbar's tooltips name them. */
export const formatKeymap = [
  { key: 'Mod-b', run: commands.bold },
  { key: 'Mod-i', run: commands.italic },
  { key: 'Mod-Shift-x', run: commands.strikethrough },
  { key: 'Mod-e', run: commands.code },
  { key: 'Mod-k', run: commands.link },
  { key: 'Mod-Alt-1', run: commands.heading1 },
  { key: 'Mod-Alt-2', run: commands.heading2 },
  { key: 'Mod-Alt-3', run: commands.heading3 },
  { key: 'Mod-Shift-.', run: commands.quote },
  { key: 'Mod-Shift-8', run: commands.bullets },
  { key: 'Mod-Shift-7', run: commands.numbers },
  { key: 'Mod-Shift-9', run: commands.tasks },
].map((binding) => ({ ...binding, preventDefault: true }));
