// Quire's browser suite. It starts the real server (built by `cargo leptos
// build`, see scripts/test.sh) on its own port with a fresh SQLite database:
// two instances relaying through Redis (servers.sh). Tests use instance A
// (baseURL) unless they say otherwise.
const { defineConfig } = require('@playwright/test');
const chromium = require('./chromium');

const port = Number(process.env.QUIRE_E2E_PORT || 3100);

module.exports = defineConfig({
  testDir: './tests',
  // Fails the run if a server panicked, even in a request that still answered.
  globalTeardown: require.resolve('./teardown.js'),
  // Two-browser tests on a 2-core machine, next to another worker doing the
  // same: several take 30-36 s in a clean-clone CI run, so 45 s was too close.
  timeout: 90_000,
  expect: { timeout: 10_000 },
  fullyParallel: true,
  workers: 2,
  retries: 0,
  reporter: process.env.CI ? 'list' : [['list'], ['html', { open: 'never' }]],
  use: {
    baseURL: `http://127.0.0.1:${port}`,
    launchOptions: chromium,
    trace: 'retain-on-failure',
  },
  webServer: {
    command: 'exec bash end2end/servers.sh',
    cwd: '..',
    url: `http://127.0.0.1:${port}/healthz`,
    reuseExistingServer: false,
    timeout: 60_000,
    env: { QUIRE_E2E_PORT: String(port) },
  },
});
