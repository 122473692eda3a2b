import { AppShell } from "@/components/AppShell.tsx";
import { TokensPanel } from "@/components/admin/TokensPanel.tsx";
import { accountTokens } from "@/lib/web/admin.ts";
import { requireViewer } from "@/lib/web/session.ts";
import { shellViewer } from "@/lib/web/shell.ts";

export const dynamic = "force-dynamic";
export const metadata = { title: "API tokens" };

export default async function TokensPage() {
  const viewer = await requireViewer();
  const data = await accountTokens(viewer);
  return (
    <AppShell viewer={await shellViewer(viewer)}>
      <div className="space-y-6">
        <div>
          <h1 className="text-2xl font-semibold tracking-tight">API tokens</h1>
          <p className="mt-1 text-sm text-slate-500 dark:text-slate-400">
            Tokens let scripts and the <code>openstack</code> client use the Bare Metal API as you, in the scope you choose. Only a hash is
            stored: a token is shown once, when it is created.
          </p>
        </div>
        <TokensPanel data={data} renderedAt={Date.now()} />
      </div>
    </AppShell>
  );
}
