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
import { errorText } from '../errors.ts';
import { useMessages } from '../i18n/index.ts';

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
  const m = useMessages();

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
      <Page title={m.firstRun.title} narrow>
        <p className="card" role="status">
          {m.firstRun.checking}
        </p>
      </Page>
    );
  }
  if (status === 'unreachable') {
    return (
      <Page title={m.firstRun.title} narrow>
        <Alert>{m.firstRun.unreachable}</Alert>
      </Page>
    );
  }
  if (status === 'closed') return <AlreadySetUp />;
  if (!token) {
    return (
      <Page title={m.firstRun.title} narrow>
        <div className="card">
          <p>{m.firstRun.openLink(<code>#token=…</code>)}</p>
        </div>
      </Page>
    );
  }
  return <SetupForm token={token} onClosed={() => setStatus('closed')} />;
}

function AlreadySetUp() {
  const m = useMessages();
  return (
    <Page title={m.firstRun.alreadyTitle} narrow>
      <div className="card">
        <p>{m.firstRun.already}</p>
        <p>
          <Link to="/login">{m.firstRun.goToLogin}</Link>
        </p>
      </div>
    </Page>
  );
}

function SetupForm({ token, onClosed }: { token: string; onClosed: () => void }) {
  const { refresh } = useSession();
  const m = useMessages();
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
        setError(m.firstRun.failed);
        return;
      }
      const field = failure.field ? FIELD_BY_API_FIELD[failure.field] : undefined;
      const said = errorText(failure, m.firstRun.failed);
      if (field) setFieldErrors({ [field]: said });
      setError(failure.code === 'forbidden' ? m.firstRun.restart(said) : said);
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
    <Page title={m.firstRun.title} narrow>
      <p className="lead">{m.firstRun.lead}</p>
      <form className="card form" onSubmit={(event) => void submit(event)}>
        {error ? <Alert>{error}</Alert> : null}
        <fieldset>
          <legend>{m.firstRun.instance}</legend>
          <TextField
            id="setup-name"
            label={m.firstRun.instanceName}
            autoComplete="organization"
            required
            maxLength={200}
            {...input('name')}
          />
          <TextField
            id="setup-slug"
            label={m.firstRun.slug}
            autoCapitalize="none"
            spellCheck={false}
            required
            maxLength={63}
            hint={m.firstRun.slugHint}
            {...input('slug')}
          />
          <SelectField id="setup-plan" label={m.firstRun.plan} hint={m.firstRun.planHint} {...input('plan')}>
            <option value="professional">{m.profile.plans.professional}</option>
            <option value="business">{m.profile.plans.business}</option>
            <option value="enterprise">{m.profile.plans.enterprise}</option>
          </SelectField>
        </fieldset>
        <fieldset>
          <legend>{m.firstRun.administrator}</legend>
          <TextField
            id="setup-admin-name"
            label={m.firstRun.yourName}
            autoComplete="name"
            required
            maxLength={200}
            {...input('adminName')}
          />
          <TextField
            id="setup-email"
            label={m.common.email}
            type="email"
            autoComplete="username"
            autoCapitalize="none"
            spellCheck={false}
            required
            {...input('email')}
          />
          <TextField
            id="setup-password"
            label={m.common.password}
            type="password"
            autoComplete="new-password"
            required
            minLength={15}
            hint={m.firstRun.passwordHint(PASSWORD_MAX_LENGTH)}
            maxLength={PASSWORD_MAX_LENGTH}
            {...input('password')}
          />
        </fieldset>
        <button type="submit" className="button button-primary button-block" disabled={busy}>
          {m.firstRun.create}
        </button>
      </form>
    </Page>
  );
}
