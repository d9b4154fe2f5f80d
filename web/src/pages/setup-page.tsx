/**
 * First-run setup from the one-time link the server prints on an empty database
 * (`/setup#token=…`): creates the first instance and its administrator, who is then logged in.
 */
import { PASSWORD_MAX_LENGTH } from './change-password.tsx';
import { useEffect, useState, type FormEvent } from 'react';
import { api, ApiError } from '../api.ts';
import { Alert, SelectField, TextField } from '../components/field.tsx';
import { Page } from '../components/page.tsx';
import { Link, navigate } from '../router.ts';
import { useSession } from '../session.tsx';

type Status = 'checking' | 'open' | 'closed' | 'unreachable';
type FieldName = 'name' | 'slug' | 'plan' | 'adminName' | 'email' | 'password';

const FIELD_BY_API_FIELD: Record<string, FieldName> = {
  'instance.name': 'name',
  'instance.slug': 'slug',
  'instance.plan': 'plan',
  'admin.name': 'adminName',
  'admin.email': 'email',
  'admin.password': 'password',
  password: 'password',
};

function readToken(): string {
  return new URLSearchParams(window.location.hash.slice(1)).get('token') ?? '';
}

/** "Acme Ünited, Inc." → "acme-united-inc" (the server's rule: a-z, 0-9, inner hyphens, ≤ 63). */
export function suggestSlug(name: string): string {
  return name
    .normalize('NFKD')
    .replace(/[\u0300-\u036f]/g, '')
    .toLowerCase()
    .replace(/[^a-z0-9]+/g, '-')
    .slice(0, 63)
    .replace(/^-+|-+$/g, '');
}

export function SetupPage() {
  const [token] = useState(readToken);
  const [status, setStatus] = useState<Status>('checking');

  useEffect(() => {
    // Why: the token is a credential; it should not stay in the address bar, history or bookmarks.
    if (window.location.hash) window.history.replaceState(null, '', window.location.pathname + window.location.search);
    api.setupStatus().then(
      ({ open }) => setStatus(open ? 'open' : 'closed'),
      () => setStatus('unreachable'),
    );
  }, []);

  if (status === 'checking') {
    return (
      <Page title="Set up keyward" narrow>
        <p className="card" role="status">
          Checking…
        </p>
      </Page>
    );
  }
  if (status === 'unreachable') {
    return (
      <Page title="Set up keyward" narrow>
        <Alert>The server could not be reached. Reload the page to try again.</Alert>
      </Page>
    );
  }
  if (status === 'closed') return <AlreadySetUp />;
  if (!token) {
    return (
      <Page title="Set up keyward" narrow>
        <div className="card">
          <p>
            Open the one-time setup link that keyward printed when it started on an empty database. It ends with <code>#token=…</code>.
          </p>
        </div>
      </Page>
    );
  }
  return <SetupForm token={token} onClosed={() => setStatus('closed')} />;
}

function AlreadySetUp() {
  return (
    <Page title="keyward is already set up" narrow>
      <div className="card">
        <p>An instance exists already, so this setup link cannot be used any more.</p>
        <p>
          <Link to="/login">Go to the login page</Link>
        </p>
      </div>
    </Page>
  );
}

function SetupForm({ token, onClosed }: { token: string; onClosed: () => void }) {
  const { refresh } = useSession();
  const [values, setValues] = useState<Record<FieldName, string>>({
    name: '',
    slug: '',
    plan: 'professional',
    adminName: '',
    email: '',
    password: '',
  });
  const [slugEdited, setSlugEdited] = useState(false);
  const [fieldErrors, setFieldErrors] = useState<Partial<Record<FieldName, string>>>({});
  const [error, setError] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);

  const set = (field: FieldName, value: string) => {
    setValues((current) => ({
      ...current,
      [field]: value,
      ...(field === 'name' && !slugEdited ? { slug: suggestSlug(value) } : {}),
    }));
    if (field === 'slug') setSlugEdited(true);
  };

  const submit = async (event: FormEvent) => {
    event.preventDefault();
    setBusy(true);
    setError(null);
    setFieldErrors({});
    try {
      await api.setup({
        token,
        instance: { name: values.name, slug: values.slug, plan: values.plan },
        admin: { name: values.adminName, email: values.email, password: values.password },
      });
      await refresh();
      navigate('/profile', { replace: true });
    } catch (failure) {
      if (!(failure instanceof ApiError)) {
        setError('Creating the instance failed. Try again.');
        return;
      }
      const field = failure.field ? FIELD_BY_API_FIELD[failure.field] : undefined;
      if (field) setFieldErrors({ [field]: failure.message });
      setError(failure.code === 'forbidden' ? `${failure.message} Restart keyward to print a new one-time link.` : failure.message);
      if (failure.code === 'forbidden')
        await api.setupStatus().then(
          ({ open }) => !open && onClosed(),
          () => undefined,
        );
    } finally {
      setBusy(false);
    }
  };

  const input = (field: FieldName) => ({
    value: values[field],
    error: fieldErrors[field],
    onChange: (event: { target: { value: string } }) => set(field, event.target.value),
  });

  return (
    <Page title="Set up keyward" narrow>
      <p className="lead">Create the first instance and its administrator account. You will be logged in as that administrator.</p>
      <form className="card form" onSubmit={(event) => void submit(event)}>
        {error ? <Alert>{error}</Alert> : null}
        <fieldset>
          <legend>Instance</legend>
          <TextField id="setup-name" label="Instance name" autoComplete="organization" required maxLength={200} {...input('name')} />
          <TextField
            id="setup-slug"
            label="Instance slug"
            autoCapitalize="none"
            spellCheck={false}
            required
            maxLength={63}
            hint="Lower-case letters, digits and hyphens. People type it when they log in."
            {...input('slug')}
          />
          <SelectField
            id="setup-plan"
            label="Plan"
            hint="Only Enterprise can enforce two-factor authentication and password rotation for everyone."
            {...input('plan')}
          >
            <option value="professional">Professional</option>
            <option value="business">Business</option>
            <option value="enterprise">Enterprise</option>
          </SelectField>
        </fieldset>
        <fieldset>
          <legend>Administrator</legend>
          <TextField id="setup-admin-name" label="Your name" autoComplete="name" required maxLength={200} {...input('adminName')} />
          <TextField
            id="setup-email"
            label="Email"
            type="email"
            autoComplete="username"
            autoCapitalize="none"
            spellCheck={false}
            required
            {...input('email')}
          />
          <TextField
            id="setup-password"
            label="Password"
            type="password"
            autoComplete="new-password"
            required
            minLength={15}
            hint={`15 to ${PASSWORD_MAX_LENGTH} characters: until two-factor authentication is set up, the password is the account’s only factor. A long passphrase is easiest to remember; not your name, email or organisation.`}
            maxLength={PASSWORD_MAX_LENGTH}
            {...input('password')}
          />
        </fieldset>
        <button type="submit" className="button button-primary button-block" disabled={busy}>
          Create instance
        </button>
      </form>
    </Page>
  );
}
