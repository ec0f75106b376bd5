// Your account in the browser: the session list names the other browser
// you are signed in with, and signing it out from here ends its open page at
// once; changing the password signs every other session out and keeps this
// one; a read-only token made here only reads.
const { test, expect } = require('@playwright/test');
const { PASSWORD, closeContexts, hydrated, signUp } = require('./helpers');

test.afterEach(closeContexts);

async function signedInPage(browser, person) {
  const page = await (await browser.newContext()).newPage();
  await page.goto('/signin');
  await page.getByLabel('Username').fill(person.username);
  await page.getByLabel('Password').fill(person.password || PASSWORD);
  await page.getByRole('button', { name: 'Sign in' }).click();
  await expect(page.getByTestId('account-name')).toContainText(person.username, { timeout: 20_000 });
  return page;
}

test('signing a session out, and changing the password, end the other browser\'s open page at once', async ({ browser }) => {
  const person = await signUp();
  const { id } = await (await person.api.post('/api/docs', { data: { title: 'Travel plans' } })).json();

  const other = await signedInPage(browser, person);
  await other.goto(`/d/${id}`);
  await expect(other.getByTestId('editor')).toBeEditable({ timeout: 20_000 });

  const page = await signedInPage(browser, person);
  await page.getByTestId('account-name').click();
  await expect(page.getByRole('heading', { name: 'Your account', level: 1 })).toBeVisible();
  await hydrated(page);
  const sessions = page.getByTestId('session');
  // The API's own session (signUp), the other browser, and this one.
  await expect(sessions).toHaveCount(3);
  await expect(sessions.first()).toContainText('this browser');
  await expect(sessions.first()).toContainText('Chrome on Linux');
  await expect(sessions.nth(1)).toContainText('127.0.0.1');

  // The other browser's session is the most recently active one after this.
  const otherRow = sessions.filter({ hasNotText: 'this browser' }).filter({ hasText: 'active just now' }).first();
  await otherRow.getByTestId('end-session').click();
  await otherRow.getByTestId('end-session').click(); // "Sign out Chrome on Linux?"
  await expect(other.getByTestId('status')).toHaveText('Access removed', { timeout: 5_000 });
  await expect(other.getByTestId('editor')).not.toBeEditable();
  await expect(sessions).toHaveCount(2);

  // A wrong current password is refused; the right one changes it.
  await page.getByLabel('Current password').fill('not my password');
  await page.getByLabel('New password').fill('a better password');
  await page.getByTestId('change-password').click();
  await expect(page.getByTestId('password-error')).toContainText('current password is not right');
  await page.getByLabel('Current password').fill(PASSWORD);
  await page.getByTestId('change-password').click();
  await expect(page.getByTestId('password-changed')).toBeVisible();
  await page.reload();
  await expect(page.getByTestId('account-name')).toContainText(person.username, { timeout: 20_000 });
  await expect(page.getByTestId('session')).toHaveCount(1);
  expect((await person.api.get('/api/docs')).status()).toBe(401); // the API's session was signed out too
  const again = await signedInPage(browser, { username: person.username, password: 'a better password' });
  await expect(again.getByTestId('account-name')).toBeVisible();
});

test('a read-only token made on the page reads but cannot write', async ({ browser, baseURL, playwright }) => {
  const person = await signUp();
  const page = await signedInPage(browser, person);
  await page.goto('/settings');
  await hydrated(page);
  await page.getByLabel('Name of the new token').fill('dashboard');
  await page.getByLabel('What the token may do').selectOption('read');
  await page.getByLabel('Token expires').selectOption('30');
  await page.getByRole('button', { name: 'Create token' }).click();
  const token = await page.getByTestId('new-token').inputValue();
  expect(token).toMatch(/^qt_[0-9a-f]{64}$/);
  const row = page.getByTestId('token').filter({ hasText: 'dashboard' });
  await expect(row).toContainText('read-only');
  await expect(row).toContainText('expires in 30 days');

  const script = await playwright.request.newContext({ baseURL, extraHTTPHeaders: { authorization: `Bearer ${token}` } });
  expect((await script.get('/api/docs')).status()).toBe(200);
  expect((await script.post('/api/docs', { data: { title: 'Not allowed' } })).status()).toBe(403);
  await script.dispose();
});
