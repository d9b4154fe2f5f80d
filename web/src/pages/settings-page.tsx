/** Settings, for administrators: Users (the default tab), Security, Applications, Mail and Audit. */
import type { Me } from '../api.ts';
import { Page } from '../components/page.tsx';
import { Tabs } from '../components/tabs.tsx';
import { ApplicationsSettings } from './applications-settings.tsx';
import { ProtectedAppsSettings } from './protected-apps-settings.tsx';
import { AuditSettings } from './audit-settings.tsx';
import { MailSettings } from './mail-settings.tsx';
import { SecuritySettings } from './security-settings.tsx';
import { UsersSettings } from './users-settings.tsx';
import { navigate, useLocation } from '../router.ts';
import { useMessages } from '../i18n/index.ts';

const TAB_IDS = ['users', 'security', 'applications', 'mail', 'audit'];

export function SettingsPage({ me }: { me: Me }) {
  // The tab lives in the URL (?tab=audit), so a reload and Back keep it; the Users tab is the default.
  const asked = useLocation().searchParams.get('tab') ?? 'users';
  const tab = TAB_IDS.includes(asked) ? asked : 'users';
  const m = useMessages();
  if (me.role !== 'admin') {
    return (
      <Page title={m.settingsPage.title}>
        <p className="card">{m.settingsPage.onlyAdmins(me.instance.name)}</p>
      </Page>
    );
  }
  return (
    <Page title={m.settingsPage.title}>
      <Tabs
        label={m.settingsPage.title}
        selectedId={tab}
        onSelect={(id) => navigate(id === 'users' ? '/settings' : `/settings?tab=${id}`)}
        tabs={[
          { id: 'users', label: m.settingsPage.users, content: <UsersSettings me={me} /> },
          { id: 'security', label: m.settingsPage.security, content: <SecuritySettings /> },
          {
            id: 'applications',
            label: m.settingsPage.applications,
            content: (
              <>
                <ApplicationsSettings />
                <ProtectedAppsSettings />
              </>
            ),
          },
          { id: 'mail', label: m.settingsPage.mail, content: <MailSettings /> },
          { id: 'audit', label: m.settingsPage.audit, content: <AuditSettings /> },
        ]}
      />
    </Page>
  );
}
