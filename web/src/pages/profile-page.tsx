/** My Profile: General Options (who you are, password, two-factor authentication, recent activity), Known locations and Sessions. */
import { useState } from 'react';
import type { Me } from '../api.ts';
import { Notice } from '../components/field.tsx';
import { Page } from '../components/page.tsx';
import { Tabs } from '../components/tabs.tsx';
import { navigate, useNotice } from '../router.ts';
import { KnownLocations } from './known-locations.tsx';
import { RecentActivity } from './recent-activity.tsx';
import { Sessions } from './sessions.tsx';
import { TwoFactorOptions } from './two-factor-options.tsx';
import { formatDate } from '../time.ts';

const ROLE_LABEL: Record<Me['role'], string> = { admin: 'Administrator', member: 'Member' };

function capitalize(text: string): string {
  return text.charAt(0).toUpperCase() + text.slice(1);
}

function GeneralOptions({ me }: { me: Me }) {
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
            {me.instance.name}{' '}
            <span className="muted">
              ({me.instance.slug}, {capitalize(me.instance.plan)} plan)
            </span>
          </dd>
          <dt>Role</dt>
          <dd>{ROLE_LABEL[me.role] ?? me.role}</dd>
        </dl>
      </section>
      <PasswordOptions me={me} />
      <TwoFactorOptions me={me} />
      <RecentActivity me={me} />
    </>
  );
}

/** Password: when it expires (under the instance's rotation rule), and the way to change it. */
function PasswordOptions({ me }: { me: Me }) {
  return (
    <section aria-labelledby="profile-password">
      <h2 id="profile-password">Password</h2>
      <p className="muted">
        {me.passwordExpiresAt ? (
          <>
            Your organisation has passwords expire. Yours expires on{' '}
            <time dateTime={me.passwordExpiresAt}>{formatDate(me.passwordExpiresAt)}</time>.{' '}
          </>
        ) : null}
        Changing your password logs you out of every other browser.
      </p>
      <button type="button" className="button button-secondary" onClick={() => navigate('/profile/password')}>
        Change password
      </button>
    </section>
  );
}

export function ProfilePage({ me }: { me: Me }) {
  const notice = useNotice();
  // The notice describes the state the page opened with; once that changes it would mislead.
  const [openedWith] = useState(me.twoFactor.status);
  return (
    <Page title="My Profile">
      {notice && me.twoFactor.status === openedWith ? <Notice tone="success">{notice}</Notice> : null}
      <Tabs
        label="My Profile"
        tabs={[
          { id: 'general', label: 'General Options', content: <GeneralOptions me={me} /> },
          { id: 'known-locations', label: 'Known locations', content: <KnownLocations /> },
          { id: 'sessions', label: 'Sessions', content: <Sessions /> },
        ]}
      />
    </Page>
  );
}
