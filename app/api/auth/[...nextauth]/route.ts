import { handlers } from "@/lib/web/auth.ts";

export const { GET, POST } = handlers;
