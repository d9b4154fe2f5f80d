/**
 * The CLI's write operations as data, so the same code runs in the CLI process (it opens the
 * database itself) or inside a running server (over the control socket, see control-socket.ts).
 */
import type { Deps } from '../domain/shared/deps.ts';
import { createInstance, type CreateInstanceInput } from '../domain/instance/create-instance.ts';
import { createUser, type CreateUserInput } from '../domain/account/create-user.ts';
import { importUsers, type ImportRow } from '../domain/account/import-users.ts';
import { createOperator, disableOperator, listOperators, resetOperatorTwoFactor } from '../domain/support/create-operator.ts';
import { listInstances } from '../domain/instance/list-instances.ts';
import { changePlan } from '../domain/instance/change-plan.ts';
import { resetFromCli } from '../domain/recovery/reset-two-factor.ts';
import type { AuditActor } from '../domain/audit/audit-event.ts';
import { cliOperator } from './cli-operator.ts';
import { listUsersFromCli, setUserStatusFromCli } from '../domain/admin/cli-users.ts';
import type { UserListQuery } from '../domain/admin/list-users.ts';
import type { UserStatus } from '../domain/account/user.ts';
import { getInstanceBySlug } from '../domain/account/find-instance.ts';
import { createOidcClient } from '../domain/oidc/manage-oidc-clients.ts';
import { rotateSigningKeys } from '../domain/oidc/signing-keys.ts';
import type { OidcClientInput } from '../domain/oidc/oidc-client.ts';
import { createProtectedApp, deleteProtectedApp, listProtectedApps } from '../domain/forward-auth/manage-protected-apps.ts';
import { rotateSecretKey } from '../domain/maintenance/rotate-key.ts';
import type { ProtectedAppInput } from '../domain/forward-auth/protected-app.ts';
import { exportAuditEvents, type AuditExportInput } from '../domain/audit/export-audit.ts';

export type Operation =
  | { op: 'instance.create'; input: CreateInstanceInput }
  | { op: 'user.create'; input: CreateUserInput }
  | { op: 'user.import'; input: { instanceSlug: string; rows: ImportRow[] } }
  | { op: 'user.list'; input: { instanceSlug: string; query: UserListQuery } }
  | { op: 'user.set-status'; input: { instanceSlug: string; email: string; status: UserStatus } }
  | { op: 'operator.create'; input: { email: string; name?: string; password: string } }
  | { op: 'operator.reset-two-factor'; input: { email: string; operator: string } }
  | { op: 'two-factor.reset'; input: { instance: string; email: string; verification: unknown; operator: string } }
  | { op: 'oidc.client.create'; input: { instanceSlug: string; client: OidcClientInput } }
  | { op: 'oidc.rotate-keys'; input: { instanceSlug: string } }
  | { op: 'protected-app.create'; input: { instanceSlug: string; app: ProtectedAppInput } }
  | { op: 'protected-app.list'; input: { instanceSlug: string } }
  | { op: 'protected-app.delete'; input: { instanceSlug: string; id: string } }
  | { op: 'instance.list'; input: Record<string, never> }
  | { op: 'instance.set-plan'; input: { instanceSlug: string; plan: string } }
  | { op: 'operator.list'; input: Record<string, never> }
  | { op: 'operator.disable'; input: { email: string; operator: string } }
  | { op: 'secret-key.rotate'; input: Record<string, never> }
  | { op: 'audit.export'; input: AuditExportInput & { pageSize?: number } };

/**
 * Where an operation that streams (the audit export) writes its text; resolves when the text was
 * taken (the file or socket drained), so the next page is read only then.
 */
export type OutputSink = (text: string) => Promise<void>;

const noOutput: OutputSink = async () => {
  throw new Error('This operation writes output, and none was given.');
};

/** Who ran the command, for the audit log (inside a server too: only the data directory's owner can reach its socket). */
const cliActor = (): AuditActor => ({ type: 'cli', id: null, label: `CLI: ${cliOperator()}` });

export async function runOperation(
  deps: Deps,
  operation: Operation,
  onProgress: (done: number) => void = () => {},
  output: OutputSink = noOutput,
): Promise<unknown> {
  switch (operation.op) {
    case 'instance.create': {
      const { instance, admin } = await createInstance(deps, operation.input, undefined, cliActor());
      return {
        id: instance.id,
        slug: instance.slug,
        name: instance.name,
        plan: instance.plan,
        admin: { id: admin.id, email: admin.email, name: admin.name, role: admin.role },
      };
    }
    case 'user.create': {
      const user = await createUser(deps, operation.input, cliActor());
      return { id: user.id, email: user.email, name: user.name, role: user.role, status: user.status };
    }
    case 'user.list':
      return listUsersFromCli(deps, operation.input.instanceSlug, operation.input.query);
    case 'user.set-status':
      return setUserStatusFromCli(deps, operation.input, cliActor());
    case 'user.import':
      return importUsers(deps, operation.input.instanceSlug, operation.input.rows, onProgress);
    case 'operator.create': {
      const operator = await createOperator(deps, operation.input);
      return { id: operator.id, email: operator.email, name: operator.name };
    }
    case 'operator.reset-two-factor': {
      const operator = await resetOperatorTwoFactor(deps, operation.input);
      return { id: operator.id, email: operator.email, name: operator.name, twoFactor: 'set up again at the next login' };
    }
    case 'oidc.client.create': {
      const instance = await getInstanceBySlug(deps, operation.input.instanceSlug);
      const by = { instanceId: instance.id, actor: cliActor(), client: { ip: null, userAgent: null } };
      const { client, clientSecret } = await createOidcClient(deps, by, operation.input.client);
      return { ...client, clientSecret };
    }
    case 'oidc.rotate-keys': {
      const instance = await getInstanceBySlug(deps, operation.input.instanceSlug);
      return { instance: instance.slug, ...(await rotateSigningKeys(deps, instance.id)) };
    }
    case 'protected-app.create': {
      const instance = await getInstanceBySlug(deps, operation.input.instanceSlug);
      return createProtectedApp(
        deps,
        { instanceId: instance.id, actor: cliActor(), client: { ip: null, userAgent: null } },
        operation.input.app,
      );
    }
    case 'protected-app.list': {
      const instance = await getInstanceBySlug(deps, operation.input.instanceSlug);
      return { apps: await listProtectedApps(deps, instance.id) };
    }
    case 'protected-app.delete': {
      const instance = await getInstanceBySlug(deps, operation.input.instanceSlug);
      const by = { instanceId: instance.id, actor: cliActor(), client: { ip: null, userAgent: null } };
      await deleteProtectedApp(deps, by, operation.input.id);
      return { deleted: operation.input.id };
    }
    case 'instance.list':
      return listInstances(deps);
    case 'instance.set-plan': {
      const by = { actor: cliActor(), client: { ip: null, userAgent: 'keyward CLI' } };
      const { instance, before, after } = await changePlan(deps, operation.input.instanceSlug, operation.input.plan, by);
      return { slug: instance.slug, name: instance.name, plan: instance.plan, changed: { before, after } };
    }
    case 'operator.list':
      return listOperators(deps);
    case 'operator.disable':
      return disableOperator(deps, operation.input);
    case 'audit.export': {
      const { pageSize, ...input } = operation.input;
      return exportAuditEvents(deps, input, output, pageSize);
    }
    case 'secret-key.rotate':
      return rotateSecretKey(deps, cliActor());
    case 'two-factor.reset': {
      const user = await resetFromCli(deps, operation.input);
      return { id: user.id, email: user.email, name: user.name, role: user.role, twoFactor: 'reset' };
    }
  }
}
