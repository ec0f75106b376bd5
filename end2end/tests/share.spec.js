// The Share panel as an owner uses it: a modal that holds the focus and
// closes on Escape, links copied with one press and expiry in words, roles
// changed in place (live for the person affected), and nothing destructive
// at a single click.
const { test, expect } = require('@playwright/test');
const { closeContexts, expectText, signUp } = require('./helpers');

test.afterEach(closeContexts);

async function ownerWithDoc(browser, baseURL, title) {
  const owner = await signUp(baseURL);
  const { id } = await (await owner.api.post('/api/docs', { data: { title } })).json();
  const context = await browser.newContext({ storageState: await owner.api.storageState() });
  await context.grantPermissions(['clipboard-read', 'clipboard-write'], { origin: baseURL });
  const page = await context.newPage();
  await page.goto(`/d/${id}`);
  await expect(page.getByTestId('editor')).toBeEditable({ timeout: 20_000 });
  return { owner, id, page };
}

test('the panel keeps the focus, closes on Escape and gives the focus back', async ({ browser, baseURL }) => {
  const { page } = await ownerWithDoc(browser, baseURL, 'Focus');
  const share = page.getByTestId('share');
  await share.click();
  const dialog = page.getByTestId('share-dialog');
  await expect(dialog).toBeVisible();
  const inside = () => page.evaluate(() => !!document.activeElement?.closest('[data-testid=share-dialog]'));
  expect(await inside()).toBe(true);
  // However far one tabs, the focus stays in the panel (the page behind is inert).
  for (let i = 0; i < 25; i++) {
    await page.keyboard.press('Tab');
    const where = await page.evaluate(() => document.activeElement?.closest('[data-testid=share-dialog]') ? 'in' : document.activeElement?.tagName);
    expect(['in', 'BODY']).toContain(where);
  }
  await page.keyboard.press('Escape');
  await expect(dialog).toHaveCount(0);
  await expect(share).toBeFocused();
});

test('a new link is copied with one press, and its expiry reads in days', async ({ browser, baseURL }) => {
  const { page } = await ownerWithDoc(browser, baseURL, 'Links');
  await page.getByTestId('share').click();
  const dialog = page.getByTestId('share-dialog');
  await dialog.getByLabel('Link expires').selectOption('7');
  await dialog.getByTestId('create-link').click();
  const link = await dialog.getByTestId('new-link').inputValue();
  await dialog.getByTestId('copy-link').click();
  await expect(dialog.getByTestId('copy-link')).toHaveText('Copied');
  expect(await page.evaluate(() => navigator.clipboard.readText())).toBe(link);
  await expect(dialog.getByTestId('link-expiry')).toHaveText('Expires in 7 days');
});

test('a role changed in the panel takes effect at once on the person\'s open page', async ({ browser, baseURL }) => {
  const { id, page } = await ownerWithDoc(browser, baseURL, 'Roles');
  const bob = await signUp(baseURL);
  await page.getByTestId('share').click();
  const dialog = page.getByTestId('share-dialog');
  await dialog.getByLabel('Username to share with').fill(bob.username);
  await dialog.getByRole('button', { name: 'Share', exact: true }).click();
  const role = dialog.getByLabel(`Role of ${bob.username}`);
  await expect(role).toHaveValue('editor');

  const bobPage = await (await browser.newContext({ storageState: await bob.api.storageState() })).newPage();
  await bobPage.goto(`/d/${id}`);
  await expect(bobPage.getByTestId('editor')).toBeEditable({ timeout: 20_000 });

  await role.selectOption('viewer');
  await expect(bobPage.getByTestId('access-banner')).toContainText('You can view this document', { timeout: 5_000 });
  await expect(bobPage.getByTestId('editor')).not.toBeEditable();
  // And back.
  await role.selectOption('editor');
  await expect(bobPage.getByTestId('access-banner')).toHaveCount(0, { timeout: 5_000 });
  await expect(bobPage.getByTestId('editor')).toBeEditable();
});

test('removing a person and trashing the document ask first', async ({ browser, baseURL }) => {
  const { owner, id, page } = await ownerWithDoc(browser, baseURL, 'Careful');
  const bob = await signUp(baseURL);
  expect((await owner.api.put(`/api/docs/${id}/members/${bob.username}`, { data: { role: 'editor' } })).status()).toBe(204);
  await page.getByTestId('share').click();
  const dialog = page.getByTestId('share-dialog');
  const remove = dialog.getByTestId('remove-member');
  await remove.click();
  await expect(remove).toHaveText(`Remove ${bob.username}?`);
  // Going elsewhere disarms it.
  await dialog.getByTestId('create-link').focus();
  await expect(remove).toHaveText('Remove');
  await remove.click();
  await remove.click();
  await expect(dialog.getByTestId('members')).not.toContainText(bob.username);

  const trash = dialog.getByTestId('delete-doc');
  await trash.click();
  await expect(page).toHaveURL(new RegExp(`/d/${id}$`));
  await expect(trash).toHaveText('Move it to the trash?');
  await trash.click();
  await expect(page).toHaveURL(/\/$/);
});

test('a rename reaches every open page of the document at once: header and tab', async ({ browser, baseURL }) => {
  const { owner, id, page } = await ownerWithDoc(browser, baseURL, 'Old name');
  const { url: link } = await (await owner.api.post(`/api/docs/${id}/links`, { data: { role: 'viewer' } })).json();
  const guest = await (await browser.newContext()).newPage();
  await guest.goto(link);
  await expect(guest.getByTestId('status')).toHaveText('Saved', { timeout: 20_000 });
  await expect(guest).toHaveTitle('Old name · Quire');

  await page.getByTestId('share').click();
  const dialog = page.getByTestId('share-dialog');
  // Hostile text in a title stays text.
  const title = 'Q3 plan <img src=x onerror="window.pwned=1">';
  await dialog.getByLabel('Title').fill(title);
  await dialog.getByRole('button', { name: 'Rename' }).click();
  for (const who of [page, guest]) {
    await expect(who.getByTestId('doc-title')).toHaveText(title, { timeout: 5_000 });
    await expect(who).toHaveTitle(`${title} · Quire`);
    expect(await who.evaluate(() => window.pwned)).toBeUndefined();
  }
});

test('an editor sees who has access, without the owner\'s controls; a link guest sees no names', async ({ browser, baseURL }) => {
  const { owner, id } = await ownerWithDoc(browser, baseURL, 'Team doc');
  const bob = await signUp(baseURL);
  const carol = await signUp(baseURL);
  for (const [who, role] of [[bob, 'editor'], [carol, 'viewer']]) {
    expect((await owner.api.put(`/api/docs/${id}/members/${who.username}`, { data: { role } })).status()).toBe(204);
  }
  const bobPage = await (await browser.newContext({ storageState: await bob.api.storageState() })).newPage();
  await bobPage.goto(`/d/${id}`);
  await expect(bobPage.getByTestId('editor')).toBeEditable({ timeout: 20_000 });
  await bobPage.getByTestId('share').click();
  const dialog = bobPage.getByTestId('share-dialog');
  await expect(dialog.getByRole('heading', { name: 'Who has access' })).toBeVisible();
  const members = dialog.getByTestId('members');
  await expect(members).toContainText(owner.username);
  await expect(members).toContainText('Owner');
  await expect(members).toContainText(carol.username);
  await expect(dialog.getByRole('button', { name: 'Rename' })).toHaveCount(0);
  await expect(dialog.getByTestId('create-link')).toHaveCount(0);
  await expect(dialog.getByTestId('delete-doc')).toHaveCount(0);
  await expect(dialog.getByTestId('remove-member')).toHaveCount(0);

  // A viewer, and a guest who came by an edit link, have no such button.
  const carolPage = await (await browser.newContext({ storageState: await carol.api.storageState() })).newPage();
  await carolPage.goto(`/d/${id}`);
  await expect(carolPage.getByTestId('status')).toHaveText('Saved', { timeout: 20_000 });
  await expect(carolPage.getByTestId('share')).toHaveCount(0);
  const { url: link } = await (await owner.api.post(`/api/docs/${id}/links`, { data: { role: 'editor' } })).json();
  const guest = await (await browser.newContext()).newPage();
  await guest.goto(link);
  await expect(guest.getByTestId('editor')).toBeEditable({ timeout: 20_000 });
  await expect(guest.getByTestId('share')).toHaveCount(0);
});
