// Accounts and sharing, as people use them: sign up, share a link, a guest
// edits, the owner revokes; view links are read-only; lists update live.
const { test, expect } = require('@playwright/test');
const { closeContexts, expectText, signUp, signUpInBrowser } = require('./helpers');

test.afterEach(closeContexts);

test('an owner shares an edit link, a guest edits, and revoking it stops the guest at once', async ({ page, browser }) => {
  await signUpInBrowser(page);
  await page.getByPlaceholder('Title of a new document').fill('Shared notes');
  await page.getByRole('button', { name: 'New document' }).click();
  await expect(page).toHaveURL(/\/d\/[0-9a-f-]{36}$/);
  const editor = page.getByTestId('editor');
  await expect(editor).toBeEditable({ timeout: 20_000 });
  await editor.click();
  await page.keyboard.type('Owner text. ');

  await page.getByTestId('share').click();
  const dialog = page.getByTestId('share-dialog');
  await dialog.getByTestId('create-link').click();
  const link = await dialog.getByTestId('new-link').inputValue();
  expect(link).toMatch(/\/s\/qs_[0-9a-f]{64}$/);
  await dialog.getByRole('button', { name: 'Close' }).click();

  // A second browser with no account opens the link and edits as a guest.
  const guest = await (await browser.newContext()).newPage();
  await guest.goto(link);
  await expect(guest).toHaveURL(/\/d\/[0-9a-f-]{36}$/);
  const guestEditor = guest.getByTestId('editor');
  await expect(guestEditor).toBeEditable({ timeout: 20_000 });
  await expectText(guestEditor, 'Owner text. ');
  await guestEditor.press('End');
  await guest.keyboard.type('Guest was here.');
  await expectText(editor, 'Owner text. Guest was here.');
  await expect(page.getByTestId('count')).toHaveText('2 here');
  await expect(guest.getByTestId('undo')).toBeEnabled();

  // The owner revokes the link: the guest's editor stops, without a reload.
  await page.getByTestId('share').click();
  // Revoking asks first.
  await dialog.getByTestId('revoke-link').click();
  await expect(dialog.getByTestId('revoke-link')).toHaveText('Revoke it?');
  await dialog.getByTestId('revoke-link').click();
  await expect(guest.getByTestId('status')).toHaveText('Access removed', { timeout: 2_000 });
  await expect(guestEditor).not.toBeEditable();
  // Nothing the guest wrote can be taken back (or redone) any more.
  await expect(guest.getByTestId('undo')).toBeDisabled();
  await expect(guest.getByTestId('access-banner')).toContainText('access to this document was removed');
  await expect(page.getByTestId('count')).toHaveText('Only you');

  // And the link opens nothing any more.
  const later = await (await browser.newContext()).newPage();
  await later.goto(link);
  await expect(later.getByTestId('link-invalid')).toBeVisible();
});

test('a view link opens the preview, with a read-only source a click away, and shows who is there', async ({ browser, baseURL }) => {
  const { api } = await signUp(baseURL);
  const { id } = await (await api.post('/api/docs', { data: { title: 'Read me' } })).json();
  const { url: viewLink } = await (await api.post(`/api/docs/${id}/links`, { data: { role: 'viewer' } })).json();

  const owner = await (await browser.newContext({ storageState: await api.storageState() })).newPage();
  await owner.goto(`/d/${id}`);
  const ownerEditor = owner.getByTestId('editor');
  await expect(ownerEditor).toBeEditable({ timeout: 20_000 });
  await ownerEditor.click();
  await owner.keyboard.type('- Only I write here.');

  const viewer = await (await browser.newContext()).newPage();
  await viewer.goto(viewLink);
  const viewerEditor = viewer.getByTestId('editor');
  await expect(viewer.getByTestId('status')).toHaveText('Saved', { timeout: 20_000 });
  // A reader gets the rendered document, not half a screen of Markdown, and
  // no editing tools.
  await expect(viewer.getByTestId('preview').locator('li')).toHaveText('Only I write here.');
  await expect(viewerEditor).toBeHidden();
  await expect(viewer.getByTestId('undo')).toBeHidden();
  await expect(viewer.getByTestId('access-banner')).toContainText('You can view this document');
  await viewer.getByTestId('layout').getByRole('button', { name: 'Source' }).click();
  await expect(viewerEditor).toBeVisible();
  await expectText(viewerEditor, '- Only I write here.');
  await expect(viewerEditor).not.toBeEditable();
  await expect(viewer.getByTestId('count')).toHaveText('2 here');
  await expect(owner.getByTestId('count')).toHaveText('2 here');

  // No key changes the text (not even Enter continuing the list, or
  // Backspace, or a formatting shortcut); the owner's text keeps arriving live.
  await viewerEditor.click();
  // (A write the server refuses would make the page start over: reload.)
  await viewer.evaluate(() => { window.sameVisit = true; });
  await viewer.keyboard.press('Control+End');
  for (const key of ['Enter', 'Backspace', 'Control+b', 'Control+Shift+Digit8', 'Control+z', 'Delete']) {
    await viewer.keyboard.press(key);
  }
  await viewer.keyboard.type('vandalism');
  await owner.keyboard.type(' Still live.');
  await expectText(viewerEditor, '- Only I write here. Still live.');
  await expectText(ownerEditor, '- Only I write here. Still live.');
  await expect(viewer.getByTestId('status')).toHaveText('Saved');
  expect(await viewer.evaluate(() => window.sameVisit)).toBe(true);
});

test('"Shared with you" updates live when a document is shared and unshared', async ({ browser, baseURL }) => {
  const alice = await signUp(baseURL);
  const bob = await signUp(baseURL);
  const { id } = await (await alice.api.post('/api/docs', { data: { title: 'Roadmap' } })).json();

  const bobPage = await (await browser.newContext({ storageState: await bob.api.storageState() })).newPage();
  await bobPage.goto('/');
  const shared = bobPage.getByTestId('shared-docs');
  await expect(shared).toContainText('Nothing is shared with you yet.', { timeout: 20_000 });

  const share = await alice.api.put(`/api/docs/${id}/members/${bob.username}`, { data: { role: 'editor' } });
  expect(share.status()).toBe(204);
  await expect(shared.locator(`a[href="/d/${id}"]`)).toContainText('Roadmap');
  await expect(shared).toContainText(`${alice.username} · can edit`);

  const unshare = await alice.api.delete(`/api/docs/${id}/members/${bob.username}`);
  expect(unshare.status()).toBe(204);
  await expect(shared.locator(`a[href="/d/${id}"]`)).toHaveCount(0);
});
