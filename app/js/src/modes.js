// The fenced-code modes, loaded by languages.js on the first fence that names
// one of them (a separate module, built beside editor.js by build.mjs): a
// document without code never downloads them. CodeMirror's stream parsers
// (`@codemirror/legacy-modes`, the modes of CodeMirror 5): thirteen languages
// for ~33 KiB gzipped, where the full Lezer grammars of the same set cost
// ~100 KiB. Plain objects: nothing here imports CodeMirror itself, so the two
// modules share no code.

export { javascript, json, typescript } from '@codemirror/legacy-modes/mode/javascript';
export { rust } from '@codemirror/legacy-modes/mode/rust';
export { python } from '@codemirror/legacy-modes/mode/python';
export { standardSQL } from '@codemirror/legacy-modes/mode/sql';
export { yaml } from '@codemirror/legacy-modes/mode/yaml';
export { shell } from '@codemirror/legacy-modes/mode/shell';
export { css } from '@codemirror/legacy-modes/mode/css';
export { html } from '@codemirror/legacy-modes/mode/xml';
export { toml } from '@codemirror/legacy-modes/mode/toml';
export { go } from '@codemirror/legacy-modes/mode/go';
export { diff } from '@codemirror/legacy-modes/mode/diff';
