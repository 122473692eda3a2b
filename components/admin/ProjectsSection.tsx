"use client";
// /admin, projects and memberships: create, delete (confirmed; refused while nodes name the
// project), add a user with a role, change a member's role, remove a member.
import { useState } from "react";
import type { AdminProjectRow, AdminUserRow } from "@/lib/web/admin.ts";
import { createProjectAction, deleteProjectAction, removeMembershipAction, setMembershipAction } from "@/lib/web/admin-actions.ts";
import { Card, Mono } from "../Card.tsx";
import { Badge } from "../StateBadge.tsx";
import { Banner, Button, Field, Select, TextInput } from "../ui.tsx";
import { ConfirmDialog, NAME_HINT, NAME_RE, PROJECT_ROLES, RoleSelect, useAction } from "./common.tsx";

type Role = "admin" | "member" | "reader";

function CreateProject() {
  const [name, setName] = useState("");
  const [description, setDescription] = useState("");
  const [nameError, setNameError] = useState<string | null>(null);
  const [created, setCreated] = useState<string | null>(null);
  const { run, pending, error } = useAction(createProjectAction);
  const submit = (ev: React.FormEvent) => {
    ev.preventDefault();
    const n = name.trim();
    const problem = !n ? "Enter a project name." : NAME_RE.test(n) ? null : NAME_HINT;
    setNameError(problem);
    if (problem) return;
    setCreated(null);
    run({ name: n, description: description.trim() || null }, (v) => {
      setCreated(v.name);
      setName("");
      setDescription("");
    }, (msg) => {
      if (/project name|already exists/.test(msg)) setNameError(msg);
    });
  };
  return (
    <Card title="New project">
      <form onSubmit={submit} noValidate aria-label="New project" className="grid gap-4 p-4 sm:grid-cols-[1fr_2fr_auto] sm:items-start">
        <Field label="Project name" error={nameError}>
          {(ids) => <TextInput {...ids} name="project-name" autoComplete="off" value={name} onChange={(e) => { setName(e.target.value); setNameError(null); }} />}
        </Field>
        <Field label="Description (optional)">
          {(ids) => <TextInput {...ids} name="project-description" maxLength={255} value={description} onChange={(e) => setDescription(e.target.value)} />}
        </Field>
        <div className="sm:pt-6">
          <Button type="submit" variant="primary" disabled={pending}>{pending ? "Creating…" : "Create project"}</Button>
        </div>
        {error && !nameError && <p role="alert" className="text-sm text-rose-600 dark:text-rose-400 sm:col-span-3">{error}</p>}
        {created && <Banner tone="success" className="sm:col-span-3">Project <strong>{created}</strong> created. Give nodes to it by setting their owner or lessee to its id.</Banner>}
      </form>
    </Card>
  );
}

function MemberRow({ project, member, onError }: { project: AdminProjectRow; member: AdminProjectRow["members"][number]; onError: (m: string | null) => void }) {
  const change = useAction(setMembershipAction);
  const remove = useAction(removeMembershipAction);
  const [confirm, setConfirm] = useState(false);
  return (
    <tr data-testid={`member-${project.name}-${member.username}`}>
      <td className="px-4 py-1.5">
        {member.username} {member.disabled && <Badge tone="red">disabled</Badge>}
      </td>
      <td className="px-4 py-1.5">
        <label className="sr-only" htmlFor={`mrole-${project.id}-${member.userId}`}>Role of {member.username} in {project.name}</label>
        <RoleSelect
          id={`mrole-${project.id}-${member.userId}`}
          className="w-32"
          saved={member.role}
          options={PROJECT_ROLES}
          pending={change.pending}
          onSave={(v, revert) => change.run({ projectId: project.id, userId: member.userId, role: v }, () => onError(null), (m) => { revert(); onError(m); })}
        />
      </td>
      <td className="px-4 py-1.5 text-right">
        <Button size="sm" variant="ghost" onClick={() => setConfirm(true)}>Remove</Button>
        <ConfirmDialog
          open={confirm}
          title={`Remove ${member.username} from ${project.name}?`}
          confirmLabel="Remove"
          pending={remove.pending}
          error={remove.error}
          onClose={() => setConfirm(false)}
          onConfirm={() => remove.run({ projectId: project.id, userId: member.userId }, () => setConfirm(false))}
        >
          <p>They lose access to the project&apos;s nodes at once, and their tokens for this project stop working.</p>
        </ConfirmDialog>
      </td>
    </tr>
  );
}

function AddMember({ project, users, onError }: { project: AdminProjectRow; users: AdminUserRow[]; onError: (m: string | null) => void }) {
  const candidates = users.filter((u) => !project.members.some((m) => m.userId === u.id));
  const [userId, setUserId] = useState("");
  const [role, setRole] = useState<Role>("member");
  const [userError, setUserError] = useState<string | null>(null);
  const { run, pending } = useAction(setMembershipAction);
  if (!candidates.length) return <p className="px-4 py-3 text-xs text-slate-500 dark:text-slate-400">Every user is a member.</p>;
  const submit = (ev: React.FormEvent) => {
    ev.preventDefault();
    if (!userId) return setUserError("Choose a user.");
    setUserError(null);
    run({ projectId: project.id, userId, role }, () => {
      setUserId("");
      onError(null);
    }, onError);
  };
  return (
    <form onSubmit={submit} noValidate aria-label={`Add a member to ${project.name}`} className="flex flex-wrap items-start gap-3 px-4 py-3">
      <Field label="Add user" error={userError} className="w-56">
        {(ids) => (
          <Select {...ids} value={userId} onChange={(e) => { setUserId(e.target.value); setUserError(null); }}>
            <option value="">Choose a user…</option>
            {candidates.map((u) => <option key={u.id} value={u.id}>{u.username}</option>)}
          </Select>
        )}
      </Field>
      <Field label="Role" className="w-36">
        {(ids) => (
          <Select {...ids} value={role} onChange={(e) => setRole(e.target.value as Role)}>
            <option value="reader">Reader</option>
            <option value="member">Member</option>
            <option value="admin">Admin</option>
          </Select>
        )}
      </Field>
      <div className="pt-6">
        <Button type="submit" disabled={pending}>{pending ? "Adding…" : "Add member"}</Button>
      </div>
    </form>
  );
}

function ProjectCard({ project, users }: { project: AdminProjectRow; users: AdminUserRow[] }) {
  const [confirm, setConfirm] = useState(false);
  const [error, setError] = useState<string | null>(null);
  const remove = useAction(deleteProjectAction);
  const inUse = project.owned + project.leased > 0
    ? `It owns ${project.owned} and leases ${project.leased} node(s); give them another owner or lessee first.`
    : null;
  return (
    <Card
      id={`project-${project.name}`}
      title={<span>{project.name} <span className="ml-2 font-normal text-slate-500 dark:text-slate-400"><Mono>{project.id}</Mono></span></span>}
      actions={<Button size="sm" variant="danger" disabledReason={inUse} onClick={() => setConfirm(true)}>Delete project</Button>}
    >
      <div data-testid={`project-${project.name}`}>
        <div className="flex flex-wrap gap-x-6 gap-y-1 px-4 pt-3 text-sm text-slate-600 dark:text-slate-300">
          {project.description && <span>{project.description}</span>}
          <span>Owns {project.owned} node{project.owned === 1 ? "" : "s"}, leases {project.leased}</span>
        </div>
        {error && <Banner tone="error" className="mx-4 mt-3">{error}</Banner>}
        {project.members.length ? (
          <table className="mt-2 min-w-full text-sm">
            <caption className="sr-only">Members of {project.name}</caption>
            <thead className="text-left text-xs uppercase tracking-wide text-slate-500 dark:text-slate-400">
              <tr>
                <th scope="col" className="px-4 py-1.5 font-medium">Member</th>
                <th scope="col" className="px-4 py-1.5 font-medium">Role</th>
                <th scope="col" className="px-4 py-1.5"><span className="sr-only">Actions</span></th>
              </tr>
            </thead>
            <tbody className="divide-y divide-slate-100 dark:divide-slate-800">
              {project.members.map((m) => <MemberRow key={m.userId} project={project} member={m} onError={setError} />)}
            </tbody>
          </table>
        ) : (
          <p className="px-4 pt-3 text-sm text-slate-500 dark:text-slate-400">No members yet.</p>
        )}
        <AddMember project={project} users={users} onError={setError} />
      </div>
      <ConfirmDialog
        open={confirm}
        title={`Delete project ${project.name}?`}
        confirmLabel="Delete project"
        pending={remove.pending}
        error={remove.error}
        onClose={() => setConfirm(false)}
        onConfirm={() => remove.run({ projectId: project.id }, () => setConfirm(false))}
      >
        <p>
          Its {project.members.length} membership{project.members.length === 1 ? "" : "s"} end and API tokens scoped to it are revoked.
          This cannot be undone.
        </p>
      </ConfirmDialog>
    </Card>
  );
}

export function ProjectsSection({ projects, users }: { projects: AdminProjectRow[]; users: AdminUserRow[] }) {
  return (
    <section aria-labelledby="projects-heading" className="space-y-4">
      <h2 id="projects-heading" className="text-lg font-semibold tracking-tight">Projects and members</h2>
      <CreateProject />
      {projects.length === 0 && <p className="text-sm text-slate-500 dark:text-slate-400">No projects yet.</p>}
      <div className="grid gap-4 xl:grid-cols-2">
        {projects.map((p) => <ProjectCard key={p.id} project={p} users={users} />)}
      </div>
    </section>
  );
}
