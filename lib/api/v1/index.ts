// All v1 routes, collected from one module per resource, and the /v1 document.
import { Router } from "../router.ts";
import { links } from "../http.ts";
import { versionDocument } from "../version.ts";
import * as nodes from "./nodes.ts";
import * as node_states from "./node_states.ts";
import * as node_misc from "./node_misc.ts";
import * as ports from "./ports.ts";
import * as portgroups from "./portgroups.ts";
import * as chassis from "./chassis.ts";
import * as volume from "./volume.ts";
import * as drivers from "./drivers.ts";
import * as conductors from "./conductors.ts";
import * as deploy_templates from "./deploy_templates.ts";
import * as allocations from "./allocations.ts";
import * as shards from "./shards.ts";
import * as events from "./events.ts";
import * as ramdisk from "./ramdisk.ts";
import * as node_steps from "./node_steps.ts";
import * as runbooks from "./runbooks.ts";
import * as inspection_rules from "./inspection_rules.ts";
import * as deployments from "./deployments.ts";
import * as node_hardware from "./node_hardware.ts";
import * as node_console from "./node_console.ts";
import * as fleet from "./fleet.ts";
import * as projects from "./projects.ts";
import * as jobs from "./jobs.ts";

// Resource modules register here (each exports `routes: RouteDef[]`).
const modules: { routes: import("../router.ts").RouteDef[] }[] = [
  nodes, node_states, node_misc, ports, portgroups, chassis, volume, drivers, conductors, deploy_templates, allocations, shards, events, ramdisk,
  node_steps, runbooks, inspection_rules, deployments, node_hardware, node_console, fleet, projects, jobs,
];

export const router = new Router();
for (const m of modules) router.add(...m.routes);

/** Top-level keys of GET /v1, with the microversion each appears at. */
const RESOURCES: [string, number][] = [
  ["chassis", 1], ["nodes", 1], ["ports", 1], ["drivers", 1],
  ["portgroups", 23], ["volume", 32], ["lookup", 22], ["heartbeat", 22], ["conductors", 49],
  ["allocations", 52], ["events", 54], ["deploy_templates", 55], ["shards", 82], ["continue_inspection", 84],
  ["runbooks", 92], ["inspection_rules", 96],
];

export function v1Document(base: string, minor: number) {
  const doc: Record<string, unknown> = {
    id: "v1",
    links: [
      { href: `${base}/v1/`, rel: "self" },
      { href: "https://docs.openstack.org//ironic/latest/contributor//webapi.html", rel: "describedby", type: "text/html" },
    ],
    media_types: { base: "application/json", type: "application/vnd.openstack.ironic.v1+json" },
    version: versionDocument(base),
  };
  for (const [name, since] of RESOURCES) {
    if (minor >= since) doc[name] = links(base, `${name}/`);
  }
  return doc;
}
