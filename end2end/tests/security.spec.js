// A document's text is never markup: whatever a collaborator types, however
// hostile, everyone who opens the page sees it as text, exactly as typed,
// and no script of theirs runs (the page's Content-Security-Policy would
// report one as a console error).
const { test, expect } = require('@playwright/test');
const { closeContexts, createDoc, docLink, editorText, expectText, markdown, openDoc } = require('./helpers');

test.afterEach(closeContexts);

const HOSTILE = [
  '</textarea><script>window.pwned = 1</script>',
  '</noscript><script>window.pwned = 5</script>',
  '<img src=x onerror="window.pwned = 2">',
  '&lt;kept&gt; and [a link](javascript:window.pwned=3)',
].join('\n');
const TITLE = '</title><script>window.pwned = 4</script>';

function collectErrors(page) {
  const errors = [];
  page.on('pageerror', (error) => errors.push(error.message));
  page.on('console', (message) => message.type() === 'error' && errors.push(message.text()));
  return errors;
}

test('hostile text typed by a collaborator stays text for everyone who opens it', async ({ browser, request }) => {
  // Typed key by key (about 150 keys) and read by three pages: over 35 s on
  // a loaded 2-core machine.
  test.setTimeout(90_000);
  const id = await createDoc(request, TITLE);
  const writer = await (await browser.newContext()).newPage();
  const editor = await openDoc(writer, id);
  await editor.click();
  await writer.keyboard.type(HOSTILE);
  await expect(writer.getByTestId('status')).toHaveText('Saved');
  expect(await markdown(id)).toBe(HOSTILE);

  // Someone opens the page afterwards: it is rendered by the server with the text in it.
  const reader = await (await browser.newContext()).newPage();
  const errors = collectErrors(reader);
  const readerEditor = await openDoc(reader, id);
  await expectText(readerEditor, HOSTILE);
  await expect(reader.getByTestId('preview')).toContainText('</textarea><script>window.pwned = 1</script>');
  await expect(reader.getByTestId('preview')).toContainText('<kept> and a link');
  await expect(reader).toHaveTitle(`${TITLE} · Quire`);
  expect(await reader.evaluate(() => window.pwned)).toBeUndefined();
  expect(await reader.locator('script:not([nonce])').count()).toBe(0);
  expect(errors).toEqual([]);

  // Without JavaScript the server's page alone shows the same text.
  const noJs = await (await browser.newContext({ javaScriptEnabled: false })).newPage();
  await noJs.goto(docLink(id));
  await expect(noJs).toHaveURL(new RegExp(`/d/${id}$`));
  expect(await noJs.getByTestId('source').inputValue()).toBe(HOSTILE);
  await expect(noJs.getByTestId('preview')).toContainText('<img src=x onerror="window.pwned = 2">');
});

test('a change past the size limit is refused, kept on this device, and the page says why', async ({ browser, request }) => {
  const id = await createDoc(request, 'Too big');
  // Instance B takes documents of up to 200,000 characters (servers.sh).
  const instanceB = `http://127.0.0.1:${Number(process.env.QUIRE_E2E_PORT || 3100) + 1}`;
  const page = await (await browser.newContext({ baseURL: instanceB })).newPage();
  const editor = await openDoc(page, id);
  await editor.click();
  await page.keyboard.type('kept ');
  await expect(page.getByTestId('status')).toHaveText('Saved');

  await page.keyboard.insertText('x'.repeat(250_000));
  await expect(page.getByTestId('status')).toHaveText('Not saved — size limit');
  await expect(page.getByText('this document is at its size limit')).toBeVisible();
  // Nothing of it was stored, and nothing typed is lost here.
  expect(await markdown(id)).toBe('kept ');
  expect((await editorText(editor)).length).toBe(250_005);
});

test('a document of characters the HTML parser drops still opens live for everyone', async ({ browser, request }) => {
  // NUL is valid text, but the browser's parser drops it from the page:
  // what the server drew for it must not leave hydration without a node.
  const id = await createDoc(request, 'NUL');
  const writer = await (await browser.newContext()).newPage();
  const editor = await openDoc(writer, id);
  await editor.click();
  await writer.keyboard.insertText('\u0000\u0000\u0000');
  await expect(writer.getByTestId('status')).toHaveText('Saved');
  expect(await markdown(id)).toBe('\u0000\u0000\u0000');

  const reader = await (await browser.newContext()).newPage();
  const errors = collectErrors(reader);
  const readerEditor = await openDoc(reader, id);
  await expectText(readerEditor, '\u0000\u0000\u0000');
  await readerEditor.click();
  await reader.keyboard.press('Control+End');
  await reader.keyboard.type('ok');
  await expect(reader.getByTestId('status')).toHaveText('Saved');
  expect(await markdown(id)).toBe('\u0000\u0000\u0000ok');
  expect(errors).toEqual([]);
});
