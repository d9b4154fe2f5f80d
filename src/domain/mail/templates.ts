import { escapeHtml, type MailMessage } from './mail.ts';
import { singleLine } from '../shared/text.ts';
import { eventTime, mailDate, mailTime } from './mail-time.ts';

/**
 * Every string a template is given (names above all, stored before control characters were
 * refused) is put on one line first, so no value can add a line or a header to a mail (issue 10
 * item 21). Dates and numbers pass as they are.
 */
function mailSafe<T>(value: T): T {
  if (typeof value === 'string') return singleLine(value) as T;
  if (value === null || typeof value !== 'object' || value instanceof Date) return value;
  return Object.fromEntries(Object.entries(value).map(([key, inner]) => [key, mailSafe(inner)])) as T;
}

function layout(title: string, paragraphs: string[]): string {
  const body = paragraphs.map((p) => `<p>${p}</p>`).join('\n');
  return (
    `<!doctype html><html><body style="font-family:sans-serif;max-width:560px">` +
    `<h1 style="font-size:20px">${escapeHtml(title)}</h1>\n${body}\n` +
    `<p style="color:#666;font-size:12px">Sent by keyward, the account-security service of your organisation.</p></body></html>`
  );
}

export function accountCreatedMail(input: {
  to: string;
  name: string;
  instanceName: string;
  instanceSlug: string;
  loginUrl: string;
}): MailMessage {
  input = mailSafe(input);
  const subject = `Your ${input.instanceName} account`;
  const how = 'Log in with this email address and the password you were given.';
  const text = [
    `Hello ${input.name},`,
    '',
    `An account was created for you on ${input.instanceName} (instance "${input.instanceSlug}").`,
    how,
    '',
    `Log in: ${input.loginUrl}`,
    '',
    'If you did not expect this, you can ignore this email.',
  ].join('\n');
  const html = layout(subject, [
    `Hello ${escapeHtml(input.name)},`,
    `An account was created for you on <strong>${escapeHtml(input.instanceName)}</strong> (instance "${escapeHtml(input.instanceSlug)}").`,
    escapeHtml(how),
    `<a href="${escapeHtml(input.loginUrl)}">Log in</a>`,
    'If you did not expect this, you can ignore this email.',
  ]);
  return { to: input.to, subject, text, html };
}

export function loginUrl(publicUrl: string, instanceSlug: string): string {
  const url = new URL('/login', publicUrl);
  url.searchParams.set('instance', instanceSlug);
  return url.toString();
}

export function lockNoticeMail(input: {
  to: string;
  name: string;
  instanceName: string;
  factor: 'password' | 'second_factor';
  failures: number;
  at: Date;
  ip: string | null;
  permanent: boolean;
}): MailMessage {
  input = mailSafe(input);
  const what = input.factor === 'password' ? 'password' : 'verification code';
  const subject = `Sign-in to ${input.instanceName} locked after failed attempts`;
  const until = input.permanent
    ? 'It stays locked until you reset your password with the link from "Forgot password" on the login page.'
    : 'It unlocks by itself after a short wait; each further failure makes the wait longer.';
  const lines = [
    `Hello ${input.name},`,
    '',
    `After ${input.failures} failed ${what} attempts in a row, signing in to ${input.instanceName} with your ${what} is locked.`,
    `Last attempt: ${eventTime(input.at)} from ${input.ip ?? 'an unknown address'}.`,
    until,
    '',
    input.factor === 'second_factor'
      ? 'Someone who knows your password may be trying to sign in. If this was not you, change your password now.'
      : 'If this was not you, someone may be guessing your password. Use a long, unique password.',
  ];
  const html = layout(subject, [
    `Hello ${escapeHtml(input.name)},`,
    escapeHtml(lines[2]!),
    escapeHtml(lines[3]!),
    escapeHtml(until),
    escapeHtml(lines[6]!),
  ]);
  return { to: input.to, subject, text: lines.join('\n'), html };
}

export type BackupCodeMailKind = 'issued' | 'used' | 'replaced';

/**
 * Every mail that carries a backup code has the line `Backup code: <code>` in its plain text
 * (SPEC rule 6). No login link that works by itself, no other secret (BC-13).
 */
export function backupCodeMail(input: {
  kind: BackupCodeMailKind;
  to: string;
  name: string;
  instanceName: string;
  code: string;
  at: Date;
  ip: string | null;
  device: string | null;
  /** Whom to ask for a reset if the use was not theirs (helpFor). */
  help: string;
}): MailMessage {
  input = mailSafe(input);
  const subjects: Record<BackupCodeMailKind, string> = {
    issued: `Your backup code for ${input.instanceName}`,
    used: `Your backup code was used to sign in to ${input.instanceName}`,
    replaced: `Your new backup code for ${input.instanceName}`,
  };
  const intro: Record<BackupCodeMailKind, string[]> = {
    issued: [`Two-factor authentication is now set up for your ${input.instanceName} account.`],
    used: [
      `Your backup code was used to sign in to ${input.instanceName} at ${eventTime(input.at)} from ${input.ip ?? 'an unknown address'}${input.device ? ` (${input.device})` : ''}.`,
      'That code no longer works. Here is your new one.',
      `If this was not you, someone knows your password and can read your email: change your password and ask ${input.help} to reset your two-factor authentication.`,
    ],
    replaced: [`You asked for a new backup code at ${eventTime(input.at)}. Your previous backup code no longer works.`],
  };
  const how = [
    'Keep this code somewhere safe. If you lose the phone with your authenticator app, you can sign in with it:',
    'after your password, choose "I don\'t have my device", check "Use a backup code instead" and enter the code.',
    'The code works once; after you use it, we email you a new one.',
  ];
  const text = [`Hello ${input.name},`, '', ...intro[input.kind], '', `Backup code: ${input.code}`, '', ...how].join('\n');
  const html = layout(subjects[input.kind], [
    `Hello ${escapeHtml(input.name)},`,
    ...intro[input.kind].map(escapeHtml),
    `Backup code: <strong>${escapeHtml(input.code)}</strong>`,
    how.map(escapeHtml).join(' '),
  ]);
  return { to: input.to, subject: subjects[input.kind], text, html };
}

export function passwordChangedMail(input: { to: string; name: string; instanceName: string; at: Date; ip: string | null }): MailMessage {
  input = mailSafe(input);
  const subject = `Your ${input.instanceName} password was changed`;
  const lines = [
    `Hello ${input.name},`,
    '',
    `The password of your ${input.instanceName} account was changed at ${eventTime(input.at)} from ${input.ip ?? 'an unknown address'}.`,
    'All other sessions were ended, and every browser will ask for a verification code again.',
    '',
    'If you did not do this, contact your administrator at once.',
  ];
  return {
    to: input.to,
    subject,
    text: lines.join('\n'),
    html: layout(subject, [lines[0]!, lines[2]!, lines[3]!, lines[5]!].map(escapeHtml)),
  };
}

/**
 * The invitation of a new account without a password (issue 13: from Add user, the CLI and the
 * import alike): which account, on which instance, where that instance's login page is, and the
 * single-use link that chooses the password.
 */
export function invitationMail(input: {
  to: string;
  name: string;
  instanceName: string;
  url: string;
  days: number;
  loginUrl: string;
}): MailMessage {
  input = mailSafe(input);
  const subject = `You are invited to ${input.instanceName}`;
  const lines = [
    `Hello ${input.name},`,
    '',
    `An account was created for you on ${input.instanceName}. Your login is this email address, ${input.to}.`,
    `Choose your password here (the link works once, for ${input.days} days):`,
    input.url,
    '',
    `Afterwards, log in at ${input.loginUrl}`,
    '',
    'If you did not expect this, ignore this email.',
  ];
  return {
    to: input.to,
    subject,
    text: lines.join('\n'),
    html: layout(subject, [
      escapeHtml(lines[0]!),
      escapeHtml(lines[2]!),
      `${escapeHtml(lines[3]!)}<br><a href="${escapeHtml(input.url)}">Choose your password</a>`,
      `Afterwards, log in at <a href="${escapeHtml(input.loginUrl)}">${escapeHtml(input.loginUrl)}</a>`,
      escapeHtml(lines[8]!),
    ]),
  };
}

/** The login page of one instance (SPEC §6: `PUBLIC_URL/i/{slug}/login`, no instance field to fill in). */
export function instanceLoginUrl(publicUrl: string, instanceSlug: string): string {
  return new URL(`/i/${encodeURIComponent(instanceSlug)}/login`, publicUrl).toString();
}

/** To the user when an administrator disables (or enables again) their account (issue 13). */
export function accountStatusMail(input: {
  to: string;
  name: string;
  instanceName: string;
  status: 'active' | 'disabled';
  at: Date;
  loginUrl: string;
  /** Whom to ask (helpFor: the administrators, or for an administrator the vendor's support). */
  help: string;
}): MailMessage {
  input = mailSafe(input);
  const disabled = input.status === 'disabled';
  const subject = disabled ? `Your ${input.instanceName} account was disabled` : `Your ${input.instanceName} account was enabled again`;
  const lines = [
    `Hello ${input.name},`,
    '',
    disabled
      ? `An administrator of ${input.instanceName} disabled your account at ${eventTime(input.at)}. You were logged out everywhere and cannot log in until it is enabled again.`
      : `An administrator of ${input.instanceName} enabled your account again at ${eventTime(input.at)}. You can log in as before: ${input.loginUrl}`,
    '',
    disabled ? `If you think this is a mistake, ask ${input.help} for help.` : `If you did not expect this, ask ${input.help} for help.`,
  ];
  return {
    to: input.to,
    subject,
    text: lines.join('\n'),
    html: layout(subject, [lines[0]!, lines[2]!, lines[4]!].map(escapeHtml)),
  };
}

/** To the old address when an administrator changes a user's email (the login name): never silent. */
export function emailChangedMail(input: { to: string; name: string; instanceName: string; newEmail: string; at: Date }): MailMessage {
  input = mailSafe(input);
  const subject = `Your ${input.instanceName} login email was changed`;
  const lines = [
    `Hello ${input.name},`,
    '',
    `An administrator of ${input.instanceName} changed the email address of your account to ${input.newEmail} at ${eventTime(input.at)}. From now on you log in with the new address.`,
    '',
    'If you did not expect this, ask an administrator of your organisation at once.',
  ];
  return {
    to: input.to,
    subject,
    text: lines.join('\n'),
    html: layout(subject, [lines[0]!, lines[2]!, lines[4]!].map(escapeHtml)),
  };
}

export function passwordResetMail(input: { to: string; name: string; instanceName: string; url: string }): MailMessage {
  input = mailSafe(input);
  const subject = `Reset your ${input.instanceName} password`;
  const lines = [
    `Hello ${input.name},`,
    '',
    'Someone asked to reset your password. Choose a new one here (the link works once, for one hour):',
    input.url,
    '',
    'Resetting your password does not turn off two-factor authentication: if it is on, you will also need a current code from your authenticator app.',
    'If you did not ask for this, ignore this email; your password stays as it is.',
  ];
  return {
    to: input.to,
    subject,
    text: lines.join('\n'),
    html: layout(subject, [
      escapeHtml(lines[0]!),
      escapeHtml(lines[2]!),
      `<a href="${escapeHtml(input.url)}">Choose a new password</a>`,
      escapeHtml(lines[5]!),
      escapeHtml(lines[6]!),
    ]),
  };
}

/** One text for every recipient (no name, no secret): queued in one statement for many users. */
export function twoFactorRequestMail(input: { instanceName: string; adminName: string; loginUrl: string }): {
  subject: string;
  text: string;
  html: string;
} {
  input = mailSafe(input);
  const subject = `Please turn on two-factor authentication for ${input.instanceName}`;
  const lines = [
    'Hello,',
    '',
    `${input.adminName}, an administrator of ${input.instanceName}, asks you to turn on two-factor authentication.`,
    'Log in, open My Profile from the menu under your name, and switch on "Two-factor authentication". You will need an authenticator app such as Google Authenticator, Authy or 1Password.',
    '',
    `Log in: ${input.loginUrl}`,
  ];
  return {
    subject,
    text: lines.join('\n'),
    html: layout(subject, [escapeHtml(lines[2]!), escapeHtml(lines[3]!), `<a href="${escapeHtml(input.loginUrl)}">Log in</a>`]),
  };
}

/** The weekly reminder to a user whose 2FA is on with no app yet (SPEC rule 3's rollout); no name, no secret. */
export function setupReminderMail(input: { to: string; instanceName: string; loginUrl: string; deadline: Date | null }): MailMessage {
  input = mailSafe(input);
  const subject = `Set up two-factor authentication for ${input.instanceName}`;
  const deadline = input.deadline ? ` From ${mailDate(input.deadline)} you will not be able to log in without it.` : '';
  const lines = [
    'Hello,',
    '',
    `Two-factor authentication is turned on for your ${input.instanceName} account, but no authenticator app is set up yet.${deadline}`,
    `Log in and follow the steps: ${input.loginUrl}`,
  ];
  return {
    to: input.to,
    subject,
    text: lines.join('\n'),
    html: layout(subject, [escapeHtml(lines[2]!), `<a href="${escapeHtml(input.loginUrl)}">Log in and set it up</a>`]),
  };
}

/** The one warning per password before it expires (SPEC rule 10); no name, no secret. */
export function passwordExpiryWarningMail(input: { to: string; instanceName: string; loginUrl: string; expiresAt: Date }): MailMessage {
  input = mailSafe(input);
  const expires = mailDate(input.expiresAt);
  const subject = `Your ${input.instanceName} password expires on ${expires}`;
  const lines = [
    'Hello,',
    '',
    `Your ${input.instanceName} password expires on ${expires}. Your organisation asks you to change it before then; after that date you will have to change it when you log in.`,
    `Log in and open My Profile: ${input.loginUrl}`,
  ];
  return {
    to: input.to,
    subject,
    text: lines.join('\n'),
    html: layout(subject, [escapeHtml(lines[2]!), `<a href="${escapeHtml(input.loginUrl)}">Log in and change it</a>`]),
  };
}

export function twoFactorOffMail(input: { to: string; name: string; instanceName: string; at: Date; ip: string | null }): MailMessage {
  input = mailSafe(input);
  const subject = `Two-factor authentication was turned off for your ${input.instanceName} account`;
  const lines = [
    `Hello ${input.name},`,
    '',
    `Two-factor authentication was turned off for your ${input.instanceName} account at ${eventTime(input.at)} from ${input.ip ?? 'an unknown address'}. Your authenticator app and backup code no longer work.`,
    '',
    'If you did not do this, change your password and contact your administrator at once.',
  ];
  return { to: input.to, subject, text: lines.join('\n'), html: layout(subject, [lines[0]!, lines[2]!, lines[4]!].map(escapeHtml)) };
}

/** Who reset someone's 2FA, as a mail names them. */
export type ResetBy =
  { kind: 'admin'; name: string; email: string } | { kind: 'support'; reference: string } | { kind: 'cli'; reference: string };

function resetByText(by: ResetBy, whose: 'your' | 'their' = 'your'): string {
  switch (by.kind) {
    case 'admin':
      return `your administrator ${by.name} (${by.email})`;
    case 'support':
      return `the support team, after verifying ${whose} identity (reference ${by.reference}),`;
    case 'cli':
      return `the service's operator (reference ${by.reference}),`;
  }
}

/** Whom to contact when the reset was not asked for: the admin who did it, or support (and how to reach it) with the reference. */
function resetContact(by: ResetBy, supportContact: string | null): string {
  if (by.kind === 'admin') return `contact ${by.name} (${by.email})`;
  return `contact the support team${supportContact ? ` (${supportContact})` : ''}, quoting the reference ${by.reference},`;
}

/**
 * To the user whose 2FA was reset (SPEC rule 8, ADM-05): who did it, when, what happens next, and
 * whom to contact if they did not ask for it. No link that logs in, no secret.
 */
/** Where a reset was made from, for the mails (NTF-02: time and address). */
function resetFrom(by: ResetBy, ip: string | null): string {
  if (by.kind === 'cli') return "on the server's command line";
  return ip ? `from the address ${ip}` : 'from an unknown address';
}

export function twoFactorResetMail(input: {
  to: string;
  name: string;
  instanceName: string;
  at: Date;
  ip: string | null;
  by: ResetBy;
  loginUrl: string;
  stillEnabled: boolean;
  /** The vendor's support contact (KEYWARD_SUPPORT_CONTACT), named when support or the CLI reset it. */
  supportContact?: string | null;
}): MailMessage {
  input = mailSafe(input);
  const subject = `Two-factor authentication was reset for your ${input.instanceName} account`;
  const who = resetByText(input.by);
  const contact = resetContact(input.by, input.supportContact ?? null);
  const lines = [
    `Hello ${input.name},`,
    '',
    `Two-factor authentication for your ${input.instanceName} account was reset by ${who} at ${eventTime(input.at)}, ${resetFrom(input.by, input.ip)}.`,
    'Your authenticator app, your backup code and your trusted browsers no longer work, and you were logged out everywhere.',
    input.stillEnabled
      ? 'The next time you log in with your password, you will set up your authenticator app again.'
      : 'You can set up an authenticator app again in My Profile.',
    '',
    `If you did not ask for this, ${contact} and change your password at once: ${input.loginUrl}`,
  ];
  const html = layout(subject, [lines[0]!, lines[2]!, lines[3]!, lines[4]!, lines[6]!].map(escapeHtml));
  return { to: input.to, subject, text: lines.join('\n'), html };
}

/** To the instance's other administrators when an administrator's 2FA was reset (by support, the operator's CLI or another admin: SPEC rule 9). */
export function adminResetNoticeMail(input: {
  to: string;
  name: string;
  instanceName: string;
  at: Date;
  ip: string | null;
  by: ResetBy;
  target: { name: string; email: string };
  method: string | null;
  supportContact?: string | null;
}): MailMessage {
  input = mailSafe(input);
  const subject = `Two-factor authentication of administrator ${input.target.name} was reset`;
  const by = input.by.kind === 'admin' ? `${input.by.name} (${input.by.email})` : resetByText(input.by, 'their');
  // (The support and CLI wordings end in a comma: "the support team, after verifying …, reset".)
  const lines = [
    `Hello ${input.name},`,
    '',
    `At ${eventTime(input.at)}, ${by} reset the two-factor authentication of ${input.target.name} (${input.target.email}), an administrator of ${input.instanceName}, ${resetFrom(input.by, input.ip)}.`,
    input.method ? `The identity was verified by ${input.method}.` : 'It was done from the Users list of your instance.',
    'They will set up their authenticator app again at their next login. The event is in Settings → Audit.',
    '',
    input.by.kind === 'admin'
      ? `If you do not know about this, check with ${input.by.name} at once.`
      : `If you do not know about this, contact the support team${input.supportContact ? ` (${input.supportContact})` : ''} at once and quote the reference.`,
  ];
  const html = layout(subject, [lines[0]!, lines[2]!, lines[3]!, lines[4]!, lines[6]!].map(escapeHtml));
  return { to: input.to, subject, text: lines.join('\n'), html };
}

/**
 * To a user whose sessions an administrator ended (DELETE /admin/users/{id}/sessions): who, when,
 * from where, and what to do if it comes as a surprise. No link that logs in, no secret.
 */
export function sessionsEndedMail(input: {
  to: string;
  name: string;
  instanceName: string;
  at: Date;
  ip: string | null;
  admin: { name: string; email: string };
  loginUrl: string;
}): MailMessage {
  input = mailSafe(input);
  const subject = `You were logged out of ${input.instanceName} everywhere`;
  const lines = [
    `Hello ${input.name},`,
    '',
    `Your administrator ${input.admin.name} (${input.admin.email}) ended all your ${input.instanceName} sessions at ${eventTime(input.at)} from ${input.ip ?? 'an unknown address'}.`,
    'Every browser that was logged in must log in again. Your password and two-factor authentication did not change.',
    '',
    `If you do not know why, ask ${input.admin.name}, and change your password when you next log in: ${input.loginUrl}`,
  ];
  return {
    to: input.to,
    subject,
    text: lines.join('\n'),
    html: layout(subject, [lines[0]!, lines[2]!, lines[3]!, lines[5]!].map(escapeHtml)),
  };
}

/**
 * To the instance's administrators (and the user concerned) when someone becomes or stops being an
 * administrator (issue 10 item 2): who did it, when, from where, and what to do if it is unknown.
 */
export function roleChangedMail(input: {
  to: string;
  name: string;
  instanceName: string;
  at: Date;
  ip: string | null;
  actor: { name: string; email: string };
  target: { name: string; email: string };
  from: string;
  role: string;
}): MailMessage {
  input = mailSafe(input);
  const subject = `The role of ${input.target.name} changed from ${input.from} to ${input.role}`;
  const lines = [
    `Hello ${input.name},`,
    '',
    `At ${eventTime(input.at)}, ${input.actor.name} (${input.actor.email}) changed the role of ${input.target.name} (${input.target.email}) in ${input.instanceName} from ${input.from} to ${input.role}, from ${input.ip ?? 'an unknown address'}.`,
    'The event is in Settings → Audit.',
    '',
    `If you do not know about this, check with ${input.actor.name} at once.`,
  ];
  return {
    to: input.to,
    subject,
    text: lines.join('\n'),
    html: layout(subject, [lines[0]!, lines[2]!, lines[3]!, lines[5]!].map(escapeHtml)),
  };
}

/**
 * The answer to "forgot password" for a user whose 2FA is enabled but who has no app (after a
 * reset, or pending under auto-enable): no link, because a link would let the mailbox alone
 * choose the password and then enrol an app (SPEC rule 13). An administrator helps a member;
 * an administrator is helped by the vendor's support (`supportContact`), since no one of their
 * own instance can reset them safely alone (issue 13).
 */
export function passwordResetRefusedMail(input: {
  to: string;
  name: string;
  instanceName: string;
  /** Whom to ask (helpFor: the administrators, or for an administrator the vendor's support). */
  help: string;
}): MailMessage {
  input = mailSafe(input);
  const helper = `ask ${input.help} to help you`;
  const subject = `Reset your ${input.instanceName} password`;
  const lines = [
    `Hello ${input.name},`,
    '',
    'Someone asked to reset your password. Your account has two-factor authentication turned on but no authenticator app set up yet,',
    'so your password cannot be reset by email: an email alone must never be enough to take over your account.',
    `If you know your password, log in and set up your authenticator app. If you have forgotten it, ${helper}.`,
    '',
    'If you did not ask for this, ignore this email; your password stays as it is.',
  ];
  return {
    to: input.to,
    subject,
    text: lines.join('\n'),
    html: layout(subject, [lines[0]!, `${lines[2]!} ${lines[3]!}`, lines[4]!, lines[6]!].map(escapeHtml)),
  };
}

/**
 * To a user (or operator) whose login passed the password and then failed the second factor, at
 * the first wrong code after their last success (RL-10; OWASP MFA and Credential Stuffing cheat
 * sheets: the password is probably known to someone else). No secret in it.
 */
export function secondFactorFailedMail(input: {
  to: string;
  name: string;
  instanceName: string;
  at: Date;
  ip: string | null;
}): MailMessage {
  input = mailSafe(input);
  const subject = `A sign-in to ${input.instanceName} used your password, then a wrong code`;
  const lines = [
    `Hello ${input.name},`,
    '',
    `At ${eventTime(input.at)}, someone signed in to ${input.instanceName} from ${input.ip ?? 'an unknown address'} with your correct password and then entered a wrong verification code.`,
    'If this was you, you can ignore this mail.',
    'If it was not, someone knows your password: change it now (or use "Forgot password" on the login page), and tell your administrator.',
    '',
    'We send this once until your next successful sign-in; a lock after repeated wrong codes is mailed separately.',
  ];
  return {
    to: input.to,
    subject,
    text: lines.join('\n'),
    html: layout(subject, [lines[0]!, lines[2]!, lines[3]!, lines[4]!, lines[6]!].map(escapeHtml)),
  };
}

/** To a user when a login completed from a browser that was not a known location for them (SPEC §1 "new location"). */
export function newLocationMail(input: {
  to: string;
  name: string;
  instanceName: string;
  at: Date;
  ip: string | null;
  network: string;
  device: string;
  /** Whom to ask for a reset if the sign-in was not theirs (helpFor). */
  help: string;
}): MailMessage {
  input = mailSafe(input);
  const subject = `New sign-in to ${input.instanceName}`;
  const lines = [
    `Hello ${input.name},`,
    '',
    `Your ${input.instanceName} account was signed in to from a new location at ${eventTime(input.at)}: ${input.device}, from ${input.ip ?? 'an unknown address'} (network ${input.network}).`,
    'The sign-in used your password and a verification code from your authenticator app. This browser is now a known location.',
    '',
    `If this was not you, change your password now, and ask ${input.help} to reset your two-factor authentication.`,
  ];
  return {
    to: input.to,
    subject,
    text: lines.join('\n'),
    html: layout(subject, [lines[0]!, lines[2]!, lines[3]!, lines[5]!].map(escapeHtml)),
  };
}

/**
 * To a user (2FA enabled, no app) for whom an administrator started a password recovery (issue 10
 * item 3): the link, which works only together with the one-time code the administrator hands
 * over in person or by phone. Never the code itself: the mailbox alone must not be enough.
 */
export function adminRecoveryMail(input: {
  to: string;
  name: string;
  instanceName: string;
  url: string;
  adminName: string | null;
  /** When the recovery was started (the mail is written then). */
  at: Date;
  expiresAt: Date;
}): MailMessage {
  input = mailSafe(input);
  const subject = `Recover your ${input.instanceName} password`;
  const lines = [
    `Hello ${input.name},`,
    '',
    `${input.adminName ? `${input.adminName}, an administrator of ${input.instanceName},` : `An administrator of ${input.instanceName}`} started a password recovery for your account. Choose a new password here (the link works once, until ${mailTime(input.expiresAt, input.at)}):`,
    input.url,
    '',
    'You also need the recovery code your administrator gives you in person or by phone. It is never sent by email.',
    'After choosing your password, log in with it and set up your authenticator app.',
    'If you did not ask for this, do not use the link, and tell your administrator.',
  ];
  return {
    to: input.to,
    subject,
    text: lines.join('\n'),
    html: layout(subject, [
      escapeHtml(lines[0]!),
      escapeHtml(lines[2]!),
      `<a href="${escapeHtml(input.url)}">Choose a new password</a>`,
      escapeHtml(lines[5]!),
      escapeHtml(lines[6]!),
      escapeHtml(lines[7]!),
    ]),
  };
}
