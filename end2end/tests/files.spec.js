// Images and files in the editor: a screenshot pasted from the clipboard
// becomes an image the other person sees in their preview; a dropped PDF
// becomes a link; a file over the size limit says why and leaves nothing in
// the text.
const { test, expect } = require('@playwright/test');
const { closeContexts, createDoc, editorText, openDoc, twoPeople } = require('./helpers');

test.afterEach(closeContexts);

// A real 2×2 PNG (red), as a screenshot tool would put it on the clipboard.
const PNG_BASE64 =
  'iVBORw0KGgoAAAANSUhEUgAAAAIAAAACCAIAAAD91JpzAAAAFklEQVR4nGP4z8DAwMDAxMDAwMDAAAANHQEDasKb6QAAAABJRU5ErkJggg==';

/** Pastes (or drops) files into the editor as the browser would deliver them. */
async function deliver(editor, kind, files) {
  await editor.evaluate((element, [kind, files]) => {
    const transfer = new DataTransfer();
    for (const { name, type, base64, size } of files) {
      const bytes = base64 ? Uint8Array.from(atob(base64), (c) => c.charCodeAt(0)) : new Uint8Array(size);
      transfer.items.add(new File([bytes], name, { type }));
    }
    const box = element.getBoundingClientRect();
    const event = kind === 'paste'
      ? new ClipboardEvent('paste', { clipboardData: transfer, bubbles: true, cancelable: true })
      : new DragEvent('drop', { dataTransfer: transfer, bubbles: true, cancelable: true, clientX: box.left + 10, clientY: box.top + 10 });
    element.dispatchEvent(event);
  }, [kind, files]);
}

test('a pasted screenshot becomes an image the other person sees; a dropped PDF becomes a link', async ({ browser, request }) => {
  const { alice, bob, aliceEditor } = await twoPeople(browser, request, 'Trip report');
  await aliceEditor.click();
  await alice.keyboard.type('Our camp:\n');
  await deliver(aliceEditor, 'paste', [{ name: 'Screenshot 2026-12-06.png', type: 'image/png', base64: PNG_BASE64 }]);

  // The placeholder becomes the image's Markdown once the server has it.
  await expect.poll(() => editorText(aliceEditor), { timeout: 15_000 })
    .toMatch(/^Our camp:\n!\[Screenshot 2026-12-06\]\(\/files\/[0-9a-f]{32}\)$/);
  // Bob's preview shows the picture, loaded from the server.
  const picture = bob.getByTestId('preview').locator('img[src^="/files/"]');
  await expect(picture).toHaveAttribute('alt', 'Screenshot 2026-12-06', { timeout: 15_000 });
  await expect.poll(() => picture.evaluate((img) => img.complete && img.naturalWidth), { timeout: 10_000 }).toBe(2);

  // A PDF dropped on the editor becomes a link to it.
  await deliver(aliceEditor, 'drop', [{ name: 'itinerary.pdf', type: 'application/pdf', base64: Buffer.from('%PDF-1.4\n%âãÏÓ\n').toString('base64') }]);
  await expect.poll(() => editorText(aliceEditor), { timeout: 15_000 }).toMatch(/\[itinerary\.pdf\]\(\/files\/[0-9a-f]{32}\)/);
  // (The placeholder is a link too, "Uploading itinerary.pdf…": wait for the stored file's.)
  const link = bob.getByTestId('preview').locator('a[href^="/files/"]', { hasText: 'itinerary.pdf' });
  await expect(link).toBeVisible({ timeout: 15_000 });
  const response = await bob.request.get(await link.getAttribute('href'));
  expect(response.headers()['content-type']).toBe('application/pdf');
  expect(response.headers()['content-disposition']).toMatch(/^attachment;/);
});

test('a file over the size limit says why and leaves nothing in the text', async ({ browser, request }) => {
  // Instance B allows files of 1 MiB (servers.sh).
  const baseURL = `http://127.0.0.1:${Number(process.env.QUIRE_E2E_PORT || 3100) + 1}`;
  const id = await createDoc(request, 'Too big', baseURL);
  const page = await (await browser.newContext({ baseURL })).newPage();
  const editor = await openDoc(page, id);
  await editor.click();
  await page.keyboard.type('Before.');
  await deliver(editor, 'drop', [{ name: 'video.mov', type: 'video/quicktime', size: 2 * 1024 * 1024 }]);
  await expect(page.getByTestId('upload-error')).toContainText('Could not add video.mov: Files may be at most 1 MiB.', { timeout: 15_000 });
  await expect.poll(() => editorText(editor)).toBe('Before.');
});

test('an image in a document already opened still shows offline', async ({ browser, request }) => {
  const id = await createDoc(request, 'Offline picture');
  const context = await browser.newContext();
  const page = await context.newPage();
  const editor = await openDoc(page, id);
  await editor.click();
  await deliver(editor, 'paste', [{ name: 'map.png', type: 'image/png', base64: PNG_BASE64 }]);
  const picture = page.getByTestId('preview').locator('img[src^="/files/"]');
  await expect.poll(() => picture.evaluate((img) => img.complete && img.naturalWidth), { timeout: 15_000 }).toBe(2);
  const src = await picture.getAttribute('src');
  // The service worker keeps the page and the picture (it kept the first load, or fetches them now).
  await expect.poll(() => page.evaluate(async (src) => {
    await navigator.serviceWorker.ready;
    if (!(await caches.match(src))) await fetch(src);
    return Boolean(await caches.match(src)) && Boolean(await caches.match(location.href));
  }, src), { timeout: 20_000 }).toBe(true);

  await context.setOffline(true);
  await page.reload();
  const offline = page.getByTestId('preview').locator(`img[src="${src}"]`);
  await expect.poll(() => offline.evaluate((img) => img.complete && img.naturalWidth), { timeout: 20_000 }).toBe(2);
});
