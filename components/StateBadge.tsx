import { isFailed, isProvisionState, PowerState as Power, ProvisionState as PS } from "@/lib/shared/states.ts";
import { cx } from "./format.ts";

type Tone = "green" | "blue" | "slate" | "gray" | "red" | "amber" | "violet";

const TONES: Record<Tone, string> = {
  green: "bg-emerald-50 text-emerald-700 ring-emerald-600/20 dark:bg-emerald-500/10 dark:text-emerald-300 dark:ring-emerald-400/25",
  blue: "bg-sky-50 text-sky-700 ring-sky-600/20 dark:bg-sky-500/10 dark:text-sky-300 dark:ring-sky-400/25",
  slate: "bg-indigo-50 text-indigo-700 ring-indigo-600/20 dark:bg-indigo-500/10 dark:text-indigo-300 dark:ring-indigo-400/25",
  gray: "bg-slate-100 text-slate-600 ring-slate-500/20 dark:bg-slate-500/10 dark:text-slate-300 dark:ring-slate-400/25",
  red: "bg-rose-50 text-rose-700 ring-rose-600/20 dark:bg-rose-500/10 dark:text-rose-300 dark:ring-rose-400/25",
  amber: "bg-amber-50 text-amber-800 ring-amber-600/25 dark:bg-amber-500/10 dark:text-amber-300 dark:ring-amber-400/25",
  violet: "bg-violet-50 text-violet-700 ring-violet-600/20 dark:bg-violet-500/10 dark:text-violet-300 dark:ring-violet-400/25",
};

const DOTS: Record<Tone, string> = {
  green: "bg-emerald-500", blue: "bg-sky-500", slate: "bg-indigo-500", gray: "bg-slate-400",
  red: "bg-rose-500", amber: "bg-amber-500", violet: "bg-violet-500",
};

/** The stable states' own colours; failed states are red, the rest (transitional, wait, hold) amber. */
const STATE_TONES: Partial<Record<PS, Tone>> = {
  [PS.ACTIVE]: "green", [PS.AVAILABLE]: "blue", [PS.MANAGEABLE]: "slate", [PS.ENROLL]: "gray", [PS.RESCUE]: "violet",
};

export function stateTone(state: string): Tone {
  if (isFailed(state)) return "red";
  return (isProvisionState(state) && STATE_TONES[state]) || "amber";
}

export function Badge({ tone, children, title, dot = false, className }: { tone: Tone; children: React.ReactNode; title?: string; dot?: boolean; className?: string }) {
  return (
    <span
      title={title}
      className={cx("inline-flex items-center gap-1.5 whitespace-nowrap rounded-md px-2 py-0.5 text-xs font-medium ring-1 ring-inset", TONES[tone], className)}
    >
      {dot && <span className={cx("h-1.5 w-1.5 rounded-full", DOTS[tone])} aria-hidden />}
      {children}
    </span>
  );
}

export function StateBadge({ state }: { state: string }) {
  return (
    <Badge tone={stateTone(state)} dot>
      <span data-testid="provision-state">{state}</span>
    </Badge>
  );
}

export function PowerState({ power, target }: { power: string | null; target?: string | null }) {
  const on = power === Power.ON;
  const off = power === Power.OFF;
  return (
    <span className="inline-flex items-center gap-1.5 whitespace-nowrap text-sm">
      <span
        aria-hidden
        className={cx("h-2 w-2 rounded-full", on ? "bg-emerald-500 shadow-[0_0_0_3px] shadow-emerald-500/15" : off ? "bg-slate-400 dark:bg-slate-500" : "border border-dashed border-slate-400")}
      />
      <span className={cx(on ? "text-slate-800 dark:text-slate-200" : "text-slate-500 dark:text-slate-400")}>{power ? power.replace("power ", "") : "unknown"}</span>
      {target && <span className="text-xs text-amber-700 dark:text-amber-400">→ {target.replace("power ", "")}</span>}
    </span>
  );
}
