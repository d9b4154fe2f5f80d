/** My Profile → General Options: who you are, and your two-factor authentication status. */
import type { Me, TwoFactorStatus } from '../api.ts';
import { Page } from '../components/page.tsx';
import { Tabs } from '../components/tabs.tsx';

const ROLE_LABEL: Record<Me['role'], string> = { admin: 'Administrator', member: 'Member' };

const TWO_FACTOR_TEXT: Record<TwoFactorStatus, { label: string; detail: string }> = {
  active: { label: 'Active', detail: 'An authenticator app is set up for your account.' },
  pending: { label: 'Pending', detail: 'Two-factor authentication is on, but no authenticator app is set up yet.' },
  off: { label: 'Off', detail: 'Two-factor authentication is not enabled for your account.' },
};

function capitalize(text: string): string {
  return text.charAt(0).toUpperCase() + text.slice(1);
}

function GeneralOptions({ me }: { me: Me }) {
  const twoFactor = TWO_FACTOR_TEXT[me.twoFactor.status];
  return (
    <>
      <section aria-labelledby="profile-account">
        <h2 id="profile-account">Account</h2>
        <dl className="details">
          <dt>Name</dt>
          <dd>{me.name}</dd>
          <dt>Email</dt>
          <dd>{me.email}</dd>
          <dt>Instance</dt>
          <dd>
            {me.instance.name} <span className="muted">({me.instance.slug}, {capitalize(me.instance.plan)} plan)</span>
          </dd>
          <dt>Role</dt>
          <dd>{ROLE_LABEL[me.role] ?? me.role}</dd>
          {me.passwordExpiresAt ? (
            <>
              <dt>Password expires</dt>
              <dd>
                <time dateTime={me.passwordExpiresAt}>{new Date(me.passwordExpiresAt).toLocaleDateString()}</time>
              </dd>
            </>
          ) : null}
        </dl>
      </section>
      <section aria-labelledby="profile-two-factor">
        <h2 id="profile-two-factor">Two-factor authentication</h2>
        <p>
          <span className={`status status-${me.twoFactor.status}`}>{twoFactor.label}</span> {twoFactor.detail}
          {me.twoFactor.enforced ? ' Your instance requires it.' : ''}
        </p>
      </section>
    </>
  );
}

export function ProfilePage({ me }: { me: Me }) {
  return (
    <Page title="My Profile">
      <Tabs label="My Profile" tabs={[{ id: 'general', label: 'General Options', content: <GeneralOptions me={me} /> }]} />
    </Page>
  );
}
