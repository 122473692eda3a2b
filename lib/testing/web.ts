// Tests that call lib/web or server actions directly (without starting the server) install the
// server's own facade first, as lib/server/server.ts does before Next serves requests.
import { installWebFacade } from "../web/core.ts";
import { createWebFacade } from "../server/web_facade.ts";

/** Installs a real facade over this process's core; returns the uninstall function. */
export function installTestWebFacade(): () => void {
  return installWebFacade(createWebFacade());
}
