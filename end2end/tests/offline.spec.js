// Offline-first: with the network gone people keep writing, a reload still
// shows the document with their edits (service worker + IndexedDB), and when
// the network returns everything merges, once. The status pill tells the
// truth throughout: Offline — N changes, Saving…, Saved.
const { test, expect } = require('@playwright/test');
const { closeContexts, createDoc, editorText, expectText, markdown, openDoc, select } = require('./helpers');

test.afterEach(closeContexts);

/** Waits until the service worker keeps this page for offline use. */
async function waitUntilCachedForOffline(page) {
  await expect.poll(() => page.evaluate(async () => {
    await navigator.serviceWorker.ready;
    const cached = (await Promise.all((await caches.keys()).map(async (name) => (await caches.open(name)).keys()))).flat();
    const editorModule = cached.some((request) => new URL(request.url).pathname.startsWith('/pkg/snippets/'));
    return Boolean(await caches.match(location.href)) && Boolean(await caches.match('/pkg/quire.wasm')) && editorModule;
  }), { timeout: 20_000 }).toBe(true);
}

/**
 * How many records the device copy (IndexedDB `quire`, store `updates`) holds
 * for document `id`. Each keystroke is its own write, committed a moment after
 * it is typed; a page unloaded before that aborts it.
 */
async function deviceRecords(page, id) {
  return page.evaluate((id) => new Promise((resolve, reject) => {
    const open = indexedDB.open('quire');
    open.onerror = () => reject(open.error);
    open.onsuccess = () => {
      const db = open.result;
      const range = IDBKeyRange.bound([id], [id, []]);
      const count = db.transaction('updates').objectStore('updates').count(range);
      count.onsuccess = () => { db.close(); resolve(count.result); };
      count.onerror = () => reject(count.error);
    };
  }), id);
}

/** Records every text the status pill shows, in order. */
async function recordStatuses(page) {
  await page.evaluate(() => {
    const pill = document.querySelector('[data-testid="status"]');
    window.quireStatuses = [pill.textContent];
    new MutationObserver(() => window.quireStatuses.push(pill.textContent))
      .observe(pill, { childList: true, subtree: true, characterData: true });
  });
}

test('a reload while offline keeps the edits, and they reach others once when back online', async ({ browser, request }) => {
  test.setTimeout(90_000);
  const id = await createDoc(request, 'Offline');
  const context = await browser.newContext();
  const page = await context.newPage();
  const editor = await openDoc(page, id);
  await editor.click();
  await page.keyboard.type('online line\n');
  await expect(page.getByTestId('status')).toHaveText('Saved');
  await waitUntilCachedForOffline(page);

  await context.setOffline(true);
  await expect(page.getByTestId('status')).toHaveText('Offline');
  const before = await deviceRecords(page, id);
  await page.keyboard.type('offline one\n');
  await expect(page.getByTestId('status')).toHaveText('Offline — 12 changes on this device');
  // A person reloads after a pause, not within the milliseconds IndexedDB
  // takes to commit the last keystroke (on a loaded 2-core machine, a few of
  // the 12 were still uncommitted and the reload aborted them).
  await expect.poll(() => deviceRecords(page, id)).toBeGreaterThanOrEqual(before + 12);

  // Reloading with unsaved changes asks first; the user goes ahead anyway.
  const warned = [];
  page.on('dialog', (dialog) => { warned.push(dialog.type()); dialog.accept(); });
  await page.reload();
  expect(warned).toEqual(['beforeunload']);
  const reloaded = page.getByTestId('editor');
  await expectText(reloaded, 'online line\noffline one\n');
  await expect(reloaded).toBeEditable();
  await expect(page.getByTestId('status')).toHaveText('Offline — 12 changes on this device');
  await reloaded.click();
  await reloaded.press('Control+End');
  await page.keyboard.type('offline two\n');
  await expect(page.getByTestId('status')).toHaveText('Offline — 24 changes on this device');

  await context.setOffline(false);
  await expect(page.getByTestId('status')).toHaveText('Saved', { timeout: 15_000 });
  const expected = 'online line\noffline one\noffline two\n';
  expect(await markdown(id)).toBe(expected);
  const other = await (await browser.newContext()).newPage();
  await expectText(await openDoc(other, id), expected);
  // Nothing left to warn about.
  page.removeAllListeners('dialog');
  await page.close({ runBeforeUnload: true });
  await expect.poll(() => page.isClosed()).toBe(true);
});

test('two people editing the same spot offline merge without loss or duplication', async ({ browser, request }) => {
  test.setTimeout(90_000);
  const id = await createDoc(request, 'Both offline');
  const aliceContext = await browser.newContext();
  const bobContext = await browser.newContext();
  const alice = await aliceContext.newPage();
  const bob = await bobContext.newPage();
  const aliceEditor = await openDoc(alice, id);
  const bobEditor = await openDoc(bob, id);
  await aliceEditor.click();
  await alice.keyboard.type('[]');
  await expectText(bobEditor, '[]');
  // Bob can see "[]" before the server has committed it; until it has, Alice's
  // device rightly counts it as unsaved, and the status below would say so.
  await expect(alice.getByTestId('status')).toHaveText('Saved');

  await aliceContext.setOffline(true);
  await bobContext.setOffline(true);
  await expect(alice.getByTestId('status')).toHaveText('Offline');
  await expect(bob.getByTestId('status')).toHaveText('Offline');
  for (const [page, word] of [[alice, 'alice wrote this'], [bob, 'bob wrote that']]) {
    const editor = page.getByTestId('editor');
    await select(editor, 1);
    await page.keyboard.type(word);
  }
  await expect(alice.getByTestId('status')).toHaveText(/^Offline — 16 changes/);
  await expectText(bobEditor, '[bob wrote that]');

  await aliceContext.setOffline(false);
  await bobContext.setOffline(false);
  await expect(alice.getByTestId('status')).toHaveText('Saved', { timeout: 15_000 });
  await expect(bob.getByTestId('status')).toHaveText('Saved', { timeout: 15_000 });
  const merged = await editorText(aliceEditor);
  expect(['[alice wrote thisbob wrote that]', '[bob wrote thatalice wrote this]']).toContain(merged);
  await expectText(bobEditor, merged);
  await expect.poll(() => markdown(id)).toBe(merged);
});

test('the status says Saving… until the server has committed, then Saved', async ({ browser, request }) => {
  const id = await createDoc(request, 'Status');
  const page = await (await browser.newContext()).newPage();
  const editor = await openDoc(page, id);
  await recordStatuses(page);
  await editor.click();
  await page.keyboard.type('hello');
  await expect(page.getByTestId('status')).toHaveText('Saved');
  const statuses = await page.evaluate(() => window.quireStatuses);
  // Every keystroke went Saved → Saving… → Saved: never "Saved" while one
  // was outstanding, and it ends saved.
  expect(statuses[0]).toBe('Saved');
  expect(statuses.filter((s) => s === 'Saving…').length).toBeGreaterThanOrEqual(1);
  expect(statuses.every((s) => s === 'Saved' || s === 'Saving…')).toBe(true);
  expect(statuses[statuses.length - 1]).toBe('Saved');
  expect(await markdown(id)).toBe('hello');
});

test('code typed offline is highlighted: the service worker kept the modes the page never fetched', async ({ browser, request }) => {
  test.setTimeout(60_000);
  const id = await createDoc(request, 'Code offline');
  const context = await browser.newContext();
  const page = await context.newPage();
  const online = await openDoc(page, id);
  await online.click();
  await page.keyboard.type('No code yet.\n');
  await expect(page.getByTestId('status')).toHaveText('Saved');
  await waitUntilCachedForOffline(page);
  // The page itself had no code, so it did not fetch the modes; the worker did.
  await expect.poll(() => page.evaluate(async () => Boolean((await Promise.all((await caches.keys())
    .map(async (name) => (await caches.open(name)).keys()))).flat()
    .find((request) => new URL(request.url).pathname.endsWith('/modes.js'))))).toBe(true);

  await context.setOffline(true);
  await page.reload();
  const editor = page.getByTestId('editor');
  await expect(editor).toBeEditable({ timeout: 20_000 });
  await editor.click();
  await editor.press('Control+End');
  await page.keyboard.insertText('```rust\nfn offline() {}\n```\n');
  await expect(page.locator('.cm-content .tok-keyword', { hasText: /^fn$/ })).toHaveCount(1);
  await context.close();
});
