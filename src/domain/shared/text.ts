/**
 * Control characters (C0, DEL, C1) and the Unicode line and paragraph separators: whatever breaks
 * a line somewhere. Why refused in names and kept out of mails: a name with CR/LF would forge
 * lines (a fake "Backup code:" line, a header-looking line) in mail sent to others (issue 10 item
 * 21; OWASP ASVS 5.0 V1.3, injection).
 */
const CONTROL = /[\p{Cc}\u2028\u2029]/u;
const CONTROL_RUNS = /[\p{Cc}\u2028\u2029]+/gu;

export function hasControlCharacter(value: string): boolean {
  return CONTROL.test(value);
}

/** The value on one line: every run of control characters becomes one space. */
export function singleLine(value: string): string {
  return value.replace(CONTROL_RUNS, ' ');
}
