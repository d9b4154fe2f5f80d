/** Settings, for administrators: Users (a placeholder until user management arrives), Security and Mail. */
import type { Me } from '../api.ts';
import { Page } from '../components/page.tsx';
import { Tabs } from '../components/tabs.tsx';
import { MailSettings } from './mail-settings.tsx';
import { SecuritySettings } from './security-settings.tsx';

function UsersPlaceholder({ me }: { me: Me }) {
  return (
    <>
      <p>Managing users in the browser is not available in this version yet.</p>
      <p>Until then, an operator of this server can add users on the command line (the password is read from standard input):</p>
      <pre className="code-block">
        <code>{`npx keyward user create ${me.instance.slug} EMAIL --name "NAME" --role member`}</code>
      </pre>
    </>
  );
}

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
          { id: 'users', label: 'Users', content: <UsersPlaceholder me={me} /> },
          { id: 'security', label: 'Security', content: <SecuritySettings /> },
          { id: 'mail', label: 'Mail', content: <MailSettings /> },
        ]}
      />
    </Page>
  );
}
