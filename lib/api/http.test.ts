// json()/jsonParts() answer with Responses that keep their encoded parts for the server and still
// behave as ordinary Responses for anyone who reads them.
import { describe, expect, it } from "vitest";
import { encodedBody, json, jsonParts } from "./http.ts";

const ctx = { requestId: "req-test", minor: 82 };

describe("JSON responses", () => {
  it("read like any Response, in every way a body can be read", async () => {
    const doc = { nodes: [{ name: "a" }], next: "x" };
    expect(await json(ctx, doc).json()).toEqual(doc);
    expect(await json(ctx, doc).text()).toBe(JSON.stringify(doc));
    expect(Buffer.from(await json(ctx, doc).arrayBuffer()).toString()).toBe(JSON.stringify(doc));
    expect(Buffer.from(await json(ctx, doc).bytes()).toString()).toBe(JSON.stringify(doc));
    expect(await (await json(ctx, doc).blob()).text()).toBe(JSON.stringify(doc));
    const reader = json(ctx, doc).body!.getReader();
    const chunks: Uint8Array[] = [];
    for (let r = await reader.read(); !r.done; r = await reader.read()) chunks.push(r.value);
    expect(Buffer.concat(chunks).toString()).toBe(JSON.stringify(doc));
  });

  it("keeps status and headers, and joins parts in order", async () => {
    const res = jsonParts(ctx, [Buffer.from('{"nodes":['), Buffer.from('{"a":1}'), Buffer.from(","), Buffer.from('{"b":2}'), Buffer.from("]}")], 201, { Location: "here" });
    expect(res.status).toBe(201);
    expect(res.headers.get("location")).toBe("here");
    expect(res.headers.get("content-type")).toBe("application/json");
    expect(res.headers.get("x-openstack-ironic-api-version")).toBe("1.82");
    expect(await res.json()).toEqual({ nodes: [{ a: 1 }, { b: 2 }] });
  });

  it("can be read once, like any Response; a clone made before reading is a second copy", async () => {
    const res = json(ctx, { a: 1 });
    const copy = res.clone();
    expect(res.bodyUsed).toBe(false);
    expect(await res.json()).toEqual({ a: 1 });
    expect(res.bodyUsed).toBe(true);
    await expect(res.text()).rejects.toThrow(TypeError);
    expect(await copy.json()).toEqual({ a: 1 });
  });

  it("gives the server its parts only while nobody has touched the body", async () => {
    const parts = [Buffer.from("[1,"), Buffer.from("2]")];
    const res = jsonParts(ctx, parts);
    expect(encodedBody(res)).toBe(parts);
    void res.body;
    expect(encodedBody(res)).toBeUndefined();
    expect(await res.json()).toEqual([1, 2]);
    expect(encodedBody(new Response("[]"))).toBeUndefined();
  });
});
