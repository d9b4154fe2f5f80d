import { describe, expect, it } from 'vitest';
import { drainLoop } from '../../src/domain/shared/drain-loop.ts';

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/**
 * A started loop over a queue whose drains are counted (each takes `workMs`), polling once a
 * minute (never within a test), with `wakeDelayMs`; a failed drain fails the test.
 */
function countedLoop(wakeDelayMs: number, workMs = 0) {
  const state = { drains: 0 };
  const drainOnce = async () => {
    state.drains += 1;
    if (workMs) await sleep(workMs);
    return 0;
  };
  const loop = drainLoop(
    drainOnce,
    60_000,
    (error) => {
      throw error;
    },
    wakeDelayMs,
  );
  loop.start();
  return { state, loop };
}

describe('drainLoop', () => {
  it('gathers the wakes of a burst into one drain after the wake delay', async () => {
    const { state, loop } = countedLoop(40);
    await sleep(10);
    const afterStart = state.drains;
    // Twenty mails queued by twenty logins within a few ms: one drain, not twenty.
    for (let i = 0; i < 20; i += 1) loop.wake();
    expect(state.drains).toBe(afterStart);
    await sleep(120);
    expect(state.drains).toBe(afterStart + 1);
    loop.wake();
    await sleep(120);
    expect(state.drains).toBe(afterStart + 2);
    await loop.stop();
  });

  it('with no delay, drains at once, and a wake during a drain asks for one more pass', async () => {
    const { state, loop } = countedLoop(0, 30);
    await sleep(5);
    expect(state.drains).toBe(1);
    loop.wake();
    loop.wake();
    await sleep(100);
    expect(state.drains).toBe(2);
    await loop.stop();
  });

  it('a wake pending when the loop stops never drains', async () => {
    const { state, loop } = countedLoop(30);
    await sleep(5);
    const before = state.drains;
    loop.wake();
    await loop.stop();
    await sleep(60);
    expect(state.drains).toBe(before);
  });
});
