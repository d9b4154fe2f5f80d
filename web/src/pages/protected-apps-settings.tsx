/**
 * Settings → Applications → Protected applications (SPEC §7, docs/forward-auth.md): applications
 * without a login of their own that a reverse proxy puts behind keyward. Add one with its hosts and
 * path rules, see them, delete one. All of its words are in this one component.
 */
import { useCallback, useEffect, useId, useState, type FormEvent } from 'react';
import { api, ApiError, type ProtectedApp } from '../api.ts';
import { DialogButtons, FormDialog } from '../components/dialog.tsx';
import { Alert, Notice, TextAreaField, TextField } from '../components/field.tsx';
import { TableHead } from '../components/table.tsx';
import { errorText } from '../errors.ts';
import { StepUpCancelled, useStepUp } from '../step-up.tsx';

type Requirement = ProtectedApp['rules'][number]['require'];
const REQUIREMENT_WORDS: Record<Requirement, string> = { any: 'anyone signed in', admin: 'administrators', mfa: 'a code in this sign-in' };
const FIELD_IDS: Record<string, string> = { name: 'protected-app-name', hosts: 'protected-app-hosts', rules: 'protected-app-rules' };

const lines = (text: string) =>
  text
    .split('\n')
    .map((line) => line.trim())
    .filter(Boolean);

/** `PREFIX=any|admin|mfa` per line; a line without `=` is sent as it is, for the server to refuse with its words. */
function parseRules(text: string): Array<{ prefix: string; require: Requirement }> {
  return lines(text).map((line) => {
    const at = line.lastIndexOf('=');
    return { prefix: at < 0 ? line : line.slice(0, at).trim(), require: (at < 0 ? 'any' : line.slice(at + 1).trim()) as Requirement };
  });
}

type State = { status: 'loading' } | { status: 'ready'; apps: ProtectedApp[] } | { status: 'failed'; message: string };

export function ProtectedAppsSettings() {
  const headingId = useId();
  const { withStepUp, stepUpDialog } = useStepUp();
  const [state, setState] = useState<State>({ status: 'loading' });
  const [open, setOpen] = useState<null | { kind: 'add' } | { kind: 'delete'; app: ProtectedApp }>(null);
  const [notice, setNotice] = useState<string | null>(null);

  const load = useCallback(async () => {
    try {
      setState({ status: 'ready', apps: (await api.protectedApps()).apps });
    } catch (failure) {
      setState({ status: 'failed', message: errorText(failure, 'Loading the protected applications failed.') });
    }
  }, []);
  useEffect(() => void load(), [load]);
  const done = async (message: string) => {
    setNotice(message);
    setOpen(null);
    await load();
  };

  return (
    <section aria-labelledby={headingId}>
      <div className="section-header">
        <h2 id={headingId}>Protected applications</h2>
        <div className="button-row">
          <button type="button" className="button button-secondary" onClick={() => (setNotice(null), setOpen({ kind: 'add' }))}>
            Protect an application
          </button>
        </div>
      </div>
      <p className="muted">
        Applications without a sign-in of their own, behind a reverse proxy that asks keyward before each request. People sign in on the
        application’s own address; rules say which paths need an administrator or a code.
      </p>
      {notice ? <Notice tone="success">{notice}</Notice> : null}
      {state.status === 'loading' ? <p role="status">Loading…</p> : null}
      {state.status === 'failed' ? <Alert>{state.message}</Alert> : null}
      {state.status === 'ready' && state.apps.length === 0 ? <p className="empty-state">No protected applications yet.</p> : null}
      {state.status === 'ready' && state.apps.length > 0 ? (
        <div className="table-scroll">
          <table className="table applications-table">
            <caption className="visually-hidden">Protected applications</caption>
            <TableHead columns={['Name', 'Hosts', 'Rules']} actions />
            <tbody>
              {state.apps.map((app) => (
                <tr key={app.id}>
                  <th scope="row">{app.name}</th>
                  <td className="uri-list">
                    {app.hosts.map((host) => (
                      <div key={host}>{host}</div>
                    ))}
                  </td>
                  <td className="uri-list">
                    {app.rules.length === 0 ? <span className="muted">Anyone signed in, everywhere</span> : null}
                    {app.rules.map((rule) => (
                      <div key={rule.prefix}>
                        <code>{rule.prefix}</code>: {REQUIREMENT_WORDS[rule.require]}
                      </div>
                    ))}
                  </td>
                  <td className="table-action">
                    <button
                      type="button"
                      className="button button-danger button-small"
                      aria-label={`Delete ${app.name}`}
                      onClick={() => (setNotice(null), setOpen({ kind: 'delete', app }))}
                    >
                      Delete
                    </button>
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      ) : null}
      {open?.kind === 'add' ? (
        <AddDialog withStepUp={withStepUp} onClose={() => setOpen(null)} onSaved={(app) => void done(`${app.name} is protected.`)} />
      ) : null}
      {open?.kind === 'delete' ? (
        <DeleteDialog
          app={open.app}
          onCancel={() => setOpen(null)}
          onConfirm={async () => {
            await withStepUp(() => api.deleteProtectedApp(open.app.id));
            await done(`${open.app.name} was deleted.`);
          }}
        />
      ) : null}
      {stepUpDialog}
    </section>
  );
}

function AddDialog(props: {
  withStepUp: <T>(action: () => Promise<T>) => Promise<T>;
  onClose: () => void;
  onSaved: (app: ProtectedApp) => void;
}) {
  const [name, setName] = useState('');
  const [hosts, setHosts] = useState('');
  const [rules, setRules] = useState('');
  const [error, setError] = useState<{ field: string | null; text: string } | null>(null);
  const [busy, setBusy] = useState(false);
  const submit = async (event: FormEvent<HTMLFormElement>) => {
    event.preventDefault();
    setBusy(true);
    setError(null);
    try {
      props.onSaved(await props.withStepUp(() => api.createProtectedApp({ name, hosts: lines(hosts), rules: parseRules(rules) })));
    } catch (failure) {
      if (failure instanceof StepUpCancelled) return setBusy(false);
      const field = failure instanceof ApiError ? (failure.field ?? null) : null;
      const known = field && FIELD_IDS[field] ? field : null;
      setError({ field: known, text: errorText(failure, 'Saving the protected application failed.') });
      setBusy(false);
      if (known) document.getElementById(FIELD_IDS[known]!)?.focus();
    }
  };
  const fieldError = (field: string) => (error?.field === field ? error.text : undefined);
  return (
    <FormDialog title="Protect an application" wide onClose={props.onClose} onSubmit={(event) => void submit(event)}>
      {error && !error.field ? <Alert>{error.text}</Alert> : null}
      <TextField
        id="protected-app-name"
        label="Name"
        value={name}
        maxLength={100}
        required
        error={fieldError('name')}
        onChange={(e) => setName(e.target.value)}
      />
      <TextAreaField
        id="protected-app-hosts"
        label="Hosts"
        hint="One per line, as people type them: grafana.example.com, or with a port, grafana.example.com:8443."
        rows={2}
        spellCheck={false}
        value={hosts}
        error={fieldError('hosts')}
        onChange={(e) => setHosts(e.target.value)}
      />
      <TextAreaField
        id="protected-app-rules"
        label="Rules"
        hint="Optional, one per line: a path prefix, =, and any, admin or mfa (a code in this sign-in), such as /admin=mfa. The longest matching prefix wins; other paths need anyone signed in."
        rows={3}
        spellCheck={false}
        value={rules}
        error={fieldError('rules')}
        onChange={(e) => setRules(e.target.value)}
      />
      <DialogButtons submitLabel="Protect application" busy={busy} onCancel={props.onClose} />
    </FormDialog>
  );
}

function DeleteDialog(props: { app: ProtectedApp; onCancel: () => void; onConfirm: () => Promise<void> }) {
  const [error, setError] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);
  const submit = async (event: FormEvent<HTMLFormElement>) => {
    event.preventDefault();
    setBusy(true);
    try {
      await props.onConfirm();
    } catch (failure) {
      if (!(failure instanceof StepUpCancelled)) setError(errorText(failure, 'That did not work.'));
      setBusy(false);
    }
  };
  return (
    <FormDialog title={`Delete ${props.app.name}?`} onClose={props.onCancel} onSubmit={(event) => void submit(event)}>
      {error ? <Alert>{error}</Alert> : null}
      <p className="dialog-description">Its next request through the proxy is refused, and everyone signed in to it is signed out of it.</p>
      <DialogButtons submitLabel="Delete protected application" destructive busy={busy} onCancel={props.onCancel} />
    </FormDialog>
  );
}
