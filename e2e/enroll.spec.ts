// Enrolling real machines from the dashboard: the enroll dialog (fake-hardware with a port; ipmi
// against a real pyghmi BMC on 127.0.0.1 through ipmitool), the validation panel, the power state
// read from the BMC, manage → provide → deploy of an ipmi node, a wrong password's readable error,
// the Hardware tab after an inspection, and axe on the dialog.
import { expect, test, type Page } from "@playwright/test";
import { FakeBmc, fakeBmcUnavailable } from "../lib/testing/fake_bmc.ts";
import { E2E_PORT } from "./env.ts";
import { adminApi, axeViolations, describeViolations, login, logout, manage, waitForState } from "./helpers.ts";

const run = Date.now().toString(36);

/** A MAC address unique to this run (locally administered). */
function mac(i: number): string {
  const hex = Number.parseInt(run.slice(-6), 36).toString(16).padStart(8, "0").slice(-8);
  return `02:${hex.slice(0, 2)}:${hex.slice(2, 4)}:${hex.slice(4, 6)}:${hex.slice(6, 8)}:${i.toString(16).padStart(2, "0")}`;
}

async function openEnroll(page: Page) {
  await page.goto("/");
  await page.getByRole("button", { name: "Enroll node" }).click();
  const dialog = page.getByRole("dialog", { name: "Enroll a node" });
  await expect(dialog).toBeVisible();
  return dialog;
}

async function setTheme(page: Page, theme: "light" | "dark") {
  await page.evaluate((t) => localStorage.setItem("ingot-theme", t), theme);
}

/**
 * ipmi nodes this spec made: removed at the end (maintenance, then delete), so the shared server's
 * power sync does not keep calling a BMC that is gone while the other specs run.
 */
const ipmiNodes: string[] = [];

test.afterAll(async ({ playwright }) => {
  if (!ipmiNodes.length) return;
  const request = await playwright.request.newContext({ baseURL: `http://127.0.0.1:${E2E_PORT}` });
  const a = adminApi(request);
  for (const uuid of ipmiNodes) {
    await a.put(`/nodes/${uuid}/maintenance`, { reason: "e2e enroll spec cleanup" }, 202);
    await a.del(`/nodes/${uuid}`);
  }
  await request.dispose();
});

/** The provision state shown in the node page's header. */
const headerState = (page: Page) => page.getByTestId("node-badges").getByTestId("provision-state");

test.describe("enroll from the dashboard", () => {
  test("fake-hardware with a port: the server's refusal is shown at the form, then the node page shows the node and its port", async ({ page, request }) => {
    await login(page);
    const dialog = await openEnroll(page);
    await dialog.getByLabel("Hardware type").selectOption("fake-hardware");
    // The form comes from GET /v1/drivers/fake-hardware/properties: B1 and B2 say "Required."
    const b1 = dialog.getByLabel("B1");
    await expect(b1).toBeVisible();
    await expect(dialog.getByTestId("driver-info-fields")).toContainText("B1 (required)");
    await dialog.getByLabel("Name", { exact: true }).fill("bad name!");
    await dialog.getByLabel("Resource class").fill("baremetal.e2e");
    // System admins choose the owner among the projects (the demo fleet has "infra").
    await dialog.getByLabel("Owner").selectOption({ label: "infra" });
    await dialog.getByLabel("Port MAC addresses").fill(`${mac(1)} not-a-mac`);
    await dialog.getByRole("button", { name: "Enroll", exact: true }).click();
    // Cheap checks first: the required fields and the MAC address, nothing sent.
    await expect(dialog.getByText("B1 is required by the fake-hardware hardware type.")).toBeVisible();
    await expect(dialog.getByText(/Not a MAC address: not-a-mac/)).toBeVisible();
    await b1.fill("one");
    await dialog.getByLabel("B2").fill("two");
    await dialog.getByLabel("Port MAC addresses").fill(mac(1).toUpperCase());
    await dialog.getByRole("button", { name: "Enroll", exact: true }).click();
    // The API refuses the name (400): its message at the form, everything typed kept.
    await expect(dialog.getByTestId("enroll-error")).toHaveText("Cannot create node with invalid name 'bad name!'");
    await expect(dialog.getByLabel("Name", { exact: true })).toHaveValue("bad name!");
    await expect(b1).toHaveValue("one");
    const name = `enroll-fake-${run}`;
    await dialog.getByLabel("Name", { exact: true }).fill(name);
    // An interface override from the hardware type's enabled interfaces.
    await dialog.getByText(/^Interfaces \(optional/).click();
    await expect(dialog.getByLabel("rescue interface")).toHaveValue("");
    await dialog.getByLabel("rescue interface").selectOption("no-rescue");
    await dialog.getByRole("button", { name: "Enroll", exact: true }).click();

    await expect(page).toHaveURL(/\/nodes\/[0-9a-f-]{36}$/);
    await expect(page.getByTestId("node-name")).toHaveText(name);
    await expect(headerState(page)).toHaveText("enroll");
    await expect(page.getByTestId("ports")).toContainText(mac(1));
    const uuid = (await page.getByTestId("node-uuid").textContent())!.trim();
    const a = adminApi(request);
    const node = await a.get<{ driver: string; resource_class: string; owner: string; driver_info: Record<string, unknown>; rescue_interface: string }>(`/nodes/${uuid}`);
    expect(node).toMatchObject({ driver: "fake-hardware", resource_class: "baremetal.e2e", driver_info: { B1: "one", B2: "two" }, rescue_interface: "no-rescue" });
    const { projects } = await a.get<{ projects: { id: string; name: string }[] }>("/projects");
    expect(node.owner).toBe(projects.find((p) => p.name === "infra")!.id);
    const ports = await a.get<{ ports: { address: string }[] }>(`/nodes/${uuid}/ports`);
    expect(ports.ports.map((p) => p.address)).toEqual([mac(1)]);
    // Validation panel: the fake interfaces are valid; no-rescue refuses (result false, as in Ironic),
    // shown as "not enabled" with the API's reason rather than as a failure.
    await expect(page.getByTestId("validate-power")).toHaveAttribute("data-status", "valid");
    const validation = await a.get<Record<string, { result: boolean | null; reason?: string }>>(`/nodes/${uuid}/validate`);
    expect(validation.rescue.result).toBe(false);
    await expect(page.getByTestId("validate-rescue")).toHaveAttribute("data-status", "disabled");
    await expect(page.getByTestId("validate-rescue")).toContainText("no-rescue");
    await expect(page.getByTestId("validate-rescue-reason")).toHaveText(validation.rescue.reason!);
    await expect(page.getByTestId("validate-summary")).toHaveText(/^Every interface in use is valid · \d+ valid · 1 not enabled/);
    // "Validate" asks the API again.
    const again = page.waitForResponse((r) => r.url().endsWith(`/nodes/${uuid}/validate`) && r.ok());
    await page.locator("#validation").getByRole("button", { name: "Validate" }).click();
    await again;
  });

  test("typing in the dialog is not disturbed by live fleet updates", async ({ page, request }) => {
    await login(page);
    await page.goto("/");
    const count = page.getByTestId("match-count");
    await expect(count).toHaveText(/^\d+$/);
    const before = Number(await count.textContent());
    const dialog = await openEnroll(page);
    const name = dialog.getByLabel("Name", { exact: true });
    await name.click();
    await page.keyboard.type("live-");
    // A node created elsewhere: the fleet page re-renders under the dialog.
    await adminApi(request).post("/nodes", { driver: "fake-hardware", name: `enroll-live-${run}` }, 201);
    await expect(count).toHaveText(String(before + 1));
    await expect(name).toBeFocused();
    await page.keyboard.type("typed");
    await expect(name).toHaveValue("live-typed");
  });

  test("a project admin enrolls into their project, typing the hardware type (listing them is for system readers)", async ({ page, request }) => {
    test.setTimeout(60_000);
    const project = `enr${run}-lab`;
    const user = `enr${run}-adm`;
    const password = "enroll-admin-pw-1";
    await login(page);
    await page.goto("/admin");
    const projectForm = page.getByRole("form", { name: "New project" });
    await projectForm.getByLabel("Project name").fill(project);
    await projectForm.getByRole("button", { name: "Create project" }).click();
    await expect(page.getByTestId(`project-${project}`)).toBeVisible();
    const userForm = page.getByRole("form", { name: "New user" });
    await userForm.getByLabel("User name").fill(user);
    await userForm.getByLabel("Initial password").fill(password);
    await userForm.getByLabel("Project (optional)").selectOption({ label: project });
    await userForm.getByLabel("Project role").selectOption("admin");
    await userForm.getByRole("button", { name: "Create user" }).click();
    await expect(page.getByTestId("user-created")).toContainText(`User ${user} created.`);
    await logout(page);

    await login(page, user, password);
    const dialog = await openEnroll(page);
    await expect(dialog.getByText("The node will be owned by your project.")).toBeVisible();
    await expect(dialog.getByText(/cannot list the hardware types/)).toBeVisible();
    await dialog.getByLabel("Hardware type").fill("fake-hardware");
    await dialog.getByLabel("More driver_info").fill("B1=one\nB2=two");
    const name = `enroll-proj-${run}`;
    await dialog.getByLabel("Name", { exact: true }).fill(name);
    await dialog.getByLabel("Port MAC addresses").fill(mac(9));
    await dialog.getByRole("button", { name: "Enroll", exact: true }).click();
    await expect(page.getByTestId("node-name")).toHaveText(name);
    await expect(page.getByTestId("ports")).toContainText(mac(9));
    const a = adminApi(request);
    const { projects } = await a.get<{ projects: { id: string; name: string }[] }>("/projects");
    const node = await a.get<{ owner: string; driver_info: Record<string, unknown> }>(`/nodes/${name}`);
    expect(node.owner).toBe(projects.find((p) => p.name === project)!.id);
    expect(node.driver_info).toEqual({ B1: "one", B2: "two" });
  });

  test("a port that fails leaves the node enrolled and says so", async ({ page, request }) => {
    await login(page);
    const dialog = await openEnroll(page);
    await dialog.getByLabel("Hardware type").selectOption("fake-hardware");
    await dialog.getByLabel("B1").fill("x");
    await dialog.getByLabel("B2").fill("y");
    const name = `enroll-portfail-${run}`;
    await dialog.getByLabel("Name", { exact: true }).fill(name);
    // mac(1) belongs to the first test's node already: the port is refused (409).
    await dialog.getByLabel("Port MAC addresses").fill(`${mac(2)} ${mac(1)}`);
    await dialog.getByRole("button", { name: "Enroll", exact: true }).click();
    const warning = dialog.getByTestId("enroll-port-error");
    await expect(warning).toContainText(`Node ${name} was enrolled`);
    await expect(warning).toContainText(mac(1));
    await expect(warning).not.toContainText(mac(2));
    const a = adminApi(request);
    const node = await a.get<{ uuid: string }>(`/nodes/${name}`);
    const ports = await a.get<{ ports: { address: string }[] }>(`/nodes/${node.uuid}/ports`);
    expect(ports.ports.map((p) => p.address)).toEqual([mac(2)]);
    // Fixing the address and trying again adds only the missing port (no second node).
    await dialog.getByLabel("Port MAC addresses").fill(`${mac(2)} ${mac(3)}`);
    await dialog.getByRole("button", { name: "Add the failed ports again" }).click();
    await expect(page).toHaveURL(new RegExp(`/nodes/${node.uuid}$`));
    const after = await a.get<{ ports: { address: string }[] }>(`/nodes/${node.uuid}/ports`);
    expect(after.ports.map((p) => p.address).sort()).toEqual([mac(2), mac(3)].sort());
  });

  for (const theme of ["light", "dark"] as const) {
    test(`the enroll dialog passes axe (${theme} theme)`, async ({ page }) => {
      await login(page);
      await setTheme(page, theme);
      const dialog = await openEnroll(page);
      await expect(page.locator("html")).toHaveClass(theme === "dark" ? /dark/ : /^(?!.*dark).*$/);
      await dialog.getByLabel("Hardware type").selectOption("ipmi");
      await expect(dialog.getByLabel("ipmi_address")).toBeVisible();
      await dialog.getByRole("button", { name: "Enroll", exact: true }).click(); // show the field errors too
      await expect(dialog.getByText("ipmi_address is required by the ipmi hardware type.")).toBeVisible();
      expect(describeViolations(await axeViolations(page, undefined, "[role=dialog]"))).toBe("");
    });
  }

  test("Hardware tab: empty until the node is inspected, then CPU, memory, disks and NICs", async ({ page, request }) => {
    const a = adminApi(request);
    const node = await a.post<{ uuid: string }>("/nodes", { driver: "fake-hardware", name: `enroll-inv-${run}`, driver_info: { fake_inventory: {} } }, 201);
    await manage(request, [node.uuid]);
    await login(page);
    await page.goto(`/nodes/${node.uuid}?tab=hardware`);
    await expect(page.getByTestId("inventory-empty")).toContainText("Inspect the node");
    await page.getByTestId("node-actions").getByRole("button", { name: "Inspect", exact: true }).click();
    await waitForState(request, node.uuid, "manageable");
    const inv = await a.get<{ inventory: { cpu: { model_name: string }; interfaces: { mac_address: string }[]; bmc_address: string; system_vendor: { manufacturer: string } } }>(`/nodes/${node.uuid}/inventory`);
    const view = page.getByTestId("inventory");
    await expect(view).toBeVisible();
    await expect(view).toContainText(inv.inventory.cpu.model_name);
    await expect(view).toContainText(inv.inventory.system_vendor.manufacturer);
    await expect(view).toContainText(inv.inventory.bmc_address);
    await expect(page.getByTestId("inventory-nic")).toHaveCount(inv.inventory.interfaces.length);
    for (const nic of inv.inventory.interfaces) await expect(view).toContainText(nic.mac_address);
    for (const theme of ["light", "dark"] as const) {
      await setTheme(page, theme);
      await page.goto(`/nodes/${node.uuid}?tab=hardware`);
      await expect(page.locator("html")).toHaveClass(theme === "dark" ? /dark/ : /^(?!.*dark).*$/);
      await expect(page.getByTestId("inventory")).toBeVisible();
      expect(describeViolations(await axeViolations(page, undefined, "main")), `Hardware tab, ${theme}`).toBe("");
      await page.getByRole("tab", { name: "Overview" }).click();
      await expect(page.getByTestId("validate-table")).toBeVisible();
      expect(describeViolations(await axeViolations(page, undefined, "#validation")), `validation panel, ${theme}`).toBe("");
    }
  });

  test("the validation panel runs again when driver_info changes", async ({ page, request }) => {
    const a = adminApi(request);
    const node = await a.post<{ uuid: string }>("/nodes", {
      driver: "ipmi", name: `enroll-val-${run}`, driver_info: { ipmi_address: "127.0.0.1", ipmi_port: "99999" },
    }, 201);
    ipmiNodes.push(node.uuid);
    await login(page);
    await page.goto(`/nodes/${node.uuid}`);
    await expect(page.getByTestId("validate-power")).toHaveAttribute("data-status", "invalid");
    await expect(page.getByTestId("validate-power-reason")).toHaveText('ipmi_port "99999" is not a valid port.');
    await expect(page.getByTestId("validate-power-hint")).toContainText("Manage");
    // Fixed with the page's driver_info editor: the panel validates again.
    const card = page.locator("section").filter({ has: page.getByRole("heading", { name: "Driver info" }) });
    await card.getByRole("button", { name: "Edit" }).click();
    await card.getByLabel("Value of ipmi_port").fill("6230");
    await card.getByRole("button", { name: "Save" }).click();
    await expect(card.getByTestId("driver-info-view")).toContainText("6230");
    await expect(page.getByTestId("validate-power")).toHaveAttribute("data-status", "valid");
    await expect(page.getByTestId("validate-power-reason")).toHaveText("");
    // A change made elsewhere (the API) reaches the page live, and the panel validates again too.
    await a.patch(`/nodes/${node.uuid}`, [{ op: "replace", path: "/driver_info/ipmi_port", value: "0" }]);
    await expect(page.getByTestId("validate-power")).toHaveAttribute("data-status", "invalid");
    await expect(page.getByTestId("validate-power-reason")).toHaveText('ipmi_port "0" is not a valid port.');
  });
});

test.describe("ipmi nodes against a real BMC (pyghmi)", () => {
  const unavailable = fakeBmcUnavailable();
  test.skip(!!unavailable, unavailable ?? "");
  const bmc = new FakeBmc({ power: "on" });
  test.beforeAll(async () => {
    await bmc.start();
  });
  test.afterAll(async () => {
    await bmc.stop();
  });

  async function enrollIpmi(page: Page, name: string, password: string) {
    const dialog = await openEnroll(page);
    await dialog.getByLabel("Hardware type").selectOption("ipmi");
    await dialog.getByLabel("ipmi_address").fill("127.0.0.1");
    await dialog.getByLabel("ipmi_port").fill(String(bmc.port));
    await dialog.getByLabel("ipmi_username").fill(bmc.user);
    const pw = dialog.getByLabel("ipmi_password");
    await expect(pw).toHaveAttribute("type", "password");
    await pw.fill(password);
    await dialog.getByLabel("ipmi_timeout").fill("3");
    await dialog.getByLabel("ipmi_retries").fill("0");
    await dialog.getByLabel("Name", { exact: true }).fill(name);
    // The site's PXE boots the machine (ipmi's default, ipxe, needs a deploy kernel and a real agent).
    await dialog.getByText("Interfaces (optional").click();
    await dialog.getByLabel("boot interface").selectOption("external-pxe");
    await dialog.getByRole("button", { name: "Enroll", exact: true }).click();
    await expect(page.getByTestId("node-name")).toHaveText(name);
    ipmiNodes.push((await page.getByTestId("node-uuid").textContent())!.trim());
  }

  test("enroll, validate, read the power state from the BMC, then manage → provide → deploy", async ({ page, request }) => {
    test.setTimeout(120_000);
    await login(page);
    const name = `enroll-ipmi-${run}`;
    await enrollIpmi(page, name, bmc.password);
    // The password never comes back: the API and the page show the mask.
    const info = page.getByTestId("driver-info-view");
    await expect(info).toContainText("ipmi_password");
    await expect(info).toContainText("******");
    await expect(info).not.toContainText(bmc.password);
    // Validation: power and management (ipmitool) are valid; the power state is not known yet.
    await expect(page.getByTestId("validate-power")).toHaveAttribute("data-status", "valid");
    await expect(page.getByTestId("validate-management")).toHaveAttribute("data-status", "valid");
    await expect(page.getByTestId("validate-power")).toContainText("ipmitool");
    await expect(page.getByTestId("validate-bios")).toHaveAttribute("data-status", "disabled");
    await expect(page.getByTestId("validate-summary")).toHaveText(/^Every interface in use is valid/);

    // Manage: verification reads the power state from the BMC (which is on).
    const actions = page.getByTestId("node-actions");
    await actions.getByRole("button", { name: "Manage", exact: true }).click();
    await expect(headerState(page)).toHaveText("manageable", { timeout: 30_000 });
    await expect(page.getByTestId("node-badges").getByText("on", { exact: true })).toBeVisible();
    const a = adminApi(request);
    const uuid = (await page.getByTestId("node-uuid").textContent())!.trim();
    expect((await a.get<{ power_state: string }>(`/nodes/${uuid}`)).power_state).toBe("power on");

    // Power off from the page reaches the BMC.
    await actions.getByRole("button", { name: "Power off", exact: true }).click();
    await expect.poll(() => bmc.events.some((e) => e.event === "power" && e.state === "off"), { timeout: 30_000 }).toBe(true);
    await expect(page.getByTestId("node-badges").getByText("off", { exact: true })).toBeVisible({ timeout: 30_000 });

    await actions.getByRole("button", { name: "Provide", exact: true }).click();
    await expect(headerState(page)).toHaveText("available", { timeout: 60_000 });

    await actions.getByRole("button", { name: "Deploy…", exact: true }).click();
    const deploy = page.getByRole("dialog", { name: "Deploy" });
    await deploy.getByLabel("Image source").fill("http://127.0.0.1/images/e2e.qcow2");
    await deploy.getByRole("button", { name: "Deploy", exact: true }).click();
    await expect(headerState(page)).toHaveText("active", { timeout: 60_000 });
    // The ramdisk deploy set PXE boot and powered the machine on through the BMC.
    await expect(page.getByTestId("node-badges").getByText("on", { exact: true })).toBeVisible();
    expect(bmc.events.some((e) => e.event === "power" && e.state === "on")).toBe(true);
    expect(bmc.events.some((e) => e.event === "bootdev" && /pxe|network/i.test(String(e.device)))).toBe(true);
  });

  test("a wrong password: validation passes (it does not talk to the BMC), manage shows the BMC's readable error", async ({ page }) => {
    test.setTimeout(90_000);
    await login(page);
    await enrollIpmi(page, `enroll-ipmi-badpw-${run}`, "not-the-password");
    await expect(page.getByTestId("validate-power")).toHaveAttribute("data-status", "valid");
    await page.getByTestId("node-actions").getByRole("button", { name: "Manage", exact: true }).click();
    await expect(page.getByTestId("last-error")).toContainText(/IPMI authentication failed for 127\.0\.0\.1:\d+: check ipmi_username \/ ipmi_password/, { timeout: 30_000 });
    await expect(headerState(page)).toHaveText("enroll");
    await expect(page.getByTestId("last-error")).not.toContainText("not-the-password");
  });
});
