/** My Profile: General Options (who you are, password, two-factor authentication, recent activity), Known locations and Sessions. */
import { useState } from 'react';
import type { Me, Plan } from '../api.ts';
import { Notice } from '../components/field.tsx';
import { Page } from '../components/page.tsx';
import { Tabs } from '../components/tabs.tsx';
import { navigate, useNotice } from '../router.ts';
import { KnownLocations } from './known-locations.tsx';
import { RecentActivity } from './recent-activity.tsx';
import { Sessions } from './sessions.tsx';
import { TwoFactorOptions } from './two-factor-options.tsx';
import { formatDate } from '../time.ts';
import { useMessages, type Messages } from '../i18n/index.ts';

/** A plan's name; one this build does not know (a newer server) as the server spells it. */
export function planName(m: Messages, plan: string): string {
  return Object.hasOwn(m.profile.plans, plan) ? m.profile.plans[plan as Plan] : plan;
}

function GeneralOptions({ me }: { me: Me }) {
  const m = useMessages();
  return (
    <>
      <section aria-labelledby="profile-account">
        <h2 id="profile-account">{m.profile.account}</h2>
        <dl className="details">
          <dt>{m.common.name}</dt>
          <dd>{me.name}</dd>
          <dt>{m.common.email}</dt>
          <dd>{me.email}</dd>
          <dt>{m.common.instance}</dt>
          <dd>
            {me.instance.name} <span className="muted">{m.profile.instancePlan(me.instance.slug, planName(m, me.instance.plan))}</span>
          </dd>
          <dt>{m.common.role}</dt>
          <dd>{m.profile.roles[me.role] ?? me.role}</dd>
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
  const m = useMessages();
  return (
    <section aria-labelledby="profile-password">
      <h2 id="profile-password">{m.profile.password}</h2>
      <p className="muted">
        {me.passwordExpiresAt ? m.profile.expiresOn(<time dateTime={me.passwordExpiresAt}>{formatDate(me.passwordExpiresAt)}</time>) : null}
        {m.profile.changeLogsOut}
      </p>
      <button type="button" className="button button-secondary" onClick={() => navigate('/profile/password')}>
        {m.profile.changePassword}
      </button>
    </section>
  );
}

export function ProfilePage({ me }: { me: Me }) {
  const notice = useNotice();
  const m = useMessages();
  // The notice describes the state the page opened with; once that changes it would mislead.
  const [openedWith] = useState(me.twoFactor.status);
  return (
    <Page title={m.profile.title}>
      {notice && me.twoFactor.status === openedWith ? <Notice tone="success">{notice}</Notice> : null}
      <Tabs
        label={m.profile.title}
        tabs={[
          { id: 'general', label: m.profile.general, content: <GeneralOptions me={me} /> },
          { id: 'known-locations', label: m.profile.knownLocations, content: <KnownLocations /> },
          { id: 'sessions', label: m.profile.sessions, content: <Sessions /> },
        ]}
      />
    </Page>
  );
}
