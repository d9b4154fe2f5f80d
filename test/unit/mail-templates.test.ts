import { describe, expect, it } from 'vitest';
import * as templateModule from '../../src/domain/mail/templates.ts';
import type { MailMessage } from '../../src/domain/mail/mail.ts';
import { helpFor } from '../../src/domain/support/support-contact.ts';

// Every mail keyward sends, rendered with fixed inputs and compared with the reviewed text in
// mail-templates/: a change to what users read shows up as a diff of that text. (`npx vitest run
// -u test/unit/mail-templates.test.ts` rewrites the files; review the diff before committing it.)
/** The module, noting which of its functions the cases below call. */
const called = new Set<string>();
const templates = new Proxy(templateModule, {
  get: (target, key: string) => (called.add(key), target[key as keyof typeof target]),
});

const AT = new Date('2026-12-01T09:30:00.000Z');
const BASE = { to: 'max@acme.test', name: 'Max Member', instanceName: 'Acme Corp' };
/** Whom a member and an administrator are told to ask (helpFor, issue 13). */
const MEMBER_HELP = helpFor('member', null);
const ADMIN_HELP = helpFor('admin', { email: 'support@vendor.example' });
const ADMIN = { name: 'Ada Admin', email: 'ada@acme.test' };
const LOGIN_URL = templates.loginUrl('https://keyward.example/', 'acme');

function render(mail: Partial<MailMessage> & Pick<MailMessage, 'subject' | 'text' | 'html'>): string {
  return [`To: ${mail.to ?? '(each recipient)'}`, `Subject: ${mail.subject}`, '', mail.text, '', '--- html ---', mail.html, ''].join('\n');
}

const MAILS: Record<string, () => Partial<MailMessage> & Pick<MailMessage, 'subject' | 'text' | 'html'>> = {
  'account-created': () => templates.accountCreatedMail({ ...BASE, instanceSlug: 'acme', loginUrl: LOGIN_URL }),
  'lock-password-temporary': () =>
    templates.lockNoticeMail({ ...BASE, factor: 'password', failures: 5, at: AT, ip: '203.0.113.7', permanent: false }),
  'lock-second-factor-permanent': () =>
    templates.lockNoticeMail({ ...BASE, factor: 'second_factor', failures: 10, at: AT, ip: null, permanent: true }),
  'backup-code-issued': () =>
    templates.backupCodeMail({
      ...BASE,
      help: MEMBER_HELP,
      kind: 'issued',
      code: 'ABCD-EFGH-JKLM',
      at: AT,
      ip: '203.0.113.7',
      device: 'Firefox on Linux',
    }),
  'backup-code-used': () =>
    templates.backupCodeMail({
      ...BASE,
      help: MEMBER_HELP,
      kind: 'used',
      code: 'NPQR-STUV-WXYZ',
      at: AT,
      ip: '203.0.113.7',
      device: 'Firefox on Linux',
    }),
  'backup-code-used-unknown-device': () =>
    templates.backupCodeMail({ ...BASE, help: MEMBER_HELP, kind: 'used', code: 'NPQR-STUV-WXYZ', at: AT, ip: null, device: null }),
  'backup-code-replaced': () =>
    templates.backupCodeMail({
      ...BASE,
      help: MEMBER_HELP,
      kind: 'replaced',
      code: 'HJKL-MNPQ-RSTU',
      at: AT,
      ip: '203.0.113.7',
      device: null,
    }),
  'account-disabled': () =>
    templates.accountStatusMail({
      ...BASE,
      status: 'disabled',
      at: AT,
      loginUrl: templates.instanceLoginUrl('https://keyward.example/', 'acme'),
      help: MEMBER_HELP,
    }),
  'account-disabled-administrator': () =>
    templates.accountStatusMail({
      ...BASE,
      status: 'disabled',
      at: AT,
      loginUrl: templates.instanceLoginUrl('https://keyward.example/', 'acme'),
      help: ADMIN_HELP,
    }),
  'account-enabled': () =>
    templates.accountStatusMail({
      ...BASE,
      status: 'active',
      at: AT,
      loginUrl: templates.instanceLoginUrl('https://keyward.example/', 'acme'),
      help: MEMBER_HELP,
    }),
  'email-changed': () => templates.emailChangedMail({ ...BASE, newEmail: 'max.new@acme.test', at: AT }),
  'password-changed': () => templates.passwordChangedMail({ ...BASE, at: AT, ip: '2001:db8::1' }),
  invitation: () =>
    templates.invitationMail({
      ...BASE,
      url: 'https://keyward.example/invitation#token=inv-token',
      days: 7,
      loginUrl: 'https://keyward.example/i/acme/login',
    }),
  'password-reset': () => templates.passwordResetMail({ ...BASE, url: 'https://keyward.example/reset#token=reset-token' }),
  'password-reset-refused': () => templates.passwordResetRefusedMail({ ...BASE, help: MEMBER_HELP }),
  'password-reset-refused-administrator': () => templates.passwordResetRefusedMail({ ...BASE, help: ADMIN_HELP }),
  'two-factor-request': () => templates.twoFactorRequestMail({ instanceName: 'Acme Corp', adminName: 'Ada Admin', loginUrl: LOGIN_URL }),
  'two-factor-off': () => templates.twoFactorOffMail({ ...BASE, at: AT, ip: '203.0.113.7' }),
  'two-factor-reset-by-admin': () =>
    templates.twoFactorResetMail({
      ...BASE,
      at: AT,
      ip: '203.0.113.7',
      by: { kind: 'admin', ...ADMIN },
      loginUrl: LOGIN_URL,
      stillEnabled: true,
    }),
  'two-factor-reset-by-support': () =>
    templates.twoFactorResetMail({
      ...BASE,
      at: AT,
      ip: null,
      by: { kind: 'support', reference: 'TICKET-42' },
      loginUrl: LOGIN_URL,
      stillEnabled: false,
    }),
  'two-factor-reset-by-cli': () =>
    templates.twoFactorResetMail({
      ...BASE,
      at: AT,
      ip: '203.0.113.7',
      by: { kind: 'cli', reference: 'OPS-7' },
      loginUrl: LOGIN_URL,
      stillEnabled: true,
    }),
  'admin-reset-notice-by-admin': () =>
    templates.adminResetNoticeMail({
      ...BASE,
      at: AT,
      ip: '203.0.113.7',
      by: { kind: 'admin', ...ADMIN },
      target: { name: 'Bob Boss', email: 'bob@acme.test' },
      method: null,
    }),
  'admin-reset-notice-by-support': () =>
    templates.adminResetNoticeMail({
      ...BASE,
      at: AT,
      ip: '198.51.100.2',
      by: { kind: 'support', reference: 'TICKET-42' },
      target: { name: 'Bob Boss', email: 'bob@acme.test' },
      method: 'a video call with an identity check',
    }),
  'admin-reset-notice-by-cli': () =>
    templates.adminResetNoticeMail({
      ...BASE,
      at: AT,
      ip: null,
      by: { kind: 'cli', reference: 'OPS-7' },
      target: { name: 'Bob Boss', email: 'bob@acme.test' },
      method: 'an identity document',
    }),
  'sessions-ended': () => templates.sessionsEndedMail({ ...BASE, at: AT, ip: '203.0.113.7', admin: ADMIN, loginUrl: LOGIN_URL }),
  'role-changed': () =>
    templates.roleChangedMail({
      ...BASE,
      at: AT,
      ip: null,
      actor: ADMIN,
      target: { name: 'Bob Boss', email: 'bob@acme.test' },
      from: 'member',
      role: 'admin',
    }),
  'second-factor-failed': () => templates.secondFactorFailedMail({ ...BASE, at: AT, ip: '203.0.113.7' }),
  'setup-reminder': () =>
    templates.setupReminderMail({
      to: BASE.to,
      instanceName: BASE.instanceName,
      loginUrl: LOGIN_URL,
      deadline: new Date('2026-12-15T00:00:00.000Z'),
    }),
  'setup-reminder-no-deadline': () =>
    templates.setupReminderMail({ to: BASE.to, instanceName: BASE.instanceName, loginUrl: LOGIN_URL, deadline: null }),
  'password-expiry-warning': () =>
    templates.passwordExpiryWarningMail({
      to: BASE.to,
      instanceName: BASE.instanceName,
      loginUrl: LOGIN_URL,
      expiresAt: new Date('2026-12-15T09:30:00.000Z'),
    }),
  'new-location': () =>
    templates.newLocationMail({
      ...BASE,
      at: AT,
      ip: '203.0.113.7',
      network: '203.0.113.0/24',
      device: 'Chrome on macOS',
      help: MEMBER_HELP,
    }),
  'admin-recovery': () =>
    templates.adminRecoveryMail({
      ...BASE,
      url: 'https://keyward.example/recover#token=rec-token',
      adminName: 'Ada Admin',
      at: AT,
      expiresAt: new Date('2026-12-02T09:30:00.000Z'),
    }),
  'admin-recovery-unnamed-admin': () =>
    templates.adminRecoveryMail({
      ...BASE,
      url: 'https://keyward.example/recover#token=rec-token',
      adminName: null,
      at: AT,
      expiresAt: new Date('2026-12-02T09:30:00.000Z'),
    }),
  // Started on New Year's Eve: the link's end is next year, so it says the year (issue 13).
  'admin-recovery-into-next-year': () =>
    templates.adminRecoveryMail({
      ...BASE,
      url: 'https://keyward.example/recover#token=rec-token',
      adminName: 'Ada Admin',
      at: new Date('2026-12-31T18:00:00.000Z'),
      expiresAt: new Date('2027-01-01T18:00:00.000Z'),
    }),
  // Names stored before control characters were refused, and markup in names (issue 10 item 21):
  // one line in the text, escaped in the HTML.
  'hostile-names': () =>
    templates.roleChangedMail({
      to: 'max@acme.test',
      name: 'Max\r\nBackup code: 0000-0000-0000',
      instanceName: 'Acme <script>alert(1)</script>',
      at: AT,
      ip: '203.0.113.7',
      actor: { name: 'Ada "the admin" & co', email: 'ada@acme.test' },
      target: { name: "Bob\u2028O'Brien", email: 'bob@acme.test' },
      from: 'member',
      role: 'admin',
    }),
};

describe('the mail templates, as golden text', () => {
  it.each(Object.keys(MAILS))('renders %s as reviewed', async (name) => {
    await expect(render(MAILS[name]!())).toMatchFileSnapshot(`mail-templates/${name}.txt`);
  });

  it('has a golden text for every template the module exports', () => {
    called.clear();
    for (const make of Object.values(MAILS)) make();
    const exported = Object.keys(templateModule).filter((key) => key.endsWith('Mail'));
    expect(exported.length).toBeGreaterThan(10);
    expect(exported.filter((key) => !called.has(key))).toEqual([]);
  });
});
