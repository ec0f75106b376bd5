// Two people, one document: typing, merging, previewing, reloading.
const { test, expect } = require('@playwright/test');
const { closeContexts, createDoc, docLink, editorText, expectText, markdown, openDoc, select, signUpInBrowser, twoPeople } = require('./helpers');

test.afterEach(closeContexts);

test('a new document is created from the home page and opens', async ({ page }) => {
  // Both pages must hydrate cleanly: a mismatch between the server's HTML and
  // the browser bundle shows up as a console error (and a dead page).
  const errors = [];
  page.on('pageerror', (error) => errors.push(error.message));
  page.on('console', (message) => message.type() === 'error' && errors.push(message.text()));
  await signUpInBrowser(page);
  await expect(page).toHaveTitle('Quire');
  await page.getByPlaceholder('Title of a new document').fill('Launch plan');
  await page.getByRole('button', { name: 'New document' }).click();
  await expect(page).toHaveURL(/\/d\/[0-9a-f-]{36}$/);
  await expect(page.getByTestId('doc-title')).toHaveText('Launch plan');
  await expect(page).toHaveTitle('Launch plan · Quire');
  await expect(page.getByTestId('editor')).toBeEditable({ timeout: 20_000 });
  const path = new URL(page.url()).pathname;
  await page.goto('/');
  // (Other tests create documents in parallel, so not necessarily first.)
  await expect(page.locator(`.doc-row[href="${path}"]`)).toContainText('Launch plan');
  expect(errors).toEqual([]);
});

test('two browsers typing at the same spot converge, each word whole', async ({ browser, request }) => {
  const { id, alice, bob, aliceEditor, bobEditor } = await twoPeople(browser, request, 'Concurrent');

  await aliceEditor.click();
  await alice.keyboard.type('[]');
  await expectText(bobEditor, '[]');

  // Both put the caret between the brackets and type at once, interleaved.
  for (const page of [alice, bob]) {
    await select(page.getByTestId('editor'), 1);
  }
  const aliceWord = 'alpha-alpha-alpha';
  const bobWord = 'bravo-bravo-bravo';
  for (let i = 0; i < aliceWord.length; i++) {
    await Promise.all([alice.keyboard.type(aliceWord[i]), bob.keyboard.type(bobWord[i])]);
  }

  await expect.poll(async () => {
    const [a, b] = await Promise.all([editorText(aliceEditor), editorText(bobEditor)]);
    return a === b && a.length === 2 + aliceWord.length + bobWord.length;
  }).toBe(true);
  const text = await editorText(aliceEditor);
  // Each person's word stays whole: nobody's caret jumps past what the other
  // inserts exactly at it, so each next character follows their own.
  expect([`[${aliceWord}${bobWord}]`, `[${bobWord}${aliceWord}]`]).toContain(text);

  // And the server stored exactly that.
  await expect.poll(async () => markdown(id)).toBe(text);
});

test('the preview renders headings and lists as you type', async ({ page, request }) => {
  const id = await createDoc(request, 'Preview');
  const editor = await openDoc(page, id);
  await editor.click();
  // Enter continues the list: the second item's "- " is the editor's.
  await page.keyboard.type('# Agenda\n\n- first\nsecond');
  await expectText(editor, '# Agenda\n\n- first\n- second');
  const preview = page.getByTestId('preview');
  await expect(preview.locator('h1')).toHaveText('Agenda');
  await expect(preview.locator('li')).toHaveText(['first', 'second']);
});

test('reloading shows everything that was typed', async ({ page, request }) => {
  const id = await createDoc(request, 'Reload');
  const editor = await openDoc(page, id);
  await editor.click();
  await page.keyboard.type('kept after reload 😀');
  await expect.poll(async () => markdown(id)).toBe('kept after reload 😀');
  // Until the page hears that, leaving asks first (and Playwright says no).
  await expect(page.getByTestId('status')).toHaveText('Saved');
  await page.reload();
  await expectText(page.getByTestId('editor'), 'kept after reload 😀');
  await expect(page.getByTestId('editor')).toBeEditable();
});

test('with JavaScript disabled the document still reads fully', async ({ browser, request }) => {
  const id = await createDoc(request, 'No script');
  const writer = await browser.newPage();
  const editor = await openDoc(writer, id);
  await editor.click();
  await writer.keyboard.type('## Server rendered\n\nplain *text*');
  await expect.poll(async () => markdown(id)).toContain('plain *text*');

  const context = await browser.newContext({ javaScriptEnabled: false });
  const page = await context.newPage();
  await page.goto(docLink(id));
  await expect(page).toHaveTitle('No script · Quire');
  await expect(page.getByTestId('source')).toHaveValue('## Server rendered\n\nplain *text*');
  await expect(page.getByTestId('preview').locator('h2')).toHaveText('Server rendered');
  await expect(page.getByTestId('preview').locator('em')).toHaveText('text');
  await expect(page.getByText('JavaScript is off')).toBeVisible();
  await context.close();
});

test('raw HTML in a document is shown, never executed', async ({ page, request }) => {
  const id = await createDoc(request, 'XSS');
  let dialogs = 0;
  page.on('dialog', (dialog) => { dialogs++; dialog.dismiss(); });
  const editor = await openDoc(page, id);
  await editor.click();
  await page.keyboard.type('<script>alert(1)</script>\n\n<img src=x onerror="alert(2)">\n\n[click](javascript:alert(3))');
  const preview = page.getByTestId('preview');
  await expect(preview).toContainText('<script>alert(1)</script>');
  await expect(preview).toContainText('<img src=x onerror="alert(2)">');
  expect(await preview.locator('script, img').count()).toBe(0);
  expect(await preview.locator('a').getAttribute('href')).toBe('#');

  // The same document rendered by the server is just as inert. (Reload once
  // saved: with changes unsaved, leaving asks first, and the handler above says no.)
  await expect(page.getByTestId('status')).toHaveText('Saved');
  await page.reload();
  await expect(page.getByTestId('preview')).toContainText('<script>alert(1)</script>');
  expect(await page.getByTestId('preview').locator('script, img').count()).toBe(0);
  await page.waitForTimeout(300);
  expect(dialogs).toBe(0);
});

test('an unknown document shows a friendly not-found page', async ({ page }) => {
  const response = await page.goto('/d/00000000-0000-4000-8000-000000000000');
  expect(response.status()).toBe(404);
  await expect(page.getByRole('heading', { name: 'Nothing here' })).toBeVisible();
});
