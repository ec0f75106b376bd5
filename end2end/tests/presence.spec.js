// Presence you can trust: who is here, where their caret is, and that it
// leaves with them; undo that takes back only your own typing.
const { test, expect } = require('@playwright/test');
const { closeContexts, expectText, myName, select, twoPeople } = require('./helpers');

test.afterEach(closeContexts);

/**
 * Where a caret after `prefix` (at the start of a line) must be drawn,
 * relative to the editor's text: where its lines start plus the prefix's
 * width in the editor's font, measured independently with a canvas.
 */
async function expectedCaretX(editor, prefix) {
  return editor.evaluate((el, prefix) => {
    const line = el.querySelector('.cm-line');
    const style = getComputedStyle(line);
    const ctx = document.createElement('canvas').getContext('2d');
    ctx.font = `${style.fontWeight} ${style.fontSize} ${style.fontFamily}`;
    const lineStart = line.getBoundingClientRect().left - el.getBoundingClientRect().left;
    return lineStart + parseFloat(style.paddingLeft) + ctx.measureText(prefix).width;
  }, prefix);
}

/** The remote caret labelled `name`, and its x relative to the editor's text. */
async function remoteCaretX(page, name) {
  const caret = page.locator(`[data-testid=remote-caret][data-name="${name}"]`);
  await expect(caret).toBeVisible();
  return caret.evaluate((el) => {
    const area = document.querySelector('[data-testid=editor]').getBoundingClientRect();
    const rect = el.getBoundingClientRect();
    return rect.left + rect.width / 2 - area.left;
  });
}

test('two people see each other in the presence bar and each other\'s caret', async ({ browser, request }) => {
  const { alice, bob, aliceEditor, bobEditor } = await twoPeople(browser, request, 'Presence');
  const aliceName = await myName(alice);
  const bobName = await myName(bob);
  expect(aliceName).not.toBe(bobName);

  // Each sees the other in the bar, and themself marked as "you".
  await expect(bob.locator(`[data-testid=avatar][data-name="${aliceName}"]`)).toBeVisible();
  await expect(alice.locator(`[data-testid=avatar][data-name="${bobName}"]`)).toBeVisible();
  await expect(alice.getByTestId('count')).toHaveText('2 here');
  await expect(alice.locator('.avatar.me .you')).toHaveText('you');

  // Alice types, then puts her caret after "Hello".
  await aliceEditor.click();
  await alice.keyboard.type('Hello world');
  await expectText(bobEditor, 'Hello world');
  await expect(bob.getByTestId('typing')).toHaveText(`${aliceName} is typing…`);
  // Her caret at the very end of the text is drawn there.
  const atEnd = await expectedCaretX(bobEditor, 'Hello world');
  await expect.poll(() => remoteCaretX(bob, aliceName)).toBeCloseTo(atEnd, 0);
  for (let i = 0; i < 6; i++) await alice.keyboard.press('ArrowLeft');

  const want = await expectedCaretX(bobEditor, 'Hello');
  await expect.poll(() => remoteCaretX(bob, aliceName)).toBeCloseTo(want, 0);
  await expect(bob.locator(`[data-testid=remote-caret][data-name="${aliceName}"] .remote-label`)).toHaveText(aliceName);
  // The typing indicator goes away once she stops.
  await expect(bob.getByTestId('typing')).toHaveText('', { timeout: 5_000 });
  // Once her caret has been still a few seconds, its name label fades away
  // (so it does not cover the text), and comes back when she moves.
  const aliceCaret = bob.locator(`[data-testid=remote-caret][data-name="${aliceName}"]`);
  await expect(aliceCaret).toHaveClass(/quiet/, { timeout: 5_000 });

  // Bob types before her caret: it stays after "Hello", which moved right.
  await bobEditor.click();
  await bobEditor.press('Control+Home');
  await bob.keyboard.type('Hey ');
  await expectText(aliceEditor, 'Hey Hello world');
  const moved = await expectedCaretX(bobEditor, 'Hey Hello');
  await expect.poll(() => remoteCaretX(bob, aliceName)).toBeCloseTo(moved, 0);
  // And Alice sees Bob's caret after "Hey ".
  const bobsCaret = await expectedCaretX(aliceEditor, 'Hey ');
  await expect.poll(() => remoteCaretX(alice, bobName)).toBeCloseTo(bobsCaret, 0);

  // On a new line, the caret is drawn one line down, after what she typed.
  await aliceEditor.press('Control+End');
  await alice.keyboard.press('Enter');
  await alice.keyboard.type('second');
  await expectText(bobEditor, 'Hey Hello world\nsecond');
  const secondLine = await expectedCaretX(bobEditor, 'second');
  await expect.poll(() => remoteCaretX(bob, aliceName)).toBeCloseTo(secondLine, 0);
  const lineHeight = await bobEditor.evaluate((el) => parseFloat(getComputedStyle(el.querySelector('.cm-line')).lineHeight));
  const caretTop = () => bob.locator(`[data-testid=remote-caret][data-name="${aliceName}"]`)
    .evaluate((el) => el.getBoundingClientRect().top - document.querySelector('[data-testid=editor]').getBoundingClientRect().top);
  const bobTop = await bob.locator(`[data-testid=remote-caret][data-name="${bobName}"]`).count();
  expect(bobTop).toBe(0); // nobody draws their own caret
  const top = await caretTop();
  await aliceEditor.press('Control+Home');
  await expect.poll(async () => top - (await caretTop())).toBeCloseTo(lineHeight, 0);

  // A selection is highlighted in the selector's colour.
  await select(aliceEditor, 4, 9);
  await alice.keyboard.press('Shift+ArrowRight');
  await expect(bob.locator('.remote-selection').first()).toBeVisible();

  // Alice closes her tab: her caret and avatar leave Bob's screen at once.
  await alice.context().close();
  await expect(bob.locator(`[data-testid=remote-caret][data-name="${aliceName}"]`)).toHaveCount(0, { timeout: 1_500 });
  await expect(bob.locator(`[data-testid=avatar][data-name="${aliceName}"]`)).toHaveCount(0);
  await expect(bob.getByTestId('count')).toHaveText('Only you');
});

test('undo takes back only your own typing; the other person\'s text stays', async ({ browser, request }) => {
  const { alice, bob, aliceEditor, bobEditor } = await twoPeople(browser, request, 'Undo');
  const undo = alice.getByTestId('undo');
  const redo = alice.getByTestId('redo');
  await expect(undo).toBeDisabled();
  await expect(redo).toBeDisabled();

  await aliceEditor.click();
  await alice.keyboard.type('Alice wrote this. ');
  await expectText(bobEditor, 'Alice wrote this. ');
  await bobEditor.click();
  await bobEditor.press('Control+End');
  await bob.keyboard.type('Bob added this.');
  await expectText(aliceEditor, 'Alice wrote this. Bob added this.');
  await expect(undo).toBeEnabled();

  // Ctrl+Z in Alice's browser removes her sentence, not Bob's.
  await aliceEditor.focus();
  await alice.keyboard.press('Control+z');
  await expectText(aliceEditor, 'Bob added this.');
  await expectText(bobEditor, 'Bob added this.');
  await expect(undo).toBeDisabled();
  await expect(redo).toBeEnabled();

  // Redo (Ctrl+Shift+Z) brings it back for both; the toolbar button undoes again.
  await alice.keyboard.press('Control+Shift+Z');
  await expectText(bobEditor, 'Alice wrote this. Bob added this.');
  await undo.click();
  await expectText(bobEditor, 'Bob added this.');
  await redo.click();
  await expectText(bobEditor, 'Alice wrote this. Bob added this.');

  // Bob's own undo only touches Bob's text.
  await bobEditor.focus();
  await bob.keyboard.press('Control+z');
  await expectText(aliceEditor, 'Alice wrote this. ');
  await expectText(bobEditor, 'Alice wrote this. ');
});
