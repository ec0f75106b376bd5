// Two people on two different Quire instances (as a load balancer without
// sticky sessions would place them) write together as if on one: the
// instances relay through Redis (see servers.sh).
const { test, expect } = require('@playwright/test');
const { closeContexts, createDoc, expectText, markdown, myName, openDoc } = require('./helpers');

test.afterEach(closeContexts);

const port = Number(process.env.QUIRE_E2E_PORT || 3100);
const instanceA = `http://127.0.0.1:${port}`;
const instanceB = `http://127.0.0.1:${port + 1}`;

test('two browsers on two instances co-edit and see each other\'s carets', async ({ browser, request }) => {
  await expect.poll(async () => {
    try { return (await (await request.get(`${instanceB}/healthz`)).json()).relay; } catch { return 'down'; }
  }, { timeout: 20_000 }).toBe('ok');
  const id = await createDoc(request, 'Across instances');
  const alice = await (await browser.newContext({ baseURL: instanceA })).newPage();
  const bob = await (await browser.newContext({ baseURL: instanceB })).newPage();
  const aliceEditor = await openDoc(alice, id);
  const bobEditor = await openDoc(bob, id);
  expect(new URL(alice.url()).port).toBe(String(port));
  expect(new URL(bob.url()).port).toBe(String(port + 1));

  const aliceName = await myName(alice);
  const bobName = await myName(bob);
  await expect(alice.getByTestId('count')).toHaveText('2 here');
  await expect(bob.locator(`[data-testid=avatar][data-name="${aliceName}"]`)).toBeVisible();

  await aliceEditor.click();
  await alice.keyboard.type('# Written on A\n');
  await expectText(bobEditor, '# Written on A\n');
  await bobEditor.click();
  await bobEditor.press('Control+End');
  await bob.keyboard.type('and on B');
  await expectText(aliceEditor, '# Written on A\nand on B');
  await expect(bob.getByTestId('preview').locator('h1')).toHaveText('Written on A');

  // Each sees the other's caret, labelled with the other's name.
  await expect(alice.locator(`[data-testid=remote-caret][data-name="${bobName}"]`)).toBeVisible();
  await expect(bob.locator(`[data-testid=remote-caret][data-name="${aliceName}"]`)).toBeVisible();
  await expect(alice.getByTestId('status')).toHaveText('Saved');
  await expect(bob.getByTestId('status')).toHaveText('Saved');
  expect(await markdown(id)).toBe('# Written on A\nand on B');

  // Bob leaves: Alice, on the other instance, sees him go at once.
  await bob.context().close();
  await expect(alice.getByTestId('count')).toHaveText('Only you');
  await expect(alice.locator(`[data-testid=remote-caret][data-name="${bobName}"]`)).toHaveCount(0);
  await alice.context().close();
});
