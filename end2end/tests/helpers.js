// Small helpers shared by the browser tests. Documents belong to an owner
// account (one per worker and server); every browser context joins through
// the document's edit link, so each is a separate guest, like a person who
// was sent the link.
const { expect, request: apiRequest } = require('@playwright/test');
const { execFileSync } = require('child_process');
const crypto = require('crypto');
const path = require('path');

const PASSWORD = 'correct horse battery';
const DEFAULT_BASE = `http://127.0.0.1:${Number(process.env.QUIRE_E2E_PORT || 3100)}`;
const owners = new Map(); // baseURL -> Promise<{ api, username }>
const editLinks = new Map(); // document id -> "/s/..."

function randomName(prefix = 'user') {
  return `${prefix}-${crypto.randomBytes(5).toString('hex')}`;
}

/** Creates an account through the JSON API; returns its signed-in API context. */
async function signUp(baseURL = DEFAULT_BASE, username = randomName()) {
  const api = await apiRequest.newContext({ baseURL });
  const response = await api.post('/api/users', { data: { username, password: PASSWORD } });
  expect(response.status()).toBe(201);
  return { api, username };
}

/** Signs up in the browser, through the form; the page ends on home. */
async function signUpInBrowser(page, username = randomName()) {
  await page.goto('/signup');
  await page.getByLabel('Username').fill(username);
  await page.getByLabel('Password').fill(PASSWORD);
  await page.getByRole('button', { name: 'Sign up' }).click();
  await expect(page.getByTestId('account-name')).toContainText(username, { timeout: 20_000 });
  return username;
}

function owner(baseURL = DEFAULT_BASE) {
  if (!owners.has(baseURL)) owners.set(baseURL, signUp(baseURL, randomName('owner')));
  return owners.get(baseURL);
}

/** Creates a document (as the owner) with an edit link; returns its id. */
async function createDoc(_request, title, baseURL = DEFAULT_BASE) {
  const { api } = await owner(baseURL);
  const created = await api.post('/api/docs', { data: { title } });
  expect(created.status()).toBe(201);
  const { id } = await created.json();
  const link = await api.post(`/api/docs/${id}/links`, { data: { role: 'editor' } });
  expect(link.status()).toBe(201);
  editLinks.set(id, (await link.json()).url);
  return id;
}

/** `quire admin promote NAME` against the suite's database, as an operator would. */
function promote(username) {
  execFileSync(process.env.QUIRE_BIN || 'target/debug/quire', ['admin', 'promote', username], {
    cwd: path.resolve(__dirname, '../..'),
    env: { ...process.env, DATABASE_URL: 'sqlite://target/e2e/quire.db' },
    stdio: 'pipe',
  });
}

/** Waits until the page runs its own buttons (a click before would post a plain form). */
async function hydrated(page) {
  await expect(page.locator('html[data-hydrated]')).toHaveCount(1, { timeout: 20_000 });
}

/** The text of each of a document's versions, newest first (read as its owner). */
async function versionTexts(id, baseURL = DEFAULT_BASE) {
  const { api } = await owner(baseURL);
  const { versions } = await (await api.get(`/api/docs/${id}/versions`)).json();
  return Promise.all(versions.map(async (v) => (await api.get(`/api/docs/${id}/versions/${v.id}/markdown`)).text()));
}

/** The path that opens a document for a new guest (its edit link). */
function docLink(id) {
  return editLinks.get(id);
}

/** The document's text as the server has it (read as its owner). */
async function markdown(id, baseURL = DEFAULT_BASE) {
  const { api } = await owner(baseURL);
  return (await api.get(`/api/docs/${id}/markdown`)).text();
}

/** Headers for a non-browser WebSocket client joining as a new guest. */
async function guestHeaders(id, baseURL = DEFAULT_BASE) {
  const api = await apiRequest.newContext({ baseURL });
  const response = await api.get(editLinks.get(id), { maxRedirects: 0 });
  const cookie = response.headers()['set-cookie'].split(';')[0];
  await api.dispose();
  return { Origin: baseURL, Cookie: cookie };
}

/**
 * Keeps what a page logged (errors, warnings, uncaught exceptions, failed
 * requests), so a test that finds the page stuck can say what happened.
 */
function pageLog(page) {
  if (!page.__quireLog) {
    const log = [];
    page.__quireLog = log;
    const keep = (line) => { log.push(`${new Date().toISOString().slice(11, 23)} ${line}`); if (log.length > 50) log.shift(); };
    page.on('console', (m) => ['error', 'warning'].includes(m.type()) && keep(`console.${m.type()}: ${m.text()}`));
    page.on('pageerror', (error) => keep(`uncaught: ${error.message}`));
    page.on('requestfailed', (r) => keep(`request failed: ${r.method()} ${r.url()} ${r.failure()?.errorText}`));
    page.on('response', (r) => r.status() >= 400 && keep(`HTTP ${r.status()}: ${r.url()}`));
  }
  return page.__quireLog;
}

/** Opens a document (through its edit link) and waits until the editor is live. */
async function openDoc(page, id) {
  const log = pageLog(page);
  await page.goto(editLinks.get(id) || `/d/${id}`);
  await expect(page).toHaveURL(new RegExp(`/d/${id}$`));
  const editor = page.getByTestId('editor');
  try {
    // Generous: the first pages of a run compile the WebAssembly bundle.
    await expect(editor).toBeEditable({ timeout: 20_000 });
    await expect(page.getByTestId('status')).toHaveText('Saved');
  } catch (error) {
    const shown = await page.evaluate(() => document.body.innerText.slice(0, 400)).catch((e) => `(unreadable: ${e.message})`);
    error.message += `\n--- the page at ${page.url()} shows:\n${shown}\n--- it logged:\n${log.join('\n') || '(nothing)'}`;
    throw error;
  }
  return editor;
}

/**
 * The text the editor shows (CodeMirror keeps only the lines on screen in the
 * DOM, so it is read from the editor itself, through the handle editor.js
 * puts on its root element).
 */
async function editorText(editor) {
  return editor.evaluate((el) => el.closest('.cm-editor').quire.text());
}

/** Waits until the editor shows exactly `expected`. */
async function expectText(editor, expected, options = {}) {
  await expect.poll(() => editorText(editor), { timeout: options.timeout }).toBe(expected);
}

/** The editor's main selection as [anchor, head] (UTF-16 offsets). */
async function selection(editor) {
  return editor.evaluate((el) => el.closest('.cm-editor').quire.selection());
}

/** Focuses the editor and selects anchor..head (a caret when equal). */
async function select(editor, anchor, head = anchor) {
  await editor.evaluate((el, [a, h]) => el.closest('.cm-editor').quire.select(a, h), [anchor, head]);
}

/** The name the server gave this page's person (the avatar marked "you"). */
async function myName(page) {
  return page.locator('.avatar.me').getAttribute('data-name');
}

/** A new document open in two separate browser contexts (two people). */
async function twoPeople(browser, request, title) {
  const id = await createDoc(request, title);
  const alice = await (await browser.newContext()).newPage();
  const bob = await (await browser.newContext()).newPage();
  const aliceEditor = await openDoc(alice, id);
  const bobEditor = await openDoc(bob, id);
  return { id, alice, bob, aliceEditor, bobEditor };
}

/**
 * Closes every browser context a test opened (after each test: `test.afterEach(closeContexts)`).
 * Contexts from `browser.newContext()` are not closed by Playwright; left open,
 * their pages stay live (sockets, timers, editors) and slow every later test
 * of the worker until pages time out loading.
 */
async function closeContexts({ browser }) {
  await Promise.all(browser.contexts().map((context) => context.close().catch(() => {})));
}

module.exports = {
  PASSWORD, closeContexts, createDoc, docLink, editorText, expectText, guestHeaders, hydrated, markdown, myName, openDoc, promote,
  randomName, select,
  selection, signUp, signUpInBrowser, twoPeople, versionTexts,
};
