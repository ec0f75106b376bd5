// Hocuspocus with its defaults, plus its Database extension writing each
// document to a file so that cold loads have a store to read after a restart.
import { Server } from '@hocuspocus/server'
import { Database } from '@hocuspocus/extension-database'
import { mkdir, readFile, writeFile } from 'node:fs/promises'

const dir = process.env.HOCUSPOCUS_STORE
await mkdir(dir, { recursive: true })
const file = (name) => `${dir}/${encodeURIComponent(name)}.ydoc`
const store = new Database({
  fetch: ({ documentName }) => readFile(file(documentName)).catch(() => null),
  store: ({ documentName, state }) => writeFile(file(documentName), state),
})
new Server({ port: Number(process.env.PORT), address: '127.0.0.1', quiet: true, extensions: [store] }).listen()
