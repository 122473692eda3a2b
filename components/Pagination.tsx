import Link from "next/link";
import { cx } from "./format.ts";

export function Pagination({ page, pages, total, pageSize, href }: { page: number; pages: number; total: number; pageSize: number; href: (page: number) => string }) {
  const from = total === 0 ? 0 : (page - 1) * pageSize + 1;
  const to = Math.min(total, page * pageSize);
  const btn = "rounded-md border px-3 py-1.5 text-sm";
  const on = "border-slate-300 bg-white text-slate-700 hover:bg-slate-50 dark:border-slate-700 dark:bg-slate-900 dark:text-slate-200 dark:hover:bg-slate-800";
  const off = "pointer-events-none border-slate-200 text-slate-300 dark:border-slate-800 dark:text-slate-600";
  return (
    <nav className="flex items-center justify-between gap-4 px-4 py-3" aria-label="Pagination">
      <p className="text-sm text-slate-500 dark:text-slate-400" data-testid="page-summary">
        {total === 0 ? "No nodes" : <>Showing <b className="font-medium text-slate-700 dark:text-slate-200">{from}–{to}</b> of <b className="font-medium text-slate-700 dark:text-slate-200">{total}</b></>}
      </p>
      <div className="flex items-center gap-2">
        <span className="mr-2 text-sm text-slate-500 dark:text-slate-400">Page {page} of {pages}</span>
        <Link href={href(page - 1)} className={cx(btn, page > 1 ? on : off)} aria-disabled={page <= 1}>Previous</Link>
        <Link href={href(page + 1)} className={cx(btn, page < pages ? on : off)} aria-disabled={page >= pages}>Next</Link>
      </div>
    </nav>
  );
}
