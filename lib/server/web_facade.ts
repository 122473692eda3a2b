// The dashboard's one way into the core. The server creates this facade when it starts and
// installs it for Next (lib/web/core.ts); app/ and lib/web call these functions through webCore()
// and import only types from lib/core, lib/api and lib/server, so Next's bundle carries no copy of
// the core and every page, server action and route handler shares the server's database
// connection, caches and conductor. It holds exactly what the dashboard uses; add a service here
// when a page needs one.
import { check } from "../api/schema.ts";
import { Forbidden, Invalid, IronicError, NotFound } from "../core/errors.ts";
import { nodeIfVisible, visibleNode } from "../core/services/access.ts";
import { passwordUser, sessionCaller } from "../core/services/callers.ts";
import { consoleLog, consoleLogBytes, consoleState, setConsoleState } from "../core/services/console.ts";
import { jobIfVisible } from "../core/services/jobs.ts";
import { membershipView } from "../core/services/projects.ts";
import { runbookIfVisible } from "../core/services/runbooks.ts";
import {
  addMembership, allProjects, allUsers, createProject, createToken, createUserIn, deleteProject, deleteUser, projectMembers,
  projectNamed, projectNodeCounts, randomPassword, removeMembership, resetPassword, revokeToken, setDisabled, setPassword,
  setSystemRole, userMemberships, userTokens, userWithId, UserError,
} from "../core/services/users.ts";
import { ensureAuthSecret } from "./paths.ts";

export function createWebFacade() {
  return {
    /** Auth.js's secret (the environment's, else data/auth-secret). */
    authSecret: ensureAuthSecret,
    /** Who is looking: the session's user (and chosen project), the login form's check. */
    callers: { sessionCaller, passwordUser },
    /** The header's scope switcher. */
    projects: { membershipView },
    /** /admin (users, projects, memberships) and /account/tokens (the viewer's own tokens). */
    accounts: {
      allUsers, allProjects, userWithId, projectNamed, userMemberships, projectMembers, projectNodeCounts,
      createUserIn, randomPassword, setSystemRole, setDisabled, setPassword, resetPassword, deleteUser,
      createProject, deleteProject, addMembership, removeMembership,
      userTokens, createToken, revokeToken,
    },
    nodes: { visibleNode, nodeIfVisible },
    /** The node page's console panel and the console log download. */
    consoles: { consoleState, setConsoleState, consoleLog, consoleLogBytes },
    jobs: { jobIfVisible },
    runbooks: { runbookIfVisible },
    /** Server-action input, checked with the API's schema checker and wording. */
    checkInput: check,
    /**
     * The core's error classes. The dashboard tells them apart with these (its own bundle has no
     * copy of lib/core/errors.ts, and a copy's classes would not match what the core throws).
     */
    errors: { IronicError, Invalid, NotFound, Forbidden, UserError },
  };
}

export type WebFacade = ReturnType<typeof createWebFacade>;
