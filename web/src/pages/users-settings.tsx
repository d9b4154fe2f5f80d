/**
 * Settings → Users (SPEC §5, the default tab): everyone in the instance with a 2FA shield, search
 * by name or email, a 2FA status filter, sort, counts by status, and pages by cursor. From here:
 * the "Password policy" dialog, adding (inviting) users, changing a role or disabling someone,
 * and asking everyone whose 2FA is off to turn it on. Changes may need a step-up (SPEC rule 12).
 */
import { useCallback, useId, useMemo, useRef, useState, type Ref } from 'react';
import { api, type ListedUser, type Me, type PasswordPolicy, type TwoFactorStatus, type UserPage, type UserSort } from '../api.ts';
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
import { locale, messages, useMessages } from '../i18n/index.ts';

export const PAGE_SIZE = 25;

type Filter = '' | TwoFactorStatus;

const FILTERS: Filter[] = ['', 'active', 'pending', 'off'];

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
    filter: (FILTERS as string[]).includes(filter) ? (filter as Filter) : '',
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
  const m = messages().users;
  const shown = page.users.length;
  if (shown === 0) return m.noMatch;
  // The first page always counts; the pages after it keep that count (usePagedList).
  if (page.matches === undefined) return m.showingSome(shown.toLocaleString(locale()));
  const total = `${page.matches.toLocaleString(locale())}${page.matchesCapped ? '+' : ''}`;
  return m.showing(shown.toLocaleString(locale()), total, page.matches === 1 && !page.matchesCapped);
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
  const m = useMessages();
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
    loadFailed: m.users.loadFailed,
    moreFailed: m.users.moreFailed,
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
      say(m.users.resent(user.email));
    } catch (failure) {
      if (failure instanceof StepUpCancelled) return;
      say(null, errorText(failure, m.users.resendFailed));
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
      setError(errorText(failure, m.users.policyFailed));
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
      say(emailed === 0 ? m.users.nobodyEmailed : m.users.emailed(emailed));
    } catch (failure) {
      if (failure instanceof StepUpCancelled) return;
      setOpen(null);
      say(null, errorText(failure, m.users.emailsFailed));
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
        <h2 id={headingId}>{m.users.heading}</h2>
        <div className="button-row">
          <button type="button" className="button button-primary" onClick={() => show({ kind: 'invite' })}>
            {m.users.add}
          </button>
          <button type="button" className="button button-secondary" disabled={policyBusy} onClick={() => void openPolicy()}>
            {m.users.policy}
          </button>
          {/* With auto-enable everyone has 2FA on already: there is nobody to ask. */}
          {me.twoFactor.enforced ? null : (
            <button
              type="button"
              className="button button-secondary"
              disabled={!counts}
              onClick={() => show({ kind: 'ask', off: counts?.off ?? 0 })}
            >
              {m.users.ask}
            </button>
          )}
        </div>
      </div>
      {counts ? <Counts counts={counts} /> : null}
      <form className="filter-bar users-filters" role="search" aria-label={m.users.heading} onSubmit={search.submit}>
        <SearchField id="users-search" label={m.users.search} hint={m.users.searchHint} value={search.typed} onChange={search.setTyped} />
        <SelectField
          id="users-filter"
          label={m.users.filter}
          value={query.filter}
          onChange={(event) => setQuery({ ...query, filter: event.target.value as Filter })}
        >
          {FILTERS.map((value) => (
            <option key={value} value={value}>
              {m.users.filters[value]}
            </option>
          ))}
        </SelectField>
        <SelectField
          id="users-sort"
          label={m.users.sort}
          value={query.sort}
          onChange={(event) => setQuery({ ...query, sort: event.target.value as UserSort })}
        >
          <option value="email">{m.common.email}</option>
          <option value="name">{m.common.name}</option>
        </SelectField>
      </form>
      {notice ? <Notice tone="success">{notice}</Notice> : null}
      {error ? <Alert>{error}</Alert> : null}
      <PagedResults list={list} one={m.users.one} many={m.users.many} onLoadMore={() => void loadMore()} summary={matchText}>
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
          onSaved={() => void changed(m.users.policySaved)}
        />
      ) : null}
      {open?.kind === 'invite' ? (
        <InviteUserDialog
          withStepUp={withStepUp}
          onCancel={() => setOpen(null)}
          onInvited={(user) => void changed(m.users.invited(user.email))}
        />
      ) : null}
      {open?.kind === 'edit' ? (
        <EditUserDialog
          user={open.user}
          withStepUp={withStepUp}
          onCancel={() => setOpen(null)}
          onDelete={() => show({ kind: 'delete', user: open.user })}
          onSaved={(user) => void changed(m.users.saved(user.name))}
        />
      ) : null}
      {open?.kind === 'delete' ? (
        <DeleteUserDialog
          user={open.user}
          withStepUp={withStepUp}
          onCancel={() => setOpen(null)}
          onDeleted={() => void changed(m.users.deleted(open.user.name, open.user.email))}
        />
      ) : null}
      {open?.kind === 'reset' ? (
        <ResetTwoFactorDialog
          user={open.user}
          withStepUp={withStepUp}
          onCancel={() => setOpen(null)}
          onReset={() => void changed(m.users.reset(open.user.name))}
        />
      ) : null}
      {open?.kind === 'end-sessions' ? (
        <EndSessionsDialog
          user={open.user}
          withStepUp={withStepUp}
          onCancel={() => setOpen(null)}
          onEnded={(ended) => void changed(m.users.sessionsEnded(open.user.name, ended))}
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
  const m = useMessages();
  return (
    <p className="user-counts">
      <span className="user-counts-label">{m.users.countsLabel}</span>{' '}
      <span className="user-count">
        <ShieldIcon status="active" />
        {m.users.active(counts.active)}
      </span>
      {' · '}
      <span className="user-count">
        <ShieldIcon status="pending" />
        {m.users.pending(counts.pending)}
      </span>
      {' · '}
      <span className="user-count">{m.users.off(counts.off)}</span>
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
  const m = useMessages();
  return (
    <div className="table-scroll">
      <table className="table users-table" ref={ref}>
        <caption className="visually-hidden">{m.users.caption(me.instance.name)}</caption>
        <TableHead columns={[m.common.name, m.common.email, m.common.role, m.users.columnTwoFactor]} actions />
        <tbody>
          {users.map((user) => (
            <tr key={user.id} className={user.status === 'disabled' ? 'row-disabled' : undefined}>
              <th scope="row" tabIndex={-1} data-user-id={user.id}>
                {user.name}
                {user.id === me.id ? <span className="badge">{m.users.you}</span> : null}
                {user.status === 'disabled' ? <span className="badge badge-muted">{m.users.disabled}</span> : null}
                {/* No password chosen yet: the invitation (or import) was not accepted. */}
                {user.invited ? <span className="badge badge-invited">{m.users.invitedBadge}</span> : null}
              </th>
              <td className="users-email">{user.email}</td>
              <td>{m.profile.roles[user.role] ?? user.role}</td>
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
                        aria-label={m.users.resendFor(user.name)}
                        onClick={() => onResend(user)}
                      >
                        {m.users.resend}
                      </button>
                    ) : null}
                    <button
                      type="button"
                      className="button button-secondary button-small"
                      aria-label={m.users.editFor(user.name)}
                      onClick={() => onEdit(user)}
                    >
                      {m.users.edit}
                    </button>
                    {canReset(user) ? (
                      <button
                        type="button"
                        className="button button-secondary button-small"
                        aria-label={m.users.resetFor(user.name)}
                        onClick={() => onReset(user)}
                      >
                        {m.users.resetButton}
                      </button>
                    ) : null}
                    <button
                      type="button"
                      className="button button-secondary button-small"
                      aria-label={m.users.endFor(user.name)}
                      onClick={() => onEndSessions(user)}
                    >
                      {m.users.endSessions}
                    </button>
                    {needsRecovery(user) ? (
                      <button
                        type="button"
                        className="button button-secondary button-small"
                        aria-label={m.users.recoveryFor(user.name)}
                        onClick={() => onRecovery(user)}
                      >
                        {m.users.recovery}
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
