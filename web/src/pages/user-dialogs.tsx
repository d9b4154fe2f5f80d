/**
 * The Users tab's dialogs: add a user (an invitation email with a link to choose a password),
 * change someone's role or disable them, and ask everyone whose 2FA is off to turn it on.
 * Each change may need a step-up; the caller's step-up dialog opens on top of these.
 */
import { useState, type FormEvent } from 'react';
import { ApiError, api, type ApiErrorCode, type ListedUser, type Role, type UserStatus } from '../api.ts';
import { DialogButtons, FormDialog } from '../components/dialog.tsx';
import { Alert, SelectField, TextField } from '../components/field.tsx';
import { errorText } from '../errors.ts';
import { StepUpCancelled } from '../step-up.tsx';
import { formatTime } from '../time.ts';

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
  return (
    <>
      <TextField
        id={`${props.idPrefix}name-input`}
        label="Name"
        autoComplete="off"
        maxLength={200}
        required
        error={props.errors.name}
        value={props.name}
        onChange={(event) => props.onName(event.target.value)}
      />
      <TextField
        id={`${props.idPrefix}email-input`}
        label="Email"
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

  const submit = (event: FormEvent) => {
    event.preventDefault();
    if (!name.trim() || !email.trim()) {
      setFieldErrors(name.trim() ? { email: 'Enter their email address.' } : { name: 'Enter their name.' });
      document.getElementById(name.trim() ? 'email-input' : 'name-input')?.focus();
      return;
    }
    void run(
      async () => onInvited(await withStepUp(() => api.inviteUser({ name: name.trim(), email: email.trim(), role }))),
      'Adding the user failed.',
      // 409 conflict: the email is taken in this instance.
      (failure) => (failure.code === 'conflict' ? 'email' : (failure.field as 'name' | 'email' | undefined)),
    );
  };

  return (
    <FormDialog title="Add user" onClose={onCancel} onSubmit={submit}>
      <p className="dialog-description muted">keyward emails them a link to choose their password. The link works once, for 7 days.</p>
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
        label="Role"
        hint="Administrators can open Settings and change other people's accounts."
        value={role}
        onChange={(event) => setRole(event.target.value as Role)}
      >
        <option value="member">Member</option>
        <option value="admin">Administrator</option>
      </SelectField>
      <DialogButtons submitLabel="Send invitation" busy={busy} onCancel={onCancel} />
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
  const title = `Edit ${user.name}`;

  const submit = (event: FormEvent) => {
    event.preventDefault();
    if (!name.trim() || !email.trim()) {
      setFieldErrors(name.trim() ? { 'edit-email': 'Enter their email address.' } : { 'edit-name': 'Enter their name.' });
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
      'Saving the changes failed.',
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
        emailHint="Their login name. The old address is told of the change."
      />
      <SelectField
        id="edit-role"
        label="Role"
        hint="A change of role is emailed to the other administrators and to the person, and kept in the audit log."
        value={role}
        onChange={(event) => setRole(event.target.value as Role)}
      >
        <option value="member">Member</option>
        <option value="admin">Administrator</option>
      </SelectField>
      <SelectField
        id="edit-status"
        label="Account"
        hint="A disabled account cannot log in, and is logged out everywhere at once. They are emailed. Enable it again at any time."
        value={status}
        onChange={(event) => setStatus(event.target.value as UserStatus)}
      >
        <option value="active">Active</option>
        <option value="disabled">Disabled</option>
      </SelectField>
      <DialogButtons submitLabel="Save" busy={busy} onCancel={onCancel} destructive={status === 'disabled' && user.status !== 'disabled'} />
      <div className="dialog-danger">
        <button type="button" className="button button-danger-link" onClick={onDelete}>
          Delete user…
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
  const submit = (event: FormEvent) => {
    event.preventDefault();
    void run(async () => {
      await withStepUp(() => api.deleteUser(user.id));
      onDeleted();
    }, 'Deleting the user failed.');
  };
  return (
    <FormDialog title={`Delete ${user.name}?`} onClose={onCancel} onSubmit={submit}>
      <div className="dialog-description">
        <p className="muted">{user.email}</p>
        <p>
          The account is deleted for good, with its authenticator app, backup code and trusted browsers, and {user.name} is logged out
          everywhere at once, applications included. The audit log keeps what they did. To stop someone logging in for a while, disable the
          account instead.
        </p>
      </div>
      {error ? <Alert>{error}</Alert> : null}
      <DialogButtons submitLabel="Delete user" busy={busy} onCancel={onCancel} destructive />
    </FormDialog>
  );
}

/** Confirms the emails: on any plan an administrator may ask people to turn 2FA on, never do it for them (SPEC rule 1). */
export function AskToEnableDialog({ off, onConfirm, onCancel }: { off: number; onConfirm: () => Promise<void>; onCancel: () => void }) {
  const [busy, setBusy] = useState(false);
  const title = 'Ask users to enable 2FA';
  const submit = async (event: FormEvent) => {
    event.preventDefault();
    setBusy(true);
    await onConfirm();
    setBusy(false);
  };
  return (
    <FormDialog title={title} onClose={onCancel} onSubmit={(event) => void submit(event)}>
      <div className="dialog-description">
        <p>
          {off === 0
            ? 'Nobody has two-factor authentication off, so there is nobody to ask.'
            : `${off === 1 ? '1 person has' : `${off} people have`} two-factor authentication off. keyward emails each of them how to turn it on in My Profile. Nobody gets this email more than once a day.`}
        </p>
      </div>
      <DialogButtons submitLabel="Send emails" busy={busy || off === 0} onCancel={onCancel} />
    </FormDialog>
  );
}

/** What a reset removes, said the same way to administrators and to support. */
export function ResetEffects({ name }: { name: string }) {
  return (
    <>
      <p>This removes from {name}'s account:</p>
      <ul className="effects-list">
        <li>their authenticator app,</li>
        <li>their backup code,</li>
        <li>their trusted browsers (known locations),</li>
        <li>and every session: they are logged out everywhere.</li>
      </ul>
      <p>
        Two-factor authentication stays on: at their next login they set up an authenticator app again. They get an email about the reset.
      </p>
    </>
  );
}

// `forbidden` has more than one reason (no longer an administrator; removing someone's
// authenticator app without 2FA of one's own), so the server's own sentence is shown for it.
const RESET_REFUSALS: Partial<Record<ApiErrorCode, string>> = {
  cannot_reset_self: 'You cannot reset your own two-factor authentication. Your own recovery goes through the vendor’s support.',
  not_found: 'This user is no longer in your instance. Reload the list.',
};

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
  const title = `Reset 2FA for ${user.name}?`;

  const submit = (event: FormEvent) => {
    event.preventDefault();
    void run(async () => {
      try {
        await withStepUp(() => api.resetTwoFactor(user.id, reason.trim() || undefined));
      } catch (failure) {
        // The UI's own sentence for the refusals it knows; the server's message otherwise.
        const refusal = failure instanceof ApiError ? RESET_REFUSALS[failure.code] : undefined;
        throw refusal && failure instanceof ApiError ? new ApiError(failure.status, failure.code, refusal) : failure;
      }
      onReset();
    }, 'Resetting two-factor authentication failed.');
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
        label="Reason (optional)"
        hint="Kept in the audit log, for example “lost phone, confirmed in person”."
        autoComplete="off"
        maxLength={500}
        value={reason}
        onChange={(event) => setReason(event.target.value)}
      />
      <DialogButtons submitLabel="Reset 2FA" busy={busy} onCancel={onCancel} destructive />
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
  const submit = (event: FormEvent) => {
    event.preventDefault();
    void run(async () => onEnded((await withStepUp(() => api.endUserSessions(user.id))).ended), 'Ending the sessions failed.');
  };
  return (
    <FormDialog title={`End all sessions of ${user.name}?`} onClose={onCancel} onSubmit={submit}>
      <div className="dialog-description">
        <p className="muted">{user.email}</p>
        <p>
          Every browser where {user.name} is logged in is logged out at once. Their password, two-factor authentication and trusted browsers
          do not change, so they can log in again. They get an email about it.
        </p>
      </div>
      {error ? <Alert>{error}</Alert> : null}
      <DialogButtons submitLabel="End all sessions" busy={busy} onCancel={onCancel} destructive />
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
  const submit = (event: FormEvent) => {
    event.preventDefault();
    if (issued) return onCancel();
    void run(async () => setIssued(await withStepUp(() => api.startPasswordRecovery(user.id))), 'Starting the recovery failed.');
  };
  const copy = (code: string) =>
    navigator.clipboard.writeText(code).then(
      () => setCopied('yes'),
      () => setCopied('failed'),
    );
  return (
    <FormDialog title={`Password recovery for ${user.name}`} onClose={onCancel} onSubmit={submit}>
      <div className="dialog-description">
        <p className="muted">{user.email}</p>
        {issued ? (
          <>
            <p>
              {user.name} was emailed a link to choose a new password. The link works only with this recovery code. Give it to them in
              person or by phone, after checking who you are talking to. Never send it by email or chat.
            </p>
            <div className="secret-key">
              <p className="secret-key-label">Recovery code (shown only now)</p>
              <p className="secret-key-row">
                <code className="secret-key-value" data-recovery-code>
                  {issued.code}
                </code>{' '}
                <button type="button" className="button button-secondary button-small" onClick={() => void copy(issued.code)}>
                  Copy code
                </button>
              </p>
              <p className="field-hint">
                Valid once, until {formatTime(issued.expiresAt)}. A new recovery replaces it.{' '}
                <span role="status">
                  {copied === 'yes' ? 'Code copied.' : copied === 'failed' ? 'Copying failed: select the code and copy it.' : ''}
                </span>
              </p>
            </div>
          </>
        ) : (
          <p>
            {user.name} has two-factor authentication turned on but no authenticator app, so a password reset by email alone is refused. If
            they have forgotten their password, start a recovery: they are emailed a reset link, and you get a one-time code to give them in
            person or by phone. With both, they choose a new password, then log in and set up their app. You never see or choose their
            password.
          </p>
        )}
      </div>
      {error ? <Alert>{error}</Alert> : null}
      {issued ? (
        <div className="button-row">
          <button type="submit" className="button button-primary">
            Done
          </button>
        </div>
      ) : (
        <DialogButtons submitLabel="Start recovery" busy={busy} onCancel={onCancel} />
      )}
    </FormDialog>
  );
}
