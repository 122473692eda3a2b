// What a page shows when the viewer may not see it at all.
export function NotAllowed({ what, reason }: { what: string; reason: string }) {
  return (
    <div className="mx-auto max-w-xl rounded-xl border border-slate-200 bg-white p-6 text-center dark:border-slate-800 dark:bg-slate-900/60" data-testid="not-allowed">
      <h1 className="text-lg font-semibold">{what}</h1>
      <p className="mt-2 text-sm text-slate-600 dark:text-slate-400">{reason}</p>
    </div>
  );
}
