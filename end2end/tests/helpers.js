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
  await expect(editor).toBeEditable();
  await expect(page.getByTestId('status')).toHaveText('Connected');
  return editor;
}

module.exports = { createDoc, openDoc };
