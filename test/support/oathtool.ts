/** Codes from oathtool (Debian package oathtool): an authenticator independent of our TOTP code. */
import { execFileSync } from 'node:child_process';

export function oathtool(base32Secret: string, at: Date, offsetSteps = 0): string {
  const seconds = Math.floor(at.getTime() / 1000) + offsetSteps * 30;
  return execFileSync('oathtool', ['--totp', '--base32', base32Secret.replace(/\s+/g, ''), `--now=@${seconds}`], {
    encoding: 'utf8',
  }).trim();
}
