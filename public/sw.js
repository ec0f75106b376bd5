// Quire's service worker: keeps the app shell and every document page the
// browser has opened, so a visited document opens with no network at all
// (its latest edits come from the copy in IndexedDB, see app/src/client/offline.rs).
//
// Network first, always: online, people get the current page and code, and
// each successful answer refreshes the cache. Only when the network fails is
// the cached copy used. Live traffic (WebSocket, events, API, server
// functions) is never cached.
// v2: drops any copy of the private pages an earlier worker kept; v3: the
// same for the audit log, your account (session addresses) and groups.
const CACHE = 'quire-shell-v3';
const LIVE = ['/ws/', '/events', '/api/', '/rpc/', '/s/', '/healthz'];
// Pages with a secret in their address (invitation and password-reset links)
// or other people's details (admin pages, sessions' addresses, groups'
// members) are never kept on the device.
const PRIVATE = ['/admin', '/admin/audit', '/reset', '/signup', '/settings', '/groups'];
// The app's code (cargo-leptos output names; see Leptos.toml).
const SHELL = ['/pkg/quire.js', '/pkg/quire.wasm', '/pkg/quire.css', '/favicon.svg'];

self.addEventListener('install', () => self.skipWaiting());

// The page that registered this worker was loaded before it existed: keep
// that page and the app's code now, so it already works offline.
self.addEventListener('activate', (event) => {
  event.waitUntil((async () => {
    for (const name of await caches.keys()) {
      if (name !== CACHE) await caches.delete(name);
    }
    await self.clients.claim();
    const open = await self.clients.matchAll({ type: 'window' });
    const pages = open.map((client) => new URL(client.url))
      .filter((url) => url.origin === self.location.origin)
      .map((url) => url.pathname + url.search);
    await Promise.all([...SHELL, ...pages].map((path) => networkFirst(new Request(path)).catch(() => {})));
    await Promise.all((await snippets()).map((path) => networkFirst(new Request(path)).catch(() => {})));
  })());
});

/** The JavaScript modules quire.js imports (the editor: wasm-bindgen puts
 * them under /pkg/snippets/, with a hash in the path), and the modes the
 * editor loads later, which belong to the shell too: without them the app
 * does not start offline. */
async function snippets() {
  // From the network (the cached copy may still be being written), else the cache.
  const script = await fetch('/pkg/quire.js').catch(() => null)
    || await (await caches.open(CACHE)).match('/pkg/quire.js');
  if (!script || !script.ok) return [];
  const text = await script.text();
  const modules = [...text.matchAll(/['"]\.\/(snippets\/[^'"]+\.js)['"]/g)].map((match) => `/pkg/${match[1]}`);
  // The editor's fenced-code modes, built beside it: the editor imports them
  // itself, only once a document has code, so quire.js does not name them.
  // Kept here too, so code is highlighted offline.
  return modules.flatMap((path) => (path.endsWith('/editor.js') ? [path, path.replace(/editor\.js$/, 'modes.js')] : [path]));
}

self.addEventListener('fetch', (event) => {
  const request = event.request;
  const url = new URL(request.url);
  if (request.method !== 'GET' || url.origin !== self.location.origin) return;
  if (LIVE.some((prefix) => url.pathname.startsWith(prefix))) return;
  if (PRIVATE.some((page) => url.pathname === page)) return;
  event.respondWith(networkFirst(request));
});

async function networkFirst(request) {
  const cache = await caches.open(CACHE);
  try {
    const response = await fetch(request);
    // Only pages and files that loaded whole are worth keeping (images in
    // documents among them, so an opened document shows them offline);
    // redirects (to sign-in, say), errors and partial answers (a Range) are not.
    if (response.status === 200 && response.type === 'basic') {
      cache.put(request, response.clone());
    }
    return response;
  } catch (offline) {
    const cached = await cache.match(request, { ignoreVary: true });
    if (cached) return cached;
    if (request.mode === 'navigate') {
      return new Response(
        '<!doctype html><meta charset="utf-8"><title>Offline — Quire</title>' +
        '<body style="font-family:system-ui;max-width:32rem;margin:4rem auto;line-height:1.5">' +
        '<h1>You are offline</h1><p>This page has not been opened on this device before, ' +
        'so there is no copy of it here. Documents you have opened still work offline.</p>',
        { status: 503, headers: { 'content-type': 'text/html; charset=utf-8' } });
    }
    throw offline;
  }
}
