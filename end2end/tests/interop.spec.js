// An unmodified Yjs client from npm (yjs + y-websocket's WebsocketProvider)
// joins Quire and edits, both directions, next to a Quire browser tab.
const { test, expect } = require('@playwright/test');
const Y = require('yjs');
const { WebsocketProvider } = require('y-websocket');
const WebSocket = require('ws');
const { closeContexts, createDoc, expectText, guestHeaders, markdown, openDoc } = require('./helpers');

test.afterEach(closeContexts);

// Like a browser, it sends the page's Origin and the session cookie it got
// from opening the document's share link.
async function stockClient(baseURL, id) {
  const headers = await guestHeaders(id, baseURL);
  class WithSession extends WebSocket {
    constructor(url, protocols) { super(url, protocols, { headers }); }
  }
  const doc = new Y.Doc();
  const serverUrl = baseURL.replace(/^http/, 'ws') + '/ws/doc';
  const provider = new WebsocketProvider(serverUrl, id, doc, { WebSocketPolyfill: WithSession });
  provider.awareness.setLocalStateField('user', { name: 'Node client', color: '#e8590c' });
  const synced = new Promise((resolve) => {
    if (provider.synced) resolve();
    provider.on('sync', (isSynced) => isSynced && resolve());
  });
  return { doc, text: doc.getText('content'), provider, synced };
}

test('a stock y-websocket client and a Quire browser edit together', async ({ page, request, baseURL }) => {
  const id = await createDoc(request, 'Interop');
  const editor = await openDoc(page, id);
  await editor.click();
  await page.keyboard.type('from the browser. ');

  const node = await stockClient(baseURL, id);
  try {
    await node.synced;
    // Browser -> stock client: it received the document on sync.
    await expect.poll(() => node.text.toString()).toBe('from the browser. ');

    // Stock client -> browser and server.
    node.text.insert(node.text.length, 'from node 🦀');
    await expectText(editor, 'from the browser. from node 🦀');
    await expect.poll(async () => markdown(id))
      .toBe('from the browser. from node 🦀');

    // Browser keeps typing; the stock client sees it live.
    await editor.press('End');
    await page.keyboard.type('!');
    await expect.poll(() => node.text.toString()).toBe('from the browser. from node 🦀!');

    // Deleting from the stock client reaches the browser too.
    node.text.delete(0, 'from the browser. '.length);
    await expectText(editor, 'from node 🦀!');
  } finally {
    node.provider.destroy();
    node.doc.destroy();
  }
});

test('a stock Yjs client and Quire see each other, under the names the server gave', async ({ page, request, baseURL }) => {
  const id = await createDoc(request, 'Interop presence');
  const editor = await openDoc(page, id);
  const quireName = await page.locator('.avatar.me').getAttribute('data-name');
  await editor.click();
  await page.keyboard.type('hello');

  const node = await stockClient(baseURL, id); // claims to be "Node client"
  try {
    await node.synced;
    // Quire shows the stock client, as the guest the server made it, not as
    // the name it claimed for itself.
    await expect(page.getByTestId('count')).toHaveText('2 here');
    const avatars = page.locator('[data-testid=avatar]:not(.me)');
    await expect(avatars).toHaveCount(1);
    const nodeName = await avatars.first().getAttribute('data-name');
    expect(nodeName).not.toBe('Node client');
    expect(nodeName).toMatch(/^\w+ \w+$/);

    // The stock client sees the Quire user by their server-given name, with
    // a caret as a Yjs relative position it can resolve.
    const quireState = () => [...node.provider.awareness.getStates().entries()]
      .find(([client, state]) => client !== node.doc.clientID && state.user)?.[1];
    await expect.poll(() => quireState()?.user?.name).toBe(quireName);
    await expect.poll(() => {
      const cursor = quireState()?.cursor;
      if (!cursor) return null;
      const head = Y.createAbsolutePositionFromRelativePosition(Y.createRelativePositionFromJSON(cursor.head), node.doc);
      return head && head.index;
    }).toBe(5);

    // Leaving removes the stock client from the page at once.
    node.provider.destroy();
    await expect(page.getByTestId('count')).toHaveText('Only you', { timeout: 2_000 });
  } finally {
    node.provider.destroy();
    node.doc.destroy();
  }
});

test('two stock clients converge through Quire', async ({ request, baseURL }) => {
  const id = await createDoc(request, 'Interop pair');
  const a = await stockClient(baseURL, id);
  const b = await stockClient(baseURL, id);
  try {
    await Promise.all([a.synced, b.synced]);
    a.text.insert(0, 'hello');
    b.text.insert(0, 'world ');
    await expect.poll(() => [a.text.toString(), b.text.toString()].join('|'))
      .toMatch(/^(world hello\|world hello|helloworld \|helloworld )$/);
    // Presence from the stock clients is relayed as standard awareness.
    await expect.poll(() => [...a.provider.awareness.getStates().values()].filter((s) => s.user).length).toBe(2);
  } finally {
    for (const c of [a, b]) { c.provider.destroy(); c.doc.destroy(); }
  }
});
