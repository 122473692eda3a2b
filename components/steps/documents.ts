// What differs between the two step documents the dashboard edits: deploy templates and runbooks.
import { queryKeys } from "@/lib/client/keys.ts";
import type { StepListMode } from "@/lib/client/steps.ts";
import type { StepKind } from "@/lib/shared/steps.ts";

export type DocKind = "template" | "runbook";

export interface DocConfig {
  kind: DocKind;
  title: string;
  plural: string;
  /** Dashboard path. */
  base: string;
  /** API collection under /v1. */
  api: string;
  listField: "deploy_templates" | "runbooks";
  listKey: readonly string[];
  mode: StepListMode;
  /** Step kinds the document may hold (the first is the default catalog). */
  stepKinds: StepKind[];
  /** What the name means, under the name field. */
  nameHint: string;
  /** What matching nodes means. */
  matchHint: string;
}

export const DOCS: Record<DocKind, DocConfig> = {
  template: {
    kind: "template",
    title: "Deploy template",
    plural: "Deploy templates",
    base: "/templates",
    api: "/deploy_templates",
    listField: "deploy_templates",
    listKey: queryKeys.deployTemplates,
    mode: "template",
    stepKinds: ["deploy"],
    nameHint: "A trait: CUSTOM_ followed by A–Z, 0–9 and _. A deployment whose instance traits include it runs these steps.",
    matchHint: "Nodes that carry this name as a trait: they run these deploy steps when a deployment asks for the trait (instance_info.traits).",
  },
  runbook: {
    kind: "runbook",
    title: "Runbook",
    plural: "Runbooks",
    base: "/runbooks",
    api: "/runbooks",
    listField: "runbooks",
    listKey: queryKeys.runbooks,
    mode: "runbook",
    stepKinds: ["clean", "service"],
    nameHint: "A trait: CUSTOM_ followed by A–Z, 0–9 and _. A node may run the runbook (manual cleaning or servicing) only when it carries this trait.",
    matchHint: "Nodes that carry this name as a trait: the runbook may be run on them.",
  },
};
