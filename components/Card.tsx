import { cx } from "./format.ts";

export function Card({ title, children, className, actions, id }: { title?: React.ReactNode; children: React.ReactNode; className?: string; actions?: React.ReactNode; id?: string }) {
  return (
    <section id={id} className={cx("rounded-xl border border-slate-200 bg-white shadow-sm dark:border-slate-800 dark:bg-slate-900/60", className)}>
      {title && (
        <header className="flex items-center justify-between border-b border-slate-200 px-4 py-2.5 dark:border-slate-800">
          <h2 className="text-sm font-semibold text-slate-800 dark:text-slate-200">{title}</h2>
          {actions}
        </header>
      )}
      {children}
    </section>
  );
}

export function Fields({ items }: { items: [React.ReactNode, React.ReactNode][] }) {
  return (
    <dl className="divide-y divide-slate-100 text-sm dark:divide-slate-800">
      {items.map(([k, v], i) => (
        <div key={i} className="grid grid-cols-[11rem_1fr] gap-3 px-4 py-2">
          <dt className="text-slate-500 dark:text-slate-400">{k}</dt>
          <dd className="min-w-0 break-words text-slate-900 dark:text-slate-100">{v ?? <Empty />}</dd>
        </div>
      ))}
    </dl>
  );
}

export function Empty({ children = "—" }: { children?: React.ReactNode }) {
  return <span className="text-slate-500 dark:text-slate-400">{children}</span>;
}

export function Mono({ children, className }: { children: React.ReactNode; className?: string }) {
  return <span className={cx("font-mono text-[0.8rem]", className)}>{children}</span>;
}

/** A dict shown as key/value rows; nested values as compact JSON. */
export function DictFields({ dict, emptyText = "empty" }: { dict: Record<string, unknown>; emptyText?: string }) {
  const keys = Object.keys(dict).sort();
  if (!keys.length) return <p className="px-4 py-3 text-sm text-slate-500 dark:text-slate-400">{emptyText}</p>;
  return (
    <Fields
      items={keys.map((k) => {
        const v = dict[k];
        return [
          <Mono key="k">{k}</Mono>,
          v === null || v === undefined ? <Empty /> : typeof v === "object" ? (
            <Mono className="text-slate-700 dark:text-slate-300">{JSON.stringify(v)}</Mono>
          ) : (
            <Mono>{String(v)}</Mono>
          ),
        ];
      })}
    />
  );
}
