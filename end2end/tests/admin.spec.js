// Running Quire for a team, in the browser: an admin (promoted from the
// command line, as an operator would) invites a colleague with a one-use link;
// the colleague signs up through it and works on a shared document; the link
// does not work twice; disabling the colleague ends their open page at once;
// and a reset link the admin hands over sets a new password.
const { test, expect } = require('@playwright/test');
const { PASSWORD, closeContexts, hydrated, promote, randomName, signUp } = require('./helpers');

test.afterEach(closeContexts);

async function adminPage(browser) {
  const boss = await signUp(undefined, randomName('boss'));
  promote(boss.username);
  const context = await browser.newContext({ storageState: await boss.api.storageState() });
  const page = await context.newPage();
  await page.goto('/');
  await page.getByTestId('admin-link').click();
  await expect(page.getByRole('heading', { name: 'Admin', level: 1 })).toBeVisible();
  await hydrated(page);
  return { boss, page };
}

test('an admin invites a colleague, who signs up through the link and is then disabled at once', async ({ browser }) => {
  const { boss, page } = await adminPage(browser);
  // The suite's servers fix the mode (QUIRE_REGISTRATION=open): shown, not changeable.
  await expect(page.getByTestId('registration-open')).toBeChecked();
  await expect(page.getByTestId('registration-invite')).toBeDisabled();
  await expect(page.getByText('Set by the server\'s configuration')).toBeVisible();

  await page.getByTestId('create-invite').click();
  const link = await page.getByTestId('new-invite').inputValue();
  expect(link).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/signup\?invite=qi_[0-9a-f]{64}$/);
  // Invitations are the instance's: others' (from tests alongside) may be listed too.
  const inviteId = await page.getByTestId('invite-made').getAttribute('data-invite-id');
  const listed = page.locator(`[data-testid="invite"][data-invite-id="${inviteId}"]`);
  await expect(listed).toContainText('Used 0 of 1');
  await expect(listed).toContainText('expires in 7 days');

  const colleague = await (await browser.newContext()).newPage();
  const name = randomName('colleague');
  await colleague.goto(link);
  await expect(colleague.getByTestId('invited')).toBeVisible();
  await colleague.getByLabel('Username').fill(name);
  await colleague.getByLabel('Password').fill(PASSWORD);
  await colleague.getByRole('button', { name: 'Sign up' }).click();
  await expect(colleague.getByTestId('account-name')).toContainText(name, { timeout: 20_000 });
  await expect(colleague.getByTestId('admin-link')).toHaveCount(0);

  // One use: the next person gets a clear refusal.
  const late = await (await browser.newContext()).newPage();
  await late.goto(link);
  await late.getByLabel('Username').fill(randomName('late'));
  await late.getByLabel('Password').fill(PASSWORD);
  await late.getByRole('button', { name: 'Sign up' }).click();
  await expect(late.getByTestId('auth-error')).toContainText('This invitation link does not work');

  // The colleague works on a document the admin shares with them.
  const { id } = await (await boss.api.post('/api/docs', { data: { title: 'Team plan' } })).json();
  expect((await boss.api.put(`/api/docs/${id}/members/${name}`, { data: { role: 'editor' } })).status()).toBe(204);
  await colleague.goto(`/d/${id}`);
  await expect(colleague.getByTestId('editor')).toBeEditable({ timeout: 20_000 });

  // Listed, and disabled from the admin page: their open page loses access at once.
  await page.reload();
  await hydrated(page);
  await expect(listed).toHaveCount(0);
  const row = page.locator(`[data-testid="person"][data-username="${name}"]`);
  await expect(row).toContainText(name);
  await expect(row.locator('td').nth(1)).toContainText('just now'); // last seen: they opened the document
  await expect(row.locator('td.number').first()).toHaveText(/^0\b/); // documents they own
  await row.getByTestId('disable').click();
  await expect(row.getByTestId('disable')).toHaveText(`Disable ${name}?`);
  await row.getByTestId('disable').click();
  await expect(row).toContainText('disabled');
  await expect(colleague.getByTestId('status')).toHaveText('Access removed', { timeout: 5_000 });
  await expect(colleague.getByTestId('editor')).not.toBeEditable();
  await colleague.goto('/');
  await expect(colleague.getByLabel('Account').getByRole('link', { name: 'Sign in' })).toBeVisible();

  // Enabled again, the admin hands over a reset link; it sets a new password once.
  await row.getByTestId('enable').click();
  await expect(row).not.toContainText('disabled');
  await row.getByTestId('reset-password').click();
  const reset = await page.getByTestId('reset-link').inputValue();
  expect(reset).toMatch(/\/reset\?token=qr_[0-9a-f]{64}$/);
  await colleague.goto(reset);
  await expect(colleague.getByTestId('reset-for')).toHaveText(name);
  await colleague.getByLabel('New password').fill('a whole new password');
  await colleague.getByRole('button', { name: 'Set the password' }).click();
  await expect(colleague.getByTestId('account-name')).toContainText(name, { timeout: 20_000 });
  // Once used, the link says so at once.
  await colleague.goto(reset);
  await expect(colleague.getByTestId('auth-error')).toContainText('does not work');
  await expect(colleague.getByLabel('New password')).toHaveCount(0);

  // Without JavaScript too (a plain form post from a page that sends no referrer).
  await row.getByTestId('reset-password').click();
  // The notice shows the earlier link until the new one arrives.
  await expect(page.getByTestId('reset-link')).not.toHaveValue(reset);
  const second = await page.getByTestId('reset-link').inputValue();
  expect(second).toMatch(/\/reset\?token=qr_[0-9a-f]{64}$/);
  const plain = await (await browser.newContext({ javaScriptEnabled: false })).newPage();
  await plain.goto(second);
  await plain.getByLabel('New password').fill('set without a script');
  await plain.getByRole('button', { name: 'Set the password' }).click();
  await expect(plain.getByTestId('account-name')).toContainText(name, { timeout: 20_000 });

  // Deleted, their document goes to the admin's trash; their page loses access.
  // (The reset signed the first browser out: it signs in again.)
  await colleague.goto('/signin');
  await colleague.getByLabel('Username').fill(name);
  await colleague.getByLabel('Password').fill('set without a script');
  await colleague.getByRole('button', { name: 'Sign in' }).click();
  await expect(colleague.getByTestId('account-name')).toContainText(name, { timeout: 20_000 });
  const { id: theirs } = await (await colleague.request.post('/api/docs', { data: { title: 'Colleague draft' } })).json();
  await colleague.goto(`/d/${theirs}`);
  await expect(colleague.getByTestId('editor')).toBeEditable({ timeout: 20_000 });
  await page.reload();
  await hydrated(page);
  await row.getByTestId('delete-person').click();
  await row.getByLabel('Move them to my trash').check();
  await row.getByTestId('confirm-delete-person').click();
  await expect(row).toHaveCount(0);
  await expect(colleague.getByTestId('status')).toHaveText('Access removed', { timeout: 5_000 });
  await page.goto('/trash');
  await expect(page.getByText('Colleague draft')).toBeVisible();
});

test('the admin page is for admins only', async ({ browser }) => {
  await signUp(); // whoever is first on the instance is its admin: not them
  const someone = await signUp();
  const page = await (await browser.newContext({ storageState: await someone.api.storageState() })).newPage();
  await page.goto('/');
  await expect(page.getByTestId('account-name')).toBeVisible({ timeout: 20_000 });
  await expect(page.getByTestId('admin-link')).toHaveCount(0);
  await page.goto('/admin');
  await expect(page.getByRole('alert')).toHaveText('Only an admin of this server can do that.');
  await expect(page.getByTestId('people')).toHaveCount(0);
});

test('the audit log shows who did what, filtered, with hostile names shown as text', async ({ browser }) => {
  const { boss, page } = await adminPage(browser);
  const hostile = `<img src=x onerror="window.pwned=1"> ${boss.username}`;
  expect((await boss.api.post('/api/groups', { data: { name: hostile } })).status()).toBe(201);
  const { id } = await (await boss.api.post('/api/docs', { data: { title: 'Audit me' } })).json();
  expect((await boss.api.delete(`/api/docs/${id}`)).status()).toBe(204);

  await page.getByTestId('audit-link').click();
  await expect(page.getByRole('heading', { name: 'Audit log', level: 1 })).toBeVisible();
  const entries = page.getByTestId('audit-entry');
  const mine = entries.filter({ hasText: boss.username });
  await expect(mine.filter({ hasText: 'moved a document to the trash' }).filter({ hasText: 'Audit me' })).toHaveCount(1);
  await expect(mine.filter({ hasText: 'created a group' }).first()).toContainText(hostile);
  await expect(page.getByTestId('audit').locator('img')).toHaveCount(0);
  expect(await page.evaluate(() => window.pwned)).toBeUndefined();

  // Filtered to groups (a plain GET form: the address keeps the filter).
  await page.getByLabel('Kind of entry').selectOption('group');
  await page.getByLabel('Done by').fill(boss.username);
  await page.getByRole('button', { name: 'Filter' }).click();
  await expect(page).toHaveURL(/category=group/);
  await expect(entries.first()).toBeVisible();
  for (const action of await entries.evaluateAll((rows) => rows.map((row) => row.dataset.action))) {
    expect(action).toMatch(/^group\./);
  }
  await expect(page.getByLabel('Kind of entry')).toHaveValue('group');
});
