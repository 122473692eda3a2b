// The theme choice (light / dark / follow the system), kept in localStorage, and the script that
// applies it before the first paint. A plain module, not "use client": the root layout (a server
// component) puts THEME_SCRIPT into <head>, and a value imported from a "use client" module is a
// client reference there, not the string — the browser then has to load that module's chunk while
// it hydrates <head>, and when the chunk came late (first visit) React's hydration of the page
// failed (#418).

export type Theme = "light" | "dark" | "system";

export const THEME_KEY = "ingot-theme";

export const THEME_SCRIPT = `(function(){try{var t=localStorage.getItem("${THEME_KEY}");var d=t==="dark"||((!t||t==="system")&&matchMedia("(prefers-color-scheme: dark)").matches);document.documentElement.classList.toggle("dark",d);}catch(e){}})();`;
