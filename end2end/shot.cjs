const { chromium } = require('@playwright/test');
const launch = require('./chromium');
(async () => {
  const base = 'http://127.0.0.1:3300';
  const browser = await chromium.launch(launch);
  const ctx = await browser.newContext();
  const api = ctx.request;
  await api.post(base + '/api/users', { data: { username: 'lena', password: 'correct horse battery' } });
  
  const d = await (await api.post(base + '/api/docs', { data: { title: 'Launch plan' } })).json(); 
  const text = '# Launch plan\n\nWe ship **Quire 1.0** on *Monday*. See [the board](https://example.com/board).\n\n## Checklist\n\n- [x] Editor on CodeMirror\n- [ ] Version history\n- [ ] Images\n\n> Writing together should feel like one person typing.\n\n```rust\nfn main() {\n    println!("hello");\n}\n```\n\nInline `code` and ~~old ideas~~.\n';
  const w = await ctx.newPage();
  await w.goto(base + `/d/${d.id}`);
  await w.getByTestId('status').getByText('Saved').waitFor({ timeout: 20000 });
  await w.getByTestId('editor').click();
  await w.keyboard.insertText(text);
  await w.getByTestId('status').getByText('Saved').waitFor({ timeout: 20000 });
  await w.waitForTimeout(500);
  for (const [name, opts] of [['light', { colorScheme: 'light', viewport: { width: 1280, height: 800 } }], ['dark', { colorScheme: 'dark', viewport: { width: 1280, height: 800 } }], ['phone', { colorScheme: 'light', viewport: { width: 390, height: 844 }, isMobile: true, hasTouch: true }]]) {
    const c = await browser.newContext({ ...opts, storageState: await ctx.storageState() });
    c.setDefaultTimeout(20000);
    const p = await c.newPage();
    await p.goto(base + `/d/${d.id}`);
    await p.getByTestId('status').getByText('Saved').waitFor({ timeout: 20000 }).catch(() => {});
    await p.waitForTimeout(500);
    await p.getByTestId('editor').click({ position: { x: 60, y: 60 } });
    await p.screenshot({ path: `/tmp/shots/${name}.png` });
    await c.close();
  }
  await browser.close();
})();
