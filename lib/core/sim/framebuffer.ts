// A 32-bit framebuffer (pixels 0x00RRGGBB) with damage tracking: every drawing call reports the
// rectangle it changed to its listeners, and DamageRegion accumulates those rectangles per
// consumer (one per VNC client) so an incremental update only sends what changed.

export interface Rect {
  x: number;
  y: number;
  w: number;
  h: number;
}

export type DamageListener = (rect: Rect) => void;

export class Framebuffer {
  readonly pixels: Uint32Array;
  private readonly listeners = new Set<DamageListener>();

  constructor(
    readonly width: number,
    readonly height: number,
  ) {
    this.pixels = new Uint32Array(width * height);
  }

  /** Subscribes to damage; returns the unsubscribe function. */
  onDamage(listener: DamageListener): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  /** Reports a changed rectangle (clipped) to the listeners. */
  damage(rect: Rect): void {
    const r = clip(rect, this.width, this.height);
    if (!r) return;
    for (const l of this.listeners) {
      try {
        l(r);
      } catch (err) {
        console.error("framebuffer damage listener failed:", err);
      }
    }
  }

  pixel(x: number, y: number): number {
    return this.pixels[y * this.width + x];
  }

  /** Fills a rectangle without reporting damage (callers batch their own). */
  fillRectQuiet(x: number, y: number, w: number, h: number, color: number): void {
    const r = clip({ x, y, w, h }, this.width, this.height);
    if (!r) return;
    for (let row = r.y; row < r.y + r.h; row++) this.pixels.fill(color, row * this.width + r.x, row * this.width + r.x + r.w);
  }

  fillRect(x: number, y: number, w: number, h: number, color: number): void {
    this.fillRectQuiet(x, y, w, h, color);
    this.damage({ x, y, w, h });
  }

  /** Copies a rectangle's pixels out (row-major). */
  read(rect: Rect): Uint32Array {
    const out = new Uint32Array(rect.w * rect.h);
    for (let row = 0; row < rect.h; row++) {
      const from = (rect.y + row) * this.width + rect.x;
      out.set(this.pixels.subarray(from, from + rect.w), row * rect.w);
    }
    return out;
  }
}

export function clip(r: Rect, width: number, height: number): Rect | null {
  const x0 = Math.max(0, Math.floor(r.x));
  const y0 = Math.max(0, Math.floor(r.y));
  const x1 = Math.min(width, Math.ceil(r.x + r.w));
  const y1 = Math.min(height, Math.ceil(r.y + r.h));
  return x1 > x0 && y1 > y0 ? { x: x0, y: y0, w: x1 - x0, h: y1 - y0 } : null;
}

export function intersect(a: Rect, b: Rect): Rect | null {
  const x0 = Math.max(a.x, b.x);
  const y0 = Math.max(a.y, b.y);
  const x1 = Math.min(a.x + a.w, b.x + b.w);
  const y1 = Math.min(a.y + a.h, b.y + b.h);
  return x1 > x0 && y1 > y0 ? { x: x0, y: y0, w: x1 - x0, h: y1 - y0 } : null;
}

function union(a: Rect, b: Rect): Rect {
  const x0 = Math.min(a.x, b.x);
  const y0 = Math.min(a.y, b.y);
  return { x: x0, y: y0, w: Math.max(a.x + a.w, b.x + b.w) - x0, h: Math.max(a.y + a.h, b.y + b.h) - y0 };
}

const area = (r: Rect) => r.w * r.h;

/**
 * Accumulated damage: overlapping or touching rectangles merge when the union does not waste much
 * area; beyond `maxRects` everything collapses into the bounding box (cheap to encode anyway).
 */
export class DamageRegion {
  private rects: Rect[] = [];

  constructor(private readonly maxRects = 24) {}

  get isEmpty(): boolean {
    return this.rects.length === 0;
  }

  add(rect: Rect): void {
    let r = rect;
    let merged = true;
    while (merged) {
      merged = false;
      for (let i = 0; i < this.rects.length; i++) {
        const o = this.rects[i];
        const touching = r.x <= o.x + o.w && o.x <= r.x + r.w && r.y <= o.y + o.h && o.y <= r.y + r.h;
        if (!touching) continue;
        const u = union(r, o);
        if (area(u) <= (area(r) + area(o)) * 1.5) {
          this.rects.splice(i, 1);
          r = u;
          merged = true;
          break;
        }
      }
    }
    this.rects.push(r);
    if (this.rects.length > this.maxRects) this.rects = [this.rects.reduce(union)];
  }

  /**
   * The accumulated rectangles, clipped to `within` when given. Damage fully inside `within` is
   * cleared; damage reaching outside it stays for a later request.
   */
  take(within?: Rect): Rect[] {
    if (!within) {
      const out = this.rects;
      this.rects = [];
      return out;
    }
    const out = this.rects.map((r) => intersect(r, within)).filter((r): r is Rect => r !== null);
    this.rects = this.rects.filter((r) => {
      const i = intersect(r, within);
      return !i || area(i) !== area(r);
    });
    return out;
  }

  /** Whether any accumulated damage falls inside `within`. */
  intersects(within: Rect): boolean {
    return this.rects.some((r) => intersect(r, within) !== null);
  }
}
