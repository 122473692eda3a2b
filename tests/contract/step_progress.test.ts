// Contract: the step picker follows a run from the history rows the conductor writes, as the API
// answers them with structured=True. Tests under tests/contract/ may import both sides.
import { describe, expect, it } from "vitest";
import { stepRunStates } from "@/lib/client/steps.ts";
import { historyFields, historySentence, historyStructure, type HistoryEvent } from "@/lib/core/history.ts";

describe("stepRunStates", () => {
  const req = [{ interface: "raid", step: "delete_configuration" }, { interface: "deploy", step: "erase_devices" }, { interface: "raid", step: "delete_configuration" }];
  /** A history row as the API answers it with structured=True. */
  const row = (event: HistoryEvent) => ({
    uuid: historySentence(event), created_at: "", severity: "INFO", event: historySentence(event), structured: historyStructure(historyFields(event)),
  });
  const at = (name: string, kind: "clean" | "service" = "clean") => {
    const [iface, step] = name.split(".");
    return { kind, interface: iface, step };
  };
  const started = (name: string, kind?: "clean" | "service") => row({ kind: "step_started", step: at(name, kind) });
  const finished = (name: string) => row({ kind: "step_finished", step: at(name) });
  it("matches history rows to the requested steps in order", () => {
    expect(stepRunStates(req, [
      started("raid.delete_configuration"), finished("raid.delete_configuration"),
      started("deploy.erase_devices"),
    ], "clean").map((s) => s.state)).toEqual(["done", "running", "pending"]);
    const failed = stepRunStates(req, [
      started("raid.delete_configuration"), finished("raid.delete_configuration"),
      started("deploy.erase_devices"), finished("deploy.erase_devices"),
      started("raid.delete_configuration"), row({ kind: "step_failed", step: at("raid.delete_configuration"), error: "boom" }),
    ], "clean");
    expect(failed.map((s) => s.state)).toEqual(["done", "done", "failed"]);
    expect(failed[2].error).toBe("boom");
    expect(stepRunStates(req, [started("raid.delete_configuration", "service")], "clean").map((s) => s.state)).toEqual(["pending", "pending", "pending"]);
    const hold = [{ interface: "deploy", step: "hold" }, { interface: "raid", step: "delete_configuration" }];
    expect(stepRunStates(hold, [started("deploy.hold")], "clean").map((s) => s.state)).toEqual(["running", "pending"]);
    expect(stepRunStates(hold, [started("deploy.hold"), row({ kind: "step_released", step: at("deploy.hold") })], "clean").map((s) => s.state)).toEqual(["done", "pending"]);
  });
  it("reads the structured fields, not the sentence", () => {
    const rows = [started("raid.delete_configuration"), finished("raid.delete_configuration")];
    const reworded = rows.map((r) => ({ ...r, event: "reworded" }));
    expect(stepRunStates(req, reworded, "clean").map((s) => s.state)).toEqual(["done", "pending", "pending"]);
    const bare = rows.map(({ structured: _, ...r }) => r);
    expect(stepRunStates(req, bare, "clean").map((s) => s.state)).toEqual(["pending", "pending", "pending"]);
  });
});
