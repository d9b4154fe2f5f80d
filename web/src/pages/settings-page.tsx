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

const TAB_IDS = ['users', 'security', 'applications', 'mail', 'audit'];

export function SettingsPage({ me }: { me: Me }) {
  // The tab lives in the URL (?tab=audit), so a reload and Back keep it; the Users tab is the default.
  const asked = useLocation().searchParams.get('tab') ?? 'users';
  const tab = TAB_IDS.includes(asked) ? asked : 'users';
  if (me.role !== 'admin') {
    return (
      <Page title="Settings">
        <p className="card">Only administrators of {me.instance.name} can open Settings.</p>
      </Page>
    );
  }
  return (
    <Page title="Settings">
      <Tabs
        label="Settings"
        selectedId={tab}
        onSelect={(id) => navigate(id === 'users' ? '/settings' : `/settings?tab=${id}`)}
        tabs={[
          { id: 'users', label: 'Users', content: <UsersSettings me={me} /> },
          { id: 'security', label: 'Security', content: <SecuritySettings /> },
          {
            id: 'applications',
            label: 'Applications',
            content: (
              <>
                <ApplicationsSettings />
                <ProtectedAppsSettings />
              </>
            ),
          },
          { id: 'mail', label: 'Mail', content: <MailSettings /> },
          { id: 'audit', label: 'Audit', content: <AuditSettings /> },
        ]}
      />
    </Page>
  );
}
