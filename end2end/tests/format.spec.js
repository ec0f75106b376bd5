// Formatting: every shortcut and toolbar button produces the Markdown it
// promises, as one ordinary collaborative edit that the server stores.
const { test, expect } = require('@playwright/test');
const { closeContexts, createDoc, expectText, markdown, openDoc, select } = require('./helpers');

test.afterEach(closeContexts);

/** Replaces the whole text with `text`, then selects `from..to`. */
async function setText(page, editor, text, from = 0, to = text.length) {
  await page.keyboard.press('Control+a');
  await page.keyboard.insertText(text);
  await expectText(editor, text);
  await select(editor, from, to);
}

const SHORTCUTS = [
  ['Control+b', 'word', '**word**'],
  ['Control+i', 'word', '*word*'],
  ['Control+Shift+KeyX', 'word', '~~word~~'],
  ['Control+e', 'word', '`word`'],
  ['Control+k', 'word', '[word](https://)'],
  ['Control+Alt+Digit2', 'Title', '## Title'],
  ['Control+Shift+Period', 'one\ntwo', '> one\n> two'],
  ['Control+Shift+Digit8', 'one\ntwo', '- one\n- two'],
  ['Control+Shift+Digit7', 'one\ntwo', '1. one\n2. two'],
  ['Control+Shift+Digit9', 'one\ntwo', '- [ ] one\n- [ ] two'],
];

test('every formatting shortcut writes its Markdown, and the server stores it', async ({ page, request }) => {
  const id = await createDoc(request, 'Shortcuts');
  const editor = await openDoc(page, id);
  await editor.click();
  for (const [keys, before, after] of SHORTCUTS) {
    await setText(page, editor, before);
    await page.keyboard.press(keys);
    await expectText(editor, after);
  }
  // Bold again on the bold word takes the marks away; a link's address is
  // selected, ready to be typed over.
  await setText(page, editor, 'word');
  await page.keyboard.press('Control+b');
  await page.keyboard.press('Control+b');
  await expectText(editor, 'word');
  await page.keyboard.press('Control+k');
  await page.keyboard.type('example.com');
  await expectText(editor, '[word](example.com)');
  await expect.poll(() => markdown(id)).toBe('[word](example.com)');
});

test('the toolbar buttons do what their shortcuts do', async ({ page, request }) => {
  const id = await createDoc(request, 'Toolbar');
  const editor = await openDoc(page, id);
  await editor.click();
  const button = (name) => page.locator(`[data-format=${name}]`);
  await expect(button('bold')).toHaveAttribute('title', 'Bold (Ctrl+B / ⌘B)');

  await setText(page, editor, 'word');
  await button('bold').click();
  await expectText(editor, '**word**');
  await button('italic').click();
  await expectText(editor, '***word***');

  await setText(page, editor, 'Title', 2, 2);
  await button('heading').click();
  await expectText(editor, '# Title');
  await button('heading').click();
  await expectText(editor, '## Title');

  await setText(page, editor, 'milk\neggs');
  await button('tasks').click();
  await expectText(editor, '- [ ] milk\n- [ ] eggs');
  // The focus stayed in the editor: typing goes on where the selection was.
  await page.keyboard.press('End');
  await page.keyboard.press('Enter');
  await page.keyboard.type('bread');
  await expectText(editor, '- [ ] milk\n- [ ] eggs\n- [ ] bread');
  await expect.poll(() => markdown(id)).toBe('- [ ] milk\n- [ ] eggs\n- [ ] bread');
});
