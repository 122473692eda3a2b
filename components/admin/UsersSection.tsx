"use client";
// /admin, users: create (with a chosen or a generated password, shown once), system role,
// disable/enable, password reset, delete.
import { useState } from "react";
import type { AdminProjectRow, AdminUserRow } from "@/lib/web/admin.ts";
import {
  createUserAction, deleteUserAction, resetPasswordAction, setDisabledAction, setSystemRoleAction,
} from "@/lib/web/admin-actions.ts";
import { Card } from "../Card.tsx";
import { Badge } from "../StateBadge.tsx";
import { Banner, Button, Dialog, Field, Select, TextInput } from "../ui.tsx";
import { ConfirmDialog, NAME_HINT, NAME_RE, ROLE_LABEL, RoleSelect, SecretValue, SYSTEM_ROLES, useAction } from "./common.tsx";

type RoleOrNone = "none" | "admin" | "member" | "reader";

interface NewUserForm {
  username: string;
  email: string;
  password: string;
  systemRole: RoleOrNone;
  projectId: string;
  projectRole: "admin" | "member" | "reader";
}

const EMPTY: NewUserForm = { username: "", email: "", password: "", systemRole: "none", projectId: "", projectRole: "member" };

function validate(f: NewUserForm): Partial<Record<keyof NewUserForm, string>> {
  const e: Partial<Record<keyof NewUserForm, string>> = {};
  if (!f.username.trim()) e.username = "Enter a user name.";
  else if (!NAME_RE.test(f.username.trim())) e.username = NAME_HINT;
  if (f.email.trim() && !/^[^\s@]+@[^\s@]+$/.test(f.email.trim())) e.email = "Enter an e-mail address like name@example.org, or leave it empty.";
  if (f.password && f.password.length < 8) e.password = "At least 8 characters, or leave it empty to generate one.";
  return e;
}

/** Puts a server refusal next to the field it is about. */
function fieldOf(message: string): keyof NewUserForm | null {
  if (/user name|user .* already exists/.test(message)) return "username";
  if (/password/.test(message)) return "password";
  if (/e-mail/.test(message)) return "email";
  return null;
}

function CreateUser({ projects }: { projects: AdminProjectRow[] }) {
  const [form, setForm] = useState<NewUserForm>(EMPTY);
  const [errors, setErrors] = useState<Partial<Record<keyof NewUserForm, string>>>({});
  const [created, setCreated] = useState<{ username: string; password: string | null } | null>(null);
  const { run, pending, error } = useAction(createUserAction);
  const set = <K extends keyof NewUserForm>(k: K, v: NewUserForm[K]) => {
    setForm((f) => ({ ...f, [k]: v }));
    if (errors[k]) setErrors((e) => ({ ...e, [k]: undefined }));
  };
  const submit = (ev: React.FormEvent) => {
    ev.preventDefault();
    const problems = validate(form);
    setErrors(problems);
    if (Object.values(problems).some(Boolean)) return;
    setCreated(null);
    run(
      {
        username: form.username.trim(), email: form.email.trim() || null, password: form.password || null, systemRole: form.systemRole,
        projectId: form.projectId || null, projectRole: form.projectRole,
      },
      (v) => {
        setCreated({ username: v.username, password: v.password });
        setForm(EMPTY);
      },
      (msg) => {
        const f = fieldOf(msg);
        if (f) setErrors((e) => ({ ...e, [f]: msg }));
      },
    );
  };
  const generalError = error && !fieldOf(error) ? error : null;
  return (
    <Card title="New user">
      <form onSubmit={submit} noValidate className="grid gap-4 p-4 sm:grid-cols-2 lg:grid-cols-3" aria-label="New user">
        <Field label="User name" error={errors.username}>
          {(ids) => <TextInput {...ids} name="username" autoComplete="off" value={form.username} onChange={(e) => set("username", e.target.value)} />}
        </Field>
        <Field label="E-mail (optional)" error={errors.email}>
          {(ids) => <TextInput {...ids} name="email" type="email" autoComplete="off" value={form.email} onChange={(e) => set("email", e.target.value)} />}
        </Field>
        <Field label="Initial password" hint="Leave empty to generate one; it is shown once." error={errors.password}>
          {(ids) => <TextInput {...ids} name="new-password" type="password" autoComplete="new-password" value={form.password} onChange={(e) => set("password", e.target.value)} />}
        </Field>
        <Field label="System role" hint="System roles see and act on the whole fleet.">
          {(ids) => (
            <Select {...ids} value={form.systemRole} onChange={(e) => set("systemRole", e.target.value as RoleOrNone)}>
              <option value="none">None (project access only)</option>
              <option value="reader">Reader</option>
              <option value="member">Member</option>
              <option value="admin">Admin</option>
            </Select>
          )}
        </Field>
        <Field label="Project (optional)">
          {(ids) => (
            <Select {...ids} value={form.projectId} onChange={(e) => set("projectId", e.target.value)}>
              <option value="">No project</option>
              {projects.map((p) => <option key={p.id} value={p.id}>{p.name}</option>)}
            </Select>
          )}
        </Field>
        <Field label="Project role">
          {(ids) => (
            <Select {...ids} value={form.projectRole} disabled={!form.projectId} onChange={(e) => set("projectRole", e.target.value as NewUserForm["projectRole"])}>
              <option value="reader">Reader</option>
              <option value="member">Member</option>
              <option value="admin">Admin</option>
            </Select>
          )}
        </Field>
        <div className="flex items-center gap-3 sm:col-span-2 lg:col-span-3">
          <Button type="submit" variant="primary" disabled={pending}>{pending ? "Creating…" : "Create user"}</Button>
          {generalError && <p role="alert" className="text-sm text-rose-600 dark:text-rose-400">{generalError}</p>}
        </div>
      </form>
      {created && (
        <div className="border-t border-slate-200 p-4 dark:border-slate-800">
          <Banner tone="success" data-testid="user-created">
            <p>User <strong>{created.username}</strong> created.{created.password ? " Their password is shown only now — pass it on safely:" : ""}</p>
            {created.password && <div className="mt-2 max-w-md"><SecretValue value={created.password} label="Generated password" testId="generated-password" /></div>}
          </Banner>
        </div>
      )}
    </Card>
  );
}

function ResetPassword({ user, onClose }: { user: AdminUserRow; onClose: () => void }) {
  const [password, setPassword] = useState("");
  const [fieldError, setFieldError] = useState<string | null>(null);
  const [result, setResult] = useState<{ password: string | null } | null>(null);
  const { run, pending, error } = useAction(resetPasswordAction);
  const submit = (ev: React.FormEvent) => {
    ev.preventDefault();
    if (password && password.length < 8) return setFieldError("At least 8 characters, or leave it empty to generate one.");
    setFieldError(null);
    run({ userId: user.id, password: password || null }, (v) => setResult({ password: v.password }));
  };
  return (
    <Dialog open title={`Reset the password of ${user.username}`} onClose={onClose}>
      {result ? (
        <div className="space-y-3 text-sm">
          <Banner tone="success">
            {result.password ? "New password — shown only now:" : "The password was changed."}
          </Banner>
          {result.password && <SecretValue value={result.password} label="New password" testId="reset-password" />}
          <div className="flex justify-end"><Button onClick={onClose}>Done</Button></div>
        </div>
      ) : (
        <form onSubmit={submit} className="space-y-4" noValidate>
          <Field label="New password" hint="Leave empty to generate one. API tokens stay valid; sessions end at their expiry." error={fieldError ?? error}>
            {(ids) => <TextInput {...ids} type="password" autoComplete="new-password" value={password} onChange={(e) => setPassword(e.target.value)} />}
          </Field>
          <div className="flex justify-end gap-2">
            <Button onClick={onClose}>Cancel</Button>
            <Button type="submit" variant="primary" disabled={pending}>{pending ? "Saving…" : password ? "Set password" : "Generate password"}</Button>
          </div>
        </form>
      )}
    </Dialog>
  );
}

function UserRow({ user, selfId, onError }: { user: AdminUserRow; selfId: string; onError: (m: string | null) => void }) {
  const self = user.id === selfId;
  const role = useAction(setSystemRoleAction);
  const disable = useAction(setDisabledAction);
  const remove = useAction(deleteUserAction);
  const [dialog, setDialog] = useState<"reset" | "delete" | null>(null);
  const selfReason = self ? "This is your own account." : null;
  return (
    <tr data-testid={`user-row-${user.username}`} className="align-top">
      <td className="px-4 py-2">
        <div className="font-medium">{user.username}</div>
        {user.email && <div className="text-xs text-slate-500 dark:text-slate-400">{user.email}</div>}
      </td>
      <td className="px-4 py-2">
        {self ? (
          // Not editable: an admin demoting themselves here would lock themselves out mid-page.
          <span title={selfReason ?? undefined}>{user.systemRole ? ROLE_LABEL[user.systemRole] : "None"} <span className="text-xs text-slate-500 dark:text-slate-400">(you)</span></span>
        ) : (
          <>
            <label className="sr-only" htmlFor={`role-${user.id}`}>System role of {user.username}</label>
            <RoleSelect
              id={`role-${user.id}`}
              saved={user.systemRole ?? "none"}
              options={SYSTEM_ROLES}
              pending={role.pending}
              className="w-36"
              onSave={(v, revert) => role.run({ userId: user.id, role: v }, () => onError(null), (m) => { revert(); onError(m); })}
            />
          </>
        )}
      </td>
      <td className="px-4 py-2 text-sm">
        {user.memberships.length ? (
          <ul className="space-y-0.5">
            {user.memberships.map((m) => <li key={m.projectId}>{m.projectName} <span className="text-slate-500 dark:text-slate-400">· {ROLE_LABEL[m.role]}</span></li>)}
          </ul>
        ) : <span className="text-slate-500 dark:text-slate-400">—</span>}
      </td>
      <td className="px-4 py-2">
        {user.disabled ? <Badge tone="red">disabled</Badge> : <Badge tone="green">enabled</Badge>}
      </td>
      <td className="px-4 py-2">
        <div className="flex flex-wrap justify-end gap-1.5">
          <Button
            size="sm"
            disabledReason={user.disabled ? null : selfReason}
            disabled={disable.pending}
            onClick={() => disable.run({ userId: user.id, disabled: !user.disabled }, () => onError(null), onError)}
          >
            {user.disabled ? "Enable" : "Disable"}
          </Button>
          <Button size="sm" onClick={() => setDialog("reset")}>Reset password</Button>
          <Button size="sm" variant="danger" disabledReason={selfReason} onClick={() => setDialog("delete")}>Delete</Button>
        </div>
        {dialog === "reset" && <ResetPassword user={user} onClose={() => setDialog(null)} />}
        <ConfirmDialog
          open={dialog === "delete"}
          title={`Delete user ${user.username}?`}
          confirmLabel="Delete user"
          pending={remove.pending}
          error={remove.error}
          onClose={() => setDialog(null)}
          onConfirm={() => remove.run({ userId: user.id }, () => setDialog(null))}
        >
          <p>Their project memberships and API tokens are deleted too. Node history keeps their name. This cannot be undone.</p>
        </ConfirmDialog>
      </td>
    </tr>
  );
}

export function UsersSection({ users, projects, selfId }: { users: AdminUserRow[]; projects: AdminProjectRow[]; selfId: string }) {
  const [rowError, setRowError] = useState<string | null>(null);
  return (
    <section aria-labelledby="users-heading" className="space-y-4">
      <h2 id="users-heading" className="text-lg font-semibold tracking-tight">Users</h2>
      <CreateUser projects={projects} />
      {rowError && <Banner tone="error" data-testid="users-error">{rowError}</Banner>}
      <Card>
        <div className="overflow-x-auto">
          <table className="min-w-full text-sm" data-testid="users-table">
            <thead className="text-left text-xs uppercase tracking-wide text-slate-500 dark:text-slate-400">
              <tr>
                <th scope="col" className="px-4 py-2 font-medium">User</th>
                <th scope="col" className="px-4 py-2 font-medium">System role</th>
                <th scope="col" className="px-4 py-2 font-medium">Projects</th>
                <th scope="col" className="px-4 py-2 font-medium">Status</th>
                <th scope="col" className="px-4 py-2 text-right font-medium">Actions</th>
              </tr>
            </thead>
            <tbody className="divide-y divide-slate-100 dark:divide-slate-800">
              {users.map((u) => <UserRow key={u.id} user={u} selfId={selfId} onError={setRowError} />)}
            </tbody>
          </table>
        </div>
      </Card>
    </section>
  );
}
