import type { RouteDef } from "../router.ts";

export const routes: RouteDef[] = [];
