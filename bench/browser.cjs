// Keystroke-to-screen in headless Chromium (Debian's, as the end-to-end suite
// uses). Signs in, opens QUIRE_DOC, types into the middle of it and prints
// JSON: per keystroke, keydown → the frame after the editor handled the input;
// for keystrokes followed by a pause, keydown → the frame after the preview
// changed; Chrome's main-thread counters; and the same keystrokes into a bare
// <textarea> holding the same text, the browser's own floor.
const path = require('node:path')
const { chromium } = require(path.join(__dirname, '../end2end/node_modules/@playwright/test'))
const launch = require(path.join(__dirname, '../end2end/chromium.js'))

const KEYSTROKES = 60
const PAUSED_KEYSTROKES = 5

async function main () {
  const browser = await chromium.launch(launch)
  const context = await browser.newContext({ baseURL: process.env.QUIRE_URL })
  const signIn = await context.request.post('/api/session', {
    data: { username: process.env.QUIRE_USER, password: process.env.QUIRE_PASSWORD },
  })
  if (!signIn.ok()) throw new Error(`sign-in failed: ${signIn.status()}`)
  const page = await context.newPage()
  const opened = Date.now()
  await page.goto(`/d/${process.env.QUIRE_DOC}`)
  await page.locator('[data-testid=editor]:not([aria-readonly=true])').waitFor({ timeout: 60000 })
  await page.getByTestId('status').getByText('Saved').waitFor({ timeout: 60000 })
  const readyMs = Date.now() - opened

  await page.evaluate(instrument, { editor: '[data-testid=editor]', preview: '[data-testid=preview]' })
  // Where the main thread's time goes while typing (Chrome's own counters).
  const cdp = await context.newCDPSession(page)
  await cdp.send('Performance.enable')
  const metrics = async () => Object.fromEntries((await cdp.send('Performance.getMetrics')).metrics.map((m) => [m.name, m.value]))
  const before = await metrics()
  if (process.env.QUIRE_TRACE) await browser.startTracing(page, { categories: ['devtools.timeline', 'disabled-by-default-devtools.timeline'] })
  await typeWords(page)
  // The preview follows once typing pauses (its debounce grows with the
  // document), so it is timed on keystrokes that are followed by a pause.
  for (let i = 0; i < PAUSED_KEYSTROKES; i++) {
    await page.keyboard.type('y')
    await page.waitForTimeout(2000)
  }
  const after = await metrics()
  if (process.env.QUIRE_TRACE) require('node:fs').writeFileSync(process.env.QUIRE_TRACE, await browser.stopTracing())
  const perKey = (name) => ((after[name] - before[name]) * 1000) / (KEYSTROKES + PAUSED_KEYSTROKES)
  const keys = await page.evaluate(() => window.__keys)
  const text = await page.locator('.cm-editor').evaluate((el) => el.quire.text())
  const bare = await bareTextarea(browser, text)
  console.log(JSON.stringify({
    editor: keys.map((k) => k.editor).filter((v) => v !== null),
    preview: keys.map((k) => k.preview).filter((v) => v !== null && v >= 0),
    ready_ms: readyMs,
    bare_editor: bare,
    per_keystroke_ms: {
      script: perKey('ScriptDuration'),
      layout: perKey('LayoutDuration'),
      style: perKey('RecalcStyleDuration'),
      task: perKey('TaskDuration'),
    },
  }))
  await browser.close()
}

// Runs in the page: times every keystroke from keydown to the frame after the
// input was handled (an input listener on the document runs after the
// editor's own) and, if there is a preview, to the frame after it changed.
// Puts the caret in the middle of the text.
function instrument ({ editor: editorSelector, preview: previewSelector }) {
  const editor = document.querySelector(editorSelector)
  const afterNextFrame = (done) => requestAnimationFrame(() => {
    const channel = new MessageChannel()
    channel.port1.onmessage = () => done(performance.now())
    channel.port2.postMessage(0)
  })
  window.__keys = []
  let current = null
  document.addEventListener('keydown', (event) => {
    current = { t0: event.timeStamp, editor: null, preview: null }
    window.__keys.push(current)
  }, true)
  document.addEventListener('input', () => {
    const key = current
    afterNextFrame((t) => { key.editor = t - key.t0 })
  })
  if (previewSelector) {
    new MutationObserver(() => {
      const key = current
      if (key && key.preview === null) {
        key.preview = -1
        afterNextFrame((t) => { key.preview = t - key.t0 })
      }
    }).observe(document.querySelector(previewSelector), { childList: true, subtree: true, characterData: true })
  }
  // Quire's editor (CodeMirror) through the handle editor.js gives it; the
  // bare textarea directly.
  const quire = editor.closest('.cm-editor')?.quire
  const middle = Math.floor((quire ? quire.text() : editor.value).length / 2)
  if (quire) {
    quire.select(middle, middle)
  } else {
    editor.focus()
    editor.setSelectionRange(middle, middle)
  }
}

// Words of seven letters, at a brisk typist's pace.
async function typeWords (page) {
  for (let i = 0; i < KEYSTROKES; i++) {
    await page.keyboard.type(i % 8 === 7 ? ' ' : 'x')
    await page.waitForTimeout(120)
  }
}

// The browser's own floor: the same keystrokes into a bare <textarea> of the
// same size holding the same text, with nothing listening.
async function bareTextarea (browser, text) {
  const page = await browser.newPage()
  await page.setContent('<textarea style="position:fixed;inset:0;width:50vw;height:100vh"></textarea>')
  await page.evaluate((text) => { document.querySelector('textarea').value = text }, text)
  await page.evaluate(instrument, { editor: 'textarea', preview: null })
  await typeWords(page)
  const keys = await page.evaluate(() => window.__keys)
  await page.close()
  return keys.map((k) => k.editor).filter((v) => v !== null)
}

main().catch((error) => { console.error(error); process.exit(1) })
