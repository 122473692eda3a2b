// TanStack Query keys. Live updates invalidate by prefix (components/LiveUpdates.tsx):
// a node change → ["nodes"] (every list) and ["node", uuid] (everything about that node);
// a job change → ["jobs"]; a conductor change → ["conductors"].
export const queryKeys = {
  nodes: ["nodes"] as const,
  nodeList: (params: unknown) => ["nodes", "list", params] as const,
  node: (uuid: string) => ["node", uuid] as const,
  nodePart: (uuid: string, part: string, params?: unknown) => ["node", uuid, part, params ?? null] as const,
  jobs: ["jobs"] as const,
  job: (id: string) => ["jobs", id] as const,
  conductors: ["conductors"] as const,
  deployTemplates: ["deploy_templates"] as const,
  runbooks: ["runbooks"] as const,
  projects: ["projects"] as const,
};
