// webAction through the server's facade: the input is checked with the API's schema checker and
// wording, and the core's refusals (its own error classes, from the facade) come back as values.
import { afterAll, beforeAll, describe, expect, it, vi } from "vitest";
import { NotFound } from "../core/errors.ts";
import { UserError } from "../core/users.ts";
import { installTestWebFacade } from "../testing/web.ts";
import { webAction } from "./boundary.ts";
import type { Viewer } from "./session.ts";

const viewer: Viewer = {
  user: { id: "u1", username: "ann", systemRole: "admin" } as Viewer["user"],
  principal: { userId: "u1", username: "ann", systemRole: "admin", projectId: null, projectRole: null },
};
vi.mock("./session.ts", () => ({ currentViewer: async () => viewer }));

const schema = { type: "object", required: ["name"], additionalProperties: false, properties: { name: { type: "string" } } } as const;

let uninstall: () => void;
beforeAll(() => {
  uninstall = installTestWebFacade();
});
afterAll(() => uninstall());

describe("webAction", () => {
  it("runs the action for valid input and answers bad input with the API's wording", async () => {
    const action = webAction<{ name: string }, string>({ schema }, async ({ name }, v) => `${v.user.username}:${name}`);
    expect(await action({ name: "x" })).toEqual({ ok: true, value: "ann:x" });
    expect(await action({})).toEqual({ ok: false, status: 400, error: expect.stringMatching(/'name' is a required property/) });
  });

  it("turns the core's refusals into their status and message, anything else into a 500", async () => {
    const refusing = (err: Error) => webAction<{ name: string }, never>({ schema }, async () => { throw err; });
    expect(await refusing(new NotFound("no such node"))({ name: "x" })).toEqual({ ok: false, status: 404, error: "no such node" });
    expect(await refusing(new UserError("bad name"))({ name: "x" })).toEqual({ ok: false, status: 400, error: "bad name" });
    const quiet = vi.spyOn(console, "error").mockImplementation(() => undefined);
    expect(await refusing(new Error("boom"))({ name: "x" })).toMatchObject({ ok: false, status: 500 });
    quiet.mockRestore();
  });
});
