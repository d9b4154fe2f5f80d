import type { LoginStage } from '../session/session.ts';

/** The answer of every login step (SPEC §3). */
export type LoginStep =
  | { next: 'done' }
  | { next: 'verify'; methods: Array<'totp' | 'backup_code'> }
  | { next: 'setup'; canPostpone: boolean }
  | { next: 'change_password' };

export function stepFor(stage: LoginStage): LoginStep {
  switch (stage) {
    case 'done':
      return { next: 'done' };
    case 'verify':
      return { next: 'verify', methods: ['totp', 'backup_code'] };
    case 'setup':
      return { next: 'setup', canPostpone: true };
    case 'change_password':
      return { next: 'change_password' };
  }
}
