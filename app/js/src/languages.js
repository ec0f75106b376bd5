// Fenced code in a Markdown document, highlighted by the language named after
// the fence (```rust, ```py, ```sh…). The modes live in their own module
// (modes.js, ~33 KiB gzipped), fetched the first time a fence names one of
// them: until it arrives the fence is plain text, then CodeMirror re-parses
// it. A fence naming any other language stays plain text.

import { Language, ParseContext, StreamLanguage } from '@codemirror/language';
import { markdownLanguage } from '@codemirror/lang-markdown';
import { parseCode } from '@lezer/markdown';

/** modes.js, once loaded; where it is, relative to this module (in the
 * bundle: the editor module, which the modes module is built beside). */
let modes = null;
let loading = null;
let failures = 0;
let failedAt = -Infinity;
const MODES_URL = new URL('./modes.js', import.meta.url).href;
/** A failed fetch (offline before the service worker kept a copy) is not
 * retried sooner than this: meanwhile fences stay plain text. */
const RETRY_MS = 30_000;

/** Starts (once) fetching the modes; resolves when they are here or the
 * fetch failed. The browser remembers a failed module for the page's
 * lifetime, so a retry asks for a new URL. */
export function loadModes() {
  loading ??= import(failures ? `${MODES_URL}?retry=${failures}` : MODES_URL).then(
    (module) => { modes = module; },
    (error) => {
      failures += 1;
      failedAt = Date.now();
      loading = null;
      console.warn('Quire: code highlighting is unavailable for now:', error.message);
    },
  );
  return loading;
}

/** Each mode once, under every name people write after a fence. */
const byName = new Map();
function add(names, exported) {
  let parser = null;
  // Built on first use: a document without code never pays for it.
  const get = () => (parser ??= StreamLanguage.define(modes[exported]).parser);
  for (const name of names) byName.set(name, get);
}

add(['javascript', 'js', 'mjs', 'cjs', 'jsx', 'node'], 'javascript');
add(['typescript', 'ts', 'tsx', 'mts', 'cts'], 'typescript');
add(['json', 'jsonc', 'json5', 'geojson'], 'json');
add(['rust', 'rs'], 'rust');
add(['python', 'py', 'python3'], 'python');
add(['sql', 'postgres', 'postgresql', 'psql', 'sqlite', 'mysql'], 'standardSQL');
add(['yaml', 'yml'], 'yaml');
add(['sh', 'shell', 'bash', 'zsh', 'console', 'shellsession'], 'shell');
add(['css'], 'css');
add(['html', 'htm', 'xhtml', 'xml', 'svg'], 'html');
add(['toml'], 'toml');
add(['go', 'golang'], 'go');
add(['diff', 'patch'], 'diff');

/** The parser for a fence's info string (`rust`, `py title="x"`…), or null.
 * Before the modes are here: a parser that skips the code and has the editor
 * parse it again once they are. */
function codeParser(info) {
  const name = info.trim().split(/[\s{,]/, 1)[0].toLowerCase();
  const get = byName.get(name);
  if (!get) return null;
  if (modes) return get();
  if (!loading && Date.now() - failedAt < RETRY_MS) return null;
  return ParseContext.getSkippingParser(loadModes());
}

/** How much of one paragraph the highlighter reads as one block, in UTF-16
 * units. Markdown's inline syntax is parsed per paragraph, and a change
 * inside one re-parses all of it: in a pasted log (a 1 MiB paragraph) that
 * is 100-200 ms per keystroke. A longer paragraph is cut, for highlighting
 * only, at the first line start past this length where a cut changes no
 * block (test/languages.test.mjs), so a keystroke re-reads a few KiB.
 * Emphasis spanning a cut is the price; the preview (rendered by the
 * server's Markdown renderer) is not affected. */
const PARAGRAPH_SPAN = 4096;

/** A line that, once a cut made it start a block, would change what the text
 * around it means: a setext underline (`===`, `---`), which belongs to the
 * lines above it, or a table delimiter row (under the line after a cut); a
 * list marker, a complete HTML tag alone on its line, or a link reference
 * definition, which cannot interrupt a paragraph but can start a block.
 * Lines that can interrupt a paragraph (headings, quotes, fences, rules) end
 * it by themselves, cut or not. Kept exact: log lines start with `[`, `<`… */
const UNDERLINE = /^ {0,3}[|:=\- \t]*[=-][|:=\- \t]*$/;
const STARTS_BLOCK = /^(\d{1,9}[.)](\s|$)|[-+*](\s|$)|<\/?[A-Za-z][A-Za-z0-9-]*(\s[^>]*)?\/?>\s*$|\[[^\]]+\]:)/;

/** Whether a leaf's second line is a table's delimiter row (a table is a
 * leaf to the parser, and cutting it would leave its last rows as text). */
function isTable(content) {
  const first = content.indexOf('\n');
  if (first < 0) return false;
  const second = content.indexOf('\n', first + 1);
  return UNDERLINE.test(content.slice(first + 1, second < 0 ? undefined : second));
}

const boundedParagraphs = {
  parseBlock: [{
    name: 'BoundedParagraph',
    endLeaf: (cx, line, leaf) => leaf.content.length >= PARAGRAPH_SPAN &&
      // Only a line inside the same blocks (not a quote's lazy continuation,
      // which would leave the quote), that starts nothing by itself and is
      // not the first line of a setext heading.
      line.depth === cx.depth &&
      !STARTS_BLOCK.test(line.text.slice(line.pos)) &&
      !UNDERLINE.test(line.text.slice(line.pos)) &&
      !UNDERLINE.test(cx.peekLine()) &&
      !isTable(leaf.content),
  }],
};

/** GitHub-flavoured Markdown with fenced code highlighted. It keeps the
 * language data of `markdownLanguage`, so Markdown's own commands (list
 * continuation…) see it as Markdown. `markdown()` from the package would do
 * the same but also bundle the HTML, CSS and JavaScript grammars for inline
 * HTML (~45 KiB gzipped). */
export const quireMarkdown = new Language(
  markdownLanguage.data,
  markdownLanguage.parser.configure([parseCode({ codeParser }), boundedParagraphs]),
  [],
  'markdown',
);
