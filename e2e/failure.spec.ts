// A failed node's banner says what failed and offers what to do next (the transition table's
// verbs from the failure state, and maintenance), gated by the viewer's role like the actions bar.
// Own sim nodes (e2e-fail-…).
import { execFileSync } from "node:child_process";
import { createHash } from "node:crypto";
import { expect, test } from "@playwright/test";
import { E2E_DATABASE_URL } from "./env.ts";
import { adminApi, createNodes, login, logout, manage, waitForState } from "./helpers.ts";

test("a failed deploy offers retry, rebuild, undeploy and maintenance; a reader sees them disabled with the reason", async ({ page, request }) => {
  test.setTimeout(180_000);
  const a = adminApi(request);
  const project = `e2e-fail-${Date.now().toString(36)}`;
  const reader = `${project}-reader`;
  execFileSync("node_modules/.bin/tsx", ["lib/cli/main.ts", "user", "create", reader, "--password", "reader-password-1", "--project", project, "--role", "reader"], {
    env: { ...process.env, DATABASE_URL: E2E_DATABASE_URL },
    stdio: "pipe",
  });
  const projectId = createHash("sha256").update(`ingot-project:${project}`).digest("hex").slice(0, 32);
  const [uuid] = await createNodes(request, project, 1, {
    owner: projectId, driver_info: { sim_fail_step: "deploy.write_image" }, instance_info: { image_source: "http://images.example/debian-12.qcow2" },
  });
  await manage(request, [uuid]);
  await a.put(`/nodes/${uuid}/states/provision`, { target: "provide" }, 202);
  await waitForState(request, uuid, "available", 120_000);
  await a.put(`/nodes/${uuid}/states/provision`, { target: "active" }, 202);
  // (A failed deploy keeps its target, "active".)
  await expect.poll(async () => (await a.get<{ provision_state: string }>(`/nodes/${uuid}`)).provision_state, { timeout: 120_000 }).toBe("deploy failed");

  await login(page);
  await page.goto(`/nodes/${uuid}`);
  const banner = page.getByTestId("failure-next");
  await expect(banner).toContainText("deploy failed");
  await expect(banner).toContainText("write_image");
  const next = banner.getByRole("group", { name: "What next" });
  await expect(next.getByRole("button")).toHaveText(["Retry the deployment", "Deploy again from the start", "Undeploy (tear down, then clean)", "Set maintenance (keep it out of use while you look)"]);
  // The same action as the bar: retrying asks for the image in the Deploy dialog.
  await next.getByRole("button", { name: "Retry the deployment" }).click();
  await expect(page.getByRole("dialog", { name: "Deploy" })).toBeVisible();
  await page.getByRole("dialog", { name: "Deploy" }).getByRole("button", { name: "Cancel" }).click();
  await logout(page);

  // A reader of the owner project: the same choices, disabled, each with why.
  await login(page, reader, "reader-password-1");
  await page.goto(`/nodes/${uuid}`);
  const retry = page.getByTestId("failure-next").locator('[data-next-action="deploy"]');
  await expect(retry).toHaveAttribute("aria-disabled", "true");
  await expect(retry).toHaveAttribute("title", /baremetal:node:set_provision_state .*reader of your project/);
});
