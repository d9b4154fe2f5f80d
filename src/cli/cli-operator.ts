import os from 'node:os';

/** Who ran the CLI, as the audit log names them: the host's operator has no account in keyward. */
export function cliOperator(): string {
  let user = 'unknown user';
  try {
    user = os.userInfo().username;
  } catch {
    // No passwd entry (some containers): the host name still says where it ran.
  }
  return `${user}@${os.hostname()}`;
}
