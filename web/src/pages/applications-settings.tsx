/**
 * Settings → Applications (administrators): the instance's OpenID Connect clients (SPEC §6). Add
 * one, change its redirect and post-logout URIs, replace its secret (shown once, with a copy
 * button) or delete it. Changes are admin changes, so they may need a step-up (SPEC rule 12).
 * Machine clients (client_credentials) are made with the CLI or the API and listed here too.
 */
import { useCallback, useEffect, useId, useRef, useState, type FormEvent } from 'react';
import { api, ApiError, type OidcClient, type OidcClientWithSecret } from '../api.ts';
import { Dialog, DialogButtons, FormDialog } from '../components/dialog.tsx';
import { Alert, CheckboxField, Notice, TextAreaField, TextField } from '../components/field.tsx';
import { TableHead } from '../components/table.tsx';
import { errorText } from '../errors.ts';
import { StepUpCancelled, useStepUp } from '../step-up.tsx';

type Open =
  | null
  | { kind: 'add' }
  | { kind: 'edit'; client: OidcClient }
  | { kind: 'rotate'; client: OidcClient }
  | { kind: 'delete'; client: OidcClient }
  | { kind: 'secret'; client: OidcClientWithSecret; created: boolean };

type State = { status: 'loading' } | { status: 'ready'; clients: OidcClient[] } | { status: 'failed'; message: string };

const lines = (text: string) =>
  text
    .split('\n')
    .map((line) => line.trim())
    .filter(Boolean);

export function ApplicationsSettings() {
  const headingId = useId();
  const heading = useRef<HTMLHeadingElement>(null);
  const { withStepUp, stepUpDialog } = useStepUp();
  const [state, setState] = useState<State>({ status: 'loading' });
  const [open, setOpen] = useState<Open>(null);
  const [notice, setNotice] = useState<string | null>(null);

  const load = useCallback(async () => {
    try {
      setState({ status: 'ready', clients: (await api.oidcClients()).clients });
    } catch (failure) {
      setState({ status: 'failed', message: errorText(failure, 'Loading the applications failed.') });
    }
  }, []);
  useEffect(() => void load(), [load]);

  const done = async (message: string | null, next: Open = null) => {
    setNotice(message);
    setOpen(next);
    await load();
    if (!next) heading.current?.focus();
  };

  return (
    <section aria-labelledby={headingId}>
      <div className="section-header">
        <h2 id={headingId} ref={heading} tabIndex={-1}>
          Applications
        </h2>
        <div className="button-row">
          <button type="button" className="button button-primary" onClick={() => (setNotice(null), setOpen({ kind: 'add' }))}>
            Add application
          </button>
        </div>
      </div>
      <p className="muted">
        Applications sign people in with this instance through OpenID Connect. Each one gets a client ID; a confidential application also
        gets a secret, shown once. Redirect URIs must match exactly what the application sends.
      </p>
      {notice ? <Notice tone="success">{notice}</Notice> : null}
      {state.status === 'loading' ? <p role="status">Loading…</p> : null}
      {state.status === 'failed' ? <Alert>{state.message}</Alert> : null}
      {state.status === 'ready' ? <ClientsTable clients={state.clients} onOpen={(next) => (setNotice(null), setOpen(next))} /> : null}
      {open?.kind === 'add' || open?.kind === 'edit' ? (
        <ClientDialog
          client={open.kind === 'edit' ? open.client : null}
          withStepUp={withStepUp}
          onClose={() => setOpen(null)}
          onSaved={(saved) =>
            'clientSecret' in saved
              ? void done(null, { kind: 'secret', client: saved, created: true })
              : void done(`${saved.name} was saved.`)
          }
        />
      ) : null}
      {open?.kind === 'rotate' ? (
        <ConfirmDialog
          title="Replace the secret?"
          submitLabel="Replace secret"
          text={`${open.client.name} stops working with its current secret at once, until it is given the new one.`}
          onCancel={() => setOpen(null)}
          onConfirm={async () => {
            const rotated = await withStepUp(() => api.rotateOidcClientSecret(open.client.clientId));
            await done(null, { kind: 'secret', client: rotated, created: false });
          }}
        />
      ) : null}
      {open?.kind === 'delete' ? (
        <ConfirmDialog
          title={`Delete ${open.client.name}?`}
          submitLabel="Delete application"
          text="Its next sign-in and token request are refused. This cannot be undone."
          onCancel={() => setOpen(null)}
          onConfirm={async () => {
            await withStepUp(() => api.deleteOidcClient(open.client.clientId));
            await done(`${open.client.name} was deleted.`);
          }}
        />
      ) : null}
      {open?.kind === 'secret' ? <SecretDialog client={open.client} created={open.created} onClose={() => void done(null)} /> : null}
      {stepUpDialog}
    </section>
  );
}

function ClientsTable({ clients, onOpen }: { clients: OidcClient[]; onOpen: (open: Open) => void }) {
  if (clients.length === 0) return <p className="empty-state">No applications yet.</p>;
  return (
    <div className="table-scroll">
      <table className="table applications-table">
        <caption className="visually-hidden">Applications</caption>
        <TableHead columns={['Name', 'Client ID', 'Type', 'Redirect URIs']} actions />
        <tbody>
          {clients.map((client) => (
            <tr key={client.clientId}>
              <th scope="row">{client.name}</th>
              <td>
                <code className="client-id">{client.clientId}</code>
              </td>
              <td>{client.grantTypes.includes('client_credentials') ? 'Machine' : client.public ? 'Public' : 'Confidential'}</td>
              <td className="uri-list">
                {client.redirectUris.length === 0 ? (
                  <span className="muted">None</span>
                ) : (
                  client.redirectUris.map((uri) => <div key={uri}>{uri}</div>)
                )}
              </td>
              <td className="table-action">
                <div className="button-row">
                  <button
                    type="button"
                    className="button button-secondary button-small"
                    aria-label={`Edit ${client.name}`}
                    onClick={() => onOpen({ kind: 'edit', client })}
                  >
                    Edit
                  </button>
                  {client.public ? null : (
                    <button
                      type="button"
                      className="button button-secondary button-small"
                      aria-label={`Replace the secret of ${client.name}`}
                      onClick={() => onOpen({ kind: 'rotate', client })}
                    >
                      Replace secret
                    </button>
                  )}
                  <button
                    type="button"
                    className="button button-danger button-small"
                    aria-label={`Delete ${client.name}`}
                    onClick={() => onOpen({ kind: 'delete', client })}
                  >
                    Delete
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

interface ClientDialogProps {
  client: OidcClient | null;
  withStepUp: <T>(action: () => Promise<T>) => Promise<T>;
  onClose: () => void;
  onSaved: (client: OidcClient | OidcClientWithSecret) => void;
}

const FIELD_IDS: Record<string, string> = {
  name: 'app-name',
  redirectUris: 'app-redirect-uris',
  postLogoutRedirectUris: 'app-post-logout-uris',
  backchannelLogoutUri: 'app-backchannel-logout-uri',
};

function ClientDialog({ client, withStepUp, onClose, onSaved }: ClientDialogProps) {
  const [name, setName] = useState(client?.name ?? '');
  const [redirects, setRedirects] = useState(client?.redirectUris.join('\n') ?? '');
  const [postLogout, setPostLogout] = useState(client?.postLogoutRedirectUris.join('\n') ?? '');
  const [backchannel, setBackchannel] = useState(client?.backchannelLogoutUri ?? '');
  const [isPublic, setPublic] = useState(false);
  const [requireMfa, setRequireMfa] = useState(client?.defaultAcrValues.includes('urn:keyward:acr:mfa') ?? false);
  const [error, setError] = useState<{ field: string | null; text: string } | null>(null);
  const [busy, setBusy] = useState(false);
  const machine = client?.grantTypes.includes('client_credentials') ?? false;

  const submit = async (event: FormEvent<HTMLFormElement>) => {
    event.preventDefault();
    setBusy(true);
    setError(null);
    const fields = {
      name,
      ...(machine ? {} : { redirectUris: lines(redirects) }),
      postLogoutRedirectUris: lines(postLogout),
      backchannelLogoutUri: backchannel.trim() || null,
      defaultAcrValues: requireMfa ? ['urn:keyward:acr:mfa'] : [],
    };
    try {
      const saved = client
        ? await withStepUp(() => api.updateOidcClient(client.clientId, fields))
        : await withStepUp(() => api.createOidcClient({ ...fields, public: isPublic }));
      onSaved(saved);
    } catch (failure) {
      if (failure instanceof StepUpCancelled) return setBusy(false);
      const field = failure instanceof ApiError ? (failure.field ?? null) : null;
      setError({ field: field && FIELD_IDS[field] ? field : null, text: errorText(failure, 'Saving the application failed.') });
      setBusy(false);
      if (field && FIELD_IDS[field]) document.getElementById(FIELD_IDS[field])?.focus();
    }
  };
  const fieldError = (field: string) => (error?.field === field ? error.text : undefined);

  return (
    <FormDialog title={client ? `Edit ${client.name}` : 'Add application'} wide onClose={onClose} onSubmit={(event) => void submit(event)}>
      {error && !error.field ? <Alert>{error.text}</Alert> : null}
      <TextField
        id="app-name"
        label="Name"
        value={name}
        maxLength={100}
        required
        error={fieldError('name')}
        onChange={(e) => setName(e.target.value)}
      />
      {machine ? null : (
        <TextAreaField
          id="app-redirect-uris"
          label="Redirect URIs"
          hint="One per line, exactly as the application sends them: https, or http only on 127.0.0.1, [::1] or localhost."
          rows={3}
          spellCheck={false}
          value={redirects}
          error={fieldError('redirectUris')}
          onChange={(e) => setRedirects(e.target.value)}
        />
      )}
      <TextAreaField
        id="app-post-logout-uris"
        label="Post-logout redirect URIs"
        hint="Optional, one per line: where the application may send people after they sign out."
        rows={2}
        spellCheck={false}
        value={postLogout}
        error={fieldError('postLogoutRedirectUris')}
        onChange={(e) => setPostLogout(e.target.value)}
      />
      {machine ? null : (
        <TextField
          id="app-backchannel-logout-uri"
          label="Back-channel logout URI"
          hint="Optional: where keyward tells the application that a sign-in's keyward session ended (logout, a reset, a password change)."
          inputMode="url"
          spellCheck={false}
          value={backchannel}
          error={fieldError('backchannelLogoutUri')}
          onChange={(e) => setBackchannel(e.target.value)}
        />
      )}
      {client ? null : (
        <CheckboxField
          id="app-public"
          label="Public application (no secret)"
          hint="For an app that runs in the browser or on a phone and cannot keep a secret; PKCE protects its sign-ins."
          checked={isPublic}
          onChange={(e) => setPublic(e.target.checked)}
        />
      )}
      {machine ? null : (
        <CheckboxField
          id="app-require-mfa"
          label="Always ask for a code"
          hint="Sign-ins to this application need a code from the authenticator app, even from a known location."
          checked={requireMfa}
          onChange={(e) => setRequireMfa(e.target.checked)}
        />
      )}
      <DialogButtons submitLabel={client ? 'Save' : 'Add application'} busy={busy} onCancel={onClose} />
    </FormDialog>
  );
}

function ConfirmDialog(props: { title: string; text: string; submitLabel: string; onCancel: () => void; onConfirm: () => Promise<void> }) {
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
    <FormDialog title={props.title} onClose={props.onCancel} onSubmit={(event) => void submit(event)}>
      {error ? <Alert>{error}</Alert> : null}
      <p className="dialog-description">{props.text}</p>
      <DialogButtons submitLabel={props.submitLabel} destructive busy={busy} onCancel={props.onCancel} />
    </FormDialog>
  );
}

/** The client ID and, this once, the secret, with copy buttons: the server never shows the secret again. */
function SecretDialog({ client, created, onClose }: { client: OidcClientWithSecret; created: boolean; onClose: () => void }) {
  const [copied, setCopied] = useState<string | null>(null);
  const copy = (label: string, value: string) =>
    navigator.clipboard.writeText(value).then(
      () => setCopied(`${label} copied.`),
      () => setCopied(`Copying failed: select the ${label.toLowerCase()} and copy it.`),
    );
  return (
    <Dialog title={created ? `${client.name} was added` : 'New secret'} wide onClose={onClose}>
      {(titleId) => (
        <div className="form">
          <h2 id={titleId} className="dialog-title">
            {created ? `${client.name} was added` : `New secret for ${client.name}`}
          </h2>
          <p className="dialog-description">
            {client.clientSecret
              ? 'Copy the secret into the application now: it is shown only this once. If it is lost, replace it.'
              : 'A public application has no secret: give it the client ID.'}
          </p>
          <p className="secret-key-label">Client ID</p>
          <p className="secret-key-row">
            <code className="secret-key-value">{client.clientId}</code>{' '}
            <button type="button" className="button button-secondary button-small" onClick={() => void copy('Client ID', client.clientId)}>
              Copy client ID
            </button>
          </p>
          {client.clientSecret ? (
            <>
              <p className="secret-key-label">Client secret</p>
              <p className="secret-key-row">
                <code className="secret-key-value">{client.clientSecret}</code>{' '}
                <button
                  type="button"
                  className="button button-secondary button-small"
                  onClick={() => void copy('Secret', client.clientSecret!)}
                >
                  Copy secret
                </button>
              </p>
            </>
          ) : null}
          <p className="field-hint" role="status">
            {copied ?? ''}
          </p>
          <div className="button-row">
            <button type="button" className="button button-primary" onClick={onClose}>
              Done
            </button>
          </div>
        </div>
      )}
    </Dialog>
  );
}
