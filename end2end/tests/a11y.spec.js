// Accessibility as axe-core measures it (WCAG 2.1 A/AA rules): the home page,
// the document page in both themes and layouts, and the Share panel, with no
// serious or critical violations.
const { test, expect } = require('@playwright/test');
const AxeBuilder = require('@axe-core/playwright').default;
const { closeContexts, signUp } = require('./helpers');

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

test('no serious violations for a visitor who is not signed in', async ({ page }) => {
  await page.goto('/');
  expect(await violations(page)).toEqual([]);
  await page.goto('/signin');
  expect(await violations(page)).toEqual([]);
});
