// End-to-end tests against the production server (run `next build` first; `npm test` does).
// The server gets its own throwaway database and data directory under data/e2e.
import { defineConfig } from "@playwright/test";
import { CHROMIUM_LAUNCH_OPTIONS } from "./lib/testing/browser.ts";
import { E2E_ADMIN_PASSWORD, E2E_DATA_DIR as dataDir, E2E_DATABASE_URL, E2E_DEMO_NODES, E2E_PORT } from "./e2e/env.ts";

export default defineConfig({
  testDir: "e2e",
  workers: 1,
  fullyParallel: false,
  forbidOnly: !!process.env.CI,
  retries: 0,
  timeout: 30_000,
  // A page change can take several seconds when the machine is busy (CI shares 2 cores with the server).
  expect: { timeout: 10_000 },
  reporter: process.env.CI ? [["list"]] : [["list"]],
  outputDir: "test-results",
  use: {
    baseURL: `http://127.0.0.1:${E2E_PORT}`,
    browserName: "chromium",
    trace: "retain-on-failure",
    screenshot: "only-on-failure",
    launchOptions: CHROMIUM_LAUNCH_OPTIONS,
  },
  webServer: {
    command: `rm -rf ${dataDir} && mkdir -p ${dataDir} && exec node --enable-source-maps .next/ingot/server.mjs`,
    url: `http://127.0.0.1:${E2E_PORT}/api/health`,
    reuseExistingServer: !process.env.CI,
    timeout: 120_000,
    stdout: "pipe",
    stderr: "pipe",
    env: {
      NODE_ENV: "production",
      NEXT_TELEMETRY_DISABLED: "1",
      HOST: "127.0.0.1",
      PORT: String(E2E_PORT),
      DATABASE_URL: E2E_DATABASE_URL,
      INGOT_DATA_DIR: dataDir,
      INGOT_AUTO_MIGRATE: "1",
      INGOT_DEMO: "1",
      INGOT_DEMO_NODES: String(E2E_DEMO_NODES),
      // The demo fleet is sim nodes; fast machines so a deploy shows its boot output in seconds.
      // ipmi: e2e/enroll.spec.ts enrolls nodes against a pyghmi fake BMC on 127.0.0.1.
      // redfish: e2e/deploy_image.spec.ts has a direct-deploy node on the test Redfish service.
      INGOT_ENABLED_HARDWARE_TYPES: "fake-hardware,sim,ipmi,redfish",
      INGOT_SIM_SPEED: "0.05",
      INGOT_ADMIN_PASSWORD: E2E_ADMIN_PASSWORD,
      AUTH_SECRET: "e2e-only-secret-e2e-only-secret-0123456789",
    },
  },
});
