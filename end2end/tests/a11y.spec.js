// Accessibility as axe-core measures it (WCAG 2.1 A/AA rules): the home page,
// the document page in both themes and layouts, the Share panel, the
// history panel, the admin and groups pages and your account, the sign-in
// page with single sign-on, with no serious
// or critical violations.
const { test, expect } = require('@playwright/test');
const AxeBuilder = require('@axe-core/playwright').default;
const { closeContexts, hydrated, promote, signUp } = require('./helpers');

test.afterEach(closeContexts);

async function violations(page) {
  const results = await new AxeBuilder({ page }).withTags(['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa']).analyze();
  return results.violations
    .filter((v) => v.impact === 'serious' || v.impact === 'critical')
    .map((v) => `${v.id} (${v.impact}): ${v.nodes.slice(0, 3).map((n) => n.target.join(' ')).join(' | ')}`);
}

for (const scheme of ['light', 'dark']) {
  test(`no serious violations on home, the document page and the Share panel (${scheme})`, async ({ browser, baseURL }) => {
    const owner = await signUp(baseURL);
    const { id } = await (await owner.api.post('/api/docs', { data: { title: 'Accessible' } })).json();
    const context = await browser.newContext({ colorScheme: scheme, storageState: await owner.api.storageState() });
    const page = await context.newPage();

    await page.goto('/');
    await expect(page.getByTestId('account-name')).toBeVisible({ timeout: 20_000 });
    expect(await violations(page)).toEqual([]);

    await page.goto(`/d/${id}`);
    const editor = page.getByTestId('editor');
    await expect(editor).toBeEditable({ timeout: 20_000 });
    await editor.click();
    await page.keyboard.insertText('# Heading\n\nSome **bold** text, a [link](https://example.com) and `code`.\n\n- [ ] a task\n\n```rust\nfn main() {}\n```\n');
    await expect(page.getByTestId('status')).toHaveText('Saved');
    expect(await violations(page)).toEqual([]);

    await page.getByTestId('layout').getByRole('button', { name: 'Preview', exact: true }).click();
    expect(await violations(page)).toEqual([]);

    await page.getByTestId('share').click();
    await page.getByTestId('share-dialog').getByTestId('create-link').click();
    await expect(page.getByTestId('new-link')).toBeVisible();
    expect(await violations(page)).toEqual([]);
    await context.close();
  });
}

for (const scheme of ['light', 'dark']) {
  test(`no serious violations in the history panel: list, changes, rendered, authors (${scheme})`, async ({ browser, baseURL }) => {
    const owner = await signUp(baseURL);
    const { id } = await (await owner.api.post('/api/docs', { data: { title: 'History' } })).json();
    const context = await browser.newContext({ colorScheme: scheme, storageState: await owner.api.storageState() });
    const page = await context.newPage();
    await page.goto(`/d/${id}`);
    const editor = page.getByTestId('editor');
    await expect(editor).toBeEditable({ timeout: 20_000 });
    await editor.click();
    await page.keyboard.insertText('# Notes\n\nThe first line.\nThe second line.\n');
    await expect(page.getByTestId('status')).toHaveText('Saved');
    await page.getByTestId('history').click();
    const dialog = page.getByTestId('history-dialog');
    await dialog.getByTestId('version-name').fill('Start');
    await dialog.getByTestId('name-version').click();
    await expect(dialog.getByTestId('version')).toHaveCount(1);
    await page.keyboard.press('Escape');
    await editor.click();
    await page.keyboard.press('Control+End');
    await page.keyboard.insertText('A third line, added later.\n');
    await expect(page.getByTestId('status')).toHaveText('Saved');
    await page.getByTestId('history').click();
    await dialog.getByTestId('version').first().click();
    await expect(dialog.getByTestId('diff')).toBeVisible();
    expect(await violations(page)).toEqual([]);
    await dialog.getByTestId('show-rendered').click();
    await expect(dialog.getByTestId('version-rendered')).toBeVisible();
    expect(await violations(page)).toEqual([]);
    await dialog.getByTestId('show-authors').click();
    await expect(dialog.getByTestId('authors-view')).toBeVisible();
    expect(await violations(page)).toEqual([]);
    await context.close();
  });
}

for (const scheme of ['light', 'dark']) {
  test(`no serious violations on the admin page, the invited sign-up and a password reset (${scheme})`, async ({ browser, baseURL }) => {
    const admin = await signUp(baseURL);
    promote(admin.username);
    const someone = await signUp(baseURL);
    const context = await browser.newContext({ colorScheme: scheme, storageState: await admin.api.storageState() });
    const page = await context.newPage();
    await page.goto('/admin');
    await hydrated(page);
    expect(await violations(page)).toEqual([]);
    await page.getByTestId('create-invite').click();
    const invite = await page.getByTestId('new-invite').inputValue();
    await page.locator(`[data-testid="person"][data-username="${someone.username}"]`).getByTestId('reset-password').click();
    const reset = await page.getByTestId('reset-link').inputValue();
    expect(await violations(page)).toEqual([]);

    const visitor = await (await browser.newContext({ colorScheme: scheme })).newPage();
    await visitor.goto(invite);
    await expect(visitor.getByTestId('invited')).toBeVisible();
    expect(await violations(visitor)).toEqual([]);
    await visitor.goto(reset);
    expect(await violations(visitor)).toEqual([]);
    await context.close();
  });

  test(`no serious violations on the groups page, a group share and your account (${scheme})`, async ({ browser, baseURL }) => {
    const admin = await signUp(baseURL);
    promote(admin.username);
    const member = await signUp(baseURL);
    const { id: group } = await (await admin.api.post('/api/groups', { data: { name: `Writers ${admin.username}` } })).json();
    expect((await admin.api.put(`/api/groups/${group}/members/${member.username}`)).status()).toBe(204);
    const { id } = await (await admin.api.post('/api/docs', { data: { title: 'Style guide' } })).json();
    expect((await admin.api.put(`/api/docs/${id}/groups/${group}`, { data: { role: 'viewer' } })).status()).toBe(204);
    const context = await browser.newContext({ colorScheme: scheme, storageState: await admin.api.storageState() });
    const page = await context.newPage();
    await page.goto('/groups');
    await hydrated(page);
    await expect(page.getByTestId('group-members').first()).toBeVisible();
    expect(await violations(page)).toEqual([]);

    await page.goto(`/d/${id}`);
    await expect(page.getByTestId('editor')).toBeEditable({ timeout: 20_000 });
    await page.getByTestId('share').click();
    await expect(page.getByTestId('share-dialog').getByTestId('group-role')).toBeVisible();
    expect(await violations(page)).toEqual([]);

    await page.goto('/settings');
    await hydrated(page);
    await page.getByLabel('Name of the new token').fill('a script');
    await page.getByRole('button', { name: 'Create token' }).click();
    await expect(page.getByTestId('new-token')).toBeVisible();
    await expect(page.getByTestId('session').first()).toBeVisible();
    await expect(page.getByTestId('sso-confirm')).toBeVisible();
    expect(await violations(page)).toEqual([]);
    await context.close();
  });
}

test('no serious violations for a visitor who is not signed in', async ({ page }) => {
  await page.goto('/');
  expect(await violations(page)).toEqual([]);
  // With single sign-on offered, and saying why a sign-in through it failed.
  await page.goto('/signin?sso=code');
  await expect(page.getByTestId('sso-sign-in')).toBeVisible();
  await expect(page.getByTestId('sso-error')).toBeVisible();
  expect(await violations(page)).toEqual([]);
});
