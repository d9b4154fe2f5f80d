/**
 * The support console (SPEC rule 9): find an instance, list its users with their role and 2FA
 * shield, and reset an administrator's 2FA after verifying who they are. Members are reset by
 * their own instance's administrators, so they have no action here.
 */
import { useCallback, useEffect, useId, useRef, useState, type FormEvent } from 'react';
import { supportApi, type SupportInstance, type SupportUser, type SupportUserPage } from '../api.ts';
import { Alert, Notice, TextField } from '../components/field.tsx';
import { Page } from '../components/page.tsx';
import { TwoFactorShield } from '../components/shield.tsx';
import { errorText } from '../errors.ts';
import { Link, useNotice } from '../router.ts';
import { StepUpCancelled } from '../step-up.tsx';
import { isSessionGone, SUPPORT_PATH } from './support-login.tsx';
import { SupportResetDialog } from './support-reset-dialog.tsx';

const SEARCH_DELAY_MS = 250;
const USERS_PAGE_SIZE = 25;
const ROLE_LABEL: Record<string, string> = { admin: 'Administrator', member: 'Member' };

interface Props {
  slug: string | null;
  onSessionEnded(): void;
}

export function SupportConsole({ slug, onSessionEnded }: Props) {
  const notice = useNotice();
  return (
    <Page title="Support console">
      {notice ? <Notice tone="success">{notice}</Notice> : null}
      <InstanceSearch selected={slug} onSessionEnded={onSessionEnded} />
      {slug ? <InstanceUsers key={slug} slug={slug} onSessionEnded={onSessionEnded} /> : null}
    </Page>
  );
}

type Found = { status: 'loading' } | { status: 'ready'; instances: SupportInstance[] } | { status: 'failed'; message: string };

function capitalize(text: string): string {
  return text.charAt(0).toUpperCase() + text.slice(1);
}

/** Instances whose slug or name starts with what is typed (at most 20), each a link to its users. */
function InstanceSearch({ selected, onSessionEnded }: { selected: string | null; onSessionEnded(): void }) {
  const headingId = useId();
  const [typed, setTyped] = useState('');
  const [found, setFound] = useState<Found>({ status: 'loading' });
  const latest = useRef(0);

  const search = useCallback(
    async (q: string) => {
      const request = ++latest.current;
      try {
        const { instances } = await supportApi.instances(q.trim());
        if (request === latest.current) setFound({ status: 'ready', instances });
      } catch (failure) {
        if (isSessionGone(failure)) return onSessionEnded();
        if (request === latest.current) setFound({ status: 'failed', message: errorText(failure, 'Searching the instances failed.') });
      }
    },
    [onSessionEnded],
  );

  useEffect(() => {
    const timer = setTimeout(() => void search(typed), typed ? SEARCH_DELAY_MS : 0);
    return () => clearTimeout(timer);
  }, [typed, search]);

  const submit = (event: FormEvent) => {
    event.preventDefault();
    void search(typed);
  };

  return (
    <section aria-labelledby={headingId} className="card support-instances">
      <h2 id={headingId}>Instances</h2>
      <form role="search" aria-label="Instances" onSubmit={submit}>
        <TextField
          id="support-instance-search"
          label="Find an instance"
          type="search"
          autoComplete="off"
          spellCheck={false}
          hint="The start of its short name (as in its login page) or of its name."
          value={typed}
          onChange={(event) => setTyped(event.target.value)}
        />
      </form>
      {found.status === 'loading' ? <p role="status">Searching…</p> : null}
      {found.status === 'failed' ? <Alert>{found.message}</Alert> : null}
      {found.status === 'ready' ? (
        <>
          <p role="status" className="visually-hidden">
            {found.instances.length === 0 ? 'No instance matches.' : `${found.instances.length === 1 ? '1 instance' : `${found.instances.length} instances`} found.`}
          </p>
          {found.instances.length === 0 ? (
            <p className="empty-state">No instance matches.</p>
          ) : (
            <ul className="instance-list" aria-label="Matching instances">
              {found.instances.map((instance) => (
                <li key={instance.slug}>
                  <Link
                    to={`${SUPPORT_PATH}?instance=${encodeURIComponent(instance.slug)}`}
                    className="instance-link"
                    aria-current={instance.slug === selected ? 'page' : undefined}
                  >
                    <span className="instance-link-name">{instance.name}</span>{' '}
                    <span className="instance-link-meta">
                      {instance.slug} · {capitalize(instance.plan)}
                    </span>
                  </Link>
                </li>
              ))}
            </ul>
          )}
        </>
      ) : null}
    </section>
  );
}

type Users =
  | { status: 'loading' }
  | { status: 'ready'; page: SupportUserPage; loadingMore: boolean }
  | { status: 'failed'; message: string };

function InstanceUsers({ slug, onSessionEnded }: { slug: string; onSessionEnded(): void }) {
  const headingId = useId();
  const [typed, setTyped] = useState('');
  const [q, setQ] = useState('');
  const [users, setUsers] = useState<Users>({ status: 'loading' });
  const [resetting, setResetting] = useState<SupportUser | null>(null);
  const [notice, setNotice] = useState<string | null>(null);
  const [error, setError] = useState<string | null>(null);
  const latest = useRef(0);

  const load = useCallback(
    async (query: string) => {
      const request = ++latest.current;
      try {
        const page = await supportApi.users(slug, { q: query.trim(), limit: USERS_PAGE_SIZE });
        if (request === latest.current) setUsers({ status: 'ready', page, loadingMore: false });
      } catch (failure) {
        if (isSessionGone(failure)) return onSessionEnded();
        if (request === latest.current) setUsers({ status: 'failed', message: errorText(failure, 'Loading the users failed.') });
      }
    },
    [slug, onSessionEnded],
  );

  useEffect(() => {
    void load(q);
  }, [q, load]);

  useEffect(() => {
    if (typed === q) return;
    const timer = setTimeout(() => setQ(typed), SEARCH_DELAY_MS);
    return () => clearTimeout(timer);
  }, [typed, q]);

  const loadMore = async () => {
    if (users.status !== 'ready' || !users.page.nextCursor) return;
    const request = latest.current;
    setUsers({ ...users, loadingMore: true });
    try {
      const next = await supportApi.users(slug, { q: q.trim(), limit: USERS_PAGE_SIZE, cursor: users.page.nextCursor });
      if (request !== latest.current) return;
      setUsers({ status: 'ready', page: { ...next, users: [...users.page.users, ...next.users] }, loadingMore: false });
    } catch (failure) {
      if (isSessionGone(failure)) return onSessionEnded();
      setUsers({ ...users, loadingMore: false });
      setError(errorText(failure, 'Loading more users failed.'));
    }
  };

  const open = (user: SupportUser) => {
    setNotice(null);
    setError(null);
    setResetting(user);
  };

  const done = async (user: SupportUser, reference: string) => {
    setResetting(null);
    await load(q);
    const instance = users.status === 'ready' ? users.page.instance.name : slug;
    setNotice(
      `Two-factor authentication for ${user.name} was reset. They set up an authenticator app at their next login. They and the other administrators of ${instance} were emailed, with the reference ${reference}.`,
    );
  };

  const failed = (failure: unknown) => {
    if (failure instanceof StepUpCancelled) return;
    if (isSessionGone(failure)) return onSessionEnded();
  };

  const submit = (event: FormEvent) => {
    event.preventDefault();
    setQ(typed);
  };

  const instance = users.status === 'ready' ? users.page.instance : null;
  return (
    <section aria-labelledby={headingId} className="card support-users">
      <h2 id={headingId}>
        {instance ? `Users of ${instance.name}` : 'Users'}
      </h2>
      {instance ? (
        <p className="muted">
          Instance <code>{instance.slug}</code>, {capitalize(instance.plan)} plan. Only administrators can be reset here: members
          ask an administrator of their instance, who resets them in Settings → Users.
        </p>
      ) : null}
      <form className="filter-bar" role="search" aria-label="Users" onSubmit={submit}>
        <TextField
          id="support-user-search"
          label="Search users"
          type="search"
          autoComplete="off"
          spellCheck={false}
          hint="Names and emails that start with what you type."
          value={typed}
          onChange={(event) => setTyped(event.target.value)}
        />
      </form>
      {notice ? <Notice tone="success">{notice}</Notice> : null}
      {error ? <Alert>{error}</Alert> : null}
      {users.status === 'loading' ? <p role="status">Loading…</p> : null}
      {users.status === 'failed' ? <Alert>{users.message}</Alert> : null}
      {users.status === 'ready' ? (
        <>
          <p role="status" className="muted">
            {users.page.users.length === 0
              ? 'No users match.'
              : `Showing ${users.page.users.length === 1 ? '1 user' : `${users.page.users.length} users`}${users.page.nextCursor ? '; more to load' : ''}.`}
          </p>
          {users.page.users.length > 0 ? <SupportUserTable instanceName={users.page.instance.name} users={users.page.users} onReset={open} /> : null}
          {users.page.nextCursor ? (
            <div className="button-row">
              <button type="button" className="button button-secondary" disabled={users.loadingMore} onClick={() => void loadMore()}>
                Load more users
              </button>
            </div>
          ) : null}
        </>
      ) : null}
      {resetting ? (
        <SupportResetDialog
          slug={slug}
          instanceName={instance?.name ?? slug}
          user={resetting}
          onCancel={() => setResetting(null)}
          onReset={(reference) => void done(resetting, reference)}
          onFailed={failed}
        />
      ) : null}
    </section>
  );
}

function SupportUserTable({ instanceName, users, onReset }: { instanceName: string; users: SupportUser[]; onReset(user: SupportUser): void }) {
  return (
    // Focusable: on a phone the table scrolls sideways, and keyboards must reach it too.
    <div className="table-scroll" role="region" aria-label={`Users of ${instanceName}`} tabIndex={0}>
      <table className="table users-table support-users-table">
        <caption className="visually-hidden">Users of {instanceName}</caption>
        <thead>
          <tr>
            <th scope="col">User</th>
            <th scope="col">Role</th>
            <th scope="col">2FA</th>
            <th scope="col">
              <span className="visually-hidden">Actions</span>
            </th>
          </tr>
        </thead>
        <tbody>
          {users.map((user) => (
            <tr key={user.id} className={user.status === 'disabled' ? 'row-disabled' : undefined}>
              <th scope="row">
                {user.name}
                {user.status === 'disabled' ? <span className="badge badge-muted">Disabled</span> : null}
                <span className="user-email-line">{user.email}</span>
              </th>
              <td>{ROLE_LABEL[user.role] ?? user.role}</td>
              <td className="users-shield">
                <TwoFactorShield status={user.twoFactor.status} />
              </td>
              <td className="table-action">
                <UserAction user={user} onReset={onReset} />
              </td>
            </tr>
          ))}
        </tbody>
      </table>
    </div>
  );
}

function UserAction({ user, onReset }: { user: SupportUser; onReset(user: SupportUser): void }) {
  if (user.role !== 'admin') return <span className="muted action-note">Reset by their administrators</span>;
  if (!user.twoFactor.associated && !user.twoFactor.enabled) return <span className="muted action-note">2FA off: nothing to reset</span>;
  return (
    <button type="button" className="button button-secondary button-small" aria-label={`Reset 2FA for ${user.name}`} onClick={() => onReset(user)}>
      Reset 2FA
    </button>
  );
}
