// Images and files into a document: pasted (a screenshot from the
// clipboard), dropped from the desktop, or picked with the toolbar's button.
//
// At once a placeholder goes in where the file lands — `![Uploading
// photo.png…](upload:…)`, an address no browser fetches — as an ordinary
// edit, so everyone sees it; the
// upload runs (POST /api/docs/{id}/files, the raw file as the body) with its
// progress shown under the editor; when the server has the file the
// placeholder becomes `![photo](/files/{id})` for an image, `[report.pdf](/files/{id})`
// otherwise. A failed upload removes its placeholder and says why (the
// server's reason: too large, no access…), so no broken link is left behind.

import { EditorView } from '@codemirror/view';

let uploads = 0;

/** What Markdown would read as syntax in a file's name (the end of the
 * link text, emphasis, code, an autolink or HTML) is escaped. */
function linkText(text) {
  return text.replace(/[\\[\]*_`<>!]/g, (c) => `\\${c}`).replace(/[\r\n]+/g, ' ');
}

/** The alt text of an image: its name without the extension. */
function altText(name) {
  const dot = name.lastIndexOf('.');
  return linkText(dot > 0 ? name.slice(0, dot) : name);
}

export class Uploads {
  /** @param {string} url where files are posted (the document's files endpoint) */
  constructor(url) {
    this.url = url;
    /** Placeholders waiting for their upload: `{ token, text, at }`. */
    this.pending = new Set();
    this.view = null;
    this.status = null;
  }

  /** Once the editor exists: its view, and the progress lines under it. */
  attach(view) {
    this.view = view;
    this.status = document.createElement('div');
    this.status.className = 'upload-status';
    this.status.dataset.testid = 'upload-status';
    this.status.setAttribute('aria-live', 'polite');
    view.dom.after(this.status);
  }

  /** The paste and drop handlers, as a CodeMirror extension, and where
   * each placeholder is as the text changes around it. */
  extension() {
    const uploads = this;
    const follow = EditorView.updateListener.of((update) => {
      if (!update.docChanged) return;
      for (const placed of uploads.pending) placed.at = update.changes.mapPos(placed.at, 1);
    });
    return [follow, EditorView.domEventHandlers({
      paste(event, view) {
        const files = [...(event.clipboardData?.files ?? [])];
        if (!files.length || view.state.readOnly) return false;
        event.preventDefault();
        uploads.add(files, view.state.selection.main.head);
        return true;
      },
      drop(event, view) {
        const files = [...(event.dataTransfer?.files ?? [])];
        if (!files.length || view.state.readOnly) return false;
        event.preventDefault();
        const at = view.posAtCoords({ x: event.clientX, y: event.clientY }) ?? view.state.selection.main.head;
        uploads.add(files, at);
        return true;
      },
    })];
  }

  /** Lets the person pick files (the toolbar's button). */
  pick() {
    if (!this.view || this.view.state.readOnly) return;
    const input = document.createElement('input');
    input.type = 'file';
    input.multiple = true;
    input.addEventListener('change', () => {
      if (input.files?.length) this.add([...input.files], this.view.state.selection.main.head);
    });
    input.click();
  }

  /** Puts a placeholder for each file at `at` and uploads them. */
  add(files, at) {
    const placed = files.map((file) => {
      uploads += 1;
      const token = `upload:${Date.now().toString(36)}-${uploads}`;
      const image = file.type.startsWith('image/');
      const text = `${image ? '!' : ''}[Uploading ${linkText(file.name)}…](${token})`;
      return { file, token, text };
    });
    const insert = placed.map((p) => p.text).join('\n');
    this.view.dispatch({ changes: { from: at, insert }, selection: { anchor: at + insert.length }, userEvent: 'input.paste' });
    // Followed from here on (not through their own insertion).
    let offset = at;
    for (const upload of placed) {
      upload.at = offset;
      offset += upload.text.length + 1;
      this.pending.add(upload);
    }
    for (const upload of placed) this.send(upload);
  }

  send(upload) {
    const { file } = upload;
    const line = document.createElement('p');
    line.className = 'upload-line';
    line.dataset.testid = 'upload-progress';
    const label = `Uploading ${file.name}`;
    line.textContent = `${label}…`;
    this.status.append(line);
    const request = new XMLHttpRequest();
    request.open('POST', `${this.url}?name=${encodeURIComponent(file.name)}`);
    request.upload.addEventListener('progress', (event) => {
      if (event.lengthComputable) line.textContent = `${label}… ${Math.floor((event.loaded / event.total) * 100)}%`;
    });
    request.addEventListener('load', () => {
      let answer = null;
      try {
        answer = JSON.parse(request.responseText);
      } catch {
        answer = null;
      }
      if (request.status === 201 && answer?.url) {
        line.remove();
        const link = answer.type.startsWith('image/')
          ? `![${altText(answer.name)}](${answer.url})`
          : `[${linkText(answer.name)}](${answer.url})`;
        this.replace(upload, link);
      } else {
        this.fail(line, upload, answer?.error ?? `the server answered ${request.status}`);
      }
    });
    request.addEventListener('error', () => this.fail(line, upload, 'the connection was lost'));
    request.send(file);
  }

  fail(line, upload, reason) {
    const { file } = upload;
    this.replace(upload, '');
    line.className = 'upload-line error';
    line.dataset.testid = 'upload-error';
    line.setAttribute('role', 'alert');
    line.textContent = `Could not add ${file.name}: ${reason}`;
    const close = document.createElement('button');
    close.type = 'button';
    close.className = 'button subtle';
    close.textContent = 'Dismiss';
    close.addEventListener('click', () => line.remove());
    line.append(' ', close);
  }

  /** Replaces the placeholder where edits moved it (a copy someone pasted
   * elsewhere is not it); if someone changed its text, only its address;
   * if someone deleted it, nothing. */
  replace(upload, by) {
    this.pending.delete(upload);
    const { token, text, at } = upload;
    const doc = this.view.state.doc.toString();
    let from = doc.slice(at, at + text.length) === text ? at : doc.indexOf(text);
    let to = from + text.length;
    if (from < 0) {
      const url = by.match(/\(([^)]*)\)$/)?.[1];
      from = doc.indexOf(`(${token})`);
      if (from < 0 || url === undefined) return;
      from += 1;
      to = from + token.length;
      by = url;
    }
    // Read-only by now (access was withdrawn): the text stays as it is.
    if (this.view.state.readOnly) return;
    this.view.dispatch({ changes: { from, to, insert: by }, userEvent: 'input' });
  }
}
