// Settings shared by playwright.config.ts and the specs.
export const E2E_PORT = Number(process.env.E2E_PORT ?? 3300);
export const E2E_ADMIN_PASSWORD = "e2e-admin-Pa55word";
export const E2E_DEMO_NODES = 75;
export const E2E_DATA_DIR = "data/e2e";
export const E2E_DATABASE_URL = `file:./${E2E_DATA_DIR}/ingot.db`;
