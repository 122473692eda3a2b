"use client";
// Queries behind the step editors: one node's available steps (per-node key, so live updates of
// the node refresh it), the step catalog for templates and runbooks (union over one node per
// driver), and a node's history since a marker (step progress).
import { useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import { useApi } from "@/components/Providers.tsx";
import type { IngotClient } from "@/lib/client/api.ts";
import { DOCS, type DocKind } from "./documents.ts";
import { stepKey, type HistoryRowLite } from "@/lib/client/steps.ts";
import type { ApiAvailableSteps } from "@/lib/shared/wire.ts";
import { STEP_PHASE_PATH, type AvailableStep, type StepKind } from "@/lib/shared/steps.ts";

export function nodeStepsKey(uuid: string, kind: StepKind) {
  return ["node", uuid, "available-steps", kind] as const;
}

/** `GET /v1/nodes/{n}/{phase}/steps`, with a refresh mutation (`POST …/refresh`). */
export function useNodeSteps(uuid: string | null, kind: StepKind, enabled = true) {
  const api = useApi();
  const qc = useQueryClient();
  const query = useQuery({
    queryKey: nodeStepsKey(uuid ?? "-", kind),
    enabled: !!uuid && enabled,
    queryFn: ({ signal }) => api.get<ApiAvailableSteps>(`/nodes/${uuid}/${STEP_PHASE_PATH[kind]}/steps`, { signal }),
    staleTime: 60_000,
  });
  const refresh = useMutation({
    mutationFn: () => api.post<ApiAvailableSteps>(`/nodes/${uuid}/${STEP_PHASE_PATH[kind]}/steps/refresh`, undefined),
    onSuccess: (data) => qc.setQueryData(nodeStepsKey(uuid ?? "-", kind), data),
  });
  return { query, refresh };
}

export interface CatalogSource {
  driver: string;
  node: { uuid: string; name: string | null };
}

export interface StepCatalog {
  steps: AvailableStep[];
  /** One sample node per driver whose steps were read. */
  sources: CatalogSource[];
  /** Drivers offering each step (interface.step → drivers). */
  offeredBy: Record<string, string[]>;
}

interface NodeLite {
  uuid: string;
  name: string | null;
  driver: string;
}

/**
 * Steps a template or runbook may use: the union of the available steps of one node per driver
 * among the first 1000 visible nodes (steps depend on the node's driver and interfaces, so one
 * node per driver shows what that driver offers), or the steps of one reference node when given.
 */
export function useStepCatalog(kind: StepKind, referenceNode: string | null) {
  const api = useApi();
  return useQuery({
    queryKey: referenceNode ? nodeStepsCatalogKey(referenceNode, kind) : (["step-catalog", kind] as const),
    queryFn: ({ signal }) => loadCatalog(api, kind, referenceNode, signal),
    staleTime: 5 * 60_000,
  });
}

function nodeStepsCatalogKey(uuid: string, kind: StepKind) {
  return ["node", uuid, "step-catalog", kind] as const;
}

async function loadCatalog(api: IngotClient, kind: StepKind, referenceNode: string | null, signal: AbortSignal): Promise<StepCatalog> {
  let samples: NodeLite[];
  if (referenceNode) {
    samples = [await api.get<NodeLite>(`/nodes/${referenceNode}`, { query: { fields: "uuid,name,driver" }, signal })];
  } else {
    const page = await api.get<{ nodes: NodeLite[] }>("/nodes", { query: { fields: "uuid,name,driver", limit: 1000 }, signal });
    const perDriver = new Map<string, NodeLite>();
    for (const n of page.nodes) if (!perDriver.has(n.driver)) perDriver.set(n.driver, n);
    samples = [...perDriver.values()];
  }
  const results = await Promise.all(
    samples.map(async (n) => ({ n, r: await api.get<ApiAvailableSteps>(`/nodes/${n.uuid}/${STEP_PHASE_PATH[kind]}/steps`, { signal }) })),
  );
  const steps = new Map<string, AvailableStep>();
  const offeredBy: Record<string, string[]> = {};
  for (const { n, r } of results) {
    for (const s of r.steps) {
      const k = stepKey(s);
      if (!steps.has(k)) steps.set(k, s);
      (offeredBy[k] ??= []).push(n.driver);
    }
  }
  return {
    steps: [...steps.values()],
    sources: results.map(({ n }) => ({ driver: n.driver, node: { uuid: n.uuid, name: n.name } })),
    offeredBy,
  };
}

/** Every history row of a node after `marker` (all of them when null), with its structured fields, following `next` links. */
export async function historySince(api: IngotClient, uuid: string, marker: string | null, signal?: AbortSignal): Promise<HistoryRowLite[]> {
  const rows: HistoryRowLite[] = [];
  let cursor = marker;
  for (let page = 0; page < 50; page++) {
    const r = await api.get<{ history: HistoryRowLite[]; next?: string }>(`/nodes/${uuid}/history`, {
      query: { limit: 1000, structured: "True", marker: cursor ?? undefined },
      signal,
    });
    rows.push(...r.history);
    if (!r.next || r.history.length === 0) break;
    cursor = r.history[r.history.length - 1].uuid;
  }
  return rows;
}

/** Node history after `marker`, refreshed by live updates of the node (and every few seconds while `active`). */
export function useHistorySince(uuid: string, marker: string | null | undefined, active: boolean) {
  const api = useApi();
  return useQuery({
    queryKey: ["node", uuid, "history", "since", marker ?? "start"] as const,
    enabled: marker !== undefined,
    queryFn: ({ signal }) => historySince(api, uuid, marker ?? null, signal),
    refetchInterval: active ? 3000 : false,
  });
}

export interface TraitNode {
  uuid: string;
  name: string | null;
  provision_state: string;
}

/**
 * How many visible nodes carry each trait: the fleet API's trait facet, one request at any fleet
 * size. The key starts with "nodes", so any node change refreshes it.
 */
export function useTraitCounts() {
  const api = useApi();
  return useQuery({
    queryKey: ["nodes", "trait-counts"] as const,
    queryFn: async ({ signal }) => {
      const r = await api.get<{ facets: { trait?: { value: string; count: number }[] } | null }>("/fleet", { query: { limit: 0 }, signal });
      return new Map((r.facets?.trait ?? []).map((f) => [f.value, f.count]));
    },
    staleTime: 60_000,
  });
}

/** The first `limit` visible nodes (by name) that carry `trait`, and how many there are in all. */
export function useNodesWithTrait(trait: string | null, limit = 60) {
  const api = useApi();
  return useQuery({
    queryKey: ["nodes", "with-trait", trait, limit] as const,
    enabled: !!trait,
    queryFn: async ({ signal }) => {
      const r = await api.get<{ nodes: TraitNode[]; total: number }>("/fleet", { query: { trait: trait!, limit, facets: "false", sort: "name" }, signal });
      return { nodes: r.nodes, total: r.total };
    },
    placeholderData: (previous) => previous,
  });
}

/** A deploy template or runbook as the list (detail) shows it. */
export interface DocumentRow {
  uuid: string;
  name: string;
  steps: { interface: string; step: string; args?: Record<string, unknown>; priority?: number; order?: number }[];
  public?: boolean;
  owner?: string | null;
  disable_ramdisk?: boolean;
  updated_at: string | null;
  created_at: string;
}

/** Every deploy template or runbook the viewer may see, by name. */
export function useDocumentList(kind: DocKind) {
  const cfg = DOCS[kind];
  const api = useApi();
  return useQuery({
    queryKey: [...cfg.listKey, "list"],
    queryFn: async ({ signal }) => {
      const out: DocumentRow[] = [];
      let marker: string | undefined;
      for (let page = 0; page < 50; page++) {
        const r = await api.get<Record<string, DocumentRow[]> & { next?: string }>(cfg.api, { query: { detail: true, limit: 1000, marker }, signal });
        const rows = r[cfg.listField] ?? [];
        out.push(...rows);
        if (!r.next || rows.length === 0) break;
        marker = rows[rows.length - 1].uuid;
      }
      return out.sort((a, b) => a.name.localeCompare(b.name));
    },
  });
}
