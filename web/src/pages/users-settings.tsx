/**
 * Settings → Users (SPEC §5, the default tab): everyone in the instance with a 2FA shield, search
 * by name or email, a 2FA status filter, sort, counts by status, and pages by cursor. From here:
 * the "Password policy" dialog, adding (inviting) users, changing a role or disabling someone,
 * and asking everyone whose 2FA is off to turn it on. Changes may need a step-up (SPEC rule 12).
 */
import { useCallback, useId, useMemo, useRef, useState, type Ref } from 'react';
import {
  api,
  type ListedUser,
  type Me,
  type PasswordPolicy,
  type Role,
  type TwoFactorStatus,
  type UserPage,
  type UserSort,
} from '../api.ts';
import { Alert, Notice, SearchField, SelectField } from '../components/field.tsx';
import { PagedResults, usePagedList, useTypedSearch } from '../components/paged-list.tsx';
import { ShieldIcon, TwoFactorShield } from '../components/shield.tsx';
import { TableHead } from '../components/table.tsx';
import { errorText } from '../errors.ts';
import { useSession } from '../session.tsx';
import { navigate, useLocation } from '../router.ts';
import { StepUpCancelled, useStepUp } from '../step-up.tsx';
import { AdoptionChart } from './adoption-chart.tsx';
import { PasswordPolicyDialog } from './password-policy-dialog.tsx';
import {
  AskToEnableDialog,
  DeleteUserDialog,
  EditUserDialog,
  EndSessionsDialog,
  InviteUserDialog,
  PasswordRecoveryDialog,
  ResetTwoFactorDialog,
} from './user-dialogs.tsx';

export const PAGE_SIZE = 25;

type Filter = '' | TwoFactorStatus;

const FILTER_LABEL: Record<Filter, string> = { '': 'All', active: 'Active', pending: 'Enabled, not set up', off: 'Off' };
export const ROLE_LABEL: Record<Role, string> = { admin: 'Administrator', member: 'Member' };
/** How the users' search works, for every search box over a list of users. */
export const USER_SEARCH_HINT = 'A word anywhere in the name or email, such as a surname or a domain (one or two letters: the start).';

interface Query {
  q: string;
  filter: Filter;
  sort: UserSort;
}

/** At most this many rows come back after a reload with `?pages=`: one request of the server's largest page. */
const MAX_RESTORED_ROWS = 100;

/** The list's query as the URL holds it (issue 13): `?q=…&twoFactor=off&sort=name&pages=2`, so reload and Back keep it. */
function queryFromUrl(params: URLSearchParams): Query & { pages: number } {
  const filter = params.get('twoFactor') ?? '';
  const pages = Number(params.get('pages') ?? '1');
  return {
    q: params.get('q') ?? '',
    filter: filter in FILTER_LABEL ? (filter as Filter) : '',
    sort: params.get('sort') === 'name' ? 'name' : 'email',
    pages: Number.isInteger(pages) && pages > 1 ? Math.min(pages, MAX_RESTORED_ROWS / PAGE_SIZE) : 1,
  };
}

function urlOf(query: Query, pages = 1): string {
  const params = new URLSearchParams();
  if (query.q.trim()) params.set('q', query.q.trim());
  if (query.filter) params.set('twoFactor', query.filter);
  if (query.sort !== 'email') params.set('sort', query.sort);
  if (pages > 1) params.set('pages', String(pages));
  const text = params.toString();
  return `/settings${text ? `?${text}` : ''}`;
}

/** "25 of 131 users", "25 of 10,000+ users". */
function matchText(page: UserPage): string {
  const shown = page.users.length;
  if (shown === 0) return 'No users match.';
  // The first page always counts; the pages after it keep that count (usePagedList).
  if (page.matches === undefined) return `Showing ${shown.toLocaleString('en')} users.`;
  const total = `${page.matches.toLocaleString('en')}${page.matchesCapped ? '+' : ''}`;
  return `Showing ${shown.toLocaleString('en')} of ${total} ${page.matches === 1 && !page.matchesCapped ? 'user' : 'users'}.`;
}

type Open =
  | { kind: 'policy'; policy: PasswordPolicy }
  | { kind: 'invite' }
  | { kind: 'edit'; user: ListedUser }
  | { kind: 'delete'; user: ListedUser }
  | { kind: 'reset'; user: ListedUser }
  | { kind: 'ask'; off: number }
  | { kind: 'end-sessions'; user: ListedUser }
  | { kind: 'recovery'; user: ListedUser }
  | null;

export function UsersSettings({ me }: { me: Me }) {
  const headingId = useId();
  const { refresh } = useSession();
  const { withStepUp, stepUpDialog } = useStepUp();
  const fromUrl = queryFromUrl(useLocation().searchParams);
  const query = useMemo<Query>(
    () => ({ q: fromUrl.q, filter: fromUrl.filter, sort: fromUrl.sort }),
    [fromUrl.q, fromUrl.filter, fromUrl.sort],
  );
  // A filter or sort is a step Back can undo; typing replaces the entry instead of adding one per pause.
  // Pages loaded so far: the first load after a reload brings back as many (up to 100 rows) at once.
  const pages = useRef(fromUrl.pages);
  const setQuery = useCallback((next: Query, replace = false) => {
    pages.current = 1;
    navigate(urlOf(next), { replace });
  }, []);
  const fetchUsers = useCallback(async (shown: Query, cursor?: string) => {
    const limit = cursor ? PAGE_SIZE : PAGE_SIZE * pages.current;
    const page = await api.users({
      q: shown.q.trim(),
      twoFactor: shown.filter || undefined,
      sort: shown.sort,
      limit,
      ...(cursor ? { cursor } : {}),
    });
    if (!cursor) pages.current = Math.max(1, Math.ceil(page.users.length / PAGE_SIZE));
    return page;
  }, []);
  const [open, setOpen] = useState<Open>(null);
  const [notice, setNotice] = useState<string | null>(null);
  const [error, setError] = useState<string | null>(null);
  const [policyBusy, setPolicyBusy] = useState(false);
  const list = usePagedList({
    query,
    rows: 'users',
    fetch: fetchUsers,
    loadFailed: 'Loading the users failed.',
    moreFailed: 'Loading more users failed.',
    onMoreFailed: setError,
    rowIdAttribute: 'data-user-id',
  });
  const applySearch = useCallback((q: string) => setQuery({ ...query, q }, true), [query, setQuery]);
  const loadMore = async () => {
    say(null);
    await list.loadMore();
    pages.current += 1;
    navigate(urlOf(query, pages.current), { replace: true });
  };
  const resend = async (user: ListedUser) => {
    say(null);
    try {
      await withStepUp(() => api.resendInvitation(user.id));
      say(`A new invitation is on its way to ${user.email}. The earlier link no longer works.`);
    } catch (failure) {
      if (failure instanceof StepUpCancelled) return;
      say(null, errorText(failure, 'Sending the invitation failed.'));
    }
  };
  const search = useTypedSearch(query.q, applySearch);

  const say = (text: string | null, failure: string | null = null) => {
    setNotice(text);
    setError(failure);
  };

  const openPolicy = async () => {
    say(null);
    setPolicyBusy(true);
    try {
      setOpen({ kind: 'policy', policy: await api.passwordPolicy() });
    } catch (failure) {
      setError(errorText(failure, 'Loading the password policy failed.'));
    } finally {
      setPolicyBusy(false);
    }
  };

  /** After a change: the dialog goes, the list and (own 2FA may have changed) the session reload. */
  const changed = async (text: string) => {
    setOpen(null);
    await Promise.all([list.reload(), refresh()]);
    say(text);
  };

  const ask = async () => {
    try {
      const { emailed } = await withStepUp(() => api.askToEnableTwoFactor());
      setOpen(null);
      say(
        emailed === 0
          ? 'Nobody was emailed: everyone whose two-factor authentication is off was already asked in the last 24 hours.'
          : `Emailed ${emailed === 1 ? '1 person' : `${emailed} people`} whose two-factor authentication is off.`,
      );
    } catch (failure) {
      if (failure instanceof StepUpCancelled) return;
      setOpen(null);
      say(null, errorText(failure, 'Sending the emails failed.'));
    }
  };

  /** Opens a dialog; what was said about an earlier action no longer applies. */
  const show = (next: Exclude<Open, null>) => {
    say(null);
    setOpen(next);
  };

  const counts = list.state.status === 'ready' ? list.state.page.counts : null;
  return (
    <section aria-labelledby={headingId}>
      <div className="section-header">
        <h2 id={headingId}>Users</h2>
        <div className="button-row">
          <button type="button" className="button button-primary" onClick={() => show({ kind: 'invite' })}>
            Add user
          </button>
          <button type="button" className="button button-secondary" disabled={policyBusy} onClick={() => void openPolicy()}>
            Password policy
          </button>
          {/* With auto-enable everyone has 2FA on already: there is nobody to ask. */}
          {me.twoFactor.enforced ? null : (
            <button
              type="button"
              className="button button-secondary"
              disabled={!counts}
              onClick={() => show({ kind: 'ask', off: counts?.off ?? 0 })}
            >
              Ask users to enable 2FA
            </button>
          )}
        </div>
      </div>
      {counts ? <Counts counts={counts} /> : null}
      <form className="filter-bar users-filters" role="search" aria-label="Users" onSubmit={search.submit}>
        <SearchField id="users-search" label="Search" hint={USER_SEARCH_HINT} value={search.typed} onChange={search.setTyped} />
        <SelectField
          id="users-filter"
          label="Two-factor status"
          value={query.filter}
          onChange={(event) => setQuery({ ...query, filter: event.target.value as Filter })}
        >
          {(Object.keys(FILTER_LABEL) as Filter[]).map((value) => (
            <option key={value} value={value}>
              {FILTER_LABEL[value]}
            </option>
          ))}
        </SelectField>
        <SelectField
          id="users-sort"
          label="Sort by"
          value={query.sort}
          onChange={(event) => setQuery({ ...query, sort: event.target.value as UserSort })}
        >
          <option value="email">Email</option>
          <option value="name">Name</option>
        </SelectField>
      </form>
      {notice ? <Notice tone="success">{notice}</Notice> : null}
      {error ? <Alert>{error}</Alert> : null}
      <PagedResults list={list} one="user" many="users" onLoadMore={() => void loadMore()} summary={matchText}>
        {(page) => (
          <UserTable
            ref={list.table}
            me={me}
            users={page.users}
            onResend={(user) => void resend(user)}
            onEdit={(user) => show({ kind: 'edit', user })}
            onReset={(user) => show({ kind: 'reset', user })}
            onEndSessions={(user) => show({ kind: 'end-sessions', user })}
            onRecovery={(user) => show({ kind: 'recovery', user })}
          />
        )}
      </PagedResults>
      {counts ? <AdoptionChart refreshKey={`${counts.active}-${counts.pending}-${counts.off}`} /> : null}
      {open?.kind === 'policy' ? (
        <PasswordPolicyDialog
          plan={me.instance.plan}
          policy={open.policy}
          onCancel={() => setOpen(null)}
          onSaved={() => void changed('The password policy was saved.')}
        />
      ) : null}
      {open?.kind === 'invite' ? (
        <InviteUserDialog
          withStepUp={withStepUp}
          onCancel={() => setOpen(null)}
          onInvited={(user) => void changed(`An invitation is on its way to ${user.email}.`)}
        />
      ) : null}
      {open?.kind === 'edit' ? (
        <EditUserDialog
          user={open.user}
          withStepUp={withStepUp}
          onCancel={() => setOpen(null)}
          onDelete={() => show({ kind: 'delete', user: open.user })}
          onSaved={(user) => void changed(`${user.name} was saved.`)}
        />
      ) : null}
      {open?.kind === 'delete' ? (
        <DeleteUserDialog
          user={open.user}
          withStepUp={withStepUp}
          onCancel={() => setOpen(null)}
          onDeleted={() => void changed(`${open.user.name} (${open.user.email}) was deleted and logged out everywhere.`)}
        />
      ) : null}
      {open?.kind === 'reset' ? (
        <ResetTwoFactorDialog
          user={open.user}
          withStepUp={withStepUp}
          onCancel={() => setOpen(null)}
          onReset={() =>
            void changed(
              `Two-factor authentication for ${open.user.name} was reset. They set up an authenticator app at their next login, and were emailed about it.`,
            )
          }
        />
      ) : null}
      {open?.kind === 'end-sessions' ? (
        <EndSessionsDialog
          user={open.user}
          withStepUp={withStepUp}
          onCancel={() => setOpen(null)}
          onEnded={(ended) =>
            void changed(
              `${open.user.name} was logged out of ${ended === 1 ? '1 session' : `${ended} sessions`}, and was emailed about it.`,
            )
          }
        />
      ) : null}
      {open?.kind === 'recovery' ? (
        <PasswordRecoveryDialog user={open.user} withStepUp={withStepUp} onCancel={() => setOpen(null)} />
      ) : null}
      {open?.kind === 'ask' ? <AskToEnableDialog off={open.off} onConfirm={ask} onCancel={() => setOpen(null)} /> : null}
      {stepUpDialog}
    </section>
  );
}

/** "2 active · 1 pending · 3 off": everyone in the instance, whatever the search shows. */
function Counts({ counts }: { counts: UserPage['counts'] }) {
  return (
    <p className="user-counts">
      <span className="user-counts-label">Two-factor authentication:</span>{' '}
      <span className="user-count">
        <ShieldIcon status="active" />
        {counts.active} active
      </span>
      {' · '}
      <span className="user-count">
        <ShieldIcon status="pending" />
        {counts.pending} pending
      </span>
      {' · '}
      <span className="user-count">{counts.off} off</span>
    </p>
  );
}

interface TableProps {
  me: Me;
  users: ListedUser[];
  onResend: (user: ListedUser) => void;
  onEdit: (user: ListedUser) => void;
  onReset: (user: ListedUser) => void;
  onEndSessions: (user: ListedUser) => void;
  onRecovery: (user: ListedUser) => void;
  ref?: Ref<HTMLTableElement>;
}

/** A reset is for someone whose 2FA is not off (the server's status); with it off there is nothing to reset. */
function canReset(user: ListedUser): boolean {
  return user.twoFactor.status !== 'off';
}

/** A password recovery (issue 10 item 3) is for an active user whose 2FA is on without an app: their emailed reset link is refused. */
function needsRecovery(user: ListedUser): boolean {
  return user.status === 'active' && user.twoFactor.status === 'pending';
}

function UserTable({ me, users, onResend, onEdit, onReset, onEndSessions, onRecovery, ref }: TableProps) {
  return (
    <div className="table-scroll">
      <table className="table users-table" ref={ref}>
        <caption className="visually-hidden">Users of {me.instance.name}</caption>
        <TableHead columns={['Name', 'Email', 'Role', '2FA']} actions />
        <tbody>
          {users.map((user) => (
            <tr key={user.id} className={user.status === 'disabled' ? 'row-disabled' : undefined}>
              <th scope="row" tabIndex={-1} data-user-id={user.id}>
                {user.name}
                {user.id === me.id ? <span className="badge">You</span> : null}
                {user.status === 'disabled' ? <span className="badge badge-muted">Disabled</span> : null}
                {/* No password chosen yet: the invitation (or import) was not accepted. */}
                {user.invited ? <span className="badge badge-invited">Invited</span> : null}
              </th>
              <td className="users-email">{user.email}</td>
              <td>{ROLE_LABEL[user.role] ?? user.role}</td>
              <td className="users-shield">
                <TwoFactorShield status={user.twoFactor.status} />
              </td>
              <td className="table-action">
                {/* Not one's own account: the server refuses it (an admin cannot lock themselves out). */}
                {user.id === me.id ? null : (
                  <span className="row-actions">
                    {user.invited && user.status === 'active' ? (
                      <button
                        type="button"
                        className="button button-secondary button-small"
                        aria-label={`Resend invitation to ${user.name}`}
                        onClick={() => onResend(user)}
                      >
                        Resend invitation
                      </button>
                    ) : null}
                    <button
                      type="button"
                      className="button button-secondary button-small"
                      aria-label={`Edit ${user.name}`}
                      onClick={() => onEdit(user)}
                    >
                      Edit
                    </button>
                    {canReset(user) ? (
                      <button
                        type="button"
                        className="button button-secondary button-small"
                        aria-label={`Reset 2FA for ${user.name}`}
                        onClick={() => onReset(user)}
                      >
                        Reset 2FA
                      </button>
                    ) : null}
                    <button
                      type="button"
                      className="button button-secondary button-small"
                      aria-label={`End all sessions of ${user.name}`}
                      onClick={() => onEndSessions(user)}
                    >
                      End sessions
                    </button>
                    {needsRecovery(user) ? (
                      <button
                        type="button"
                        className="button button-secondary button-small"
                        aria-label={`Password recovery for ${user.name}`}
                        onClick={() => onRecovery(user)}
                      >
                        Password recovery
                      </button>
                    ) : null}
                  </span>
                )}
              </td>
            </tr>
          ))}
        </tbody>
      </table>
    </div>
  );
}
