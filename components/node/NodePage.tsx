"use client";
// The node page (client side): header, actions, and tabs kept in the URL (?tab=). Everything is
// read through the public API with query keys under ["node", uuid], so a live node event refreshes
// whatever tab is open.
import { useQuery } from "@tanstack/react-query";
import Link from "next/link";
import { usePathname, useRouter, useSearchParams } from "next/navigation";
import { useCallback, useRef } from "react";
import { cx } from "@/components/format.ts";
import { NodeConsoles } from "@/components/NodeConsoles.tsx";
import { useApi } from "@/components/Providers.tsx";
import { Badge, PowerState, StateBadge } from "@/components/StateBadge.tsx";
import { StepPicker } from "@/components/steps/StepPicker.tsx";
import { Banner, Spinner } from "@/components/ui.tsx";
import { ApiError } from "@/lib/client/api.ts";
import { fetchNode, lockHolder, nodeKeys } from "@/lib/client/node.ts";
import { authorize, type Principal } from "@/lib/shared/policy.ts";
import { consoleKindOfInterface } from "@/lib/shared/consoles.ts";
import { ActionsBar } from "./ActionsBar.tsx";
import { BiosEditor } from "./BiosEditor.tsx";
import { HardwarePanel } from "./HardwarePanel.tsx";
import { HistoryTable } from "./HistoryTable.tsx";
import { Overview } from "./Overview.tsx";
import { isTab, TABS, type TabId } from "./tabs.ts";
import { Timeline } from "./Timeline.tsx";
import { ValidatePanel } from "./ValidatePanel.tsx";

export function useApiMinor(): number {
  const api = useApi();
  const v = useQuery({ queryKey: ["api-version"], queryFn: () => api.negotiate(), staleTime: Infinity });
  return v.data ? Number(v.data.split(".")[1]) : 0;
}

export function NodePage({ uuid, principal, consoleWebsockets }: { uuid: string; principal: Principal; consoleWebsockets: boolean }) {
  const api = useApi();
  const router = useRouter();
  const pathname = usePathname();
  const search = useSearchParams();
  const tabParam = search.get("tab");
  const tab: TabId = isTab(tabParam) ? tabParam : "overview";
  const minor = useApiMinor();
  const q = useQuery({ queryKey: nodeKeys.node(uuid), queryFn: () => fetchNode(api, uuid) });
  const tabRefs = useRef<Record<string, HTMLButtonElement | null>>({});

  const openTab = useCallback(
    (id: TabId, focus = false) => {
      const params = new URLSearchParams(search.toString());
      if (id === "overview") params.delete("tab");
      else params.set("tab", id);
      const qs = params.toString();
      router.replace(qs ? `${pathname}?${qs}` : pathname, { scroll: false });
      if (focus) tabRefs.current[id]?.focus();
    },
    [router, pathname, search],
  );

  const onTabKey = (e: React.KeyboardEvent) => {
    const i = TABS.findIndex((t) => t.id === tab);
    let next = -1;
    if (e.key === "ArrowRight") next = (i + 1) % TABS.length;
    else if (e.key === "ArrowLeft") next = (i - 1 + TABS.length) % TABS.length;
    else if (e.key === "Home") next = 0;
    else if (e.key === "End") next = TABS.length - 1;
    if (next >= 0) {
      e.preventDefault();
      openTab(TABS[next].id, true);
    }
  };

  if (q.isPending) {
    return (
      <div className="flex h-64 items-center justify-center gap-2 text-sm text-slate-500 dark:text-slate-400">
        <Spinner label="Loading the node" /> Loading…
      </div>
    );
  }
  if (q.isError) {
    const gone = q.error instanceof ApiError && q.error.status === 404;
    return (
      <Banner tone="error" data-testid="node-error">
        {gone ? "This node does not exist any more." : `The node could not be read: ${q.error.message}`}{" "}
        <Link href="/" className="underline">Back to the fleet</Link>
      </Banner>
    );
  }
  const { node, etag } = q.data;
  const consoleIface = node.console_interface ?? "";
  const canType = authorize("baremetal:node:get_console", principal, node);
  const consoleKind = consoleKindOfInterface(consoleIface);
  const consoleShown = consoleKind === "serial" || (consoleKind === "graphical" && canType);

  return (
    <div>
      <nav className="mb-3 text-sm text-slate-500 dark:text-slate-400" aria-label="Breadcrumb">
        <Link href="/" className="hover:text-slate-800 dark:hover:text-slate-200">Fleet</Link>
        <span className="mx-2" aria-hidden>/</span>
        <span className="text-slate-800 dark:text-slate-200">{node.name ?? node.uuid}</span>
      </nav>

      <div className="mb-4 flex flex-wrap items-start justify-between gap-4">
        <div className="min-w-0">
          <h1 className="text-2xl font-semibold tracking-tight" data-testid="node-name">{node.name ?? node.uuid}</h1>
          <p className="mt-1 font-mono text-xs text-slate-500 dark:text-slate-400" data-testid="node-uuid">{node.uuid}</p>
        </div>
        <div className="flex min-h-7 flex-wrap items-center gap-2" data-testid="node-badges">
          <StateBadge state={node.provision_state} />
          {node.target_provision_state && <Badge tone="amber">→ {node.target_provision_state}</Badge>}
          <PowerState power={node.power_state} target={node.target_power_state} />
          {node.maintenance && <Badge tone="amber" title={node.maintenance_reason ?? undefined}>maintenance</Badge>}
          {node.fault && <Badge tone="red">fault: {node.fault}</Badge>}
          {node.protected && <Badge tone="violet">protected</Badge>}
          {node.retired && <Badge tone="gray">retired</Badge>}
          {lockHolder(node) && <Badge tone="amber">locked by {lockHolder(node)}</Badge>}
        </div>
      </div>

      <ActionsBar node={node} etag={etag} principal={principal} minor={minor} onOpenTab={(t) => openTab(t)} />

      <div role="tablist" aria-label="Node sections" className="mb-4 flex gap-1 overflow-x-auto border-b border-slate-200 dark:border-slate-800" onKeyDown={onTabKey}>
        {TABS.map((t) => (
          <button
            key={t.id}
            ref={(el) => void (tabRefs.current[t.id] = el)}
            type="button"
            role="tab"
            id={`tab-${t.id}`}
            aria-selected={tab === t.id}
            aria-controls={tab === t.id ? `panel-${t.id}` : undefined}
            tabIndex={tab === t.id ? 0 : -1}
            onClick={() => openTab(t.id)}
            className={cx(
              "-mb-px whitespace-nowrap border-b-2 px-3 py-2 text-sm font-medium focus-visible:outline-none focus-visible:ring-2 focus-visible:ring-amber-500/60",
              tab === t.id
                ? "border-amber-500 text-slate-900 dark:text-white"
                : "border-transparent text-slate-500 hover:text-slate-800 dark:text-slate-400 dark:hover:text-slate-200",
            )}
          >
            {t.label}
          </button>
        ))}
      </div>

      <div role="tabpanel" id={`panel-${tab}`} aria-labelledby={`tab-${tab}`} tabIndex={0} className="focus:outline-none">
        {tab === "overview" && (
          <div className="space-y-6">
            <Overview node={node} etag={etag} principal={principal} />
            <ValidatePanel node={node} principal={principal} />
          </div>
        )}
        {tab === "timeline" && <Timeline node={node} principal={principal} />}
        {tab === "hardware" && <HardwarePanel node={node} principal={principal} minor={minor} />}
        {tab === "bios" && <BiosEditor node={node} principal={principal} />}
        {tab === "steps" && <StepPicker node={node} />}
        {tab === "consoles" &&
          (consoleShown && consoleWebsockets ? (
            <NodeConsoles
              node={node.uuid}
              consoleInterface={consoleIface}
              enabled={node.console_enabled}
              canSet={authorize("baremetal:node:set_console_state", principal, node)}
              canType={canType}
            />
          ) : (
            <p className="rounded-xl border border-slate-200 px-4 py-3 text-sm text-slate-500 dark:border-slate-800 dark:text-slate-400" data-testid="no-console">
              {!consoleShown
                ? consoleKind === "graphical"
                  ? "The graphical console needs the baremetal:node:get_console right on this node."
                  : `The console interface "${consoleIface || "none"}" has no console the browser can show.`
                : "This server does not serve the console websockets (see docs/consoles.md)."}
            </p>
          ))}
        {tab === "history" && <HistoryTable node={node} principal={principal} />}
      </div>
    </div>
  );
}
