/**
 * The Users tab's dialogs: add a user (an invitation email with a link to choose a password),
 * change someone's role or disable them, and ask everyone whose 2FA is off to turn it on.
 * Each change may need a step-up; the caller's step-up dialog opens on top of these.
 */
import { useState, type FormEvent } from 'react';
import { ApiError, api, type ApiErrorCode, type ListedUser, type Role, type UserStatus } from '../api.ts';
import { DialogButtons, FormDialog } from '../components/dialog.tsx';
import { Alert, SelectField, TextField } from '../components/field.tsx';
import { errorText, SaidError } from '../errors.ts';
import { StepUpCancelled } from '../step-up.tsx';
import { formatTime } from '../time.ts';
import { messages, useMessages } from '../i18n/index.ts';

type WithStepUp = <T>(action: () => Promise<T>) => Promise<T>;

/** A person's name and email, as the add and edit dialogs ask for them (the server's limits: 200 and 254). */
function PersonFields(props: {
  idPrefix: '' | 'edit-';
  name: string;
  email: string;
  onName: (value: string) => void;
  onEmail: (value: string) => void;
  errors: { name?: string | undefined; email?: string | undefined };
  emailHint?: string;
}) {
  const m = useMessages();
  return (
    <>
      <TextField
        id={`${props.idPrefix}name-input`}
        label={m.common.name}
        autoComplete="off"
        maxLength={200}
        required
        error={props.errors.name}
        value={props.name}
        onChange={(event) => props.onName(event.target.value)}
      />
      <TextField
        id={`${props.idPrefix}email-input`}
        label={m.common.email}
        type="email"
        autoComplete="off"
        autoCapitalize="none"
        spellCheck={false}
        maxLength={254}
        required
        {...(props.emailHint ? { hint: props.emailHint } : {})}
        error={props.errors.email}
        value={props.email}
        onChange={(event) => props.onEmail(event.target.value)}
      />
    </>
  );
}

/** Runs a dialog's change: busy while it runs; refusals come back as a field error or a message. */
function useSubmit<F extends string>(fields: readonly F[]) {
  const [fieldErrors, setFieldErrors] = useState<Partial<Record<F, string>>>({});
  const [error, setError] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);

  const run = async (
    work: () => Promise<void>,
    fallback: string,
    fieldOf: (failure: ApiError) => F | undefined = (f) => f.field as F | undefined,
  ) => {
    setFieldErrors({});
    setError(null);
    setBusy(true);
    try {
      await work();
    } catch (failure) {
      if (failure instanceof StepUpCancelled) return;
      const field = failure instanceof ApiError ? fieldOf(failure) : undefined;
      if (field && fields.includes(field)) {
        setFieldErrors({ [field]: errorText(failure, fallback) } as Partial<Record<F, string>>);
        document.getElementById(`${field}-input`)?.focus();
      } else setError(errorText(failure, fallback));
    } finally {
      setBusy(false);
    }
  };
  return { fieldErrors, setFieldErrors, error, busy, run };
}

const INVITE_FIELDS = ['name', 'email'] as const;

export function InviteUserDialog({
  withStepUp,
  onInvited,
  onCancel,
}: {
  withStepUp: WithStepUp;
  onInvited: (user: ListedUser) => void;
  onCancel: () => void;
}) {
  const [name, setName] = useState('');
  const [email, setEmail] = useState('');
  const [role, setRole] = useState<Role>('member');
  const { fieldErrors, setFieldErrors, error, busy, run } = useSubmit(INVITE_FIELDS);
  const m = useMessages();

  const submit = (event: FormEvent) => {
    event.preventDefault();
    if (!name.trim() || !email.trim()) {
      setFieldErrors(name.trim() ? { email: m.userDialogs.enterEmail } : { name: m.userDialogs.enterName });
      document.getElementById(name.trim() ? 'email-input' : 'name-input')?.focus();
      return;
    }
    void run(
      async () => onInvited(await withStepUp(() => api.inviteUser({ name: name.trim(), email: email.trim(), role }))),
      m.userDialogs.addFailed,
      // 409 conflict: the email is taken in this instance.
      (failure) => (failure.code === 'conflict' ? 'email' : (failure.field as 'name' | 'email' | undefined)),
    );
  };

  return (
    <FormDialog title={m.userDialogs.addTitle} onClose={onCancel} onSubmit={submit}>
      <p className="dialog-description muted">{m.userDialogs.addText}</p>
      {error ? <Alert>{error}</Alert> : null}
      <PersonFields
        idPrefix=""
        name={name}
        email={email}
        onName={setName}
        onEmail={setEmail}
        errors={{ name: fieldErrors.name, email: fieldErrors.email }}
      />
      <SelectField
        id="role-input"
        label={m.common.role}
        hint={m.userDialogs.roleHint}
        value={role}
        onChange={(event) => setRole(event.target.value as Role)}
      >
        <option value="member">{m.profile.roles.member}</option>
        <option value="admin">{m.profile.roles.admin}</option>
      </SelectField>
      <DialogButtons submitLabel={m.userDialogs.sendInvitation} busy={busy} onCancel={onCancel} />
    </FormDialog>
  );
}

const EDIT_FIELDS = ['edit-name', 'edit-email'] as const;

/** Name, email (the login name), role and status; "Delete user…" opens its own confirmation. */
export function EditUserDialog({
  user,
  withStepUp,
  onSaved,
  onDelete,
  onCancel,
}: {
  user: ListedUser;
  withStepUp: WithStepUp;
  onSaved: (user: ListedUser) => void;
  onDelete: () => void;
  onCancel: () => void;
}) {
  const [name, setName] = useState(user.name);
  const [email, setEmail] = useState(user.email);
  const [role, setRole] = useState<Role>(user.role);
  const [status, setStatus] = useState<UserStatus>(user.status);
  const { fieldErrors, setFieldErrors, error, busy, run } = useSubmit(EDIT_FIELDS);
  const m = useMessages();
  const title = m.userDialogs.editTitle(user.name);

  const submit = (event: FormEvent) => {
    event.preventDefault();
    if (!name.trim() || !email.trim()) {
      setFieldErrors(name.trim() ? { 'edit-email': m.userDialogs.enterEmail } : { 'edit-name': m.userDialogs.enterName });
      document.getElementById(name.trim() ? 'edit-email-input' : 'edit-name-input')?.focus();
      return;
    }
    const change = {
      ...(name.trim() !== user.name ? { name: name.trim() } : {}),
      ...(email.trim() !== user.email ? { email: email.trim() } : {}),
      ...(role !== user.role ? { role } : {}),
      ...(status !== user.status ? { status } : {}),
    };
    if (Object.keys(change).length === 0) return onCancel();
    void run(
      async () => onSaved(await withStepUp(() => api.updateUser(user.id, change))),
      m.userDialogs.saveFailed,
      // 409 email_taken: another user of the instance has this email.
      (failure) => (failure.field === 'email' ? 'edit-email' : failure.field === 'name' ? 'edit-name' : undefined),
    );
  };

  return (
    <FormDialog title={title} onClose={onCancel} onSubmit={submit}>
      {error ? <Alert>{error}</Alert> : null}
      <PersonFields
        idPrefix="edit-"
        name={name}
        email={email}
        onName={setName}
        onEmail={setEmail}
        errors={{ name: fieldErrors['edit-name'], email: fieldErrors['edit-email'] }}
        emailHint={m.userDialogs.emailHint}
      />
      <SelectField
        id="edit-role"
        label={m.common.role}
        hint={m.userDialogs.editRoleHint}
        value={role}
        onChange={(event) => setRole(event.target.value as Role)}
      >
        <option value="member">{m.profile.roles.member}</option>
        <option value="admin">{m.profile.roles.admin}</option>
      </SelectField>
      <SelectField
        id="edit-status"
        label={m.userDialogs.account}
        hint={m.userDialogs.statusHint}
        value={status}
        onChange={(event) => setStatus(event.target.value as UserStatus)}
      >
        <option value="active">{m.userDialogs.active}</option>
        <option value="disabled">{m.userDialogs.disabled}</option>
      </SelectField>
      <DialogButtons
        submitLabel={m.userDialogs.save}
        busy={busy}
        onCancel={onCancel}
        destructive={status === 'disabled' && user.status !== 'disabled'}
      />
      <div className="dialog-danger">
        <button type="button" className="button button-danger-link" onClick={onDelete}>
          {m.userDialogs.deleteUser}
        </button>
      </div>
    </FormDialog>
  );
}

/** Deleting is for good: the account, its app, codes and trusted browsers go, and every session ends. */
export function DeleteUserDialog({
  user,
  withStepUp,
  onDeleted,
  onCancel,
}: {
  user: ListedUser;
  withStepUp: WithStepUp;
  onDeleted: () => void;
  onCancel: () => void;
}) {
  const { error, busy, run } = useSubmit([] as const);
  const m = useMessages();
  const submit = (event: FormEvent) => {
    event.preventDefault();
    void run(async () => {
      await withStepUp(() => api.deleteUser(user.id));
      onDeleted();
    }, m.userDialogs.deleteFailed);
  };
  return (
    <FormDialog title={m.userDialogs.deleteTitle(user.name)} onClose={onCancel} onSubmit={submit}>
      <div className="dialog-description">
        <p className="muted">{user.email}</p>
        <p>{m.userDialogs.deleteText(user.name)}</p>
      </div>
      {error ? <Alert>{error}</Alert> : null}
      <DialogButtons submitLabel={m.userDialogs.deleteButton} busy={busy} onCancel={onCancel} destructive />
    </FormDialog>
  );
}

/** Confirms the emails: on any plan an administrator may ask people to turn 2FA on, never do it for them (SPEC rule 1). */
export function AskToEnableDialog({ off, onConfirm, onCancel }: { off: number; onConfirm: () => Promise<void>; onCancel: () => void }) {
  const [busy, setBusy] = useState(false);
  const m = useMessages();
  const title = m.userDialogs.askTitle;
  const submit = async (event: FormEvent) => {
    event.preventDefault();
    setBusy(true);
    await onConfirm();
    setBusy(false);
  };
  return (
    <FormDialog title={title} onClose={onCancel} onSubmit={(event) => void submit(event)}>
      <div className="dialog-description">
        <p>{off === 0 ? m.userDialogs.askNobody : m.userDialogs.askSome(off)}</p>
      </div>
      <DialogButtons submitLabel={m.userDialogs.sendEmails} busy={busy || off === 0} onCancel={onCancel} />
    </FormDialog>
  );
}

/** What a reset removes, said the same way to administrators and to support. */
export function ResetEffects({ name }: { name: string }) {
  const m = useMessages();
  return (
    <>
      <p>{m.userDialogs.removes(name)}</p>
      <ul className="effects-list">
        <li>{m.userDialogs.removesApp}</li>
        <li>{m.userDialogs.removesBackupCode}</li>
        <li>{m.userDialogs.removesBrowsers}</li>
        <li>{m.userDialogs.removesSessions}</li>
      </ul>
      <p>{m.userDialogs.staysOn}</p>
    </>
  );
}

// `forbidden` has more than one reason (no longer an administrator; removing someone's
// authenticator app without 2FA of one's own), so the server's own sentence is shown for it.
function resetRefusals(): Partial<Record<ApiErrorCode, string>> {
  const m = messages().userDialogs;
  return { cannot_reset_self: m.cannotResetSelf, not_found: m.notInInstance };
}

/**
 * SPEC rule 8: the person lost both their app and their backup code, and an administrator of
 * their instance resets 2FA for them. The optional reason is kept in the audit event.
 */
export function ResetTwoFactorDialog({
  user,
  withStepUp,
  onReset,
  onCancel,
}: {
  user: ListedUser;
  withStepUp: WithStepUp;
  onReset: () => void;
  onCancel: () => void;
}) {
  const [reason, setReason] = useState('');
  const { error, busy, run } = useSubmit([] as const);
  const m = useMessages();
  const title = m.userDialogs.resetTitle(user.name);

  const submit = (event: FormEvent) => {
    event.preventDefault();
    void run(async () => {
      try {
        await withStepUp(() => api.resetTwoFactor(user.id, reason.trim() || undefined));
      } catch (failure) {
        // The UI's own sentence for the refusals it knows; the server's message otherwise.
        const refusal = failure instanceof ApiError ? resetRefusals()[failure.code] : undefined;
        throw refusal ? new SaidError(refusal) : failure;
      }
      onReset();
    }, m.userDialogs.resetFailed);
  };

  return (
    <FormDialog title={title} onClose={onCancel} onSubmit={submit}>
      <div className="dialog-description">
        <p className="muted">{user.email}</p>
        <ResetEffects name={user.name} />
      </div>
      {error ? <Alert>{error}</Alert> : null}
      <TextField
        id="reset-reason"
        label={m.userDialogs.reason}
        hint={m.userDialogs.reasonHint}
        autoComplete="off"
        maxLength={500}
        value={reason}
        onChange={(event) => setReason(event.target.value)}
      />
      <DialogButtons submitLabel={m.userDialogs.reset} busy={busy} onCancel={onCancel} destructive />
    </FormDialog>
  );
}

/**
 * "End all sessions": the user is logged out of every browser at once (a lost laptop, someone
 * leaving). Their password, 2FA and trusted browsers stay; they are emailed.
 */
export function EndSessionsDialog({
  user,
  withStepUp,
  onEnded,
  onCancel,
}: {
  user: ListedUser;
  withStepUp: WithStepUp;
  onEnded: (ended: number) => void;
  onCancel: () => void;
}) {
  const { error, busy, run } = useSubmit([] as const);
  const m = useMessages();
  const submit = (event: FormEvent) => {
    event.preventDefault();
    void run(async () => onEnded((await withStepUp(() => api.endUserSessions(user.id))).ended), m.userDialogs.endFailed);
  };
  return (
    <FormDialog title={m.userDialogs.endTitle(user.name)} onClose={onCancel} onSubmit={submit}>
      <div className="dialog-description">
        <p className="muted">{user.email}</p>
        <p>{m.userDialogs.endText(user.name)}</p>
      </div>
      {error ? <Alert>{error}</Alert> : null}
      <DialogButtons submitLabel={m.userDialogs.endButton} busy={busy} onCancel={onCancel} destructive />
    </FormDialog>
  );
}

/**
 * Password recovery for a user whose 2FA is on without an app (issue 10 item 3): the server mails
 * them a reset link, and this dialog shows once the code that the link needs. Two channels: the
 * administrator never chooses the password, and the mailbox alone cannot use the link.
 */
export function PasswordRecoveryDialog({ user, withStepUp, onCancel }: { user: ListedUser; withStepUp: WithStepUp; onCancel: () => void }) {
  const { error, busy, run } = useSubmit([] as const);
  const [issued, setIssued] = useState<{ code: string; expiresAt: string } | null>(null);
  const [copied, setCopied] = useState<'yes' | 'failed' | null>(null);
  const m = useMessages();
  const submit = (event: FormEvent) => {
    event.preventDefault();
    if (issued) return onCancel();
    void run(async () => setIssued(await withStepUp(() => api.startPasswordRecovery(user.id))), m.userDialogs.recoveryFailed);
  };
  const copy = (code: string) =>
    navigator.clipboard.writeText(code).then(
      () => setCopied('yes'),
      () => setCopied('failed'),
    );
  return (
    <FormDialog title={m.userDialogs.recoveryTitle(user.name)} onClose={onCancel} onSubmit={submit}>
      <div className="dialog-description">
        <p className="muted">{user.email}</p>
        {issued ? (
          <>
            <p>{m.userDialogs.recoveryIssued(user.name)}</p>
            <div className="secret-key">
              <p className="secret-key-label">{m.userDialogs.recoveryCode}</p>
              <p className="secret-key-row">
                <code className="secret-key-value" data-recovery-code>
                  {issued.code}
                </code>{' '}
                <button type="button" className="button button-secondary button-small" onClick={() => void copy(issued.code)}>
                  {m.userDialogs.copyCode}
                </button>
              </p>
              <p className="field-hint">
                {m.userDialogs.validUntil(formatTime(issued.expiresAt))}{' '}
                <span role="status">
                  {copied === 'yes' ? m.userDialogs.codeCopied : copied === 'failed' ? m.userDialogs.copyFailed : ''}
                </span>
              </p>
            </div>
          </>
        ) : (
          <p>{m.userDialogs.recoveryText(user.name)}</p>
        )}
      </div>
      {error ? <Alert>{error}</Alert> : null}
      {issued ? (
        <div className="button-row">
          <button type="submit" className="button button-primary">
            {m.userDialogs.done}
          </button>
        </div>
      ) : (
        <DialogButtons submitLabel={m.userDialogs.startRecovery} busy={busy} onCancel={onCancel} />
      )}
    </FormDialog>
  );
}
