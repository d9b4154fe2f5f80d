/** Settings, for administrators: Users (the default tab), Security, Applications, Mail and Audit. */
import type { Me } from '../api.ts';
import { Page } from '../components/page.tsx';
import { Tabs } from '../components/tabs.tsx';
import { ApplicationsSettings } from './applications-settings.tsx';
import { AuditSettings } from './audit-settings.tsx';
import { MailSettings } from './mail-settings.tsx';
import { SecuritySettings } from './security-settings.tsx';
import { UsersSettings } from './users-settings.tsx';

export function SettingsPage({ me }: { me: Me }) {
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
        tabs={[
          { id: 'users', label: 'Users', content: <UsersSettings me={me} /> },
          { id: 'security', label: 'Security', content: <SecuritySettings /> },
          { id: 'applications', label: 'Applications', content: <ApplicationsSettings /> },
          { id: 'mail', label: 'Mail', content: <MailSettings /> },
          { id: 'audit', label: 'Audit', content: <AuditSettings /> },
        ]}
      />
    </Page>
  );
}
