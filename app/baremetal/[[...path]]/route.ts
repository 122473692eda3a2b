// The Bare Metal API through Next, so plain `next dev` serves it too. The Ingot server
// (lib/server) answers /baremetal itself, before Next, and never reaches this file.
import { handleBaremetal } from "@/lib/api/handler.ts";
import { registerCredentialResolver } from "@/lib/core/users.ts";

export const dynamic = "force-dynamic";

registerCredentialResolver();

function handle(request: Request): Promise<Response> {
  return handleBaremetal(request);
}

export { handle as GET, handle as POST, handle as PUT, handle as PATCH, handle as DELETE, handle as HEAD };
