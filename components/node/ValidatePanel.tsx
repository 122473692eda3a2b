"use client";
// GET /v1/nodes/{n}/validate as a table: each interface valid, invalid (with the driver's reason)
// or not supported. It runs when the panel opens and again whenever what validation reads changes
// (driver_info, interfaces, properties, instance_info — e.g. after the driver_info editor saves);
// "Validate" runs it on demand. Validation checks the node's settings; it does not contact the BMC
// for ipmi (reading the power state does: Manage, or the conductor's power sync).
import { useQuery } from "@tanstack/react-query";
import { Card, Mono } from "@/components/Card.tsx";
import { useApi } from "@/components/Providers.tsx";
import { Badge } from "@/components/StateBadge.tsx";
import { Banner, Button, Spinner } from "@/components/ui.tsx";
import { enrollKeys, validateNode } from "@/lib/client/enroll.ts";
import { errorText } from "@/lib/client/node.ts";
import type { ApiNode } from "@/lib/shared/wire.ts";
import { authorize, type Principal } from "@/lib/shared/policy.ts";
import { ProvisionState } from "@/lib/shared/states.ts";
import { validationFingerprint, validationRows, validationSummary, type ValidationStatus } from "./validation.ts";

const STATUS: Record<ValidationStatus, { tone: "green" | "red" | "gray"; text: string }> = {
  valid: { tone: "green", text: "valid" },
  invalid: { tone: "red", text: "invalid" },
  disabled: { tone: "gray", text: "not enabled" },
  unsupported: { tone: "gray", text: "not supported" },
};

export function ValidatePanel({ node, principal }: { node: ApiNode; principal: Principal }) {
  const api = useApi();
  const allowed = authorize("baremetal:node:validate", principal, node);
  const fingerprint = validationFingerprint(node);
  const q = useQuery({
    queryKey: enrollKeys.validate(node.uuid, fingerprint),
    queryFn: () => validateNode(api, node.uuid),
    enabled: allowed,
    staleTime: Infinity,
    // Keep the previous table while a new answer comes (no flicker after an edit).
    placeholderData: (prev) => prev,
  });
  const rows = q.data ? validationRows(q.data, node as unknown as Record<string, unknown>) : [];
  const counts = validationSummary(rows);

  return (
    <Card
      title="Validation"
      id="validation"
      actions={
        allowed && (
          <Button size="sm" onClick={() => void q.refetch()} disabled={q.isFetching}>
            {q.isFetching && <Spinner label="Validating" />} Validate
          </Button>
        )
      }
    >
      {!allowed ? (
        <p className="px-4 py-3 text-sm text-slate-500 dark:text-slate-400">Validating this node needs baremetal:node:validate.</p>
      ) : q.isError ? (
        <Banner tone="error" className="m-3" data-testid="validate-error">The node could not be validated: {errorText(q.error)}</Banner>
      ) : !q.data ? (
        <p className="px-4 py-3 text-sm text-slate-500 dark:text-slate-400"><Spinner label="Validating" /> Validating…</p>
      ) : (
        <>
          <p className="px-4 pt-3 text-sm text-slate-600 dark:text-slate-300" data-testid="validate-summary">
            {counts.invalid === 0 ? "Every interface in use is valid" : `${counts.invalid} interface${counts.invalid === 1 ? "" : "s"} invalid`}
            {" · "}{counts.valid} valid{counts.disabled ? ` · ${counts.disabled} not enabled (no-* interfaces)` : ""}
            {counts.unsupported ? ` · ${counts.unsupported} not supported` : ""}
          </p>
          <div className="overflow-x-auto px-4 pb-3">
            <table className="mt-2 w-full text-left text-sm" data-testid="validate-table">
              <caption className="sr-only">Validation result per interface</caption>
              <thead className="text-xs uppercase tracking-wide text-slate-500 dark:text-slate-400">
                <tr>
                  <th scope="col" className="py-1.5 pr-3 font-medium">Interface</th>
                  <th scope="col" className="py-1.5 pr-3 font-medium">Implementation</th>
                  <th scope="col" className="py-1.5 pr-3 font-medium">Result</th>
                  <th scope="col" className="py-1.5 font-medium">Reason</th>
                </tr>
              </thead>
              <tbody className="divide-y divide-slate-100 dark:divide-slate-800">
                {rows.map((r) => (
                  <tr key={r.kind} data-testid={`validate-${r.kind}`} data-status={r.status}>
                    <th scope="row" className="py-1.5 pr-3 font-medium">{r.kind}</th>
                    <td className="py-1.5 pr-3">{r.implementation ? <Mono>{r.implementation}</Mono> : "—"}</td>
                    <td className="py-1.5 pr-3"><Badge tone={STATUS[r.status].tone} dot>{STATUS[r.status].text}</Badge></td>
                    <td className="py-1.5 text-slate-700 dark:text-slate-300" data-testid={`validate-${r.kind}-reason`}>{r.reason ?? ""}</td>
                  </tr>
                ))}
              </tbody>
            </table>
          </div>
          {node.power_state === null && node.provision_state === ProvisionState.ENROLL && (
            <p className="border-t border-slate-100 px-4 py-2 text-xs text-slate-500 dark:border-slate-800 dark:text-slate-400" data-testid="validate-power-hint">
              The power state is not known yet: Manage verifies the BMC credentials and reads it; from then on the
              conductor reads it periodically (it leaves nodes in enroll alone).
            </p>
          )}
        </>
      )}
    </Card>
  );
}
