import { describe, expect, it } from 'vitest';
import { passwordExpiryWarningMail, setupReminderMail } from '../../src/domain/mail/templates.ts';

/** Golden text: the reminders say what they said when SQL wrote them, with names on one line. */
describe('the reminder mails', () => {
  const loginUrl = 'https://keyward.example/login?instance=acme';

  it('reminds of the 2FA setup, with the deadline when there is one', () => {
    const mail = setupReminderMail({
      to: 'ada@acme.test',
      instanceName: 'Acme\r\nBcc: x',
      loginUrl,
      deadline: new Date('2026-05-01T09:00:00Z'),
    });
    expect(mail.subject).toBe('Set up two-factor authentication for Acme Bcc: x');
    expect(mail.text).toBe(
      'Hello,\n\nTwo-factor authentication is turned on for your Acme Bcc: x account, but no authenticator app is set up yet.' +
        ' From 1 May 2026 you will not be able to log in without it.\nLog in and follow the steps: https://keyward.example/login?instance=acme',
    );
    expect(setupReminderMail({ to: 'ada@acme.test', instanceName: 'Acme', loginUrl, deadline: null }).text).not.toContain('From ');
    expect(mail.html).toContain('<a href="https://keyward.example/login?instance=acme">Log in and set it up</a>');
  });

  it('warns of the password expiry with its date', () => {
    const mail = passwordExpiryWarningMail({
      to: 'ada@acme.test',
      instanceName: 'Acme <b>',
      loginUrl,
      expiresAt: new Date('2026-04-01T23:59:00Z'),
    });
    expect(mail.subject).toBe('Your Acme <b> password expires on 1 Apr 2026');
    expect(mail.text).toBe(
      'Hello,\n\nYour Acme <b> password expires on 1 Apr 2026. Your organisation asks you to change it before then; after that date you will have to change it when you log in.' +
        '\nLog in and open My Profile: https://keyward.example/login?instance=acme',
    );
    expect(mail.html).toContain('Acme &#60;b&#62;');
    expect(mail.html).not.toContain('<b>');
  });
});
