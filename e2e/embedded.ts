/** The embedded engine and local cloud in this process (`startEmbedded`, as `hangar up` runs them), and Chromium, for the e2e tests that drive a whole app. */
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { startEmbedded, type Embedded } from '@hangar/local';
import { chromium, type Browser } from 'playwright-core';

export const CHROMIUM = '/usr/bin/chromium';
/** A dashboard or site check needs Chromium: skipped without it, unless HANGAR_TEST_BROWSER makes that a failure. */
export const browserSkip = existsSync(CHROMIUM) || process.env.HANGAR_TEST_BROWSER ? false : `${CHROMIUM} is missing (set HANGAR_TEST_BROWSER=1 to make this a failure)`;

export function launchChromium(): Promise<Browser> {
  return chromium.launch({ executablePath: CHROMIUM, args: ['--no-sandbox', '--disable-gpu', '--no-first-run', '--disable-background-networking'] });
}

/** The embedded engine and local cloud on ports 0 with their data in `<work>/data`, logging nothing. */
export function startQuietEmbedded(work: string): Promise<Embedded> {
  return startEmbedded({ dataDir: join(work, 'data'), port: 0, cloudPort: 0, logger: { debug() {}, info() {}, warn() {}, error() {}, addSecret() {}, removeSecret() {}, child() { return this; } } });
}
