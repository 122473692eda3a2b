// The `ingot` command line: migrate, seed, serve, conductor, users, projects and API tokens.
// A way in like the API and the dashboard: commands call the services of lib/core/services (and
// lib/core/startup.ts), which reach the process database; no SQL here. The operator on the box
// holds the database itself, so the CLI acts as the system and checks no policy (like the
// server creating the first administrator).
import { config as loadDotenv } from "dotenv";

const HELP = `ingot — bare-metal provisioning (OpenStack Ironic Bare Metal API v1)

Usage:
  ingot migrate                         apply database migrations to DATABASE_URL (service may be stopped)
  ingot seed [--nodes N] [--seed S]     add N demo nodes (default 200): sim nodes (simulated servers), or
                                        fake-hardware ones when sim is not in INGOT_ENABLED_HARDWARE_TYPES
  ingot serve                           run the server (HOST, PORT; NODE_ENV=production after a build);
                                        INGOT_ROLE=all|api|conductor picks what this process runs (default all)
  ingot conductor                       run a conductor only (INGOT_ROLE=conductor): workers, periodic tasks,
                                        the RPC listener (INGOT_RPC_HOST, INGOT_RPC_PORT) and /api/health on PORT
  ingot user create <name> [--password P] [--system-role admin|member|reader]
                           [--project X --role admin|member|reader] [--email E]
                                        create a user (a random password is printed when none is given)
  ingot user list                       list users with their roles
  ingot user memberships <name>         list a user's projects and roles
  ingot user set-role <name> admin|member|reader|none
                                        set or clear a user's system role
  ingot user disable <name>             block a user's logins and API access (tokens included)
  ingot user enable <name>              allow them again
  ingot user passwd <name> [--password P]
                                        set a user's password (a random one is printed when none is given;
                                        \`user password\` is the same)
  ingot user delete <name>              delete a user with their memberships and tokens
  ingot project create <name> [--description D]
                                        create a project
  ingot project list                    list projects with member and node counts
  ingot project show <project>          a project's id, description, members and nodes
  ingot project delete <project>        delete a project (refused while nodes name it owner or lessee)
  ingot project add-user <project> <user> [--role admin|member|reader]
                                        make a user a member (default role member; again = change the role)
  ingot project remove-user <project> <user>
                                        end a membership
  ingot token create <user> [--project X] [--expires-days N] [--name NAME]
                                        create an API token (printed once; use as X-Auth-Token)
  ingot token list [<user>]             list tokens (never the secret)
  ingot token revoke <token-id>         revoke a token
  ingot --help                          this help

Environment: DATABASE_URL (default file:./data/ingot.db), see README.md for the rest.`;

class UsageError extends Error {}

interface Parsed {
  positional: string[];
  flags: Map<string, string | true>;
}

const VALUE_FLAGS = new Set(["nodes", "seed", "password", "system-role", "project", "role", "email", "expires-days", "name", "prefix", "description"]);
const BOOL_FLAGS = new Set(["help", "h"]);

function parseArgs(argv: string[]): Parsed {
  const positional: string[] = [];
  const flags = new Map<string, string | true>();
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    if (a === "--") {
      positional.push(...argv.slice(i + 1));
      break;
    }
    if (a.startsWith("-") && a !== "-") {
      const m = /^--?([^=]+)(?:=(.*))?$/.exec(a)!;
      const name = m[1];
      if (BOOL_FLAGS.has(name)) {
        flags.set(name, true);
        continue;
      }
      if (!VALUE_FLAGS.has(name)) throw new UsageError(`unknown option ${a}`);
      const value = m[2] ?? argv[++i];
      if (value === undefined) throw new UsageError(`option --${name} needs a value`);
      flags.set(name, value);
    } else positional.push(a);
  }
  return { positional, flags };
}

function str(p: Parsed, name: string): string | undefined {
  const v = p.flags.get(name);
  return typeof v === "string" ? v : undefined;
}

function int(p: Parsed, name: string, dflt?: number): number | undefined {
  const v = str(p, name);
  if (v === undefined) return dflt;
  if (!/^\d+$/.test(v)) throw new UsageError(`--${name} must be a whole number, got ${JSON.stringify(v)}`);
  return Number(v);
}

function expectArgs(p: Parsed, n: number, usage: string): void {
  if (p.positional.length !== n) throw new UsageError(`usage: ingot ${usage}`);
}

/** Runs `fn` with the process database at DATABASE_URL (which must be migrated), closing it afterwards. */
async function withDb<T>(fn: () => Promise<T>): Promise<T> {
  const { databaseUrl } = await import("../db/url.ts");
  const { openProcessDatabase, closeProcessDatabase } = await import("../core/database.ts");
  const { hasIngotTables } = await import("../core/startup.ts");
  await openProcessDatabase(databaseUrl());
  try {
    if (!(await hasIngotTables())) throw new UsageError("the database has no Ingot tables yet; run `ingot migrate` first");
    return await fn();
  } finally {
    await closeProcessDatabase();
  }
}

async function cmdMigrate(): Promise<void> {
  const { databaseUrl } = await import("../db/url.ts");
  const { migrate } = await import("../db/migrate.ts");
  const { ROOT } = await import("../server/root.ts");
  const url = databaseUrl();
  const r = await migrate(url, ROOT);
  const where = url.replace(/\/\/([^:@/]+):[^@/]*@/, "//$1:***@");
  if (r.applied.length) for (const m of r.applied) console.log(`applied ${m}`);
  console.log(`database ${where}: ${r.applied.length} migration(s) applied, ${r.alreadyApplied} already up to date`);
}

async function cmdSeed(p: Parsed): Promise<void> {
  const n = int(p, "nodes", 200)!;
  await withDb(async () => {
    const { seedDemoFleet } = await import("../core/startup.ts");
    const r = await seedDemoFleet(n, { seed: int(p, "seed"), prefix: str(p, "prefix") });
    console.log(`created ${r.nodes} ${r.driver} node${r.nodes === 1 ? "" : "s"} (${r.first ?? "-"} … ${r.last ?? "-"}), ${r.ports} ports, ${r.history} history events in ${r.ms} ms`);
  });
}

async function cmdUser(p: Parsed): Promise<void> {
  const sub = p.positional[1];
  const users = await import("../core/services/users.ts");
  if (sub === "create") {
    expectArgs(p, 3, "user create <name> [--password P] [--system-role R] [--project X --role R]");
    const name = p.positional[2];
    const systemRole = str(p, "system-role");
    if (systemRole !== undefined && !users.isRole(systemRole)) throw new UsageError("--system-role must be admin, member or reader");
    const project = str(p, "project");
    const role = str(p, "role") ?? (project ? "member" : undefined);
    if (role !== undefined && !project) throw new UsageError("--role needs --project");
    if (role !== undefined && !users.isRole(role)) throw new UsageError("--role must be admin, member or reader");
    const given = str(p, "password");
    const password = given ?? users.randomPassword();
    await withDb(async () => {
      const newUser = { username: name, password, systemRole: (systemRole as never) ?? null, email: str(p, "email") ?? null };
      const { user, project: proj } = project
        ? await users.createUserInProjectNamed(newUser, { ident: project, role: role as never })
        : { user: await users.createUserIn(newUser, null), project: null };
      let where = user.systemRole ? `system role ${user.systemRole}` : "no system role";
      if (proj) where += `; ${role} of project ${proj.name} (${proj.id})`;
      console.log(`created user ${user.username} (${where})`);
      if (!given) console.log(`password: ${password}`);
    });
    return;
  }
  if (sub === "list") {
    await withDb(async () => {
      const list = await users.allUsers();
      const rows = [["USER", "SYSTEM ROLE", "PROJECTS", "STATUS"]];
      for (const u of list) {
        const ms = await users.userMemberships(u.id);
        rows.push([u.username, u.systemRole ?? "-", ms.map((m) => `${m.projectName}:${m.role}`).join(", ") || "-", u.disabled ? "disabled" : "enabled"]);
      }
      printTable(rows);
    });
    return;
  }
  if (sub === "password" || sub === "passwd") {
    expectArgs(p, 3, "user passwd <name> [--password P]");
    await withDb(async () => {
      const user = await requireUserNamed(p.positional[2]);
      const given = str(p, "password");
      const password = given ?? users.randomPassword();
      await users.setPassword(user.id, password);
      console.log(`password of ${user.username} changed`);
      if (!given) console.log(`password: ${password}`);
    });
    return;
  }
  if (sub === "memberships") {
    expectArgs(p, 3, "user memberships <name>");
    await withDb(async () => {
      const user = await requireUserNamed(p.positional[2]);
      const rows = [["PROJECT", "ID", "ROLE"]];
      for (const m of await users.userMemberships(user.id)) rows.push([m.projectName, m.projectId, m.role]);
      console.log(`${user.username}: system role ${user.systemRole ?? "none"}${user.disabled ? " (disabled)" : ""}`);
      if (rows.length > 1) printTable(rows);
      else console.log("no project memberships");
    });
    return;
  }
  if (sub === "set-role") {
    expectArgs(p, 4, "user set-role <name> admin|member|reader|none");
    const role = p.positional[3];
    if (role !== "none" && !users.isRole(role)) throw new UsageError("the role must be admin, member, reader or none");
    await withDb(async () => {
      const user = await requireUserNamed(p.positional[2]);
      await users.setSystemRole(user.id, role === "none" ? null : role);
      console.log(role === "none" ? `${user.username} has no system role now` : `${user.username} is system ${role} now`);
    });
    return;
  }
  if (sub === "disable" || sub === "enable") {
    expectArgs(p, 3, `user ${sub} <name>`);
    await withDb(async () => {
      const user = await requireUserNamed(p.positional[2]);
      await users.setDisabled(user.id, sub === "disable");
      console.log(`user ${user.username} ${sub}d`);
    });
    return;
  }
  if (sub === "delete") {
    expectArgs(p, 3, "user delete <name>");
    await withDb(async () => {
      const user = await requireUserNamed(p.positional[2]);
      await users.deleteUser(user.id);
      console.log(`user ${user.username} deleted`);
    });
    return;
  }
  throw new UsageError("usage: ingot user create|list|memberships|set-role|disable|enable|passwd|delete … (see ingot --help)");
}

async function requireUserNamed(name: string) {
  const { userNamed } = await import("../core/services/users.ts");
  const user = await userNamed(name);
  if (!user) throw new UsageError(`no user ${name}`);
  return user;
}

async function cmdProject(p: Parsed): Promise<void> {
  const sub = p.positional[1];
  const users = await import("../core/services/users.ts");
  if (sub === "create") {
    expectArgs(p, 3, "project create <name> [--description D]");
    await withDb(async () => {
      const project = await users.createProject(p.positional[2], str(p, "description") ?? null);
      console.log(`created project ${project.name} (${project.id})`);
    });
    return;
  }
  if (sub === "list") {
    expectArgs(p, 2, "project list");
    await withDb(async () => {
      const rows = [["NAME", "ID", "MEMBERS", "OWNS", "LEASES", "DESCRIPTION"]];
      for (const x of await users.allProjects()) {
        const members = await users.projectMembers(x.id);
        const nodes = await users.projectNodeCounts(x.id);
        rows.push([x.name, x.id, String(members.length), String(nodes.owned), String(nodes.leased), x.description ?? ""]);
      }
      printTable(rows);
    });
    return;
  }
  if (sub === "show") {
    expectArgs(p, 3, "project show <project>");
    await withDb(async () => {
      const x = await users.requireProject(p.positional[2]);
      const nodes = await users.projectNodeCounts(x.id);
      console.log(`name:         ${x.name}\nid:           ${x.id}\ndescription:  ${x.description ?? "-"}\nnodes:        owns ${nodes.owned}, leases ${nodes.leased}`);
      const members = await users.projectMembers(x.id);
      if (!members.length) console.log("members:      none");
      else {
        console.log("members:");
        printTable([["  USER", "ROLE", "STATUS"], ...members.map((m) => [`  ${m.username}`, m.role, m.disabled ? "disabled" : "enabled"])]);
      }
    });
    return;
  }
  if (sub === "delete") {
    expectArgs(p, 3, "project delete <project>");
    await withDb(async () => {
      const x = await users.requireProject(p.positional[2]);
      await users.deleteProject(x.id);
      console.log(`project ${x.name} deleted`);
    });
    return;
  }
  if (sub === "add-user") {
    expectArgs(p, 4, "project add-user <project> <user> [--role admin|member|reader]");
    const role = str(p, "role") ?? "member";
    if (!users.isRole(role)) throw new UsageError("--role must be admin, member or reader");
    await withDb(async () => {
      const x = await users.requireProject(p.positional[2]);
      const user = await requireUserNamed(p.positional[3]);
      const before = (await users.userMemberships(user.id)).find((m) => m.projectId === x.id);
      await users.addMembership(user.id, x.id, role);
      console.log(before ? `${user.username}: ${before.role} → ${role} of project ${x.name}` : `${user.username} is now ${role} of project ${x.name}`);
    });
    return;
  }
  if (sub === "remove-user") {
    expectArgs(p, 4, "project remove-user <project> <user>");
    await withDb(async () => {
      const x = await users.requireProject(p.positional[2]);
      const user = await requireUserNamed(p.positional[3]);
      await users.removeMembership(user.id, x.id);
      console.log(`${user.username} removed from project ${x.name}`);
    });
    return;
  }
  throw new UsageError("usage: ingot project create|list|show|delete|add-user|remove-user … (see ingot --help)");
}

async function cmdToken(p: Parsed): Promise<void> {
  const sub = p.positional[1];
  const users = await import("../core/services/users.ts");
  if (sub === "create") {
    expectArgs(p, 3, "token create <user> [--project X] [--expires-days N] [--name NAME]");
    await withDb(async () => {
      const user = await requireUserNamed(p.positional[2]);
      let projectId: string | null = null;
      const project = str(p, "project");
      if (project) {
        const proj = await users.projectNamed(project);
        if (!proj) throw new UsageError(`no project ${project}`);
        projectId = proj.id;
      }
      const days = int(p, "expires-days");
      if (days === 0) throw new UsageError("--expires-days must be at least 1");
      const { token, record } = await users.createToken({ userId: user.id, projectId, name: str(p, "name") ?? "cli", expiresDays: days ?? null });
      const scope = projectId ? `project ${project}` : user.systemRole ? `system (${user.systemRole})` : "the user's first project";
      console.error(`token ${record.id} for ${user.username}, scope ${scope}, ${record.expiresAt ? `expires ${record.expiresAt.toISOString()}` : "never expires"}`);
      console.error("This is the only time the token is shown:");
      console.log(token);
    });
    return;
  }
  if (sub === "list") {
    await withDb(async () => {
      let userId: string | undefined;
      if (p.positional[2]) {
        userId = (await requireUserNamed(p.positional[2])).id;
      }
      const names = new Map((await users.allUsers()).map((u) => [u.id, u.username]));
      const projects = new Map((await users.allProjects()).map((x) => [x.id, x.name]));
      const rows = [["ID", "USER", "NAME", "PROJECT", "EXPIRES", "STATUS", "LAST USED"]];
      for (const t of await (userId ? users.userTokens(userId) : users.allTokens())) {
        const status = t.revokedAt ? "revoked" : t.expiresAt && t.expiresAt.getTime() < Date.now() ? "expired" : "active";
        rows.push([t.id, names.get(t.userId) ?? t.userId, t.name, t.projectId ? projects.get(t.projectId) ?? t.projectId : "-",
          t.expiresAt?.toISOString() ?? "never", status, t.lastUsedAt?.toISOString() ?? "-"]);
      }
      printTable(rows);
    });
    return;
  }
  if (sub === "revoke") {
    expectArgs(p, 3, "token revoke <token-id>");
    await withDb(async () => {
      if (!(await users.revokeAnyToken(p.positional[2]))) throw new UsageError(`no active token ${p.positional[2]}`);
      console.log(`token ${p.positional[2]} revoked`);
    });
    return;
  }
  throw new UsageError("usage: ingot token create|list|revoke …");
}

function printTable(rows: string[][]): void {
  const widths = rows[0].map((_, i) => Math.max(...rows.map((r) => r[i].length)));
  for (const r of rows) console.log(r.map((c, i) => c.padEnd(widths[i])).join("  ").trimEnd());
}

export async function main(argv: string[]): Promise<number> {
  loadDotenv({ quiet: true });
  let p: Parsed;
  try {
    p = parseArgs(argv);
  } catch (err) {
    console.error(`ingot: ${(err as Error).message}\n\n${HELP}`);
    return 2;
  }
  const cmd = p.positional[0];
  if (!cmd || p.flags.has("help") || p.flags.has("h") || cmd === "help") {
    console.log(HELP);
    return cmd || p.flags.size ? 0 : 2;
  }
  try {
    switch (cmd) {
      case "migrate":
        expectArgs(p, 1, "migrate");
        await cmdMigrate();
        return 0;
      case "seed":
        expectArgs(p, 1, "seed [--nodes N]");
        await cmdSeed(p);
        return 0;
      case "serve": {
        expectArgs(p, 1, "serve");
        const { serveForever } = await import("../server/server.ts");
        await serveForever();
        return -1; // keeps running
      }
      case "conductor": {
        // Workers only: the conductor, its RPC listener and /api/health (no dashboard, no API).
        expectArgs(p, 1, "conductor");
        const { serveForever } = await import("../server/server.ts");
        await serveForever({ role: "conductor" });
        return -1;
      }
      case "user":
        await cmdUser(p);
        return 0;
      case "token":
        await cmdToken(p);
        return 0;
      case "project":
        await cmdProject(p);
        return 0;
      default:
        throw new UsageError(`unknown command ${JSON.stringify(cmd)} (see ingot --help)`);
    }
  } catch (err) {
    if (err instanceof UsageError) {
      console.error(`ingot: ${err.message}`);
      return 2;
    }
    const { UserError } = await import("../core/services/users.ts");
    if (err instanceof UserError) {
      console.error(`ingot: ${err.message}`);
      return 1;
    }
    console.error(`ingot: ${(err as Error).message ?? err}`);
    if (process.env.INGOT_DEBUG) console.error(err);
    return 1;
  }
}

const code = await main(process.argv.slice(2));
if (code >= 0) process.exit(code);
