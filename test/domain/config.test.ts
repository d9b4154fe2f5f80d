import { describe, expect, it } from 'vitest';
import { ConfigError, loadConfig } from '../../src/config.ts';

describe('configuration', () => {
  it('keeps the support step-up window within rule 12’s 10 minutes', () => {
    expect(loadConfig({}).supportStepUpSeconds).toBe(600);
    expect(loadConfig({ KEYWARD_SUPPORT_STEP_UP_SECONDS: '60' }).supportStepUpSeconds).toBe(60);
    for (const bad of ['0', '601', '-5', 'ten', '1.5']) {
      expect(() => loadConfig({ KEYWARD_SUPPORT_STEP_UP_SECONDS: bad })).toThrow(ConfigError);
    }
  });
});
