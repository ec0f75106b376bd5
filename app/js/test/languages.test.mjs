// The Markdown highlighter's paragraph cut (src/languages.js): a long
// paragraph is read in pieces, and no cut may change what the text means.
// Run with `node --test app/js/test/` (scripts/test.sh does).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { quireMarkdown } from '../src/languages.js';

/** The names of the document's top-level blocks. */
function blocks(doc) {
  const names = [];
  for (let node = quireMarkdown.parser.parse(doc).topNode.firstChild; node; node = node.nextSibling) {
    names.push(node.name);
  }
  return names;
}

/** `count` lines of a pasted log (about 60 characters each). */
function log(count, prefix = '') {
  return Array.from({ length: count }, (_, i) => `${prefix}2026-12-01 12:00:${i % 60} INFO request ${i} served *fast*`).join('\n');
}

test('a pasted log is read in pieces of a few KiB', () => {
  const names = blocks(log(2000));
  assert.ok(names.length > 20, `one 120 KiB paragraph became ${names.length} blocks`);
  assert.ok(names.every((name) => name === 'Paragraph'), names.join(','));
});

test('logs whose lines start with brackets or angles are cut too', () => {
  for (const prefix of ['[', '<34>', '| ', '=', '(']) {
    const names = blocks(log(2000, prefix));
    assert.ok(names.length > 20, `${prefix}: one paragraph of 120 KiB became ${names.length} blocks`);
  }
});

test('a long paragraph over a setext underline stays a heading, and the underline is not a rule', () => {
  // Every length for a while, so that some cut falls right above the underline.
  for (let lines = 200; lines < 300; lines++) {
    for (const underline of ['---', '===']) {
      const names = blocks(`${log(lines)}\n${underline}`);
      assert.match(names.at(-1), /^SetextHeading/, `${lines} lines, ${underline}: ${names.slice(-3)}`);
      assert.ok(!names.includes('HorizontalRule'), `${lines} lines, ${underline}: ${names.slice(-3)}`);
    }
  }
});

test('a long table stays one table', () => {
  const rows = Array.from({ length: 400 }, (_, i) => `| ${i} | row number ${i} | some longer text |`).join('\n');
  assert.deepEqual(blocks(`| n | name | text |\n|---|:---:|---|\n${rows}`), ['Table']);
});

test('a long quote whose lines continue lazily stays one quote', () => {
  assert.deepEqual(blocks(`> ${log(300)}`), ['Blockquote']);
});

test('a line that would start a list, HTML or a link reference after a cut does not', () => {
  const lines = log(300).split('\n');
  const hostile = ['2) not a list', '* ', '<span>not html</span>', '[ref]: /not-a-definition', '| not | a table |'];
  for (const line of hostile) {
    const names = blocks(lines.flatMap((text, i) => (i % 2 ? [text, line] : [text])).join('\n'));
    assert.ok(names.every((name) => name === 'Paragraph'), `${JSON.stringify(line)}: ${[...new Set(names)]}`);
  }
});
