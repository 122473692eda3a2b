// The simulated VGA text mode: an 80×25 character grid fed with console text (a small ANSI/VT100
// subset: CR, LF, BS, TAB, SGR colours, cursor position, erase), rendered with the Ingot font
// into a 720×400 framebuffer (9×16 cells). Only changed cells are redrawn and reported as damage.
import { GLYPH_HEIGHT, glyph } from "./font.ts";
import { Framebuffer, type Rect } from "./framebuffer.ts";

export const COLS = 80;
export const ROWS = 25;
export const CELL_W = 9;
export const CELL_H = GLYPH_HEIGHT;
export const SCREEN_WIDTH = COLS * CELL_W;
export const SCREEN_HEIGHT = ROWS * CELL_H;

/** ANSI colour indices 0–15 as 0xRRGGBB (the classic VGA shades). */
export const PALETTE = [
  0x000000, 0xaa0000, 0x00aa00, 0xaa5500, 0x0000aa, 0xaa00aa, 0x00aaaa, 0xaaaaaa,
  0x555555, 0xff5555, 0x55ff55, 0xffff55, 0x5555ff, 0xff55ff, 0x55ffff, 0xffffff,
];
const DEFAULT_FG = 7;
const DEFAULT_BG = 0;
const DEFAULT_ATTR = DEFAULT_FG | (DEFAULT_BG << 4);

export class TextScreen {
  /** Allocated on first use (1.1 MB each: a fleet of idle machines keeps only the text grid). */
  private fb: Framebuffer | null = null;
  private readonly chars = new Uint16Array(COLS * ROWS).fill(32);
  private readonly attrs = new Uint8Array(COLS * ROWS).fill(DEFAULT_ATTR);
  private readonly dirtyMin = new Int16Array(ROWS).fill(COLS);
  private readonly dirtyMax = new Int16Array(ROWS).fill(-1);
  private x = 0;
  private y = 0;
  private fg = DEFAULT_FG;
  private bg = DEFAULT_BG;
  private bright = false;
  private state: "text" | "esc" | "csi" | "charset" | "osc" = "text";
  private params = "";
  private drawnCursor: { x: number; y: number } | null = null;
  /** Whether a cursor (underline) is drawn; off while the machine is powered off. */
  cursorVisible = true;

  /** The rendered screen (created and fully drawn on first access). */
  get framebuffer(): Framebuffer {
    if (!this.fb) {
      this.fb = new Framebuffer(SCREEN_WIDTH, SCREEN_HEIGHT);
      this.fb.fillRectQuiet(0, 0, SCREEN_WIDTH, SCREEN_HEIGHT, PALETTE[DEFAULT_BG]);
      for (let r = 0; r < ROWS; r++) this.markRow(r, 0, COLS - 1);
      this.drawnCursor = null;
      this.render();
    }
    return this.fb;
  }

  get cursor(): { x: number; y: number } {
    return { x: Math.min(this.x, COLS - 1), y: this.y };
  }

  /** The screen's text, one string per row (trailing spaces trimmed). */
  lines(): string[] {
    const out: string[] = [];
    for (let r = 0; r < ROWS; r++) {
      out.push(String.fromCharCode(...this.chars.subarray(r * COLS, (r + 1) * COLS)).trimEnd());
    }
    return out;
  }

  /** Character and colours of one cell (tests, screenshots). */
  cell(col: number, row: number): { ch: string; fg: number; bg: number } {
    const a = this.attrs[row * COLS + col];
    return { ch: String.fromCharCode(this.chars[row * COLS + col]), fg: PALETTE[a & 15], bg: PALETTE[a >> 4] };
  }

  /** Blank screen, cursor home, default colours. */
  reset(): void {
    this.chars.fill(32);
    this.attrs.fill(DEFAULT_ATTR);
    this.x = 0;
    this.y = 0;
    this.fg = DEFAULT_FG;
    this.bg = DEFAULT_BG;
    this.bright = false;
    this.state = "text";
    for (let r = 0; r < ROWS; r++) this.markRow(r, 0, COLS - 1);
    this.render();
  }

  write(text: string): void {
    for (let i = 0; i < text.length; i++) this.feed(text.charCodeAt(i));
    this.render();
  }

  private attr(): number {
    return ((this.fg | (this.bright ? 8 : 0)) & 15) | (this.bg << 4);
  }

  private markRow(row: number, from: number, to: number): void {
    if (from < this.dirtyMin[row]) this.dirtyMin[row] = from;
    if (to > this.dirtyMax[row]) this.dirtyMax[row] = to;
  }

  private put(code: number): void {
    if (this.x >= COLS) {
      this.x = 0;
      this.lineFeed();
    }
    const i = this.y * COLS + this.x;
    this.chars[i] = code;
    this.attrs[i] = this.attr();
    this.markRow(this.y, this.x, this.x);
    this.x++;
  }

  private lineFeed(): void {
    if (this.y < ROWS - 1) {
      this.y++;
      return;
    }
    this.chars.copyWithin(0, COLS);
    this.attrs.copyWithin(0, COLS);
    this.chars.fill(32, (ROWS - 1) * COLS);
    this.attrs.fill(this.attr() & 0xf0 | DEFAULT_FG, (ROWS - 1) * COLS);
    for (let r = 0; r < ROWS; r++) this.markRow(r, 0, COLS - 1);
    this.drawnCursor = null; // its cell moved with the scroll and is redrawn anyway
  }

  private erase(from: number, to: number): void {
    const blank = this.bg << 4 | DEFAULT_FG;
    for (let i = from; i < to; i++) {
      this.chars[i] = 32;
      this.attrs[i] = blank;
    }
    for (let r = Math.floor(from / COLS); r <= Math.floor((to - 1) / COLS); r++) this.markRow(r, 0, COLS - 1);
  }

  private feed(c: number): void {
    switch (this.state) {
      case "esc":
        if (c === 0x5b) {
          this.state = "csi";
          this.params = "";
        } else if (c === 0x5d) this.state = "osc";
        else if (c === 0x28 || c === 0x29) this.state = "charset";
        else {
          if (c === 0x63) this.reset(); // ESC c
          this.state = "text";
        }
        return;
      case "charset":
        this.state = "text";
        return;
      case "osc":
        if (c === 0x07) this.state = "text";
        else if (c === 0x1b) this.state = "esc";
        return;
      case "csi":
        if (c >= 0x40 && c <= 0x7e) {
          this.csi(String.fromCharCode(c), this.params);
          this.state = "text";
        } else this.params += String.fromCharCode(c);
        return;
    }
    if (c === 0x1b) this.state = "esc";
    else if (c === 0x0d) this.x = 0;
    else if (c === 0x0a) this.lineFeed();
    else if (c === 0x08) this.x = Math.max(0, Math.min(this.x, COLS) - 1);
    else if (c === 0x09) this.x = Math.min(COLS - 1, (Math.floor(this.x / 8) + 1) * 8);
    else if (c >= 0x20) this.put(c > 0xffff ? 0x3f : c);
    // other control characters (BEL, ...) draw nothing
  }

  private csi(final: string, raw: string): void {
    const params = raw.replace(/^[?>]/, "").split(";").map((p) => (p === "" ? NaN : Number(p)));
    const n = (i: number, d: number) => (Number.isFinite(params[i]) ? params[i] : d);
    switch (final) {
      case "m":
        for (const p of params.length ? params : [0]) {
          const v = Number.isFinite(p) ? p : 0;
          if (v === 0) {
            this.fg = DEFAULT_FG;
            this.bg = DEFAULT_BG;
            this.bright = false;
          } else if (v === 1) this.bright = true;
          else if (v === 22) this.bright = false;
          else if (v >= 30 && v <= 37) this.fg = v - 30;
          else if (v === 39) this.fg = DEFAULT_FG;
          else if (v >= 40 && v <= 47) this.bg = v - 40;
          else if (v === 49) this.bg = DEFAULT_BG;
          else if (v >= 90 && v <= 97) this.fg = v - 90 + 8;
          else if (v >= 100 && v <= 107) this.bg = v - 100 + 8;
        }
        break;
      case "H":
      case "f":
        this.y = Math.min(ROWS - 1, Math.max(0, n(0, 1) - 1));
        this.x = Math.min(COLS - 1, Math.max(0, n(1, 1) - 1));
        break;
      case "A":
        this.y = Math.max(0, this.y - n(0, 1));
        break;
      case "B":
        this.y = Math.min(ROWS - 1, this.y + n(0, 1));
        break;
      case "C":
        this.x = Math.min(COLS - 1, this.x + n(0, 1));
        break;
      case "D":
        this.x = Math.max(0, Math.min(this.x, COLS) - n(0, 1));
        break;
      case "G":
        this.x = Math.min(COLS - 1, Math.max(0, n(0, 1) - 1));
        break;
      case "J": {
        const mode = n(0, 0);
        const here = this.y * COLS + Math.min(this.x, COLS);
        if (mode === 0) this.erase(here, COLS * ROWS);
        else if (mode === 1) this.erase(0, here + 1);
        else this.erase(0, COLS * ROWS);
        break;
      }
      case "K": {
        const mode = n(0, 0);
        const start = this.y * COLS;
        const here = start + Math.min(this.x, COLS);
        if (mode === 0) this.erase(here, start + COLS);
        else if (mode === 1) this.erase(start, here + 1);
        else this.erase(start, start + COLS);
        break;
      }
    }
  }

  private drawCell(col: number, row: number): void {
    const i = row * COLS + col;
    const a = this.attrs[i];
    const fg = PALETTE[a & 15];
    const bg = PALETTE[a >> 4];
    const g = glyph(this.chars[i]);
    const fb = this.fb!;
    const cursor = this.cursorVisible && this.x < COLS && col === this.x && row === this.y;
    for (let r = 0; r < CELL_H; r++) {
      const bits = cursor && (r === 13 || r === 14) ? 0xff : g[r];
      let p = (row * CELL_H + r) * fb.width + col * CELL_W;
      for (let c = 0; c < CELL_W; c++) fb.pixels[p++] = c < 8 && bits & (0x80 >> c) ? fg : bg;
    }
  }

  /** Redraws changed cells and reports the changed areas as damage. */
  render(): void {
    if (!this.fb) {
      // Nothing drawn yet: the first framebuffer access draws everything.
      this.dirtyMin.fill(COLS);
      this.dirtyMax.fill(-1);
      return;
    }
    const cur = this.cursorVisible && this.x < COLS ? { x: this.x, y: this.y } : null;
    const prev = this.drawnCursor;
    if (prev && (!cur || prev.x !== cur.x || prev.y !== cur.y)) this.markRow(prev.y, prev.x, prev.x);
    if (cur) this.markRow(cur.y, cur.x, cur.x);
    this.drawnCursor = cur;
    const bands: Rect[] = [];
    let band: Rect | null = null;
    for (let row = 0; row < ROWS; row++) {
      const from = this.dirtyMin[row];
      const to = this.dirtyMax[row];
      if (to < from) {
        if (band) bands.push(band);
        band = null;
        continue;
      }
      for (let col = from; col <= to; col++) this.drawCell(col, row);
      this.dirtyMin[row] = COLS;
      this.dirtyMax[row] = -1;
      const rect: Rect = { x: from * CELL_W, y: row * CELL_H, w: (to - from + 1) * CELL_W, h: CELL_H };
      if (band && band.y + band.h === rect.y) {
        const x0 = Math.min(band.x, rect.x);
        band = { x: x0, y: band.y, w: Math.max(band.x + band.w, rect.x + rect.w) - x0, h: band.h + CELL_H };
      } else {
        if (band) bands.push(band);
        band = rect;
      }
    }
    if (band) bands.push(band);
    for (const b of bands) this.fb.damage(b);
  }
}
