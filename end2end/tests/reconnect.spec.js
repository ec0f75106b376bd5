// The server goes away and comes back: both browsers say so, keep editing
// while disconnected, reconnect by themselves, and merge each other's edits.
const { test, expect } = require('@playwright/test');
const { spawn } = require('child_process');
const path = require('path');
const fs = require('fs');
const { closeContexts, createDoc, expectText, markdown, openDoc } = require('./helpers');

test.afterEach(closeContexts);

const root = path.join(__dirname, '..', '..');
const port = 3200 + Number(process.env.TEST_PARALLEL_INDEX || 0);
const base = `http://127.0.0.1:${port}`;
const dataDir = path.join(root, 'target', `e2e-reconnect-${port}`);

function startServer() {
  const child = spawn(process.env.QUIRE_BIN || 'target/debug/quire', [], {
    cwd: root,
    env: { ...process.env, QUIRE_ADDR: `127.0.0.1:${port}`, DATABASE_URL: `sqlite://${dataDir}/quire.db`, RUST_LOG: 'warn' },
    stdio: 'inherit',
  });
  return child;
}

async function waitHealthy(request) {
  await expect.poll(async () => {
    try { return (await request.get(`${base}/healthz`)).status(); } catch { return 0; }
  }, { timeout: 20_000 }).toBe(200);
}

function stop(child) {
  return new Promise((resolve) => { child.once('exit', resolve); child.kill('SIGTERM'); });
}

test('edits made while the server is down merge both ways after it returns', async ({ browser, request }) => {
  test.setTimeout(90_000);
  fs.rmSync(dataDir, { recursive: true, force: true });
  let server = startServer();
  try {
    await waitHealthy(request);
    const id = await createDoc(request, 'Resilient', base);
    const alice = await (await browser.newContext({ baseURL: base })).newPage();
    const bob = await (await browser.newContext({ baseURL: base })).newPage();
    const aliceEditor = await openDoc(alice, id);
    const bobEditor = await openDoc(bob, id);
    await aliceEditor.click();
    await alice.keyboard.type('shared line\n');
    await expectText(bobEditor, 'shared line\n');

    await expect(alice.getByTestId('count')).toHaveText('2 here');

    await stop(server);
    await expect(alice.getByTestId('status')).toHaveText(/^Offline/);
    await expect(bob.getByTestId('status')).toHaveText(/^Offline/);
    // Offline, nobody can tell who else is there.
    await expect(alice.getByTestId('count')).toHaveText('Only you');

    // Both keep writing while disconnected.
    await aliceEditor.press('Control+End');
    await alice.keyboard.type('alice offline\n');
    await bobEditor.click();
    await bobEditor.press('Control+Home');
    await bob.keyboard.type('bob offline\n');

    server = startServer();
    await waitHealthy(request);
    await expect(alice.getByTestId('status')).toHaveText('Saved', { timeout: 40_000 });
    await expect(bob.getByTestId('status')).toHaveText('Saved', { timeout: 40_000 });
    const expected = 'bob offline\nshared line\nalice offline\n';
    await expectText(aliceEditor, expected);
    await expectText(bobEditor, expected);
    await expect.poll(async () => markdown(id, base)).toBe(expected);
    // Back online, each sees the other again (and their caret) at once, not
    // after the 15 s renewal: the clock moves past the server's removal.
    const bobName = await bob.locator('.avatar.me').getAttribute('data-name');
    await expect(alice.getByTestId('count')).toHaveText('2 here', { timeout: 3_000 });
    await expect(alice.locator(`[data-testid=remote-caret][data-name="${bobName}"]`)).toBeVisible({ timeout: 3_000 });
  } finally {
    await stop(server);
  }
});
