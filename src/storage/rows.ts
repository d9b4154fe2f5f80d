/** Row → domain mappers: the only place that knows column names on the way out. */
import type { Instance } from '../domain/instance/instance.ts';
import type { User } from '../domain/account/user.ts';
import type { Session } from '../domain/session/session.ts';

export const instanceColumns = ['instances.id', 'instances.slug', 'instances.name', 'instances.plan', 'instances.created_at'] as const;

export function toInstance(row: { id: string; slug: string; name: string; plan: Instance['plan']; created_at: Date }): Instance {
  return { id: row.id, slug: row.slug, name: row.name, plan: row.plan, createdAt: row.created_at };
}

export const userColumns = [
  'users.id',
  'users.instance_id',
  'users.email',
  'users.name',
  'users.role',
  'users.status',
  'users.two_factor_enabled',
  'users.password_changed_at',
  'users.created_at',
] as const;

export interface UserColumns {
  id: string;
  instance_id: string;
  email: string;
  name: string;
  role: User['role'];
  status: User['status'];
  two_factor_enabled: boolean;
  password_changed_at: Date | null;
  created_at: Date;
}

export function toUser(row: UserColumns): User {
  return {
    id: row.id,
    instanceId: row.instance_id,
    email: row.email,
    name: row.name,
    role: row.role,
    status: row.status,
    twoFactorEnabled: row.two_factor_enabled,
    passwordChangedAt: row.password_changed_at,
    createdAt: row.created_at,
  };
}

export function toSession(row: {
  id: string;
  instance_id: string;
  user_id: string;
  stage: Session['stage'];
  created_at: Date;
  last_seen_at: Date;
  expires_at: Date;
}): Session {
  return {
    id: row.id,
    instanceId: row.instance_id,
    userId: row.user_id,
    stage: row.stage,
    createdAt: row.created_at,
    lastSeenAt: row.last_seen_at,
    expiresAt: row.expires_at,
  };
}
