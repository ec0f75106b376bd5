// Workload f in headless Chromium (Debian's, as the end-to-end suite uses).
// QUIRE_DOCS names documents the harness filled: `structured` and `paragraph`
// (1 MiB each: headings and short paragraphs; one paragraph, a pasted log),
// `small` (1 KiB) and `ten_k` (10 KiB). Prints JSON:
// - open_ms: page load (cold cache, a fresh context) until the editor is
//   writable and synced, per document;
// - quire / bare: per document, keydown → the frame after the editor handled
//   the input, in Quire and in bare CodeMirror (the same editor module, the
//   same text, no collaboration: no yrs, no socket, no preview);
// - textarea: the same keystrokes into a bare <textarea> with the 1 MiB text;
// - preview: keydown → the frame after the preview changed (typing, then a pause);
// - remote: main-thread time per remote keystroke arriving in the 1 MiB tab
//   (socket handler + the frame's script, style and layout), and the long
//   tasks (≥ 50 ms) seen meanwhile;
// - per_keystroke_ms: Chrome's own counters while typing in the 1 MiB tab.
const path = require('node:path')
const modules = path.join(__dirname, '../end2end/node_modules')
const { chromium } = require(path.join(modules, '@playwright/test'))
const Y = require(path.join(modules, 'yjs'))
const { WebsocketProvider } = require(path.join(modules, 'y-websocket'))
const WebSocket = require(path.join(modules, 'ws'))
const launch = require(path.join(__dirname, '../end2end/chromium.js'))

const KEYSTROKES = 60
const PAUSED_KEYSTROKES = 5
// Enough that the 99th percentile is not simply the slowest one.
const REMOTE_KEYSTROKES = 200
const BASE = process.env.QUIRE_URL
const DOCS = JSON.parse(process.env.QUIRE_DOCS)

async function signedIn (browser) {
  const context = await browser.newContext({ baseURL: BASE, viewport: { width: 1440, height: 900 } })
  const signIn = await context.request.post('/api/session', {
    data: { username: process.env.QUIRE_USER, password: process.env.QUIRE_PASSWORD },
  })
  if (!signIn.ok()) throw new Error(`sign-in failed: ${signIn.status()}`)
  await context.addInitScript(timeSocketMessages)
  return context
}

/** Opens a document in a fresh context (nothing cached); returns the page and
 * ms from the start of the navigation until the editor is writable and synced.
 * Checked in the page every frame: Playwright's own waits poll at up to
 * 500 ms, which would add up to a second to what is measured. */
async function open (browser, id) {
  const context = await signedIn(browser)
  const page = await context.newPage()
  await page.goto(`/d/${id}`)
  const ready = await page.waitForFunction(() => {
    const editor = document.querySelector('[data-testid=editor]:not([aria-readonly=true])')
    const status = document.querySelector('[data-testid=status]')
    return editor !== null && status !== null && status.textContent.includes('Saved') && performance.now()
  }, null, { polling: 'raf', timeout: 60000 })
  return { context, page, ms: Math.round(await ready.jsonValue()) }
}

async function main () {
  const browser = await chromium.launch(launch)
  const result = { open_ms: {}, quire: {}, bare: {}, preview: [], remote: {}, per_keystroke_ms: {} }
  for (const [name, id] of Object.entries(DOCS)) {
    const { context, ms } = await open(browser, id)
    result.open_ms[name] = ms
    await context.close()
  }

  let editorModule = null
  const texts = {}
  for (const name of ['small', 'structured', 'paragraph']) {
    const { context, page } = await open(browser, DOCS[name])
    editorModule ??= await page.evaluate(() => performance.getEntriesByType('resource')
      .map((entry) => entry.name).find((url) => url.includes('/snippets/') && url.endsWith('/editor.js')))
    await page.evaluate(instrument, { editor: '[data-testid=editor]', preview: '[data-testid=preview]' })
    const cdp = await context.newCDPSession(page)
    await cdp.send('Performance.enable')
    const metrics = async () => Object.fromEntries((await cdp.send('Performance.getMetrics')).metrics.map((m) => [m.name, m.value]))
    const before = await metrics()
    await typeWords(page)
    const after = await metrics()
    const perKey = (metric) => ((after[metric] - before[metric]) * 1000) / KEYSTROKES
    result.per_keystroke_ms[name] = {
      script: perKey('ScriptDuration'), layout: perKey('LayoutDuration'),
      style: perKey('RecalcStyleDuration'), task: perKey('TaskDuration'),
    }
    result.quire[name] = (await page.evaluate(() => window.__keys)).map((k) => k.editor).filter((v) => v !== null)
    if (name === 'structured') {
      // The preview follows once typing pauses (its debounce grows with the document).
      await page.evaluate(() => { window.__keys = [] })
      for (let i = 0; i < PAUSED_KEYSTROKES; i++) {
        await page.keyboard.type('y')
        await page.waitForTimeout(2000)
      }
      result.preview = (await page.evaluate(() => window.__keys)).map((k) => k.preview).filter((v) => v !== null && v >= 0)
      result.remote = await remoteKeystrokes(context, page, DOCS[name])
    }
    texts[name] = await page.locator('.cm-editor').evaluate((el) => el.quire.text())
    await context.close()
  }

  for (const name of ['small', 'structured', 'paragraph']) {
    result.bare[name] = await bareCodeMirror(browser, editorModule, texts[name])
  }
  result.textarea = await bareTextarea(browser, texts.structured)
  console.log(JSON.stringify(result))
  await browser.close()
}

// Runs in the page before Quire's code: every socket message handler is timed
// (and the frame after it) while `window.__remote` is an array.
function timeSocketMessages () {
  const descriptor = Object.getOwnPropertyDescriptor(WebSocket.prototype, 'onmessage')
  Object.defineProperty(WebSocket.prototype, 'onmessage', {
    configurable: true,
    get () { return descriptor.get.call(this) },
    set (handler) {
      if (typeof handler !== 'function') return descriptor.set.call(this, handler)
      descriptor.set.call(this, function (event) {
        const start = performance.now()
        const out = handler.call(this, event)
        const handled = performance.now() - start
        const samples = window.__remote
        if (samples) {
          // The frame's own work: animation callbacks (CodeMirror measures
          // in one, registered during the handler) and then style and layout,
          // forced here so they are counted. The frame's timestamp is when it
          // began, which can be while the handler still ran: that stretch is
          // the handler's, counted above, so the callbacks count from the
          // later of the two.
          requestAnimationFrame((frameStart) => {
            const callbacks = performance.now() - Math.max(frameStart, start + handled)
            const before = performance.now()
            document.body.getBoundingClientRect()
            samples.push(handled + callbacks + (performance.now() - before))
          })
        }
        return out
      })
    },
  })
}

// A stock y-websocket client (as a colleague's tab would) types into the
// middle of the document the page has open.
async function remoteKeystrokes (context, page, id) {
  const cookie = (await context.cookies()).map((c) => `${c.name}=${c.value}`).join('; ')
  class WithSession extends WebSocket {
    constructor (url, protocols) { super(url, protocols, { headers: { Origin: BASE, Cookie: cookie } }) }
  }
  const doc = new Y.Doc()
  const provider = new WebsocketProvider(BASE.replace(/^http/, 'ws') + '/ws/doc', id, doc, { WebSocketPolyfill: WithSession })
  await new Promise((resolve) => provider.on('sync', (synced) => synced && resolve()))
  const text = doc.getText('content')
  await page.evaluate(() => {
    window.__remote = []
    window.__longTasks = []
    new PerformanceObserver((list) => {
      for (const entry of list.getEntries()) window.__longTasks.push(entry.duration)
    }).observe({ type: 'longtask' })
  })
  const at = Math.floor(text.length / 2)
  for (let i = 0; i < REMOTE_KEYSTROKES; i++) {
    text.insert(at + i, i % 8 === 7 ? ' ' : 'r')
    await new Promise((resolve) => setTimeout(resolve, 150))
  }
  await page.waitForTimeout(2000)
  const measured = await page.evaluate(() => ({ main_thread: window.__remote, long_tasks: window.__longTasks }))
  provider.destroy()
  doc.destroy()
  return measured
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

// The same editor module Quire loads, alone on a page of Quire's origin with
// Quire's stylesheet, in a box the size of the split view's source pane.
async function bareCodeMirror (browser, editorModule, text) {
  const page = await browser.newPage({ viewport: { width: 1440, height: 900 } })
  await page.route(`${BASE}/__bare`, (route) => route.fulfill({
    contentType: 'text/html',
    body: `<!doctype html><link rel="stylesheet" href="/pkg/quire.css">
      <div class="editor-host" style="position:fixed;inset:0 50vw 0 0"></div>`,
  }))
  await page.goto(`${BASE}/__bare`)
  await page.evaluate(async ({ url, text }) => {
    const { QuireEditor } = await import(url)
    const hooks = { local () {}, selection () {}, undo () {}, redo () {}, composing () {} }
    const editor = new QuireEditor(document.querySelector('.editor-host'), text, hooks, { 'data-testid': 'editor' }, {})
    editor.setReadOnly(false)
  }, { url: editorModule, text })
  await page.evaluate(instrument, { editor: '[data-testid=editor]', preview: null })
  await typeWords(page)
  const keys = await page.evaluate(() => window.__keys)
  await page.close()
  return keys.map((k) => k.editor).filter((v) => v !== null)
}

// The browser's own floor: a bare <textarea> of the same size holding the same text.
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
