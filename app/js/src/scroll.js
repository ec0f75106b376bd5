// The preview follows the editor in split view. The source line at the top of
// the editor names a block of the preview (each top-level block knows the
// line it starts on); the preview scrolls that block to its top, as far into
// it as the line is into the block's source. Only while the two are side by
// side: on a phone, stacked, each scrolls on its own.

export class PreviewSync {
  /**
   * @param {import('@codemirror/view').EditorView} view the editor
   * @param {HTMLElement} article the preview (chunks of one element per block); its parent scrolls
   */
  constructor(view, article) {
    this.view = view;
    this.article = article;
    /** Every block, in order (live: it follows the preview's changes). */
    this.blocks = article.getElementsByClassName('md-block');
    this.pane = article.parentElement;
    /** First source line (1-based) of each block, ascending. */
    this.lines = [];
    this.frame = 0;
    this.onScroll = () => {
      if (!this.frame) {
        this.frame = requestAnimationFrame(() => {
          this.frame = 0;
          this.sync();
        });
      }
    };
    view.scrollDOM.addEventListener('scroll', this.onScroll, { passive: true });
  }

  setLines(lines) {
    // A view into WebAssembly memory, valid only during the call: copied.
    this.lines = Uint32Array.from(lines);
  }

  sideBySide() {
    const editor = this.view.scrollDOM.getBoundingClientRect();
    const preview = this.pane.getBoundingClientRect();
    return editor.width > 0 && preview.width > 0 && preview.left >= editor.right - 1;
  }

  sync() {
    if (!this.pane || !this.lines.length || !this.sideBySide()) return;
    const scroller = this.view.scrollDOM;
    if (scroller.scrollTop <= 0) {
      this.pane.scrollTop = 0;
      return;
    }
    if (scroller.scrollTop + scroller.clientHeight >= scroller.scrollHeight - 2) {
      this.pane.scrollTop = this.pane.scrollHeight;
      return;
    }
    // How far into the document (px) the editor's top edge is.
    const into = Math.max(0, scroller.getBoundingClientRect().top - this.view.documentTop);
    const block = this.view.lineBlockAtHeight(into);
    const line = this.view.state.doc.lineAt(block.from).number;
    const at = line + Math.min(1, Math.max(0, (into - block.top) / Math.max(1, block.height)));
    const index = lastAtOrBefore(this.lines, at);
    const element = this.blocks[index];
    if (!element) return;
    const start = this.lines[index];
    const end = index + 1 < this.lines.length ? this.lines[index + 1] : this.view.state.doc.lines + 1;
    const share = Math.min(1, Math.max(0, (at - start) / Math.max(1, end - start)));
    const top = element.getBoundingClientRect().top - this.pane.getBoundingClientRect().top + this.pane.scrollTop;
    this.pane.scrollTop = top + share * element.offsetHeight;
  }

  destroy() {
    this.view.scrollDOM.removeEventListener('scroll', this.onScroll);
    if (this.frame) cancelAnimationFrame(this.frame);
  }
}

/** Index of the last entry ≤ `value` (0 if none). */
function lastAtOrBefore(sorted, value) {
  let low = 0;
  let high = sorted.length - 1;
  while (low < high) {
    const mid = (low + high + 1) >> 1;
    if (sorted[mid] <= value) low = mid;
    else high = mid - 1;
  }
  return low;
}
