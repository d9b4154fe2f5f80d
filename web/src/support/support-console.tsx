/**
 * The support console (SPEC rule 9): find an instance, list its users with their role and 2FA
 * shield, and reset an administrator's 2FA after verifying who they are. Members are reset by
 * their own instance's administrators, so they have no action here.
 */
import { useCallback, useEffect, useId, useRef, useState, type FormEvent } from 'react';
import { supportApi, type SupportInstance, type SupportUser } from '../api.ts';
import { Alert, Notice, SearchField } from '../components/field.tsx';
import { Page } from '../components/page.tsx';
import { PagedResults, SEARCH_DELAY_MS, usePagedList, useTypedSearch } from '../components/paged-list.tsx';
import { TwoFactorShield } from '../components/shield.tsx';
import { ScrollRegion, TableHead } from '../components/table.tsx';
import { errorText } from '../errors.ts';
import { Link, useNotice } from '../router.ts';
import { StepUpCancelled } from '../step-up.tsx';
import { isSessionGone, SUPPORT_PATH } from './support-login.tsx';
import { SupportResetDialog } from './support-reset-dialog.tsx';
import { PlanChange } from './plan-change.tsx';
import { messages, useMessages } from '../i18n/index.ts';
import { planName } from '../pages/profile-page.tsx';

const USERS_PAGE_SIZE = 25;

interface Props {
  slug: string | null;
  onSessionEnded: () => void;
}

export function SupportConsole({ slug, onSessionEnded }: Props) {
  const notice = useNotice();
  const m = useMessages();
  return (
    <Page title={m.supportConsole.consoleName}>
      {notice ? <Notice tone="success">{notice}</Notice> : null}
      <InstanceSearch selected={slug} onSessionEnded={onSessionEnded} />
      {slug ? <InstanceUsers key={slug} slug={slug} onSessionEnded={onSessionEnded} /> : null}
    </Page>
  );
}

type Found = { status: 'loading' } | { status: 'ready'; instances: SupportInstance[] } | { status: 'failed'; message: string };

/** Instances whose slug or name starts with what is typed (at most 20), each a link to its users. */
function InstanceSearch({ selected, onSessionEnded }: { selected: string | null; onSessionEnded: () => void }) {
  const headingId = useId();
  const m = useMessages();
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
        if (request === latest.current) setFound({ status: 'failed', message: errorText(failure, messages().supportConsole.searchFailed) });
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
      <h2 id={headingId}>{m.supportConsole.instances}</h2>
      <form role="search" aria-label={m.supportConsole.instances} onSubmit={submit}>
        <SearchField
          id="support-instance-search"
          label={m.supportConsole.findInstance}
          hint={m.supportConsole.findInstanceHint}
          value={typed}
          onChange={setTyped}
        />
      </form>
      {found.status === 'loading' ? <p role="status">{m.supportConsole.searching}</p> : null}
      {found.status === 'failed' ? <Alert>{found.message}</Alert> : null}
      {found.status === 'ready' ? (
        <>
          <p role="status" className="visually-hidden">
            {found.instances.length === 0 ? m.supportConsole.noInstance : m.supportConsole.instancesFound(found.instances.length)}
          </p>
          {found.instances.length === 0 ? (
            <p className="empty-state">{m.supportConsole.noInstance}</p>
          ) : (
            <ul className="instance-list" aria-label={m.supportConsole.matching}>
              {found.instances.map((instance) => (
                <li key={instance.slug}>
                  <Link
                    to={`${SUPPORT_PATH}?instance=${encodeURIComponent(instance.slug)}`}
                    className="instance-link"
                    aria-current={instance.slug === selected ? 'page' : undefined}
                  >
                    <span className="instance-link-name">{instance.name}</span>{' '}
                    <span className="instance-link-meta">
                      {instance.slug} · {planName(m, instance.plan)}
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

function InstanceUsers({ slug, onSessionEnded }: { slug: string; onSessionEnded: () => void }) {
  const headingId = useId();
  const m = useMessages();
  const [q, setQ] = useState('');
  const [resetting, setResetting] = useState<SupportUser | null>(null);
  const [notice, setNotice] = useState<string | null>(null);
  const [error, setError] = useState<string | null>(null);
  const fetchUsers = useCallback(
    (query: string, cursor?: string) => supportApi.users(slug, { q: query.trim(), limit: USERS_PAGE_SIZE, ...(cursor ? { cursor } : {}) }),
    [slug],
  );
  const handled = useCallback(
    (failure: unknown) => {
      if (!isSessionGone(failure)) return false;
      onSessionEnded();
      return true;
    },
    [onSessionEnded],
  );
  const list = usePagedList({
    query: q,
    rows: 'users',
    fetch: fetchUsers,
    handled,
    loadFailed: m.supportConsole.usersLoadFailed,
    moreFailed: m.supportConsole.usersMoreFailed,
    onMoreFailed: setError,
  });
  const search = useTypedSearch(q, setQ);

  const open = (user: SupportUser) => {
    setNotice(null);
    setError(null);
    setResetting(user);
  };

  const done = async (user: SupportUser, reference: string) => {
    setResetting(null);
    await list.reload();
    const instance = list.state.status === 'ready' ? list.state.page.instance.name : slug;
    setNotice(m.supportConsole.resetDone(user.name, instance, reference));
  };

  const failed = (failure: unknown) => {
    if (failure instanceof StepUpCancelled) return;
    if (isSessionGone(failure)) return onSessionEnded();
  };

  const instance = list.state.status === 'ready' ? list.state.page.instance : null;
  return (
    <section aria-labelledby={headingId} className="card support-users">
      <h2 id={headingId}>{instance ? m.supportConsole.usersOf(instance.name) : m.supportConsole.users}</h2>
      {instance ? <p className="muted">{m.supportConsole.instanceLine(<code>{instance.slug}</code>, planName(m, instance.plan))}</p> : null}
      {instance ? (
        <PlanChange
          key={instance.plan}
          instance={instance}
          onSessionEnded={onSessionEnded}
          onChanged={(plan) => {
            void list.reload();
            setNotice(m.supportConsole.planChanged(instance.name, planName(m, plan)));
          }}
        />
      ) : null}
      <form className="filter-bar" role="search" aria-label={m.supportConsole.users} onSubmit={search.submit}>
        <SearchField
          id="support-user-search"
          label={m.supportConsole.searchUsers}
          hint={m.users.searchHint}
          value={search.typed}
          onChange={search.setTyped}
        />
      </form>
      {notice ? <Notice tone="success">{notice}</Notice> : null}
      {error ? <Alert>{error}</Alert> : null}
      <PagedResults list={list} one={m.supportConsole.user} many={m.supportConsole.usersMany}>
        {(page) => <SupportUserTable instanceName={page.instance.name} users={page.users} onReset={open} />}
      </PagedResults>
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

function SupportUserTable({
  instanceName,
  users,
  onReset,
}: {
  instanceName: string;
  users: SupportUser[];
  onReset: (user: SupportUser) => void;
}) {
  const m = useMessages();
  return (
    <ScrollRegion label={m.supportConsole.usersOf(instanceName)}>
      <table className="table users-table support-users-table">
        <caption className="visually-hidden">{m.supportConsole.usersOf(instanceName)}</caption>
        <TableHead columns={[m.supportConsole.columnUser, m.common.role, m.supportConsole.columnTwoFactor]} actions />
        <tbody>
          {users.map((user) => (
            <tr key={user.id} className={user.status === 'disabled' ? 'row-disabled' : undefined}>
              <th scope="row">
                {user.name}
                {user.status === 'disabled' ? <span className="badge badge-muted">{m.supportConsole.disabled}</span> : null}
                <span className="user-email-line">{user.email}</span>
              </th>
              <td>{m.profile.roles[user.role] ?? user.role}</td>
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
    </ScrollRegion>
  );
}

function UserAction({ user, onReset }: { user: SupportUser; onReset: (user: SupportUser) => void }) {
  const m = useMessages();
  if (user.role !== 'admin') return <span className="muted action-note">{m.supportConsole.resetByAdmins}</span>;
  if (user.twoFactor.status === 'off') return <span className="muted action-note">{m.supportConsole.nothingToReset}</span>;
  return (
    <button
      type="button"
      className="button button-secondary button-small"
      aria-label={m.supportConsole.resetFor(user.name)}
      onClick={() => onReset(user)}
    >
      {m.supportConsole.reset}
    </button>
  );
}
