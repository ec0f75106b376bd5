// Fenced code is highlighted by a mode fetched on first use (src/modes.js,
// loaded by src/languages.js): until it is here the code is plain text and
// nothing breaks; once it is, the same text is highlighted by its language.
// Run with `node --test app/js/test/` (scripts/test.sh does).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { classHighlighter, highlightTree } from '@lezer/highlight';
import { loadModes, quireMarkdown } from '../src/languages.js';

/** The highlight classes of the text between `from` and `to`. */
function classes(doc, from, to) {
  const found = new Set();
  highlightTree(quireMarkdown.parser.parse(doc), classHighlighter, (start, end, cls) => {
    if (start < to && end > from) cls.split(' ').forEach((name) => found.add(name));
  }, from, to);
  return found;
}

test('a fence is plain text until its mode is loaded, then highlighted by its language', async () => {
  const doc = '# Code\n\n```rust\nfn main() { let s = "hi"; }\n```\n\n```nosuchlanguage\nfn plain\n```\n';
  const rust = [doc.indexOf('fn main'), doc.indexOf('}\n```')];
  const other = [doc.indexOf('fn plain'), doc.indexOf('fn plain') + 8];
  assert.ok(!classes(doc, ...rust).has('tok-keyword'), 'highlighted before the modes were fetched');

  await loadModes();
  const highlighted = classes(doc, ...rust);
  assert.ok(highlighted.has('tok-keyword'), [...highlighted].join(' '));
  assert.ok(highlighted.has('tok-string'), [...highlighted].join(' '));
  assert.ok(!classes(doc, ...other).has('tok-keyword'), 'an unknown language is highlighted');
});
