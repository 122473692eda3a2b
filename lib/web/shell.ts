// What the page frame (components/AppShell.tsx) shows of the signed-in viewer, read on the server
// and handed to it as a prop: the component decides the navigation with the shared policy, but
// never reads the database itself.
import type { MembershipRecord } from "../core/users.ts";
import type { Principal, Role } from "../shared/policy.ts";
import { webCore } from "./core.ts";
import type { Viewer } from "./session.ts";

export interface ShellViewer {
  username: string;
  /** The user's own system role (the scope switcher offers it), whatever they act as now. */
  userSystemRole: Role | null;
  /** Who they act as now. */
  principal: Principal;
  /** The name of the project they act in (its id when it has none; null in system scope). */
  projectName: string | null;
  /** Their projects and roles, for the scope switcher. */
  memberships: MembershipRecord[];
}

export async function shellViewer(viewer: Viewer): Promise<ShellViewer> {
  const p = viewer.principal;
  const { memberships, projectName } = await webCore().projects.membershipView(viewer.user.id, p);
  return { username: viewer.user.username, userSystemRole: viewer.user.systemRole, principal: p, projectName, memberships };
}
