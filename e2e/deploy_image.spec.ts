// The deploy dialog's image fields: an image URL with its sha256 checksum goes to instance_info in
// the one PATCH before the deploy verb; a checksum of the wrong length is refused at its field and
// nothing is sent; for a direct deploy the checksum is required, image_download_source is offered
// and the server's refusals show at the field they name. Own nodes (e2e-image-…): sim, and a
// redfish node on the test Redfish service (lib/testing/redfish_mock.ts) in this process.
import { createHash } from "node:crypto";
import { expect, test } from "@playwright/test";
import { RedfishMock } from "../lib/testing/redfish_mock.ts";
import { E2E_PORT } from "./env.ts";
import { adminApi, axeViolations, createNodes, describeViolations, login, manage, waitForState } from "./helpers.ts";

const prefix = (what: string) => `e2e-image-${what}-${Date.now().toString(36)}`;

interface NodeView { provision_state: string; target_provision_state: string | null; instance_info: Record<string, unknown> }

test("deploy with an image URL and its sha256 checksum; a wrong-length checksum is refused at the field and sends nothing", async ({ page, request }) => {
  test.setTimeout(180_000);
  const a = adminApi(request);
  const md5 = createHash("md5").update("old image").digest("hex");
  const [uuid] = await createNodes(request, prefix("sha256"), 1, { instance_info: { image_source: "http://images.example/old.raw", image_checksum: md5 } });
  await manage(request, [uuid]);
  await a.put(`/nodes/${uuid}/states/provision`, { target: "provide" }, 202);
  await waitForState(request, uuid, "available", 120_000);

  await login(page);
  await page.goto(`/nodes/${uuid}`);
  const sent: string[] = [];
  page.on("request", (r) => {
    if (r.method() !== "GET" && r.url().includes(uuid)) sent.push(`${r.method()} ${new URL(r.url()).pathname}`);
  });
  await page.locator('[data-action="deploy"]').click();
  const deploy = page.getByRole("dialog", { name: "Deploy" });
  const source = deploy.getByLabel("Image source");
  const algorithm = deploy.getByLabel("Checksum algorithm");
  const checksum = deploy.getByLabel("Image checksum (optional)");

  // What instance_info holds fills the fields.
  await expect(source).toHaveValue("http://images.example/old.raw");
  await expect(algorithm).toHaveValue("");
  await expect(checksum).toHaveValue(md5);

  // Nothing is said while the user types; trying to deploy shows the error at the field.
  await source.fill("http://images.example/debian-12.raw");
  await algorithm.selectOption("sha256");
  await checksum.fill("abc123");
  await expect(deploy.getByRole("alert")).toHaveCount(0);
  await deploy.getByRole("button", { name: "Deploy", exact: true }).click();
  await expect(deploy.getByRole("alert")).toHaveText("A sha256 checksum is 64 hex digits; this one has 6.");
  await expect(checksum).toHaveAttribute("aria-invalid", "true");
  await expect(checksum).toHaveAccessibleDescription(/A sha256 checksum is 64 hex digits; this one has 6\./);
  await expect(checksum).toBeFocused();
  expect(describeViolations(await axeViolations(page, undefined, '[role="dialog"]'))).toBe("");
  expect(sent).toEqual([]);
  const untouched = await a.get<NodeView>(`/nodes/${uuid}`);
  expect([untouched.provision_state, untouched.instance_info]).toEqual(["available", { image_source: "http://images.example/old.raw", image_checksum: md5 }]);

  // The right digest: the error goes as it is fixed, and the deploy is sent.
  const digest = createHash("sha256").update("debian-12").digest("hex");
  await checksum.fill(digest);
  await expect(deploy.getByRole("alert")).toHaveCount(0);
  await deploy.getByRole("button", { name: "Deploy", exact: true }).click();
  await expect(deploy).toHaveCount(0);
  // One PATCH of instance_info, then the deploy verb.
  expect(sent).toEqual([`PATCH /baremetal/v1/nodes/${uuid}`, `PUT /baremetal/v1/nodes/${uuid}/states/provision`]);

  const node = await a.get<NodeView>(`/nodes/${uuid}`);
  expect(node.instance_info).toMatchObject({ image_source: "http://images.example/debian-12.raw", image_os_hash_algo: "sha256", image_os_hash_value: digest });
  // The md5 it replaced is gone (image_os_hash_value would win over it anyway).
  expect(node.instance_info).not.toHaveProperty("image_checksum");
  expect(node.target_provision_state ?? node.provision_state).toBe("active");
  await waitForState(request, uuid, "active", 120_000);
});

test.describe("a direct deploy (a redfish node of the test Redfish service)", () => {
  const bmc = new RedfishMock({ systems: [{ id: "1" }] });
  const nodes: string[] = [];
  test.beforeAll(async () => {
    await bmc.start();
  });
  test.afterAll(async ({ playwright }) => {
    // Gone before its BMC, so power sync does not keep calling it while other specs run.
    const request = await playwright.request.newContext({ baseURL: `http://127.0.0.1:${E2E_PORT}` });
    for (const uuid of nodes) await adminApi(request).del(`/nodes/${uuid}`);
    await request.dispose();
    await bmc.stop();
  });

  test("the checksum is required, image_download_source is offered, and the server's refusals show at their fields", async ({ page, request }) => {
    test.setTimeout(120_000);
    const a = adminApi(request);
    const digest = createHash("sha256").update("direct").digest("hex");
    const node = await a.post<{ uuid: string }>("/nodes", {
      name: prefix("direct"), driver: "redfish", deploy_interface: "direct", automated_clean: false, resource_class: "baremetal.e2e",
      driver_info: bmc.driverInfo({ redfish_system_id: bmc.systems[0].path, deploy_iso: "http://images.example/ipa.iso" }),
      instance_info: { image_source: "http://images.example/old.raw", image_os_hash_algo: "sha256", image_os_hash_value: digest, image_download_source: "http" },
    }, 201);
    nodes.push(node.uuid);
    await manage(request, [node.uuid]);
    await a.put(`/nodes/${node.uuid}/states/provision`, { target: "provide" }, 202);
    await waitForState(request, node.uuid, "available");

    await login(page);
    await page.goto(`/nodes/${node.uuid}`);
    await page.locator('[data-action="deploy"]').click();
    const deploy = page.getByRole("dialog", { name: "Deploy" });
    const source = deploy.getByLabel("Image source");
    const checksum = deploy.getByLabel("Image checksum", { exact: true });
    const downloadSource = deploy.getByLabel("Image download source");
    await expect(deploy.getByLabel("Checksum algorithm")).toHaveValue("sha256");
    await expect(checksum).toHaveValue(digest);
    await expect(downloadSource).toHaveValue("http");

    // The direct deploy cannot do without a checksum: said before anything is sent.
    await checksum.fill("");
    await deploy.getByRole("button", { name: "Deploy", exact: true }).click();
    await expect(deploy.getByRole("alert")).toHaveText("The direct deploy needs the image's checksum.");
    await checksum.fill(digest);

    // What only the server knows: it takes no Glance image. Its refusal shows at the image field.
    await source.fill("b2173dd3-7ad6-4362-baa6-a68bce3565cb");
    await deploy.getByRole("button", { name: "Deploy", exact: true }).click();
    await expect(deploy.getByRole("alert")).toHaveText(/instance_info\/image_source must be an http\(s\) URL of a whole-disk image/);
    await expect(source).toHaveAttribute("aria-invalid", "true");
    await expect(source).toHaveAccessibleDescription(/instance_info\/image_source must be an http\(s\) URL/);
    await expect(source).toBeFocused();
    await expect(page.getByTestId("action-message")).toHaveCount(0); // not repeated behind the dialog

    // Editing the field takes its refusal away; "local" needs the address machines reach Ingot at.
    await source.fill("http://images.example/debian-12.raw");
    await expect(deploy.getByRole("alert")).toHaveCount(0);
    await downloadSource.selectOption("local");
    await deploy.getByRole("button", { name: "Deploy", exact: true }).click();
    await expect(deploy.getByRole("alert")).toHaveText(/image_download_source "local" needs INGOT_PROVISIONING_URL/);
    await expect(downloadSource).toHaveAttribute("aria-invalid", "true");
    await expect(downloadSource).toBeFocused();
    expect(describeViolations(await axeViolations(page, undefined, '[role="dialog"]'))).toBe("");

    // Each attempt wrote the fields to instance_info in its one PATCH; the node was not deployed.
    const after = await a.get<NodeView>(`/nodes/${node.uuid}`);
    expect(after.provision_state).toBe("available");
    expect(after.instance_info).toMatchObject({ image_source: "http://images.example/debian-12.raw", image_os_hash_algo: "sha256", image_os_hash_value: digest, image_download_source: "local" });
  });
});
