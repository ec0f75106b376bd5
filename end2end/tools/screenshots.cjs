// Screenshots of the document page for README and for looking at changes:
// light and dark, split and preview, a phone, the Share panel. Runs against a
// Quire that is already serving (QUIRE_URL, default http://127.0.0.1:3300):
//   node end2end/tools/screenshots.cjs [out-dir]
const { chromium, request } = require('@playwright/test');
const path = require('path');
const launch = require('../chromium.js');

const BASE = process.env.QUIRE_URL || 'http://127.0.0.1:3300';
const OUT = path.resolve(process.argv[2] || 'target/screenshots');

const SAMPLE = `# Launch plan

We ship **Quire 1.0** on *Monday*. Everything below is live: type in the
source and the preview follows.

## Checklist

- [x] Editor on CodeMirror 6
- [x] Offline editing
- [ ] Version history

## The numbers

| What | Target | Measured |
|:-----|-------:|---------:|
| Keystroke, 1 MB | 16 ms | 9 ms |
| Open, 10 KB | 300 ms | 120 ms |

\`\`\`rust
fn main() {
    let greeting = "hello"; // a comment
    println!("{greeting}, {}", 42);
}
\`\`\`

> Nothing anyone writes is ever lost.

See [the README](https://example.com/readme) for more.
`;

async function main() {
  const username = `shots-${Date.now().toString(36)}`;
  const api = await request.newContext({ baseURL: BASE });
  const signedUp = await api.post('/api/users', { data: { username, password: 'correct horse battery' } });
  // A fresh account each run: start that Quire with QUIRE_REGISTRATION=open.
  if (signedUp.status() !== 201) throw new Error(`sign-up failed: ${signedUp.status()} (is QUIRE_REGISTRATION=open set?)`);
  const created = await (await api.post('/api/docs', { data: { title: 'Launch plan' } })).json();
  const cookies = (await api.storageState()).cookies;

  const browser = await chromium.launch(launch);
  const shots = [
    { name: 'split-light', viewport: { width: 1440, height: 900 }, scheme: 'light' },
    { name: 'split-dark', viewport: { width: 1440, height: 900 }, scheme: 'dark' },
    { name: 'source-light', viewport: { width: 1440, height: 900 }, scheme: 'light', view: 'edit', lineNumbers: true },
    { name: 'preview-dark', viewport: { width: 1440, height: 900 }, scheme: 'dark', view: 'preview' },
    { name: 'phone-light', viewport: { width: 390, height: 844 }, scheme: 'light', mobile: true },
    { name: 'phone-dark-preview', viewport: { width: 390, height: 844 }, scheme: 'dark', mobile: true, view: 'preview' },
    { name: 'share-light', viewport: { width: 1440, height: 900 }, scheme: 'light', share: true },
    { name: 'share-phone-dark', viewport: { width: 390, height: 844 }, scheme: 'dark', mobile: true, share: true },
    { name: 'home-dark', viewport: { width: 1440, height: 900 }, scheme: 'dark', home: true },
  ];
  let filled = false;
  for (const shot of shots) {
    const context = await browser.newContext({
      viewport: shot.viewport, colorScheme: shot.scheme, isMobile: !!shot.mobile, hasTouch: !!shot.mobile,
      deviceScaleFactor: shot.mobile ? 2 : 1,
    });
    await context.addCookies(cookies);
    const page = await context.newPage();
    await page.goto(`${BASE}/d/${created.id}`);
    await page.getByTestId('editor').waitFor();
    await page.waitForFunction(() => document.querySelector('[data-testid=editor]').isContentEditable);
    if (!filled) {
      await page.getByTestId('editor').click();
      await page.keyboard.insertText(SAMPLE);
      await page.waitForFunction(() => document.querySelector('[data-testid=status]').textContent === 'Saved');
      filled = true;
    }
    if (shot.view) await page.locator(`[data-testid=layout] [data-view=${shot.view}]`).click();
    if (shot.lineNumbers) await page.getByTestId('line-numbers').click();
    if (shot.share) await page.getByTestId('share').click();
    if (shot.home) await page.goto(`${BASE}/`);
    await page.waitForTimeout(600);
    await page.screenshot({ path: path.join(OUT, `${shot.name}.png`) });
    await context.close();
  }
  await browser.close();
  console.log(`screenshots in ${OUT}`);
}

main().catch((error) => {
  console.error(error);
  process.exit(1);
});
