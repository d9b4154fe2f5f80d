/**
 * Settings → Applications → Protected applications (SPEC §7, docs/forward-auth.md): applications
 * without a login of their own that a reverse proxy puts behind keyward. Add one with its hosts and
 * path rules, see them, change or delete one. Changes are admin changes, so they may need a
 * step-up (SPEC rule 12), as the OpenID Connect clients' do. Words: `protectedApps` in the catalogue.
 */
import { useCallback, useEffect, useId, useRef, useState, type FormEvent } from 'react';
import { api, ApiError, type ProtectedApp } from '../api.ts';
import { DialogButtons, FormDialog } from '../components/dialog.tsx';
import { Alert, Notice, TextAreaField, TextField } from '../components/field.tsx';
import { TableHead } from '../components/table.tsx';
import { errorText } from '../errors.ts';
import { messages, useMessages } from '../i18n/index.ts';
import { StepUpCancelled, useStepUp } from '../step-up.tsx';

type Requirement = ProtectedApp['rules'][number]['require'];
type Rule = ProtectedApp['rules'][number];
const FIELD_IDS: Record<string, string> = { name: 'protected-app-name', hosts: 'protected-app-hosts', rules: 'protected-app-rules' };

type Open = null | { kind: 'add' } | { kind: 'edit'; app: ProtectedApp } | { kind: 'delete'; app: ProtectedApp };
type State = { status: 'loading' } | { status: 'ready'; apps: ProtectedApp[] } | { status: 'failed'; message: string };

const lines = (text: string) =>
  text
    .split('\n')
    .map((line) => line.trim())
    .filter(Boolean);

/** `PREFIX=any|admin|mfa` per line; a line without `=` is sent as it is, for the server to refuse with its words. */
function parseRules(text: string): Rule[] {
  return lines(text).map((line) => {
    const at = line.lastIndexOf('=');
    return { prefix: at < 0 ? line : line.slice(0, at).trim(), require: (at < 0 ? 'any' : line.slice(at + 1).trim()) as Requirement };
  });
}

/** The rules as the dialog writes them, so an edit starts from what is stored. */
const rulesText = (rules: Rule[]) => rules.map((rule) => `${rule.prefix}=${rule.require}`).join('\n');

/**
 * The dialog field a refusal belongs to: the domain names `name`, `hosts` or `rules`; the schema
 * names the value's path (`rules.0.require`), whose first part is the field.
 */
function fieldOf(failure: unknown): string | null {
  const field = failure instanceof ApiError ? (failure.field ?? null) : null;
  const top = field?.split('.')[0] ?? null;
  return top && FIELD_IDS[top] ? top : null;
}

export function ProtectedAppsSettings() {
  const headingId = useId();
  const heading = useRef<HTMLHeadingElement>(null);
  const { withStepUp, stepUpDialog } = useStepUp();
  const m = useMessages();
  const [state, setState] = useState<State>({ status: 'loading' });
  const [open, setOpen] = useState<Open>(null);
  const [notice, setNotice] = useState<string | null>(null);

  const load = useCallback(async () => {
    try {
      setState({ status: 'ready', apps: (await api.protectedApps()).apps });
    } catch (failure) {
      setState({ status: 'failed', message: errorText(failure, messages().protectedApps.loadFailed) });
    }
  }, []);
  useEffect(() => void load(), [load]);
  const done = async (message: string) => {
    setNotice(message);
    setOpen(null);
    await load();
    heading.current?.focus();
  };
  const openDialog = (next: Open) => (setNotice(null), setOpen(next));

  return (
    <section aria-labelledby={headingId}>
      <div className="section-header">
        <h2 id={headingId} ref={heading} tabIndex={-1}>
          {m.protectedApps.heading}
        </h2>
        <div className="button-row">
          <button type="button" className="button button-secondary" onClick={() => openDialog({ kind: 'add' })}>
            {m.protectedApps.add}
          </button>
        </div>
      </div>
      <p className="muted">{m.protectedApps.text}</p>
      <Wiring />
      {notice ? <Notice tone="success">{notice}</Notice> : null}
      {state.status === 'loading' ? <p role="status">{m.common.loading}</p> : null}
      {state.status === 'failed' ? <Alert>{state.message}</Alert> : null}
      {state.status === 'ready' && state.apps.length === 0 ? <p className="empty-state">{m.protectedApps.none}</p> : null}
      {state.status === 'ready' && state.apps.length > 0 ? <AppsTable apps={state.apps} onOpen={openDialog} /> : null}
      {open?.kind === 'add' || open?.kind === 'edit' ? (
        <AppDialog
          app={open.kind === 'edit' ? open.app : null}
          withStepUp={withStepUp}
          onClose={() => setOpen(null)}
          onSaved={(saved) => void done(open.kind === 'edit' ? m.protectedApps.saved(saved.name) : m.protectedApps.added(saved.name))}
        />
      ) : null}
      {open?.kind === 'delete' ? (
        <DeleteDialog
          app={open.app}
          onCancel={() => setOpen(null)}
          onConfirm={async () => {
            await withStepUp(() => api.deleteProtectedApp(open.app.id));
            await done(m.protectedApps.deleted(open.app.name));
          }}
        />
      ) : null}
      {stepUpDialog}
    </section>
  );
}

/** A path and a file name, the same in every language: values of the catalogue's sentence, not words of it. */
const KEYWARD_PATH = '/.keyward/';
const PROXY_DOC = 'docs/forward-auth.md';

/** What the proxy needs besides its question: `/.keyward/` on every host goes to keyward (docs/forward-auth.md). */
function Wiring({ className = 'muted' }: { className?: string }) {
  const m = useMessages();
  return <p className={className}>{m.protectedApps.wiring(<code>{KEYWARD_PATH}</code>, <code>{PROXY_DOC}</code>)}</p>;
}

function AppsTable({ apps, onOpen }: { apps: ProtectedApp[]; onOpen: (open: Open) => void }) {
  const m = useMessages();
  return (
    <div className="table-scroll">
      <table className="table applications-table protected-apps-table">
        <caption className="visually-hidden">{m.protectedApps.heading}</caption>
        <TableHead columns={[m.common.name, m.protectedApps.hosts, m.protectedApps.rules]} actions />
        <tbody>
          {apps.map((app) => (
            <tr key={app.id}>
              <th scope="row">{app.name}</th>
              <td className="uri-list">
                {app.hosts.map((host) => (
                  <div key={host}>{host}</div>
                ))}
              </td>
              <td className="uri-list">
                {app.rules.length === 0 ? <span className="muted">{m.protectedApps.noRules}</span> : null}
                {app.rules.map((rule) => (
                  <div key={rule.prefix}>
                    <code>{rule.prefix}</code>: {m.protectedApps.requirements[rule.require]}
                  </div>
                ))}
              </td>
              <td className="table-action">
                <div className="button-row">
                  <button
                    type="button"
                    className="button button-secondary button-small"
                    aria-label={m.protectedApps.editFor(app.name)}
                    onClick={() => onOpen({ kind: 'edit', app })}
                  >
                    {m.protectedApps.edit}
                  </button>
                  <button
                    type="button"
                    className="button button-danger button-small"
                    aria-label={m.protectedApps.deleteFor(app.name)}
                    onClick={() => onOpen({ kind: 'delete', app })}
                  >
                    {m.protectedApps.delete}
                  </button>
                </div>
              </td>
            </tr>
          ))}
        </tbody>
      </table>
    </div>
  );
}

/** Adds an application (`app` null) or changes one, prefilled with what is stored; PATCH sends all three fields. */
function AppDialog(props: {
  app: ProtectedApp | null;
  withStepUp: <T>(action: () => Promise<T>) => Promise<T>;
  onClose: () => void;
  onSaved: (app: ProtectedApp) => void;
}) {
  const { app } = props;
  const m = useMessages();
  const [name, setName] = useState(app?.name ?? '');
  const [hosts, setHosts] = useState(app?.hosts.join('\n') ?? '');
  const [rules, setRules] = useState(app ? rulesText(app.rules) : '');
  const [error, setError] = useState<{ field: string | null; text: string } | null>(null);
  const [busy, setBusy] = useState(false);
  const submit = async (event: FormEvent<HTMLFormElement>) => {
    event.preventDefault();
    setBusy(true);
    setError(null);
    const fields = { name, hosts: lines(hosts), rules: parseRules(rules) };
    try {
      props.onSaved(await props.withStepUp(() => (app ? api.updateProtectedApp(app.id, fields) : api.createProtectedApp(fields))));
    } catch (failure) {
      if (failure instanceof StepUpCancelled) return setBusy(false);
      const field = fieldOf(failure);
      setError({ field, text: errorText(failure, m.protectedApps.saveFailed) });
      setBusy(false);
      if (field) document.getElementById(FIELD_IDS[field]!)?.focus();
    }
  };
  const fieldError = (field: string) => (error?.field === field ? error.text : undefined);
  return (
    <FormDialog
      title={app ? m.protectedApps.editFor(app.name) : m.protectedApps.add}
      wide
      onClose={props.onClose}
      onSubmit={(event) => void submit(event)}
    >
      {error && !error.field ? <Alert>{error.text}</Alert> : null}
      <TextField
        id="protected-app-name"
        label={m.common.name}
        value={name}
        maxLength={100}
        required
        error={fieldError('name')}
        onChange={(e) => setName(e.target.value)}
      />
      <TextAreaField
        id="protected-app-hosts"
        label={m.protectedApps.hosts}
        hint={m.protectedApps.hostsHint}
        rows={2}
        spellCheck={false}
        value={hosts}
        error={fieldError('hosts')}
        onChange={(e) => setHosts(e.target.value)}
      />
      <TextAreaField
        id="protected-app-rules"
        label={m.protectedApps.rules}
        hint={m.protectedApps.rulesHint}
        rows={3}
        spellCheck={false}
        value={rules}
        error={fieldError('rules')}
        onChange={(e) => setRules(e.target.value)}
      />
      <Wiring className="field-hint" />
      <DialogButtons submitLabel={app ? m.protectedApps.save : m.protectedApps.protect} busy={busy} onCancel={props.onClose} />
    </FormDialog>
  );
}

function DeleteDialog(props: { app: ProtectedApp; onCancel: () => void; onConfirm: () => Promise<void> }) {
  const m = useMessages();
  const [error, setError] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);
  const submit = async (event: FormEvent<HTMLFormElement>) => {
    event.preventDefault();
    setBusy(true);
    try {
      await props.onConfirm();
    } catch (failure) {
      if (!(failure instanceof StepUpCancelled)) setError(errorText(failure, m.protectedApps.failed));
      setBusy(false);
    }
  };
  return (
    <FormDialog title={m.protectedApps.deleteTitle(props.app.name)} onClose={props.onCancel} onSubmit={(event) => void submit(event)}>
      {error ? <Alert>{error}</Alert> : null}
      <p className="dialog-description">{m.protectedApps.deleteText}</p>
      <DialogButtons submitLabel={m.protectedApps.deleteButton} destructive busy={busy} onCancel={props.onCancel} />
    </FormDialog>
  );
}
