// A bounded byte ring addressed by absolute offsets (bytes ever appended): readers resume from an
// offset; the oldest bytes are dropped when the bound is reached.
export class OffsetRing {
  private chunks: Buffer[] = [];
  private size = 0;
  private total = 0;

  constructor(public capacity: number) {}

  /** Offset one past the last byte. */
  get end(): number {
    return this.total;
  }

  /** Offset of the oldest byte kept. */
  get start(): number {
    return this.total - this.size;
  }

  get length(): number {
    return this.size;
  }

  append(data: Buffer): void {
    if (!data.length) return;
    this.total += data.length;
    if (data.length >= this.capacity) {
      this.chunks = [Buffer.from(data.subarray(data.length - this.capacity))];
      this.size = this.chunks[0].length;
      return;
    }
    this.chunks.push(Buffer.from(data));
    this.size += data.length;
    this.trim();
  }

  private trim(): void {
    while (this.size > this.capacity) {
      const over = this.size - this.capacity;
      const first = this.chunks[0];
      if (first.length <= over) {
        this.chunks.shift();
        this.size -= first.length;
      } else {
        this.chunks[0] = first.subarray(over);
        this.size -= over;
      }
    }
    if (this.chunks.length > 256) this.chunks = [Buffer.concat(this.chunks)];
  }

  /** Everything from `offset` (clamped to what is kept): the real start offset and the bytes. */
  readFrom(offset: number): { offset: number; data: Buffer } {
    const from = Math.min(Math.max(offset, this.start), this.end);
    const all = Buffer.concat(this.chunks);
    return { offset: from, data: all.subarray(from - this.start) };
  }

  /** The last `n` bytes. */
  tail(n: number): Buffer {
    return this.readFrom(this.end - Math.max(0, n)).data;
  }

  /** Changes the bound (drops the oldest bytes when it shrinks). */
  resize(capacity: number): void {
    this.capacity = capacity;
    this.trim();
  }
}
