import { describe, expect, it } from "vitest";
import { SerialPort } from "./serial.ts";

describe("serial port", () => {
  it("converts LF to CRLF, keeps a bounded history and feeds subscribers", () => {
    const p = new SerialPort(16);
    const got: string[] = [];
    const off = p.subscribe((d) => got.push(d.toString()));
    p.output("ab\ncd\r\n");
    expect(got).toEqual(["ab\r\ncd\r\n"]);
    p.output("0123456789ABCDEF");
    expect(p.history().toString()).toBe("0123456789ABCDEF");
    expect(p.history(4).toString()).toBe("CDEF");
    p.output("xyz");
    expect(p.history().toString()).toBe("3456789ABCDEFxyz");
    expect(p.bytesWritten).toBe(8 + 16 + 3);
    off();
    p.output("more");
    expect(got).toHaveLength(3);
    p.output("y".repeat(40));
    expect(p.history().toString()).toBe("y".repeat(16));
  });

  it("passes input to the reader, or drops it when there is none", () => {
    const p = new SerialPort();
    const input: string[] = [];
    p.write("lost");
    p.setInputHandler((d) => input.push(d.toString()));
    p.write("ls\r");
    p.write(Buffer.from([0x7f]));
    expect(input).toEqual(["ls\r", "\x7f"]);
  });
});
