// The editor as people use it, two at a time: several cursors at once,
// replace-all, pasting Windows line endings, emoji and CJK, a 1 MB document.
// Whatever one tab does, the other tab and the server end with the same text.
const { test, expect } = require('@playwright/test');
const Y = require('yjs');
const { WebsocketProvider } = require('y-websocket');
const WebSocket = require('ws');
const { closeContexts, createDoc, editorText, expectText, guestHeaders, markdown, openDoc, select, twoPeople } = require('./helpers');

test.afterEach(closeContexts);

test('an edit with several cursors reaches the other tab whole', async ({ browser, request }) => {
  const { id, alice, aliceEditor, bobEditor } = await twoPeople(browser, request, 'Cursors');
  await aliceEditor.click();
  await alice.keyboard.type('cat and cat and cat');
  await expectText(bobEditor, 'cat and cat and cat');
  // The first "cat" selected, then the next two occurrences added (Ctrl+D).
  await select(aliceEditor, 0, 3);
  await alice.keyboard.press('Control+d');
  await alice.keyboard.press('Control+d');
  await alice.keyboard.type('dog');
  await expectText(aliceEditor, 'dog and dog and dog');
  await expectText(bobEditor, 'dog and dog and dog');
  await expect.poll(() => markdown(id)).toBe('dog and dog and dog');
});

test('search and replace-all converges on both sides', async ({ browser, request }) => {
  const { id, alice, bob, aliceEditor, bobEditor } = await twoPeople(browser, request, 'Replace');
  await aliceEditor.click();
  await alice.keyboard.type('teh cat saw teh dog.\nteh end');
  await expectText(bobEditor, 'teh cat saw teh dog.\nteh end');
  // Bob types at the end meanwhile; Alice replaces every "teh".
  await bobEditor.click();
  await bob.keyboard.press('Control+End');
  await bob.keyboard.type(' (really)');
  await aliceEditor.click();
  await alice.keyboard.press('Control+f');
  await alice.getByRole('textbox', { name: 'Find' }).fill('teh');
  await alice.getByRole('textbox', { name: 'Replace' }).fill('the');
  await alice.getByRole('button', { name: 'replace all' }).click();
  const want = 'the cat saw the dog.\nthe end (really)';
  await expectText(aliceEditor, want);
  await expectText(bobEditor, want);
  await expect.poll(() => markdown(id)).toBe(want);
});

test('pasted Windows line endings become one line break each, so offsets stay right', async ({ browser, request }) => {
  const { id, alice, aliceEditor, bobEditor } = await twoPeople(browser, request, 'CRLF');
  await aliceEditor.click();
  await aliceEditor.evaluate((el) => {
    const data = new DataTransfer();
    data.setData('text/plain', 'one\r\ntwo\r\nthree');
    el.dispatchEvent(new ClipboardEvent('paste', { clipboardData: data, bubbles: true, cancelable: true }));
  });
  await expectText(aliceEditor, 'one\ntwo\nthree');
  await alice.keyboard.type('!');
  await expectText(aliceEditor, 'one\ntwo\nthree!');
  await expectText(bobEditor, 'one\ntwo\nthree!');
  await expect.poll(() => markdown(id)).toBe('one\ntwo\nthree!');
});

test('emoji and CJK arrive intact, and Backspace takes an emoji whole', async ({ browser, request }) => {
  const { id, alice, bob, aliceEditor, bobEditor } = await twoPeople(browser, request, 'Unicode');
  await aliceEditor.click();
  await alice.keyboard.type('ab');
  await select(aliceEditor, 1);
  await alice.keyboard.insertText('日本語 👩🏽‍💻 😀');
  await expectText(bobEditor, 'a日本語 👩🏽‍💻 😀b');
  // Bob types after the emoji (UTF-16 offsets: the emoji are surrogate pairs).
  await select(bobEditor, 'a日本語 👩🏽‍💻 😀'.length);
  await bob.keyboard.type('!');
  await expectText(aliceEditor, 'a日本語 👩🏽‍💻 😀!b');
  // Alice's caret is after 😀 (before Bob's "!"): Backspace removes it whole.
  await alice.keyboard.press('Backspace');
  await expectText(aliceEditor, 'a日本語 👩🏽‍💻 !b');
  await expectText(bobEditor, 'a日本語 👩🏽‍💻 !b');
  await expect.poll(() => markdown(id)).toBe('a日本語 👩🏽‍💻 !b');
});

test('a 1 MB document opens and takes typing', async ({ page, request, baseURL }) => {
  test.setTimeout(180_000);
  const id = await createDoc(request, 'Big');
  const line = 'A line of a long document, with **some** Markdown in it.\n';
  const text = line.repeat(Math.ceil((1 << 20) / line.length));
  // Written by a stock Yjs client, as one paste.
  const headers = await guestHeaders(id, baseURL);
  class WithSession extends WebSocket {
    constructor(url, protocols) { super(url, protocols, { headers }); }
  }
  const doc = new Y.Doc();
  const provider = new WebsocketProvider(baseURL.replace(/^http/, 'ws') + '/ws/doc', id, doc, { WebSocketPolyfill: WithSession });
  await new Promise((resolve) => provider.on('sync', (synced) => synced && resolve()));
  doc.getText('content').insert(0, text);
  await expect.poll(async () => (await markdown(id)).length, { timeout: 60_000 }).toBe(text.length);
  provider.destroy();

  await openDoc(page, id);
  const reopened = page.getByTestId('editor');
  await expect(reopened).toBeEditable({ timeout: 30_000 });
  await expect.poll(async () => (await editorText(reopened)).length).toBe(text.length);
  const middle = Math.floor(text.length / 2);
  await select(reopened, middle);
  await page.keyboard.type('typed here');
  await expect.poll(async () => (await markdown(id)).slice(middle, middle + 10), { timeout: 30_000 })
    .toBe('typed here');
});
