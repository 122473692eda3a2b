// openConsoleSession called directly, as the console websockets do: who may open which console of
// a node, read-only or typing, with which console token, and the refusals the websockets turn into
// their close codes (lib/server/console_relay.ts refusalOf).
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { setConfig } from "../config.ts";
import { startConductor, stopConductor } from "../conductor/index.ts";
import { setLocalConductorProvider } from "../conductor/rpc.ts";
import { setConsoleSettings } from "../console/settings.ts";
import { mintConsoleToken } from "../console/tokens.ts";
import { insertNode, type NewNode, type NodeRecord } from "../db/nodes.ts";
import { sql } from "../db/sql.ts";
import { ConsoleNotEnabled, ConsoleRefused, ConsoleUnavailable, IronicError, NodeNotFound } from "../errors.ts";
import { createTestDb, type TestDb } from "../../testing/env.ts";
import { projectUser } from "../../testing/principals.ts";
import { openConsoleSession } from "./console.ts";

let db: TestDb;
const OWNER = "proj-console-owner";
const reader = projectUser(OWNER, "reader");
const member = projectUser(OWNER, "member");
const stranger = projectUser("proj-console-other", "admin");

beforeAll(async () => {
  db = await createTestDb();
  setConfig({ enabledHardwareTypes: ["fake-hardware", "sim"] });
  await startConductor({ hostname: "console-service-test", periodic: false });
});
afterAll(async () => {
  await stopConductor();
  await db.cleanup();
});

async function newNode(data: Partial<NewNode> = {}): Promise<NodeRecord> {
  return insertNode(await sql(), { driver: "sim", provisionState: "active", consoleEnabled: true, owner: OWNER, ...data } as NewNode);
}

/** The error `run` rejects with, or a failure when it resolves. */
async function refusal(run: () => Promise<unknown>): Promise<IronicError> {
  try {
    await run();
  } catch (err) {
    expect(err).toBeInstanceOf(IronicError);
    return err as IronicError;
  }
  throw new Error("expected a refusal");
}

describe("openConsoleSession", () => {
  it("a member of the owner project types on the serial console, here on the local conductor", async () => {
    const node = await newNode();
    const s = await openConsoleSession(member, node.uuid, "serial", null);
    expect({ uuid: s.node.uuid, readOnly: s.readOnly, expiresAt: s.expiresAt, target: s.target.kind }).toEqual({ uuid: node.uuid, readOnly: false, expiresAt: undefined, target: "local" });
  });

  it("a reader of the owner project watches the serial console, and is refused the graphical one", async () => {
    const serial = await newNode();
    expect((await openConsoleSession(reader, serial.uuid, "serial", null)).readOnly).toBe(true);
    const graphical = await newNode({ consoleInterface: "sim-graphical" });
    const { token } = await mintConsoleToken(await sql(), graphical);
    const err = await refusal(() => openConsoleSession(reader, graphical.uuid, "graphical", token));
    expect(err).toBeInstanceOf(ConsoleRefused);
    expect([err.status, err.message]).toEqual([403, "not allowed to use the graphical console"]);
  });

  it("another project does not learn that the node exists", async () => {
    const node = await newNode();
    const err = await refusal(() => openConsoleSession(stranger, node.uuid, "serial", null));
    expect(err).toBeInstanceOf(NodeNotFound);
    expect(err.status).toBe(404);
  });

  it("the graphical console needs a valid, unexpired token of that node", async () => {
    const node = await newNode({ consoleInterface: "sim-graphical" });
    const other = await newNode({ consoleInterface: "sim-graphical" });
    const { token, expiresAt } = await mintConsoleToken(await sql(), node);
    const s = await openConsoleSession(member, node.uuid, "graphical", token);
    expect([s.readOnly, s.expiresAt]).toEqual([false, expiresAt]);

    const { token: othersToken } = await mintConsoleToken(await sql(), other);
    for (const wrong of [null, "nope", othersToken]) {
      const err = await refusal(() => openConsoleSession(member, node.uuid, "graphical", wrong));
      expect(err).toBeInstanceOf(ConsoleRefused);
      expect(err.message).toBe("invalid or expired console token");
    }

    setConsoleSettings({ tokenTimeoutSeconds: 0.05 });
    try {
      const { token: shortLived } = await mintConsoleToken(await sql(), node);
      await new Promise((r) => setTimeout(r, 80));
      const err = await refusal(() => openConsoleSession(member, node.uuid, "graphical", shortLived));
      expect(err).toBeInstanceOf(ConsoleRefused);
      expect(err.message).toBe("invalid or expired console token");
    } finally {
      setConsoleSettings();
    }
  });

  it("refuses a console that is off or of the other kind", async () => {
    const off = await newNode({ consoleEnabled: false });
    const graphical = await newNode({ consoleInterface: "sim-graphical" });
    const cases: [NodeRecord, "serial" | "graphical", string][] = [
      [off, "serial", `the serial console of node ${off.uuid} is not enabled`],
      [graphical, "serial", `the serial console of node ${graphical.uuid} is not enabled`],
    ];
    for (const [node, kind, message] of cases) {
      const err = await refusal(() => openConsoleSession(member, node.uuid, kind, null));
      expect(err).toBeInstanceOf(ConsoleNotEnabled);
      expect([err.status, err.message]).toEqual([409, message]);
    }
  });

  it("says the console is unavailable when the node's conductor cannot be reached", async () => {
    const node = await newNode();
    setLocalConductorProvider(() => null);
    try {
      const err = await refusal(() => openConsoleSession(member, node.uuid, "serial", null));
      expect(err).toBeInstanceOf(ConsoleUnavailable);
      expect(err.message).toBe("console unavailable: Conductor console-service-test does not answer: it registered no RPC address.");
    } finally {
      setLocalConductorProvider(null);
    }
  });
});
