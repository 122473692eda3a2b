// The downloaded console log holds what the serial console showed of the instance: its boot at the
// end of the deploy, not only what came after the node became active. Own sim nodes (e2e-log-…).
import { expect, test } from "@playwright/test";
import { adminApi, createNodes, login, manage, waitForState } from "./helpers.ts";

test("the console log download has the instance's boot output", async ({ page, request }) => {
  test.setTimeout(180_000);
  const a = adminApi(request);
  const name = `e2e-log-${Date.now().toString(36)}`;
  const [uuid] = await createNodes(request, name, 1, { instance_info: { image_source: "http://images.example/debian-12.qcow2" } });
  await manage(request, [uuid]);
  await a.put(`/nodes/${uuid}/states/provision`, { target: "provide" }, 202);
  await waitForState(request, uuid, "available", 120_000);
  await a.put(`/nodes/${uuid}/states/provision`, { target: "active" }, 202);
  await waitForState(request, uuid, "active", 120_000);

  await login(page);
  let text = "";
  await expect.poll(async () => {
    const res = await page.request.get(`/nodes/${uuid}/console/log?kib=64`);
    text = res.ok() ? await res.text() : "";
    return text.includes(`${name}-01 login: `);
  }, { timeout: 30_000 }).toBe(true);
  // The instance's firmware, boot loader and kernel, as on screen while it deployed.
  for (const line of ["F12 = PXE Boot", "GRUB loading.", "Linux version"]) expect(text, line).toContain(line);
  // The deploy agent's work is not in it.
  expect(text).not.toContain("Starting ironic-python-agent");
});
