// The fleet page's URL state and selection model (pure functions).
import { describe, expect, it } from "vitest";
import { DEFAULT_COLUMNS, toggleFilterValue, viewFromParams, viewToSearch } from "./fleet.ts";
import { EMPTY_SELECTION, isSelected, selectAllMatching, selectedCount, selectRange, setSelected, toggle, toNodeSelection } from "./selection.ts";

describe("fleet view in the URL", () => {
  it("round-trips filters with negation, search, sort, group, paging and columns", () => {
    const search = "provision_state=active&provision_state=available&owner!=p1&q=web%2001&sort=-name&group=owner&page=3&size=100&cols=name,driver";
    const view = viewFromParams(new URLSearchParams(search));
    expect(view).toEqual({
      filters: [
        { field: "provision_state", values: ["active", "available"], negate: false },
        { field: "owner", values: ["p1"], negate: true },
      ],
      q: "web 01", sort: "-name", group: "owner", page: 3, size: 100, cols: ["name", "driver"],
    });
    expect(viewToSearch(view)).toBe(search);
    expect(viewFromParams(new URLSearchParams(viewToSearch(view)))).toEqual(view);
  });

  it("defaults stay out of the URL; bad paging falls back", () => {
    expect(viewToSearch(viewFromParams(new URLSearchParams("")))).toBe("");
    const v = viewFromParams(new URLSearchParams("page=-4&size=7&cols=bogus"));
    expect([v.page, v.size, v.cols]).toEqual([1, 50, ["name"]]);
    expect(viewFromParams(new URLSearchParams("")).cols).toEqual(DEFAULT_COLUMNS);
  });

  it("toggling values adds, removes and drops emptied filters", () => {
    let f = toggleFilterValue([], "owner", "a", false);
    f = toggleFilterValue(f, "owner", "b", false);
    f = toggleFilterValue(f, "owner", "a", true);
    expect(f).toEqual([{ field: "owner", values: ["a", "b"], negate: false }, { field: "owner", values: ["a"], negate: true }]);
    f = toggleFilterValue(toggleFilterValue(f, "owner", "a", false), "owner", "b", false);
    expect(f).toEqual([{ field: "owner", values: ["a"], negate: true }]);
  });
});

describe("selection", () => {
  const page = ["u1", "u2", "u3", "u4", "u5"];

  it("by hand, with shift-click ranges in page order", () => {
    let s = toggle(EMPTY_SELECTION, "u2");
    s = selectRange(s, page, "u2", "u4");
    expect(page.filter((u) => isSelected(s, u))).toEqual(["u2", "u3", "u4"]);
    s = selectRange(s, page, "u4", "u3"); // the target is on, so the range turns off
    expect(page.filter((u) => isSelected(s, u))).toEqual(["u2"]);
    expect(toNodeSelection(s, 100)).toEqual({ kind: "nodes", uuids: ["u2"] });
    expect(toNodeSelection(EMPTY_SELECTION, 100)).toBeNull();
  });

  it("everything matching a filter except some", () => {
    let s = selectAllMatching("provision_state=active");
    s = setSelected(s, ["u1", "u2"], false);
    s = toggle(s, "u2");
    expect(isSelected(s, "u1")).toBe(false);
    expect(isSelected(s, "u9")).toBe(true);
    expect(selectedCount(s, 40)).toBe(39);
    expect(toNodeSelection(s, 40)).toEqual({ kind: "filter", query: "provision_state=active", except: ["u1"], count: 39 });
  });
});
