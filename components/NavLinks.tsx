"use client";
import Link from "next/link";
import { usePathname } from "next/navigation";
import { cx } from "./format.ts";

export function NavLinks({ links }: { links: { href: string; label: string }[] }) {
  const path = usePathname();
  const active = (href: string) => (href === "/" ? path === "/" || path.startsWith("/nodes") : path.startsWith(href));
  return (
    <nav aria-label="Main" className="flex items-center gap-1 text-sm">
      {links.map((l) => (
        <Link
          key={l.href}
          href={l.href}
          aria-current={active(l.href) ? "page" : undefined}
          className={cx("whitespace-nowrap rounded-md px-2.5 py-1.5 hover:bg-slate-800 hover:text-white lg:px-3", active(l.href) ? "bg-slate-800 text-white" : "text-slate-300")}
        >
          {l.label}
        </Link>
      ))}
    </nav>
  );
}
