/**
 * A real browser for flow tests: Debian's chromium, headless, driven by playwright-core.
 * Nothing is mocked: the page runs under the server's real CSP and cookies.
 */
import { chromium, type Browser, type Page } from 'playwright-core';
import { AxeBuilder } from '@axe-core/playwright';
import { oathtool } from './oathtool.ts';

export const CHROMIUM_PATH = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';

export function launchBrowser(): Promise<Browser> {
  return chromium.launch({
    executablePath: CHROMIUM_PATH,
    headless: true,
    args: [
      '--no-sandbox',
      '--disable-gpu',
      '--disable-background-networking',
      '--disable-quic',
      '--no-first-run',
      '--disable-component-update',
      '--disable-sync',
    ],
  });
}

/** Collects the page's Content-Security-Policy violations, as reported on the console. */
export function watchCspViolations(page: Page): string[] {
  const violations: string[] = [];
  page.on('console', (message) => {
    if (message.type() === 'error' && message.text().includes('Content Security Policy')) violations.push(message.text());
  });
  return violations;
}

export interface AxeFinding {
  id: string;
  impact: string | null | undefined;
  help: string;
  targets: string[];
}

/** axe-core on the current page: the serious and critical violations only. */
export async function seriousAccessibilityViolations(page: Page): Promise<AxeFinding[]> {
  const { violations } = await new AxeBuilder({ page }).analyze();
  return violations
    .filter((violation) => violation.impact === 'serious' || violation.impact === 'critical')
    .map((violation) => ({
      id: violation.id,
      impact: violation.impact,
      help: violation.help,
      targets: violation.nodes.map((node) => node.target.join(' ')),
    }));
}

/** A screenshot under /tmp for a person to look at; returns its path. */
export async function screenshot(page: Page, name: string): Promise<string> {
  const file = `/tmp/keyward-${name}.png`;
  await page.screenshot({ path: file, fullPage: true });
  return file;
}

/**
 * An authenticator app for browser tests: oathtool codes. The server accepts a time step once per
 * user (RFC 6238 §5.2) with ±1 step of drift, so each code comes from a step newer than the last
 * one used: the current step, else the next one, else (both used) it waits for time to move on.
 */
export class Authenticator {
  private lastStep = -Infinity;
  readonly secret: string;

  constructor(secret: string) {
    this.secret = secret.replace(/\s+/g, '');
  }

  async nextCode(): Promise<string> {
    for (;;) {
      const current = currentStep();
      const step = Math.max(current, this.lastStep + 1);
      if (step <= current + 1) {
        this.lastStep = step;
        return oathtool(this.secret, new Date(step * TOTP_STEP_MS));
      }
      await new Promise((resolve) => setTimeout(resolve, (current + 1) * TOTP_STEP_MS - Date.now() + 100));
    }
  }

  /** Six digits that no step the server would accept now produces. */
  wrongCode(): string {
    const current = currentStep();
    const near = new Set([-2, -1, 0, 1, 2].map((offset) => oathtool(this.secret, new Date((current + offset) * TOTP_STEP_MS))));
    return ['000000', '111111', '222222', '333333', '444444', '555555'].find((code) => !near.has(code))!;
  }
}

const TOTP_STEP_MS = 30_000;

function currentStep(): number {
  return Math.floor(Date.now() / TOTP_STEP_MS);
}
