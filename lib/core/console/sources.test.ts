// Console sources are asked of the node's console interface: a console interface sources.ts has
// never heard of is relayed like the built-in ones, and the built-in ones say what they were.
import { PassThrough } from "node:stream";
import { describe, expect, it } from "vitest";
import type { NodeRecord } from "../db/nodes.ts";
import type { ConsoleInterface } from "../drivers/base.ts";
import { registerDriverModule } from "../drivers/registry.ts";
import { relayedGraphicalConsole, relayedSerialConsole } from "./interfaces.ts";
import { fedChannel } from "./lease.ts";
import { acquireSerial, attachGraphical, consoleKindOf, consoleSourceOf } from "./sources.ts";

const node = (consoleInterface: string | null, driver = "fake-hardware") =>
  ({ uuid: "3f0c7a52-58c4-4d5e-9a43-0d7a3c1e2b10", driver, consoleInterface, driverInfo: {} }) as unknown as NodeRecord;

describe("console sources", () => {
  it("opens whatever serial or graphical source the node's console interface has", async () => {
    const fed = fedChannel(() => undefined);
    fed.push(Buffer.from("hello"));
    let released = 0;
    const opened: string[] = [];
    const testSerial: ConsoleInterface = {
      kind: "console", name: "test-serial", validate: async () => undefined, startConsole: async () => undefined, ...relayedSerialConsole,
      source: {
        kind: "serial", external: false,
        async open(n) {
          opened.push(n.uuid);
          return { channel: fed.channel, release: () => void released++ };
        },
      },
    };
    const attached: PassThrough[] = [];
    const testGraphical: ConsoleInterface = {
      kind: "console", name: "test-graphical", validate: async () => undefined, startConsole: async () => undefined, ...relayedGraphicalConsole,
      source: {
        kind: "graphical",
        async attach(_n, stream) {
          attached.push(stream as PassThrough);
          return { close: () => undefined, onClose: () => undefined };
        },
      },
    };
    registerDriverModule({ hardwareTypes: [], interfaces: [testSerial, testGraphical] });

    const serialNode = node("test-serial");
    expect(consoleKindOf(serialNode)).toBe("serial");
    const lease = await acquireSerial(serialNode);
    expect(opened).toEqual([serialNode.uuid]);
    expect(lease!.channel.readFrom(0)).toEqual({ offset: 0, data: Buffer.from("hello") });
    lease!.release();
    expect(released).toBe(1);
    expect(await attachGraphical(serialNode, new PassThrough())).toBeNull();

    const graphicalNode = node("test-graphical");
    expect(consoleKindOf(graphicalNode)).toBe("graphical");
    const stream = new PassThrough();
    expect(await attachGraphical(graphicalNode, stream)).not.toBeNull();
    expect(attached).toEqual([stream]);
    expect(await acquireSerial(graphicalNode)).toBeNull();
  });

  it("the built-in console interfaces: which relay what, and which connect only while enabled", () => {
    const described = (name: string) => {
      const source = consoleSourceOf(node(name));
      if (!source) return null;
      return source.kind === "serial" ? `serial${source.external ? ", external" : ""}` : "graphical";
    };
    expect(Object.fromEntries(
      ["sim-serial", "tcp-serial", "ipmitool-sol", "sim-graphical", "vnc-graphical", "redfish-graphical", "fake", "no-console", "unknown"]
        .map((name) => [name, described(name)]),
    )).toEqual({
      "sim-serial": "serial", "tcp-serial": "serial, external", "ipmitool-sol": "serial, external",
      "sim-graphical": "graphical", "vnc-graphical": "graphical", "redfish-graphical": "graphical",
      fake: null, "no-console": null, unknown: null,
    });
    // No explicit console interface: the hardware type's default (fake-hardware: fake, no source).
    expect(consoleKindOf(node(null))).toBeNull();
    // An unknown driver: no console, not an error.
    expect(consoleKindOf(node(null, "no-such-driver"))).toBeNull();
  });
});
