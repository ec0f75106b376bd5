// The history panel as people use it: keep a version by name, see what
// changed since (word by word) and how it read, restore it (everyone sees it
// live, and Undo takes it back), and colour the text by who wrote it.
const { test, expect } = require('@playwright/test');
const { closeContexts, editorText, expectText, select, twoPeople, versionTexts } = require('./helpers');

test.afterEach(closeContexts);

test('a version is named, compared, restored for everyone, and the restore undone', async ({ browser, request }) => {
  const { id, alice, bob, aliceEditor, bobEditor } = await twoPeople(browser, request, 'History');
  await aliceEditor.click();
  await alice.keyboard.type('# Plan\n\nWe ship on Monday.\n');
  await expect(alice.getByTestId('status')).toHaveText('Saved');

  await alice.getByTestId('history').click();
  const dialog = alice.getByTestId('history-dialog');
  await expect(dialog).toBeVisible();
  await dialog.getByTestId('version-name').fill('First plan');
  await dialog.getByTestId('name-version').click();
  await expect(dialog.getByTestId('version').filter({ hasText: 'First plan' })).toBeVisible();
  await alice.keyboard.press('Escape');
  await expect(dialog).toHaveCount(0);

  // Bob changes a word and adds a line.
  await expectText(bobEditor, '# Plan\n\nWe ship on Monday.\n');
  const at = (await editorText(bobEditor)).indexOf('Monday');
  await select(bobEditor, at, at + 'Monday'.length);
  await bob.keyboard.type('Friday');
  await bob.keyboard.press('End');
  await bob.keyboard.type('\nBring cake.');
  await expect(bob.getByTestId('status')).toHaveText('Saved');
  const changed = '# Plan\n\nWe ship on Friday.\nBring cake.\n';
  await expectText(aliceEditor, changed);

  await alice.getByTestId('history').click();
  await dialog.getByTestId('version').filter({ hasText: 'First plan' }).click();
  const diff = dialog.getByTestId('diff');
  // Word by word: "Monday" went, "Friday" came, and a whole line was added.
  await expect(diff.locator('.removed del')).toHaveText(['Monday']);
  await expect(diff.locator('.added ins')).toHaveText(['Friday', 'Bring cake.']);
  await dialog.getByTestId('show-rendered').click();
  await expect(dialog.getByTestId('version-rendered').locator('h1')).toHaveText('Plan');
  await expect(dialog.getByTestId('version-rendered')).toContainText('We ship on Monday.');

  await dialog.getByTestId('restore-version').click();
  await expect(dialog).toHaveCount(0);
  await expectText(aliceEditor, '# Plan\n\nWe ship on Monday.\n');
  await expectText(bobEditor, '# Plan\n\nWe ship on Monday.\n');
  await expect(alice.getByTestId('status')).toHaveText('Saved');

  // The restore is Alice's own step, and the focus is back in the editor:
  // Ctrl+Z brings Bob's text back, for both.
  await alice.keyboard.press('Control+z');
  await expectText(aliceEditor, changed);
  await expectText(bobEditor, changed);

  // What the restore replaced was kept as a version too: cut just before the
  // restore ("Before a restore"), or already by the pause after Bob's edit.
  expect(await versionTexts(id)).toContain(changed);
  await alice.getByTestId('history').click();
  await expect(dialog.getByTestId('version').first()).toBeVisible();
  // A click in the panel's own padding keeps it open; one on the backdrop closes it.
  await dialog.click({ position: { x: 4, y: 4 } });
  await expect(dialog).toBeVisible();
  await alice.mouse.click(3, 3);
  await expect(dialog).toHaveCount(0);
});

test('"Show authors" colours each person\'s text in their own colour', async ({ browser, request }) => {
  const { alice, bob, aliceEditor, bobEditor } = await twoPeople(browser, request, 'Authors');
  await aliceEditor.click();
  await alice.keyboard.type('Alice wrote this. ');
  await expect(alice.getByTestId('status')).toHaveText('Saved');
  await expectText(bobEditor, 'Alice wrote this. ');
  await bobEditor.click();
  await bob.keyboard.press('End');
  await bob.keyboard.type('Bob added that.');
  await expect(bob.getByTestId('status')).toHaveText('Saved');
  await expectText(aliceEditor, 'Alice wrote this. Bob added that.');

  await alice.getByTestId('history').click();
  const dialog = alice.getByTestId('history-dialog');
  await dialog.getByTestId('show-authors').click();
  const view = dialog.getByTestId('authors-view');
  await expect(view).toHaveText('Alice wrote this. Bob added that.');
  const spans = view.locator('.authored-span');
  await expect(spans).toHaveCount(2);
  const aliceName = await alice.locator('.avatar.me').getAttribute('data-name');
  const bobName = await bob.locator('.avatar.me').getAttribute('data-name');
  await expect(spans.nth(0)).toHaveText('Alice wrote this. ');
  await expect(spans.nth(0)).toHaveAttribute('data-author', aliceName);
  await expect(spans.nth(1)).toHaveText('Bob added that.');
  await expect(spans.nth(1)).toHaveAttribute('data-author', bobName);
  const colours = await spans.evaluateAll((all) => all.map((span) => getComputedStyle(span).backgroundColor));
  expect(colours[0]).not.toBe(colours[1]);
  await expect(dialog.getByTestId('author-legend')).toContainText(aliceName);
  await expect(dialog.getByTestId('author-legend')).toContainText(bobName);
});
