// Remote edits must not move your caret out from under you, and an open IME
// composition is never sent half-written or disturbed.
const { test, expect } = require('@playwright/test');
const { closeContexts, editorText, expectText, select, selection, twoPeople } = require('./helpers');

test.afterEach(closeContexts);

test('your caret and selection stay on your text while others type before them', async ({ browser, request }) => {
  const { alice, bob, aliceEditor, bobEditor } = await twoPeople(browser, request, 'Carets');
  await aliceEditor.click();
  await alice.keyboard.type('one two three');
  await expectText(bobEditor, 'one two three');

  // Bob selects "two".
  await select(bobEditor, 4, 7);
  // Alice types before it, and deletes before it.
  await aliceEditor.press('Control+Home');
  await alice.keyboard.type('zero 😀 ');
  await expectText(bobEditor, 'zero 😀 one two three');
  const [start, end] = await selection(bobEditor);
  expect((await editorText(bobEditor)).slice(start, end)).toBe('two');

  await aliceEditor.press('Control+Home');
  for (let i = 0; i < 5; i++) await alice.keyboard.press('Delete');
  await expectText(bobEditor, '😀 one two three');
  const [s2, e2] = await selection(bobEditor);
  expect((await editorText(bobEditor)).slice(s2, e2)).toBe('two');

  // Typing after the selection does not move it either.
  await aliceEditor.press('Control+End');
  await alice.keyboard.type(' four');
  await expectText(bobEditor, '😀 one two three four');
  expect(await selection(bobEditor)).toEqual([s2, e2]);
});

test('nothing is sent during an IME composition; the result is sent when it ends', async ({ browser, request }) => {
  const { alice, bob, aliceEditor, bobEditor } = await twoPeople(browser, request, 'IME');
  await aliceEditor.click();
  await alice.keyboard.type('日本');
  await expectText(bobEditor, '日本');

  // Chromium's IME path through the DevTools protocol: a composition shows
  // "ご" then "ごh" in the element before it is committed.
  const cdp = await alice.context().newCDPSession(alice);
  await cdp.send('Input.imeSetComposition', { text: 'ご', selectionStart: 1, selectionEnd: 1 });
  await cdp.send('Input.imeSetComposition', { text: 'ごh', selectionStart: 2, selectionEnd: 2 });
  await expectText(aliceEditor, '日本ごh');
  // Meanwhile Bob types; his text waits until the composition ends on Alice's side.
  await bobEditor.press('Control+Home');
  await bob.keyboard.type('> ');
  await alice.waitForTimeout(500);
  await expectText(bobEditor, '> 日本');
  await expectText(aliceEditor, '日本ごh');

  await cdp.send('Input.insertText', { text: '語' });
  await expectText(aliceEditor, '> 日本語');
  await expectText(bobEditor, '> 日本語');
});
