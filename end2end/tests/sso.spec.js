// Single sign-on in the browser, through the real OpenID provider the suite
// starts (tools/oidc-provider.mjs, npm's oidc-provider): "Sign in with Test
// ID" on Quire's sign-in page, the provider's own login and consent pages,
// and back in Quire signed in to an account made on the way; and a person
// with a password connecting their account from its settings page, after
// which the provider signs them in to it.
const { test, expect } = require('@playwright/test');
const { PASSWORD, closeContexts, hydrated, randomName, signUp } = require('./helpers');

test.afterEach(closeContexts);

/** The provider's own pages: its login form (any name, any password), then its consent. */
async function signInAtProvider(page, login) {
  await expect(page).toHaveURL(/127\.0\.0\.1:\d+\/interaction\//);
  await page.locator('input[name=login]').fill(login);
  await page.locator('input[name=password]').fill('any password at all');
  await page.getByRole('button', { name: 'Sign-in' }).click();
  await page.getByRole('button', { name: 'Continue' }).click();
}

async function freshPage(browser) {
  const context = await browser.newContext();
  // The provider's pages import a web font; nothing leaves the machine in tests.
  await context.route(/fonts\.googleapis\.com|fonts\.gstatic\.com/, (route) => route.abort());
  return context.newPage();
}

test('signing in through the provider makes an account and comes back signed in', async ({ browser }) => {
  const page = await freshPage(browser);
  const login = randomName('sso');
  await page.goto('/signin?next=/trash');
  await hydrated(page);
  await page.getByRole('link', { name: 'Sign in with Test ID' }).click();
  await signInAtProvider(page, login);

  // Back in Quire, where the person was going, signed in as the provider named them.
  await expect(page).toHaveURL(/\/trash$/, { timeout: 20_000 });
  await expect(page.getByTestId('account-name')).toContainText(login);

  // Their settings say how they sign in: through the provider, no password to change.
  await page.goto('/settings');
  await expect(page.getByTestId('sso-identity')).toContainText(`${login}@example.test`);
  await expect(page.getByRole('heading', { name: 'Password' })).toHaveCount(0);
  await expect(page.getByText('This account signs in only through Test ID.')).toBeVisible();

  // Signing out and in again finds the same account (no second one).
  await hydrated(page);
  await page.getByTestId('sign-out').click();
  await expect(page.getByTestId('account-name')).toHaveCount(0);
  await page.goto('/signin');
  await hydrated(page);
  await page.getByRole('link', { name: 'Sign in with Test ID' }).click();
  // Signed in at the provider already: no login, only its consent again
  // (it asks every time for a native client like this one).
  await page.getByRole('button', { name: 'Continue' }).click();
  await expect(page.getByTestId('account-name')).toContainText(login, { timeout: 20_000 });
  await expect(page.getByTestId('account-name')).not.toContainText(`${login}-2`);
});

test('a person with a password connects their account, and the provider then signs them in to it', async ({ browser }) => {
  const person = await signUp();
  const page = await freshPage(browser);
  await page.goto('/signin');
  await page.getByLabel('Username').fill(person.username);
  await page.getByLabel('Password').fill(PASSWORD);
  await page.getByRole('button', { name: 'Sign in', exact: true }).click();
  await expect(page.getByTestId('account-name')).toContainText(person.username, { timeout: 20_000 });

  await page.goto('/settings');
  await hydrated(page);
  const login = randomName('corp');
  // The password first (a session alone never connects an identity), then on to the provider.
  await page.getByPlaceholder('Your password, to confirm').fill(PASSWORD);
  await page.getByTestId('sso-confirm').click();
  await expect(page).toHaveURL(/\/settings\?sso=confirmed$/);
  await page.getByTestId('sso-link').click();
  await signInAtProvider(page, login);
  await expect(page.getByTestId('sso-linked')).toBeVisible({ timeout: 20_000 });
  await expect(page.getByTestId('sso-identity')).toContainText(`${login}@example.test`);

  // Another browser, no password typed: the provider's identity opens the same account.
  const other = await freshPage(browser);
  await other.goto('/signin');
  await hydrated(other);
  await other.getByRole('link', { name: 'Sign in with Test ID' }).click();
  await signInAtProvider(other, login);
  await expect(other.getByTestId('account-name')).toContainText(person.username, { timeout: 20_000 });
});

test('a sign-in that comes back with a forged state signs nobody in and says why', async ({ browser }) => {
  const page = await freshPage(browser);
  await page.goto('/auth/oidc/callback?state=forged&code=whatever');
  await expect(page).toHaveURL(/\/signin\?sso=state$/);
  await expect(page.getByTestId('sso-error')).toContainText('was not started in this browser');
  await expect(page.getByTestId('account-name')).toHaveCount(0);
});
