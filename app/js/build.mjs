// Bundles src/editor.js and the CodeMirror packages it imports into one
// minified ES module, dist/editor.js, which the hydrate crate imports through
// wasm-bindgen (cargo-leptos then serves it under /pkg/snippets/). Run by
// app/build.rs before the browser crate compiles; `node build.mjs` by hand.
import { build } from 'esbuild';

await build({
  entryPoints: ['src/editor.js'],
  outfile: 'dist/editor.js',
  bundle: true,
  format: 'esm',
  minify: true,
  target: 'es2020',
  legalComments: 'none',
  logLevel: 'warning',
});
