// The one channel from the Ingot server to the dashboard's server code: the server installs its
// facade here (lib/server/web_facade.ts) before Next handles a request; app/ and lib/web call
// webCore(). Nothing else is shared between the two.
//
// Why a slot on globalThis: Next compiles app/ and lib/web into a bundle of its own, which the
// server loads at run time; that bundle and the server's (tsx, or esbuild's .next/ingot/server.mjs)
// each hold their own instance of this module, so a module variable cannot carry the facade
// across. One registered symbol on globalThis can; it is the only process-wide global Ingot keeps.
import type { WebFacade } from "../server/web_facade.ts";

const SLOT = Symbol.for("ingot.webFacade");
type Slot = { [SLOT]?: WebFacade };
const slot = globalThis as Slot;

/** Hands `facade` to the dashboard; the returned function takes it back (if still installed). */
export function installWebFacade(facade: WebFacade): () => void {
  slot[SLOT] = facade;
  return () => {
    if (slot[SLOT] === facade) delete slot[SLOT];
  };
}

/** The facade the server installed; throws when there is none (Next run without the Ingot server). */
export function webCore(): WebFacade {
  const facade = slot[SLOT];
  if (!facade) {
    throw new Error(
      "The dashboard has no core: the Ingot server (lib/server/server.ts) installs it before Next serves a request. " +
        "Run the dashboard with `npm run dev` / `npm start` (not `next dev` or `next start`); tests call installTestWebFacade() from lib/testing/web.ts.",
    );
  }
  return facade;
}
