"use client";
// Pieces the admin and token pages share: running a server action with its pending state and
// error, a secret shown once with a copy button, and a confirmation dialog.
import { useEffect, useState, useTransition } from "react";
import type { ActionResult } from "@/lib/web/boundary.ts";
import { Button, Dialog, Select } from "../ui.tsx";

export type ServerAction<O> = (input: unknown) => Promise<ActionResult<O>>;

/** Runs server actions one at a time; `error` holds the last refusal until the next run. */
export function useAction<O>(action: ServerAction<O>) {
  const [pending, startTransition] = useTransition();
  const [error, setError] = useState<string | null>(null);
  const run = (input: unknown, onOk?: (value: O) => void, onError?: (message: string) => void) => {
    setError(null);
    startTransition(async () => {
      let r: ActionResult<O>;
      try {
        r = await action(input);
      } catch {
        r = { ok: false, status: 0, error: "The server could not be reached; nothing was changed. Try again." };
      }
      if (r.ok) onOk?.(r.value);
      else {
        setError(r.error);
        onError?.(r.error);
      }
    });
  };
  return { run, pending, error, setError };
}

async function copyText(text: string): Promise<boolean> {
  try {
    await navigator.clipboard.writeText(text);
    return true;
  } catch {
    // No clipboard API (plain http on another host): select-and-copy still works.
    const area = document.createElement("textarea");
    area.value = text;
    area.style.position = "fixed";
    area.style.opacity = "0";
    document.body.appendChild(area);
    area.select();
    const ok = document.execCommand("copy");
    area.remove();
    return ok;
  }
}

export function CopyButton({ text, label = "Copy" }: { text: string; label?: string }) {
  const [copied, setCopied] = useState(false);
  return (
    <Button
      size="sm"
      onClick={async () => {
        if (await copyText(text)) {
          setCopied(true);
          setTimeout(() => setCopied(false), 2000);
        }
      }}
      aria-label={`${label} to the clipboard`}
    >
      <span aria-live="polite" className="inline-block min-w-[3.5rem]">{copied ? "Copied" : label}</span>
    </Button>
  );
}

/** A secret in a read-only box with a copy button (the only time the page has it). */
export function SecretValue({ value, label, testId = "secret-value" }: { value: string; label: string; testId?: string }) {
  return (
    <div className="flex items-center gap-2">
      <label className="sr-only" htmlFor={`${testId}-input`}>{label}</label>
      <input
        id={`${testId}-input`}
        readOnly
        value={value}
        data-testid={testId}
        onFocus={(e) => e.currentTarget.select()}
        className="block w-full min-w-0 rounded-md border border-slate-300 bg-slate-50 px-2.5 py-1.5 font-mono text-sm text-slate-900 dark:border-slate-700 dark:bg-slate-950 dark:text-slate-100"
      />
      <CopyButton text={value} />
    </div>
  );
}

/** "Are you sure?" with the consequence spelled out; confirm runs `onConfirm`. */
export function ConfirmDialog({ open, title, children, confirmLabel, onConfirm, onClose, pending, error }: {
  open: boolean;
  title: string;
  children: React.ReactNode;
  confirmLabel: string;
  onConfirm: () => void;
  onClose: () => void;
  pending?: boolean;
  error?: string | null;
}) {
  return (
    <Dialog
      open={open}
      title={title}
      onClose={onClose}
      footer={
        <>
          <Button onClick={onClose}>Cancel</Button>
          <Button variant="danger" onClick={onConfirm} disabled={pending}>{pending ? "Working…" : confirmLabel}</Button>
        </>
      }
    >
      <div className="space-y-3 text-left text-sm text-slate-700 dark:text-slate-300">
        {children}
        {error && <p role="alert" className="text-rose-600 dark:text-rose-400">{error}</p>}
      </div>
    </Dialog>
  );
}

export const ROLE_LABEL = { admin: "Admin", member: "Member", reader: "Reader" } as const;
export const PROJECT_ROLES = [{ value: "reader", label: "Reader" }, { value: "member", label: "Member" }, { value: "admin", label: "Admin" }];
export const SYSTEM_ROLES = [{ value: "none", label: "None" }, ...PROJECT_ROLES];

/** The same rule as the core: letters, digits, . _ @ -, starting with a letter or digit, at most 64. */
export const NAME_RE = /^[A-Za-z0-9][A-Za-z0-9._@-]{0,63}$/;
export const NAME_HINT = "Letters, digits, . _ @ - (at most 64, starting with a letter or digit).";

/**
 * A role select that saves on change. It shows the chosen value at once (not the stale prop until
 * the page refreshes), returns to the saved value if the server refuses, and stays enabled while
 * saving so keyboard focus is never lost.
 */
export function RoleSelect({ id, saved, options, onSave, pending, className }: {
  id: string;
  saved: string;
  options: { value: string; label: string }[];
  onSave: (value: string, revert: () => void) => void;
  pending?: boolean;
  className?: string;
}) {
  const [value, setValue] = useState(saved);
  useEffect(() => setValue(saved), [saved]);
  return (
    <Select
      id={id}
      value={value}
      aria-busy={pending || undefined}
      className={className}
      onChange={(e) => {
        const next = e.target.value;
        setValue(next);
        onSave(next, () => setValue(saved));
      }}
    >
      {options.map((o) => <option key={o.value} value={o.value}>{o.label}</option>)}
    </Select>
  );
}
