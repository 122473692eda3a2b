"use client";
// /account/tokens: the signed-in user's API tokens. A new token is shown once, with a copy button
// and the `openstack` command line that uses it; the list never holds a secret.
import { useEffect, useState } from "react";
import type { AccountTokens, TokenRow } from "@/lib/web/admin.ts";
import { createTokenAction, revokeTokenAction } from "@/lib/web/admin-actions.ts";
import { Card } from "../Card.tsx";
import { formatDate } from "../format.ts";
import { Badge } from "../StateBadge.tsx";
import { Banner, Button, Field, Select, TextInput } from "../ui.tsx";
import { ConfirmDialog, CopyButton, SecretValue, useAction } from "./common.tsx";

const when = (iso: string | null) => (iso ? formatDate(new Date(iso)) : "—");

function status(t: TokenRow, now: number): { tone: "green" | "gray" | "red"; label: string } {
  if (t.revokedAt) return { tone: "red", label: "revoked" };
  if (t.expiresAt && new Date(t.expiresAt).getTime() <= now) return { tone: "gray", label: "expired" };
  return { tone: "green", label: "active" };
}

/** The endpoint for the `openstack` example: this server's /baremetal as the browser sees it. */
function useEndpoint(): string {
  const [origin, setOrigin] = useState("http://<host>");
  useEffect(() => setOrigin(window.location.origin), []);
  return `${origin}/baremetal`;
}

function NewTokenShown({ token, row, onDone }: { token: string; row: TokenRow; onDone: () => void }) {
  const endpoint = useEndpoint();
  const command = `openstack --os-auth-type admin_token --os-endpoint ${endpoint} --os-token ${token} baremetal node list`;
  const env = `export OS_AUTH_TYPE=admin_token OS_ENDPOINT=${endpoint} OS_TOKEN=${token}`;
  return (
    <div className="space-y-3 border-t border-slate-200 p-4 dark:border-slate-800" data-testid="new-token">
      <Banner tone="warning">
        Token <strong>{row.name}</strong> ({row.scope === "system" ? "system scope" : `project ${row.scope}`}) — copy it now: it is shown only
        this once and cannot be retrieved later.
      </Banner>
      <SecretValue value={token} label="New API token" testId="token-value" />
      <div className="space-y-1 text-sm">
        <p className="text-slate-600 dark:text-slate-300">
          With the <code>openstack</code> client (also works as <code>X-Auth-Token: …</code> on any API request):
        </p>
        <div className="flex items-start gap-2">
          <pre className="min-w-0 flex-1 overflow-x-auto rounded-md bg-slate-900 px-3 py-2 font-mono text-xs text-slate-100" data-testid="token-command">{command}</pre>
          <CopyButton text={command} />
        </div>
        <p className="text-slate-600 dark:text-slate-300">or for a whole shell session:</p>
        <div className="flex items-start gap-2">
          <pre className="min-w-0 flex-1 overflow-x-auto rounded-md bg-slate-900 px-3 py-2 font-mono text-xs text-slate-100">{env}</pre>
          <CopyButton text={env} />
        </div>
      </div>
      <Button onClick={onDone}>I have copied it</Button>
    </div>
  );
}

function CreateToken({ scopes }: { scopes: AccountTokens["scopes"] }) {
  const [name, setName] = useState("");
  const [scope, setScope] = useState(scopes[0]?.value ?? "");
  const [days, setDays] = useState("30");
  const [never, setNever] = useState(false);
  const [errors, setErrors] = useState<{ name?: string; days?: string; scope?: string }>({});
  const [created, setCreated] = useState<{ token: string; row: TokenRow } | null>(null);
  const { run, pending, error } = useAction(createTokenAction);
  if (!scopes.length) {
    return (
      <Card title="New token">
        <p className="p-4 text-sm text-slate-600 dark:text-slate-300">
          You have no system role and no project membership, so a token could not do anything. Ask an administrator to add you to a project.
        </p>
      </Card>
    );
  }
  const submit = (ev: React.FormEvent) => {
    ev.preventDefault();
    const e: typeof errors = {};
    if (!name.trim()) e.name = "Give the token a name, e.g. the machine or script that uses it.";
    else if (name.trim().length > 64) e.name = "At most 64 characters.";
    if (!scope) e.scope = "Choose a scope.";
    const n = Number(days);
    if (!never && !(/^\d+$/.test(days.trim()) && n >= 1 && n <= 3650)) e.days = "A whole number of days from 1 to 3650, or choose “never expires”.";
    setErrors(e);
    if (Object.keys(e).length) return;
    setCreated(null);
    run({ name: name.trim(), scope, expiresDays: never ? null : n }, (v) => {
      setCreated(v);
      setName("");
    });
  };
  return (
    <Card title="New token">
      <form onSubmit={submit} noValidate aria-label="New token" className="grid gap-4 p-4 sm:grid-cols-2 lg:grid-cols-[2fr_2fr_1fr_auto] lg:items-start">
        <Field label="Name" error={errors.name}>
          {(ids) => <TextInput {...ids} name="token-name" autoComplete="off" placeholder="e.g. ci-runner" value={name} onChange={(e) => { setName(e.target.value); setErrors((x) => ({ ...x, name: undefined })); }} />}
        </Field>
        <Field label="Scope" hint="What the token acts as." error={errors.scope}>
          {(ids) => (
            <Select {...ids} value={scope} onChange={(e) => setScope(e.target.value)}>
              {scopes.map((s) => <option key={s.value} value={s.value}>{s.label}</option>)}
            </Select>
          )}
        </Field>
        <div className="space-y-1">
          <Field label="Expires after (days)" error={errors.days}>
            {(ids) => (
              <TextInput {...ids} name="token-days" inputMode="numeric" value={never ? "" : days} disabled={never}
                onChange={(e) => { setDays(e.target.value); setErrors((x) => ({ ...x, days: undefined })); }} />
            )}
          </Field>
          <label className="flex items-center gap-2 text-sm text-slate-700 dark:text-slate-300">
            <input type="checkbox" checked={never} onChange={(e) => { setNever(e.target.checked); setErrors((x) => ({ ...x, days: undefined })); }} className="h-4 w-4 accent-amber-600" />
            Never expires
          </label>
        </div>
        <div className="lg:pt-6">
          <Button type="submit" variant="primary" disabled={pending}>{pending ? "Creating…" : "Create token"}</Button>
        </div>
        {error && <p role="alert" className="text-sm text-rose-600 dark:text-rose-400 sm:col-span-2 lg:col-span-4">{error}</p>}
      </form>
      {created && <NewTokenShown token={created.token} row={created.row} onDone={() => setCreated(null)} />}
    </Card>
  );
}

function TokenLine({ token, now }: { token: TokenRow; now: number }) {
  const [confirm, setConfirm] = useState(false);
  const revoke = useAction(revokeTokenAction);
  const s = status(token, now);
  return (
    <tr data-testid={`token-row-${token.name}`}>
      <td className="px-4 py-2 font-medium">{token.name}</td>
      <td className="px-4 py-2">{token.scope === "system" ? "system" : `project ${token.scope}`}</td>
      <td className="px-4 py-2 whitespace-nowrap">{when(token.createdAt)}</td>
      <td className="px-4 py-2 whitespace-nowrap">{token.expiresAt ? when(token.expiresAt) : "never"}</td>
      <td className="px-4 py-2 whitespace-nowrap">{when(token.lastUsedAt)}</td>
      <td className="px-4 py-2 whitespace-nowrap">
        <Badge tone={s.tone}>{s.label}</Badge>
        {token.revokedAt && <span className="ml-2 text-xs text-slate-500 dark:text-slate-400">{when(token.revokedAt)}</span>}
      </td>
      <td className="px-4 py-2 text-right">
        {s.label === "active" && <Button size="sm" variant="danger" onClick={() => setConfirm(true)}>Revoke</Button>}
        <ConfirmDialog
          open={confirm}
          title={`Revoke token ${token.name}?`}
          confirmLabel="Revoke token"
          pending={revoke.pending}
          error={revoke.error}
          onClose={() => setConfirm(false)}
          onConfirm={() => revoke.run({ tokenId: token.id }, () => setConfirm(false))}
        >
          <p>Every client using it gets 401 from now on. This cannot be undone; create a new token instead.</p>
        </ConfirmDialog>
      </td>
    </tr>
  );
}

export function TokensPanel({ data, renderedAt }: { data: AccountTokens; renderedAt: number }) {
  return (
    <div className="space-y-6">
      <CreateToken scopes={data.scopes} />
      <Card title="Your tokens">
        {data.tokens.length === 0 ? (
          <p className="p-4 text-sm text-slate-500 dark:text-slate-400">No tokens yet.</p>
        ) : (
          <div className="overflow-x-auto">
            <table className="min-w-full text-sm" data-testid="tokens-table">
              <thead className="text-left text-xs uppercase tracking-wide text-slate-500 dark:text-slate-400">
                <tr>
                  <th scope="col" className="px-4 py-2 font-medium">Name</th>
                  <th scope="col" className="px-4 py-2 font-medium">Scope</th>
                  <th scope="col" className="px-4 py-2 font-medium">Created</th>
                  <th scope="col" className="px-4 py-2 font-medium">Expires</th>
                  <th scope="col" className="px-4 py-2 font-medium">Last used</th>
                  <th scope="col" className="px-4 py-2 font-medium">Status</th>
                  <th scope="col" className="px-4 py-2"><span className="sr-only">Actions</span></th>
                </tr>
              </thead>
              <tbody className="divide-y divide-slate-100 dark:divide-slate-800">
                {data.tokens.map((t) => <TokenLine key={t.id} token={t} now={renderedAt} />)}
              </tbody>
            </table>
          </div>
        )}
      </Card>
    </div>
  );
}
