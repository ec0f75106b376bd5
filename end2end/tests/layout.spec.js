// How the document page is laid out and looks: source, split and preview
// (remembered per person and device), the preview following the editor, the
// theme, line numbers, code highlighted in fences, a phone.
const { test, expect } = require('@playwright/test');
const { closeContexts, createDoc, expectText, openDoc } = require('./helpers');

test.afterEach(closeContexts);

const layoutButton = (page, name) => page.getByTestId('layout').getByRole('button', { name, exact: true });

test('source, split and preview: the choice is shown and kept across reloads', async ({ page, request }) => {
  const id = await createDoc(request, 'Layouts');
  const editor = await openDoc(page, id);
  const preview = page.getByTestId('preview');
  // A writer on a wide screen starts with both.
  await expect(layoutButton(page, 'Split')).toHaveAttribute('aria-pressed', 'true');
  await expect(editor).toBeVisible();
  await expect(preview).toBeVisible();
  await editor.click();
  await page.keyboard.type('# Title');

  await layoutButton(page, 'Preview').click();
  await expect(layoutButton(page, 'Preview')).toHaveAttribute('aria-pressed', 'true');
  await expect(layoutButton(page, 'Split')).toHaveAttribute('aria-pressed', 'false');
  await expect(editor).toBeHidden();
  await expect(preview.locator('h1')).toHaveText('Title');
  // The formatting tools go with the source.
  await expect(page.getByTestId('undo')).toBeHidden();

  // Reloaded, the page is drawn in that layout from the first paint: the
  // server's HTML already carries it, before any WebAssembly runs.
  await page.reload({ waitUntil: 'domcontentloaded' });
  await expect(page.locator('html')).toHaveAttribute('data-view', 'preview');
  await expect(page.getByTestId('source')).toBeHidden();
  await expect(preview.locator('h1')).toHaveText('Title');
  await expect(layoutButton(page, 'Preview')).toHaveAttribute('aria-pressed', 'true');

  await layoutButton(page, 'Source').click();
  await expect(preview).toBeHidden();
  await expect(editor).toBeEditable();
  await editor.click();
  await page.keyboard.press('Control+End');
  await page.keyboard.type(' here');
  await expectText(editor, '# Title here');
});

test('until the editor mounts the page shows the text exactly where the editor will put it', async ({ browser, request }) => {
  const id = await createDoc(request, 'Loading');
  // No service worker: the page's WebAssembly must come through the route below.
  const context = await browser.newContext({ serviceWorkers: 'block' });
  const page = await context.newPage();
  const editor = await openDoc(page, id);
  await editor.click();
  const text = '# Loading\n\nThe first screens of the text, as the server drew them.';
  await page.keyboard.insertText(text);
  await expect(page.getByTestId('status')).toHaveText('Saved');

  // Held back, the WebAssembly leaves the page as the server sent it.
  let release;
  const held = new Promise((resolve) => { release = resolve; });
  await page.route('**/*.wasm', async (route) => { await held; await route.continue(); });
  await page.reload({ waitUntil: 'domcontentloaded' });
  const head = page.locator('.source-head');
  await expect(head).toBeVisible();
  await expect(head).toHaveText(text);
  // The no-JavaScript textarea is not part of a scripted page at all.
  await expect(page.getByTestId('source')).toHaveCount(0);
  const firstCharacter = (root) => {
    const walker = document.createTreeWalker(root, NodeFilter.SHOW_TEXT);
    const node = walker.nextNode();
    const range = document.createRange();
    range.setStart(node, 0);
    range.setEnd(node, 1);
    const { x, y, height } = range.getBoundingClientRect();
    return { x: Math.round(x), y: Math.round(y), height: Math.round(height) };
  };
  const before = await head.evaluate(firstCharacter);

  release();
  await expect(editor).toBeEditable();
  await expect(head).toBeHidden();
  const after = await page.locator('.cm-content').evaluate(firstCharacter);
  expect(after).toEqual(before);
  await context.close();
});

test('in split view the preview follows the editor as it scrolls', async ({ page, request }) => {
  const id = await createDoc(request, 'Long read');
  const editor = await openDoc(page, id);
  const sections = Array.from({ length: 60 }, (_, i) =>
    `## Section ${i + 1}\n\n${'A paragraph of text that wraps in the preview. '.repeat(i % 3 + 1)}\n`).join('\n');
  await editor.click();
  await page.keyboard.insertText(sections);
  const heading = page.getByTestId('preview').locator('h2', { hasText: /^Section 40$/ });
  await expect(heading).toHaveCount(1);
  // Section 40 starts on line 4 × 39 + 1.
  await editor.evaluate((el) => el.closest('.cm-editor').quire.scrollToLine(157));
  await expect.poll(async () => {
    const [top, paneTop] = await Promise.all([
      heading.evaluate((el) => el.getBoundingClientRect().top),
      page.locator('.preview-pane').evaluate((el) => el.getBoundingClientRect().top),
    ]);
    return Math.abs(top - paneTop) < 80;
  }).toBe(true);

  // Back at the top, the preview is at its top too.
  await editor.evaluate((el) => { el.closest('.cm-scroller').scrollTop = 0; });
  await expect.poll(() => page.locator('.preview-pane').evaluate((el) => el.scrollTop)).toBe(0);
});

test('the preview draws only the blocks near the screen, spaced exactly as if it drew them all', async ({ page, request }) => {
  const id = await createDoc(request, 'Every kind of block');
  const editor = await openDoc(page, id);
  const section = (n) => `# Title ${n}\n\nIntro.\n\n## Part\n\nText *here*.\n\n### Sub\n\n- a\n- b\n\n1. one\n\n   loose\n2. two\n\n` +
    '#### Small\n\n> quoted\n>\n> - in a list\n\n```js\nlet x = 1\n```\n\n| a | b |\n|---|---|\n| 1 | 2 |\n\n---\n\n- [ ] task\n- [x] done\n\nLast.\n\n';
  await editor.click();
  await page.keyboard.insertText(Array.from({ length: 30 }, (_, i) => section(i + 1)).join(''));
  const preview = page.getByTestId('preview');
  await expect(preview.locator('h1', { hasText: /^Title 30$/ })).toHaveCount(1);
  const blocks = preview.locator('.md-block');
  // Far below the screen a block is skipped: not laid out, not painted.
  expect(await blocks.first().evaluate((el) => el.firstElementChild.checkVisibility({ contentVisibilityAuto: true }))).toBe(true);
  expect(await blocks.last().evaluate((el) => el.firstElementChild.checkVisibility({ contentVisibilityAuto: true }))).toBe(false);
  // Drawn, each chunk of blocks is contained, so margins no longer collapse
  // through its edges: the spacing must still be what the same elements get
  // side by side in one article, unwrapped.
  const { contained, plain } = await preview.evaluate((article) => {
    const style = document.createElement('style');
    style.textContent = '.preview > .md-chunk { content-visibility: visible !important; contain: layout style paint !important; }';
    document.head.append(style);
    const tops = (root, elements) => {
      const top = root.getBoundingClientRect().top;
      return elements.map((el) => Math.round(el.getBoundingClientRect().top - top));
    };
    const contained = tops(article, [...article.querySelectorAll('.md-block')].map((block) => block.firstElementChild));
    const unwrapped = article.cloneNode(true);
    for (const block of [...unwrapped.querySelectorAll('.md-chunk, .md-block')]) block.replaceWith(...block.childNodes);
    article.style.display = 'none';
    article.after(unwrapped);
    const plain = tops(unwrapped, [...unwrapped.children]);
    unwrapped.remove();
    article.style.display = '';
    style.remove();
    return { contained, plain };
  });
  expect(contained.length).toBe(30 * 14);
  expect(plain.length).toBe(contained.length);
  const off = contained.map((top, i) => [i, top, plain[i]]).filter(([, a, b]) => Math.abs(a - b) > 1);
  expect(off, 'blocks whose top moved (index, contained, plain)').toEqual([]);
});

test('the theme follows the system until chosen, and the choice is kept', async ({ browser, request }) => {
  const id = await createDoc(request, 'Themes');
  const context = await browser.newContext({ colorScheme: 'dark' });
  const page = await context.newPage();
  await openDoc(page, id);
  const background = () => page.evaluate(() => getComputedStyle(document.body).backgroundColor);
  const dark = await background();
  const toggle = page.getByTestId('theme');
  await expect(toggle).toHaveAttribute('aria-label', /follows the system/);

  await toggle.click();
  await expect(toggle).toHaveAttribute('aria-label', /^Theme: light/);
  await expect(page.locator('html')).toHaveAttribute('data-theme', 'light');
  const light = await background();
  expect(light).not.toBe(dark);

  await page.reload();
  await expect(page.locator('html')).toHaveAttribute('data-theme', 'light');
  expect(await background()).toBe(light);
  // The server renders "follows the system (press for light)": this waits
  // until the page is live, so the next press is not lost.
  await expect(toggle).toHaveAttribute('aria-label', /^Theme: light/);

  // Dark, then back to the system's (dark here).
  await toggle.click();
  await expect(page.locator('html')).toHaveAttribute('data-theme', 'dark');
  await toggle.click();
  await expect(page.locator('html')).not.toHaveAttribute('data-theme', /./);
  expect(await background()).toBe(dark);
  await context.close();
});

test('line numbers can be turned on and stay on', async ({ page, request }) => {
  const id = await createDoc(request, 'Numbers');
  const editor = await openDoc(page, id);
  await editor.click();
  await page.keyboard.type('one\ntwo\nthree');
  // (CodeMirror keeps one invisible element to measure the gutter's width.)
  const numbers = page.locator('.cm-lineNumbers .cm-gutterElement:not([style*="visibility: hidden"])');
  await expect(numbers).toHaveCount(0);
  await page.getByTestId('line-numbers').click();
  await expect(page.getByTestId('line-numbers')).toHaveAttribute('aria-pressed', 'true');
  await expect(numbers).toHaveText(['1', '2', '3']);
  await page.reload();
  await expect(page.getByTestId('editor')).toBeEditable({ timeout: 20_000 });
  await expect(numbers).toHaveText(['1', '2', '3']);
});

test('code in a fence is highlighted by its language, its modes fetched only once there is code', async ({ page, request }) => {
  const id = await createDoc(request, 'Code');
  const editor = await openDoc(page, id);
  const fetchedModes = () => page.evaluate(() => performance.getEntriesByType('resource')
    .some((entry) => new URL(entry.name).pathname.endsWith('/modes.js')));
  expect(await fetchedModes()).toBe(false);
  await editor.click();
  await page.keyboard.insertText('```rust\nfn main() { let s = "hi"; }\n```\n\n```python\ndef f(): return 42\n```\n\n```nosuchlanguage\nfn plain\n```\n');
  const content = page.locator('.cm-content');
  await expect(content.locator('.tok-keyword', { hasText: /^fn$/ })).toHaveCount(1);
  await expect(content.locator('.tok-string', { hasText: '"hi"' })).toHaveCount(1);
  await expect(content.locator('.tok-keyword', { hasText: /^def$/ })).toHaveCount(1);
  await expect(content.locator('.tok-number', { hasText: '42' })).toHaveCount(1);
  expect(await fetchedModes()).toBe(true);
});

test('on a phone a writer gets the source alone, and can switch to the preview', async ({ browser, request }) => {
  const id = await createDoc(request, 'Phone');
  const context = await browser.newContext({ viewport: { width: 390, height: 844 }, isMobile: true, hasTouch: true });
  const page = await context.newPage();
  const editor = await openDoc(page, id);
  await expect(page.getByTestId('preview')).toBeHidden();
  await expect(layoutButton(page, 'Source')).toHaveAttribute('aria-pressed', 'true');
  await editor.tap();
  await page.keyboard.type('# On the go');
  await layoutButton(page, 'Preview').tap();
  await expect(page.getByTestId('preview').locator('h1')).toHaveText('On the go');
  await expect(editor).toBeHidden();
  // Nothing on the page is wider than the phone.
  expect(await page.evaluate(() => document.documentElement.scrollWidth)).toBeLessThanOrEqual(390);
  await context.close();
});
