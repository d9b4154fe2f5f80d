import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Page } from 'playwright-core';
import {
  backupCodeFromMailboxPage,
  backupCodeIn,
  BrowserFlow,
  isFocused,
  screenshot,
  seriousAccessibilityViolations,
  type Person,
} from '../support/browser.ts';

const INSTANCE = { slug: 'acme', name: 'Acme Robotics', plan: 'business' };
const ADMIN = { email: 'ada@acme.test', name: 'Ada Admin', password: 'analytical engine 1843' };

const ISSUED = `Your backup code for ${INSTANCE.name}`;
const USED = `Your backup code was used to sign in to ${INSTANCE.name}`;
const REPLACED = `Your new backup code for ${INSTANCE.name}`;

/** "ABCD-EFGH-JKLM-NPQR" as a hurried person types it: "abcd efgh jklm npqr". */
function typedCarelessly(code: string): string {
  return code.toLowerCase().replace(/-/g, ' ');
}

async function openSettingsTab(page: Page, person: Person, tab: string): Promise<void> {
  await page.getByRole('button', { name: person.name }).click();
  await page.getByRole('menuitem', { name: 'Settings' }).click();
  await page.getByRole('tab', { name: tab }).click();
}

// Backup codes (SPEC rule 6, §5) as a person meets them: the code arrives by email when the app is
// set up; "I don't have my device" logs in with it once; each use emails the next one; My Profile
// sends a new one on request. Every test adds its own people, so codes never cross tests.
describe('backup codes in the browser', { timeout: 120_000 }, () => {
  let flow: BrowserFlow;
  beforeAll(async () => {
    flow = await BrowserFlow.start(INSTANCE, ADMIN);
  });
  afterAll(async () => {
    await flow?.stop();
  });

  it('logs in with the emailed backup code, typed in lower case with spaces, then only with the next one it emails', async () => {
    const person = flow.addPerson();
    const first = await flow.freshPage();
    await flow.logIn(first.page, person);
    await flow.onProfile(first.page);
    await flow.setUpFromProfile(first.page);
    const issued = await flow.waitForMail(person.email, ISSUED);
    const code = await backupCodeFromMailboxPage(first.page, flow.server.origin, person.email, ISSUED);
    expect(code).toBe(backupCodeIn(issued));
    await screenshot(first.page, 'backup-mailbox');

    const lost = await flow.freshPage();
    await flow.logIn(lost.page, person);
    await flow.onVerification(lost.page);
    await flow.verifyWithBackupCode(lost.page, typedCarelessly(code));
    await flow.onProfile(lost.page);
    // A backup code logs in and nothing more (SPEC rule 4): the way to a new phone, not actions that are refused.
    await lost.page.getByText('Ask an administrator of').waitFor();
    expect(await lost.page.getByRole('button', { name: 'Replace authenticator app' }).count()).toBe(0);
    expect(await lost.page.getByRole('button', { name: 'Send me a new backup code' }).count()).toBe(0);
    expect(await flow.twoFactorSwitch(lost.page).getAttribute('aria-disabled')).toBe('true');
    expect(await seriousAccessibilityViolations(lost.page)).toEqual([]);
    await screenshot(lost.page, 'backup-login-new-phone-help');
    await lost.page.setViewportSize({ width: 375, height: 800 });
    await screenshot(lost.page, 'backup-login-new-phone-help-375');
    expect(lost.cspViolations).toEqual([]);

    const used = await flow.waitForMail(person.email, USED);
    expect(used.text).toContain('That code no longer works.');
    const next = backupCodeIn(used);
    expect(next).not.toBe(code);

    // A backup code does not make the browser a known location: its next login asks again.
    await flow.endSession(lost.context);
    await flow.logIn(lost.page, person);
    await flow.onVerification(lost.page);

    await flow.verifyWithBackupCode(lost.page, code);
    const alert = lost.page.getByRole('alert');
    await alert.waitFor();
    expect(await alert.textContent()).not.toBe('');
    expect(await lost.page.getByLabel('Backup code', { exact: true }).inputValue()).toBe('');
    await screenshot(lost.page, 'backup-old-code-refused');

    await flow.verifyWithBackupCode(lost.page, next);
    await flow.onProfile(lost.page);
    const again = await flow.waitForMail(person.email, USED, 2);
    expect(backupCodeIn(again)).not.toBe(next);
  });

  it('sends a new backup code from My Profile, and the previous one stops working', async () => {
    const person = flow.addPerson();
    const { page, cspViolations } = await flow.freshPage();
    await flow.logIn(page, person);
    await flow.onProfile(page);
    await flow.setUpFromProfile(page);
    const previous = backupCodeIn(await flow.waitForMail(person.email, ISSUED));

    const send = page.getByRole('button', { name: 'Send me a new backup code' });
    await send.click();
    await page
      .getByRole('status')
      .filter({ hasText: `A new backup code is on its way to ${person.email}.` })
      .waitFor();
    expect(await page.getByRole('dialog').count()).toBe(0);
    expect(await seriousAccessibilityViolations(page)).toEqual([]);
    await screenshot(page, 'backup-new-code-sent');
    expect(cspViolations).toEqual([]);

    const replaced = await flow.waitForMail(person.email, REPLACED);
    const current = backupCodeIn(replaced);
    expect(current).not.toBe(previous);

    const other = await flow.freshPage();
    await flow.logIn(other.page, person);
    await flow.onVerification(other.page);
    await flow.verifyWithBackupCode(other.page, previous);
    await other.page.getByRole('alert').waitFor();
    await flow.verifyWithBackupCode(other.page, current);
    await flow.onProfile(other.page);
  });

  it('asks a session from a known location for a code before sending a new backup code', async () => {
    const person = flow.addPerson();
    const { context, page } = await flow.freshPage();
    await flow.logIn(page, person);
    await flow.onProfile(page);
    const authenticator = await flow.setUpFromProfile(page);
    await flow.waitForMail(person.email, ISSUED);
    await flow.endSession(context);
    await flow.logIn(page, person);
    await flow.onProfile(page); // a known location: no code asked, so the session is not fresh

    const send = page.getByRole('button', { name: 'Send me a new backup code' });
    await send.click();
    const dialog = page.getByRole('dialog', { name: 'Confirm it is you' });
    await dialog.waitFor();
    await dialog.getByRole('button', { name: 'Cancel' }).click();
    await dialog.waitFor({ state: 'detached' });
    expect(await page.getByRole('status').filter({ hasText: 'A new backup code' }).count()).toBe(0);

    await send.click();
    await dialog.getByLabel('Verification code').fill(await authenticator.nextCode());
    await screenshot(page, 'backup-step-up');
    await dialog.getByRole('button', { name: 'Confirm' }).click();
    await dialog.waitFor({ state: 'detached' });
    await page
      .getByRole('status')
      .filter({ hasText: `A new backup code is on its way to ${person.email}.` })
      .waitFor();
    const replaced = await flow.waitForMail(person.email, REPLACED);
    expect(replaced.text).toContain('Your previous backup code no longer works.');
    // Nothing was sent while the dialog was cancelled: one replacement only.
    expect((await flow.mailbox()).filter((mail) => mail.to === person.email && mail.subject === REPLACED)).toHaveLength(1);
  });

  it('tells an administrator that all mail was delivered, and lists sent mail behind the filter', async () => {
    const admin = flow.addPerson('admin');
    const { page, cspViolations } = await flow.freshPage();
    await flow.logIn(page, admin);
    await flow.onProfile(page);
    await openSettingsTab(page, admin, 'Mail');
    await page.getByText('All mail was delivered.').waitFor();
    expect(await page.getByLabel('Show').inputValue()).toBe('dead');
    expect(await seriousAccessibilityViolations(page)).toEqual([]);
    await screenshot(page, 'backup-mail-delivered');

    await page.getByLabel('Show').selectOption({ label: 'Sent' });
    const welcome = page
      .getByRole('row')
      .filter({ has: page.getByRole('rowheader', { name: ADMIN.email }) })
      .filter({ hasText: `Your ${INSTANCE.name} account` });
    await welcome.waitFor();
    expect(await page.getByRole('button', { name: /^Retry/ }).count()).toBe(0);
    expect(await seriousAccessibilityViolations(page)).toEqual([]);
    await screenshot(page, 'backup-mail-sent');
    expect(cspViolations).toEqual([]);
  });
});

// Mail that cannot go out. Dead-lettering takes 3 days of retries by default, so the test shortens
// it (KEYWARD_MAIL_GIVE_UP_SECONDS). Servers on one database: SMTP down (mail waits, with its
// error); another key (refused at start by the key check); SMTP still down with mail given up on
// after a second (both mails dead); SMTP fixed, where Retry delivers them.
describe('undeliverable mail in Settings → Mail', { timeout: 180_000 }, () => {
  let dataDir: string;
  let flow: BrowserFlow | undefined;
  beforeAll(() => {
    dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'keyward-browser-mail-'));
  });
  afterAll(async () => {
    await flow?.stop();
    fs.rmSync(dataDir, { recursive: true, force: true });
  });

  it('lists waiting mail with its error, then retries undeliverable mail once its cause is fixed', async () => {
    const [oldKey, newKey] = [randomBytes(32).toString('base64url'), randomBytes(32).toString('base64url')];
    const base = { KEYWARD_DATA_DIR: dataDir, KEYWARD_MAIL_LEASE_SECONDS: '1' };
    flow = await BrowserFlow.start(INSTANCE, ADMIN, { ...base, KEYWARD_SECRET_KEY: oldKey, SMTP_URL: 'smtp://127.0.0.1:9' });
    const server = () => flow!.server;
    await expect.poll(() => server().output().includes('mail delivery failed'), { timeout: 20_000 }).toBe(true);

    const smtpDown = await flow.freshPage();
    await flow.logIn(smtpDown.page, ADMIN);
    await flow.onProfile(smtpDown.page);
    await openSettingsTab(smtpDown.page, ADMIN, 'Mail');
    await smtpDown.page.getByText('No mail was given up on, but 1 mail is still waiting to be sent.').waitFor();
    await screenshot(smtpDown.page, 'backup-mail-none-dead');

    await smtpDown.page.getByRole('button', { name: 'Show waiting mail' }).click();
    expect(await smtpDown.page.getByLabel('Show').inputValue()).toBe('waiting');
    expect(await isFocused(smtpDown.page.getByLabel('Show'))).toBe(true); // the button went away with the empty list
    const welcome = smtpDown.page.getByRole('row').filter({ hasText: `Your ${INSTANCE.name} account` });
    await welcome.waitFor();
    expect(await welcome.getByRole('rowheader').textContent()).toBe(ADMIN.email);
    expect(await welcome.textContent()).toContain('ECONNREFUSED');
    expect(await smtpDown.page.getByRole('button', { name: /^Retry/ }).count()).toBe(0);
    expect(await seriousAccessibilityViolations(smtpDown.page)).toEqual([]);
    await screenshot(smtpDown.page, 'backup-mail-waiting');
    await smtpDown.page.getByLabel('Show').selectOption({ label: 'All' });
    await welcome.waitFor();
    expect(await smtpDown.page.getByRole('button', { name: /^Retry/ }).count()).toBe(0); // only dead mail can be retried
    expect(smtpDown.cspViolations).toEqual([]);

    // The administrator sets up an app: the backup-code mail waits in the queue too.
    const authenticator = await flow.setUpThroughApi(ADMIN);

    // Another key cannot serve this database: the key check stops that start (SPEC §8).
    await expect(flow.restart({ ...base, KEYWARD_SECRET_KEY: newKey })).rejects.toThrow(/does not open this database's key check/);

    // SMTP still down and mail given up on after a second: both mails are dead at their next attempt.
    await flow.restart({ ...base, KEYWARD_SECRET_KEY: oldKey, SMTP_URL: 'smtp://127.0.0.1:9', KEYWARD_MAIL_GIVE_UP_SECONDS: '1' });
    const dead = () =>
      server()
        .output()
        .match(/"dead":true/g)?.length ?? 0;
    await expect.poll(dead, { timeout: 90_000, interval: 500 }).toBe(2); // after the backoff left by the failed attempts

    // The cause fixed (mail goes to the dev mailbox now): the dead mail stays dead until retried.
    await flow.restart({ ...base, KEYWARD_SECRET_KEY: oldKey });
    const { context, page, cspViolations } = await flow.freshPage();
    await flow.logIn(page, ADMIN);
    await flow.onVerification(page);
    await page.getByLabel('Verification code').fill(await authenticator.nextCode());
    await page.getByRole('button', { name: 'Verify' }).click();
    await flow.onProfile(page);
    await flow.endSession(context);
    await flow.logIn(page, ADMIN);
    await flow.onProfile(page); // a known location: retrying, an admin change, asks for a code

    await openSettingsTab(page, ADMIN, 'Mail');
    const rows = page.getByRole('table', { name: 'Undeliverable mail' }).getByRole('row');
    await expect.poll(() => rows.count()).toBe(3); // the header and two mails
    expect(await page.getByRole('table').textContent()).toContain('ECONNREFUSED');
    expect(await seriousAccessibilityViolations(page)).toEqual([]);
    await screenshot(page, 'backup-mail-dead');

    await page.getByRole('button', { name: `Retry the mail to ${ADMIN.email}: ${ISSUED}` }).click();
    const dialog = page.getByRole('dialog', { name: 'Confirm it is you' });
    await dialog.getByLabel('Verification code').fill(await authenticator.nextCode());
    await dialog.getByRole('button', { name: 'Confirm' }).click();
    await dialog.waitFor({ state: 'detached' });
    await page
      .getByRole('status')
      .filter({ hasText: `The mail to ${ADMIN.email} is back in the queue` })
      .waitFor();
    expect(await isFocused(page.getByRole('heading', { name: 'Outgoing mail', level: 2 }))).toBe(true);
    await expect.poll(() => rows.count()).toBe(2);
    const delivered = await flow.waitForMail(ADMIN.email, ISSUED);
    backupCodeIn(delivered);

    // Fresh for ten minutes now: the second retry asks nothing.
    await page.getByRole('button', { name: `Retry the mail to ${ADMIN.email}: Your ${INSTANCE.name} account` }).click();
    await flow.waitForMail(ADMIN.email, `Your ${INSTANCE.name} account`);
    expect(await page.getByRole('dialog').count()).toBe(0);
    await expect
      .poll(async () => {
        await page.getByRole('button', { name: 'Refresh' }).click();
        return page.getByText('All mail was delivered.').count();
      })
      .toBe(1);
    await screenshot(page, 'backup-mail-retried');
    expect(cspViolations).toEqual([]);
  });
});
