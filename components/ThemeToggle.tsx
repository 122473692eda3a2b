"use client";
// Light / dark / follow the system. The choice is kept in localStorage and applied before the first
// paint by THEME_SCRIPT (components/theme.ts, put in <head> by app/layout.tsx), so pages never
// flash the wrong theme.
import { useEffect, useState } from "react";
import { THEME_KEY as KEY, type Theme } from "./theme.ts";

/** Re-applies the saved theme (React may rebuild <html> after a hydration mismatch, dropping the class). */
export function applySavedTheme() {
  const saved = localStorage.getItem(KEY);
  apply(saved === "light" || saved === "dark" ? saved : "system");
}

function apply(theme: Theme) {
  const dark = theme === "dark" || (theme === "system" && window.matchMedia("(prefers-color-scheme: dark)").matches);
  document.documentElement.classList.toggle("dark", dark);
}

const NEXT: Record<Theme, Theme> = { system: "light", light: "dark", dark: "system" };
const LABEL: Record<Theme, string> = { system: "Theme: system", light: "Theme: light", dark: "Theme: dark" };

export function ThemeToggle() {
  const [theme, setTheme] = useState<Theme>("system");
  useEffect(() => {
    const saved = localStorage.getItem(KEY);
    if (saved === "light" || saved === "dark") setTheme(saved);
  }, []);
  useEffect(() => {
    if (theme !== "system") return;
    const mq = window.matchMedia("(prefers-color-scheme: dark)");
    const onChange = () => apply("system");
    mq.addEventListener("change", onChange);
    return () => mq.removeEventListener("change", onChange);
  }, [theme]);
  const choose = () => {
    const next = NEXT[theme];
    setTheme(next);
    localStorage.setItem(KEY, next);
    apply(next);
  };
  return (
    <button
      type="button"
      onClick={choose}
      data-testid="theme-toggle"
      title={`${LABEL[theme]} (click to change)`}
      aria-label={`${LABEL[theme]}; switch to ${NEXT[theme]}`}
      className="rounded-md border border-slate-700 px-2 py-1.5 text-slate-200 hover:border-slate-500 hover:bg-slate-800"
    >
      <span aria-hidden>{theme === "dark" ? "☾" : theme === "light" ? "☀" : "◐"}</span>
    </button>
  );
}
