#!/usr/bin/env node
// `ingot` on the PATH (package.json "bin"): runs lib/cli/main.ts through tsx, in this process.
import { register } from "tsx/esm/api";

register();
await import("./main.ts");
