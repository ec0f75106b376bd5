// Quire's browser suite. It starts the real server (built by `cargo leptos
// build`, see scripts/test.sh) on its own port with a fresh SQLite database.
const { defineConfig } = require('@playwright/test');
const chromium = require('./chromium');

const port = Number(process.env.QUIRE_E2E_PORT || 3100);

module.exports = defineConfig({
  testDir: './tests',
  // Two-browser tests on a 2-core machine, next to another worker doing the same.
  timeout: 45_000,
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
    command: `rm -rf target/e2e && exec ${process.env.QUIRE_BIN || 'target/debug/quire'}`,
    cwd: '..',
    url: `http://127.0.0.1:${port}/healthz`,
    reuseExistingServer: false,
    timeout: 60_000,
    env: {
      QUIRE_ADDR: `127.0.0.1:${port}`,
      DATABASE_URL: 'sqlite://target/e2e/quire.db',
      RUST_LOG: 'warn',
    },
  },
});
