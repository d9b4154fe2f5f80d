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
import { messages, useMessages } from '../i18n/index.ts';

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
  const m = useMessages();
  const [state, setState] = useState<State>({ status: 'loading' });
  const [open, setOpen] = useState<Open>(null);
  const [notice, setNotice] = useState<string | null>(null);

  const load = useCallback(async () => {
    try {
      setState({ status: 'ready', clients: (await api.oidcClients()).clients });
    } catch (failure) {
      setState({ status: 'failed', message: errorText(failure, messages().applications.loadFailed) });
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
          {m.applications.heading}
        </h2>
        <div className="button-row">
          <button type="button" className="button button-primary" onClick={() => (setNotice(null), setOpen({ kind: 'add' }))}>
            {m.applications.add}
          </button>
        </div>
      </div>
      <p className="muted">{m.applications.text}</p>
      {notice ? <Notice tone="success">{notice}</Notice> : null}
      {state.status === 'loading' ? <p role="status">{m.common.loading}</p> : null}
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
              : void done(m.applications.saved(saved.name))
          }
        />
      ) : null}
      {open?.kind === 'rotate' ? (
        <ConfirmDialog
          title={m.applications.rotateTitle}
          submitLabel={m.applications.rotate}
          text={m.applications.rotateText(open.client.name)}
          onCancel={() => setOpen(null)}
          onConfirm={async () => {
            const rotated = await withStepUp(() => api.rotateOidcClientSecret(open.client.clientId));
            await done(null, { kind: 'secret', client: rotated, created: false });
          }}
        />
      ) : null}
      {open?.kind === 'delete' ? (
        <ConfirmDialog
          title={m.applications.deleteTitle(open.client.name)}
          submitLabel={m.applications.deleteButton}
          text={m.applications.deleteText}
          onCancel={() => setOpen(null)}
          onConfirm={async () => {
            await withStepUp(() => api.deleteOidcClient(open.client.clientId));
            await done(m.applications.deleted(open.client.name));
          }}
        />
      ) : null}
      {open?.kind === 'secret' ? <SecretDialog client={open.client} created={open.created} onClose={() => void done(null)} /> : null}
      {stepUpDialog}
    </section>
  );
}

function ClientsTable({ clients, onOpen }: { clients: OidcClient[]; onOpen: (open: Open) => void }) {
  const m = useMessages();
  if (clients.length === 0) return <p className="empty-state">{m.applications.none}</p>;
  return (
    <div className="table-scroll">
      <table className="table applications-table">
        <caption className="visually-hidden">{m.applications.heading}</caption>
        <TableHead columns={[m.common.name, m.applications.clientId, m.applications.type, m.applications.redirectUris]} actions />
        <tbody>
          {clients.map((client) => (
            <tr key={client.clientId}>
              <th scope="row">{client.name}</th>
              <td>
                <code className="client-id">{client.clientId}</code>
              </td>
              <td>
                {client.grantTypes.includes('client_credentials')
                  ? m.applications.machine
                  : client.public
                    ? m.applications.public
                    : m.applications.confidential}
              </td>
              <td className="uri-list">
                {client.redirectUris.length === 0 ? (
                  <span className="muted">{m.applications.noUris}</span>
                ) : (
                  client.redirectUris.map((uri) => <div key={uri}>{uri}</div>)
                )}
              </td>
              <td className="table-action">
                <div className="button-row">
                  <button
                    type="button"
                    className="button button-secondary button-small"
                    aria-label={m.applications.editFor(client.name)}
                    onClick={() => onOpen({ kind: 'edit', client })}
                  >
                    {m.applications.edit}
                  </button>
                  {client.public ? null : (
                    <button
                      type="button"
                      className="button button-secondary button-small"
                      aria-label={m.applications.rotateFor(client.name)}
                      onClick={() => onOpen({ kind: 'rotate', client })}
                    >
                      {m.applications.rotate}
                    </button>
                  )}
                  <button
                    type="button"
                    className="button button-danger button-small"
                    aria-label={m.applications.deleteFor(client.name)}
                    onClick={() => onOpen({ kind: 'delete', client })}
                  >
                    {m.applications.delete}
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
  const m = useMessages();

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
      setError({ field: field && FIELD_IDS[field] ? field : null, text: errorText(failure, m.applications.saveFailed) });
      setBusy(false);
      if (field && FIELD_IDS[field]) document.getElementById(FIELD_IDS[field])?.focus();
    }
  };
  const fieldError = (field: string) => (error?.field === field ? error.text : undefined);

  return (
    <FormDialog
      title={client ? m.applications.editFor(client.name) : m.applications.add}
      wide
      onClose={onClose}
      onSubmit={(event) => void submit(event)}
    >
      {error && !error.field ? <Alert>{error.text}</Alert> : null}
      <TextField
        id="app-name"
        label={m.common.name}
        value={name}
        maxLength={100}
        required
        error={fieldError('name')}
        onChange={(e) => setName(e.target.value)}
      />
      {machine ? null : (
        <TextAreaField
          id="app-redirect-uris"
          label={m.applications.redirectUris}
          hint={m.applications.redirectHint}
          rows={3}
          spellCheck={false}
          value={redirects}
          error={fieldError('redirectUris')}
          onChange={(e) => setRedirects(e.target.value)}
        />
      )}
      <TextAreaField
        id="app-post-logout-uris"
        label={m.applications.postLogout}
        hint={m.applications.postLogoutHint}
        rows={2}
        spellCheck={false}
        value={postLogout}
        error={fieldError('postLogoutRedirectUris')}
        onChange={(e) => setPostLogout(e.target.value)}
      />
      {machine ? null : (
        <TextField
          id="app-backchannel-logout-uri"
          label={m.applications.backchannel}
          hint={m.applications.backchannelHint}
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
          label={m.applications.publicLabel}
          hint={m.applications.publicHint}
          checked={isPublic}
          onChange={(e) => setPublic(e.target.checked)}
        />
      )}
      {machine ? null : (
        <CheckboxField
          id="app-require-mfa"
          label={m.applications.requireMfa}
          hint={m.applications.requireMfaHint}
          checked={requireMfa}
          onChange={(e) => setRequireMfa(e.target.checked)}
        />
      )}
      <DialogButtons submitLabel={client ? m.applications.save : m.applications.add} busy={busy} onCancel={onClose} />
    </FormDialog>
  );
}

function ConfirmDialog(props: { title: string; text: string; submitLabel: string; onCancel: () => void; onConfirm: () => Promise<void> }) {
  const [error, setError] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);
  const m = useMessages();
  const submit = async (event: FormEvent<HTMLFormElement>) => {
    event.preventDefault();
    setBusy(true);
    try {
      await props.onConfirm();
    } catch (failure) {
      if (!(failure instanceof StepUpCancelled)) setError(errorText(failure, m.applications.failed));
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
  const m = useMessages();
  const copy = (value: string, done: string, failed: string) =>
    navigator.clipboard.writeText(value).then(
      () => setCopied(done),
      () => setCopied(failed),
    );
  return (
    <Dialog title={created ? m.applications.added(client.name) : m.applications.newSecret} wide onClose={onClose}>
      {(titleId) => (
        <div className="form">
          <h2 id={titleId} className="dialog-title">
            {created ? m.applications.added(client.name) : m.applications.newSecretFor(client.name)}
          </h2>
          <p className="dialog-description">{client.clientSecret ? m.applications.copyNow : m.applications.noSecret}</p>
          <p className="secret-key-label">{m.applications.clientId}</p>
          <p className="secret-key-row">
            <code className="secret-key-value">{client.clientId}</code>{' '}
            <button
              type="button"
              className="button button-secondary button-small"
              onClick={() => void copy(client.clientId, m.applications.idCopied, m.applications.idCopyFailed)}
            >
              {m.applications.copyId}
            </button>
          </p>
          {client.clientSecret ? (
            <>
              <p className="secret-key-label">{m.applications.clientSecret}</p>
              <p className="secret-key-row">
                <code className="secret-key-value">{client.clientSecret}</code>{' '}
                <button
                  type="button"
                  className="button button-secondary button-small"
                  onClick={() => void copy(client.clientSecret!, m.applications.secretCopied, m.applications.secretCopyFailed)}
                >
                  {m.applications.copySecret}
                </button>
              </p>
            </>
          ) : null}
          <p className="field-hint" role="status">
            {copied ?? ''}
          </p>
          <div className="button-row">
            <button type="button" className="button button-primary" onClick={onClose}>
              {m.applications.done}
            </button>
          </div>
        </div>
      )}
    </Dialog>
  );
}
