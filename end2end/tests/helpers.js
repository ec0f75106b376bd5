// Small helpers shared by the browser tests.
const { expect } = require('@playwright/test');

/** Creates a document through the JSON API and returns its id. */
async function createDoc(request, title) {
  const response = await request.post('/api/docs', { data: { title } });
  expect(response.status()).toBe(201);
  return (await response.json()).id;
}

/** Opens a document and waits until the editor is live (first sync done). */
async function openDoc(page, id) {
  await page.goto(`/d/${id}`);
  const editor = page.getByTestId('editor');
  // Generous: the first pages of a run compile the WebAssembly bundle.
  await expect(editor).toBeEditable({ timeout: 20_000 });
  await expect(page.getByTestId('status')).toHaveText('Connected');
  return editor;
}

/** A new document open in two separate browser contexts (two people). */
async function twoPeople(browser, request, title) {
  const id = await createDoc(request, title);
  const alice = await (await browser.newContext()).newPage();
  const bob = await (await browser.newContext()).newPage();
  const aliceEditor = await openDoc(alice, id);
  const bobEditor = await openDoc(bob, id);
  return { id, alice, bob, aliceEditor, bobEditor };
}

module.exports = { createDoc, openDoc, twoPeople };
