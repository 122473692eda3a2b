// The node page's tabs (?tab=), shared by the page and the actions bar that opens them.
export const TABS = [
  { id: "overview", label: "Overview" },
  { id: "timeline", label: "Timeline" },
  { id: "bios", label: "BIOS" },
  { id: "hardware", label: "Hardware" },
  { id: "steps", label: "Steps" },
  { id: "consoles", label: "Consoles" },
  { id: "history", label: "History" },
] as const;
export type TabId = (typeof TABS)[number]["id"];

export function isTab(v: string | null): v is TabId {
  return TABS.some((t) => t.id === v);
}
