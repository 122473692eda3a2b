// The node page decides which console to show by lib/shared/consoles.ts; the server opens the
// console by the node's console interface. Every console interface a hardware type offers must
// have the same kind in both, or the page would offer a console the server cannot open.
import { describe, expect, it } from "vitest";
import { consoleKindOfInterface } from "../../shared/consoles.ts";
import type { NodeRecord } from "../db/nodes.ts";
// sources.ts first: it loads the driver registry, which the driver modules need loaded before them.
import { consoleKindOf } from "./sources.ts";
import fakeHardware from "../drivers/fake_hardware.ts";
import ipmiHardware from "../drivers/ipmi/index.ts";
import redfishHardware from "../drivers/redfish/index.ts";
import simHardware from "../drivers/sim/index.ts";

/** Console interfaces without a console Ingot relays. */
const NO_CONSOLE = ["no-console", "fake"];

describe("console kinds", () => {
  const types = [fakeHardware, simHardware, ipmiHardware, redfishHardware].flatMap((m) => m.hardwareTypes);
  const offered = [...new Set(types.flatMap((t) => t.supported.console))];

  it.each(offered)("%s has the same kind for the page and the server", (name) => {
    const node = { driver: types.find((t) => t.supported.console.includes(name))!.name, consoleInterface: name } as NodeRecord;
    const kind = consoleKindOfInterface(name);
    if (NO_CONSOLE.includes(name)) expect(kind).toBeNull();
    else expect(kind).not.toBeNull();
    expect(consoleKindOf(node)).toBe(kind);
  });

  it("knows no console interface no hardware type offers", () => {
    expect(consoleKindOfInterface("ipmitool-socat")).toBeNull();
    expect(consoleKindOfInterface("toString")).toBeNull();
  });
});
