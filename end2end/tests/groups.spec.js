// Groups in the browser: an admin makes a group (its name shown as text,
// never markup), invites a colleague into it, shares a document with the
// group in the Share panel; the colleague's "Shared with you" list shows it
// live and they edit it; taken out of the group on the groups page, their
// open page loses access at once.
const { test, expect } = require('@playwright/test');
const { PASSWORD, closeContexts, hydrated, promote, randomName, signUp } = require('./helpers');

test.afterEach(closeContexts);

test('an admin invites a colleague into a group, and a document shared with the group opens for them', async ({ browser }) => {
  const boss = await signUp(undefined, randomName('boss'));
  promote(boss.username);
  const context = await browser.newContext({ storageState: await boss.api.storageState() });
  const page = await context.newPage();

  // Groups are the instance's; names from tests alongside are unique too.
  const group = `Design <b>team</b> ${randomName('g')}`;
  await page.goto('/admin');
  await hydrated(page);
  await page.getByTestId('manage-groups').click();
  await expect(page.getByRole('heading', { name: 'Groups', level: 1 })).toBeVisible();
  await hydrated(page);
  await page.getByLabel('Name of the new group').fill(group);
  await page.getByTestId('create-group').click();
  const card = page.getByTestId('group').filter({ has: page.getByRole('heading', { name: group, exact: true }) });
  await expect(card).toContainText('0 people');
  await expect(card.locator('b')).toHaveCount(0); // the name is text, not markup

  // The invitation puts whoever signs up through it into the group.
  await page.goto('/admin');
  await hydrated(page);
  await page.getByTestId('invite-group').selectOption({ label: `Joins ${group}` });
  await page.getByTestId('create-invite').click();
  const link = await page.getByTestId('new-invite').inputValue();
  const inviteId = await page.getByTestId('invite-made').getAttribute('data-invite-id');
  await expect(page.locator(`[data-testid="invite"][data-invite-id="${inviteId}"]`)).toContainText(`joins ${group}`);

  const colleague = await (await browser.newContext()).newPage();
  const name = randomName('colleague');
  await colleague.goto(link);
  await colleague.getByLabel('Username').fill(name);
  await colleague.getByLabel('Password').fill(PASSWORD);
  await colleague.getByRole('button', { name: 'Sign up' }).click();
  await expect(colleague.getByTestId('account-name')).toContainText(name, { timeout: 20_000 });
  const shared = colleague.getByTestId('shared-docs');
  await expect(shared).toContainText('Nothing is shared with you yet.');

  // The boss shares a document with the group in the Share panel.
  const { id } = await (await boss.api.post('/api/docs', { data: { title: 'Brand guide' } })).json();
  await page.goto(`/d/${id}`);
  await expect(page.getByTestId('editor')).toBeEditable({ timeout: 20_000 });
  await page.getByTestId('share').click();
  const dialog = page.getByTestId('share-dialog');
  await dialog.getByTestId('share-group-choice').selectOption({ label: `${group} (made by ${boss.username})` });
  await dialog.getByTestId('share-group').click();
  const row = dialog.getByTestId('groups').locator('li').filter({ hasText: group });
  await expect(row).toContainText('1 person');
  await expect(row.getByTestId('group-role')).toHaveValue('editor');

  // The colleague's list shows it without a reload; they edit it.
  await expect(shared.locator(`a[href="/d/${id}"]`)).toContainText('Brand guide');
  await shared.locator(`a[href="/d/${id}"]`).click();
  const editor = colleague.getByTestId('editor');
  await expect(editor).toBeEditable({ timeout: 20_000 });
  await editor.click();
  await colleague.keyboard.type('Blue, always.');
  await expect(colleague.getByTestId('status')).toHaveText('Saved');

  // Taken out of the group: their open page loses access at once.
  await dialog.getByRole('button', { name: 'Close' }).click();
  await page.goto('/groups');
  await hydrated(page);
  await expect(card.getByTestId('group-members')).toContainText(name);
  await card.getByRole('button', { name: `Remove ${name} from the group` }).click();
  await expect(card).toContainText('0 people');
  await expect(colleague.getByTestId('status')).toHaveText('Access removed', { timeout: 5_000 });
  await expect(editor).not.toBeEditable();
});

test('without the admin allowing it, only admins create groups', async ({ browser }) => {
  const someone = await signUp();
  const page = await (await browser.newContext({ storageState: await someone.api.storageState() })).newPage();
  await page.goto('/groups');
  await expect(page.getByRole('heading', { name: 'Groups', level: 1 })).toBeVisible({ timeout: 20_000 });
  await expect(page.getByText('Only the server\'s admins create groups here.')).toBeVisible();
  await expect(page.getByTestId('create-group')).toHaveCount(0);
});
