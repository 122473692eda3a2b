import { describe, expect, it } from "vitest";
import { glyph, GLYPH_HEIGHT } from "./font.ts";
import { DamageRegion, type Rect } from "./framebuffer.ts";
import { CELL_H, CELL_W, COLS, PALETTE, ROWS, SCREEN_HEIGHT, SCREEN_WIDTH, TextScreen } from "./textscreen.ts";

/** Checks that the cell at (col,row) shows `ch` in fg on bg, pixel by pixel. */
function expectGlyphAt(screen: TextScreen, col: number, row: number, ch: string, fg: number, bg: number): void {
  const g = glyph(ch.charCodeAt(0));
  const fb = screen.framebuffer;
  for (let r = 0; r < GLYPH_HEIGHT; r++) {
    for (let c = 0; c < CELL_W; c++) {
      const on = c < 8 && (g[r] & (0x80 >> c)) !== 0;
      expect(fb.pixel(col * CELL_W + c, row * CELL_H + r), `${ch} at ${c},${r}`).toBe(on ? fg : bg);
    }
  }
}

describe("font", () => {
  it("has a distinct glyph for every printable ASCII character", () => {
    const seen = new Set<string>();
    for (let c = 33; c < 127; c++) {
      const g = glyph(c);
      expect(g.some((row) => row !== 0), String.fromCharCode(c)).toBe(true);
      seen.add(Buffer.from(g).toString("hex"));
    }
    expect(seen.size).toBe(94);
    expect(glyph(32).every((r) => r === 0)).toBe(true);
  });
});

describe("text screen", () => {
  it("is an 80x25 text mode in a 720x400 framebuffer", () => {
    expect([COLS, ROWS, SCREEN_WIDTH, SCREEN_HEIGHT]).toEqual([80, 25, 720, 400]);
  });

  it("draws a glyph into the right pixels and reports only that area as damage", () => {
    const s = new TextScreen();
    s.cursorVisible = false;
    const damage: Rect[] = [];
    s.framebuffer.onDamage((r) => damage.push(r));
    s.write("\x1b[3;11HA");
    expect(s.lines()[2]).toBe("          A");
    expectGlyphAt(s, 10, 2, "A", PALETTE[7], PALETTE[0]);
    expect(damage).toEqual([{ x: 10 * CELL_W, y: 2 * CELL_H, w: CELL_W, h: CELL_H }]);
    // the neighbouring cell stays background
    expectGlyphAt(s, 11, 2, " ", PALETTE[7], PALETTE[0]);
  });

  it("handles colours, CRLF, backspace, erase and scrolling", () => {
    const s = new TextScreen();
    s.cursorVisible = false;
    s.write("\x1b[1;32mOK\x1b[0m done\r\n");
    expectGlyphAt(s, 0, 0, "O", PALETTE[10], PALETTE[0]);
    expectGlyphAt(s, 3, 0, "d", PALETTE[7], PALETTE[0]);
    s.write("abc\b\bX\r\n");
    expect(s.lines()[1]).toBe("aXc");
    s.write("\x1b[2K\rgone");
    expect(s.lines()[2]).toBe("gone");
    for (let i = 0; i < 30; i++) s.write(`line ${i}\r\n`);
    const lines = s.lines();
    expect(lines[ROWS - 2]).toBe("line 29");
    expect(lines[ROWS - 1]).toBe("");
    expectGlyphAt(s, 5, ROWS - 2, "2", PALETTE[7], PALETTE[0]);
    s.write("x".repeat(85)); // wraps onto a new (scrolled) line
    expect(s.lines()[ROWS - 2]).toBe("x".repeat(80));
    expect(s.lines()[ROWS - 1]).toBe("xxxxx");
    expect(s.cursor.y).toBe(ROWS - 1);
  });

  it("draws the cursor as an underline and moves it", () => {
    const s = new TextScreen();
    s.write("ab");
    const fb = s.framebuffer;
    // column 0 of a cell never has ink: only the cursor underline lights it
    expect(fb.pixel(2 * CELL_W, 13)).toBe(PALETTE[7]);
    s.write("c");
    expect(fb.pixel(2 * CELL_W, 13)).toBe(PALETTE[0]);
    expect(fb.pixel(3 * CELL_W, 13)).toBe(PALETTE[7]);
  });
});

describe("damage region", () => {
  it("merges touching rectangles and keeps separate ones apart", () => {
    const d = new DamageRegion();
    d.add({ x: 0, y: 0, w: 9, h: 16 });
    d.add({ x: 9, y: 0, w: 9, h: 16 });
    d.add({ x: 500, y: 300, w: 9, h: 16 });
    expect(d.take()).toEqual([{ x: 0, y: 0, w: 18, h: 16 }, { x: 500, y: 300, w: 9, h: 16 }]);
    expect(d.isEmpty).toBe(true);
    d.add({ x: 0, y: 0, w: 100, h: 100 });
    expect(d.take({ x: 50, y: 50, w: 10, h: 10 })).toEqual([{ x: 50, y: 50, w: 10, h: 10 }]);
    expect(d.isEmpty).toBe(false); // the rest stays for a later request
  });
});
