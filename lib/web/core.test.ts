// The handoff from the server to the dashboard: webCore() gives what the server installed, and
// refuses clearly when nothing is (Next run without the Ingot server).
import { describe, expect, it } from "vitest";
import { createWebFacade } from "../server/web_facade.ts";
import { installWebFacade, webCore } from "./core.ts";

describe("webCore", () => {
  it("refuses before the server installs the facade, and after it takes it back", () => {
    expect(() => webCore()).toThrow(/the Ingot server \(lib\/server\/server\.ts\) installs it/);
    const facade = createWebFacade();
    const uninstall = installWebFacade(facade);
    expect(webCore()).toBe(facade);
    uninstall();
    expect(() => webCore()).toThrow(/has no core/);
  });

  it("takes back only its own facade", () => {
    const first = createWebFacade();
    const second = createWebFacade();
    const uninstallFirst = installWebFacade(first);
    const uninstallSecond = installWebFacade(second);
    uninstallFirst();
    expect(webCore()).toBe(second);
    uninstallSecond();
    expect(() => webCore()).toThrow();
  });
});
