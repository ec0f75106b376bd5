// Bundles src/editor.js and the CodeMirror packages it imports into one
// minified ES module, dist/editor.js, which the hydrate crate imports through
// wasm-bindgen (cargo-leptos then serves it under /pkg/snippets/), and the
// fenced-code modes into dist/modes.js beside it, which editor.js imports
// when a document first needs them (client/binding.rs names it too, so
// wasm-bindgen copies it). Two separate bundles: they share no code, so
// neither needs a chunk of its own that wasm-bindgen would not copy.
// Run by app/build.rs before the browser crate compiles; `node build.mjs` by hand.
import { build } from 'esbuild';

const options = {
  bundle: true,
  format: 'esm',
  minify: true,
  target: 'es2020',
  legalComments: 'none',
  logLevel: 'warning',
};

await Promise.all([
  build({ ...options, entryPoints: ['src/editor.js'], outfile: 'dist/editor.js' }),
  build({ ...options, entryPoints: ['src/modes.js'], outfile: 'dist/modes.js' }),
]);
