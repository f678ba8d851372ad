/**
 * The vitest side of the cluster kit: a file's cluster, browser and pages, with everything
 * stopped after the file and every process's log named when a test fails.
 *
 * Pages: a page opened for node X is served by an application origin whose fixtures load the
 * SDK from X (`{{PARLEY}}/sdk/trtc.js`, harness.startAppOrigin), and the SDK signals to the
 * origin it was loaded from when the app gives no `serverUrl` (packages/sdk/src/util/
 * serverUrl.ts): the page joins at X, and X is all it is given, as the clients are.
 * The application origins are this process's, so they outlive any node.
 */
import { readFileSync } from 'node:fs';
import type { Browser, Page } from 'playwright-core';
import { afterAll, afterEach, beforeAll, beforeEach } from 'vitest';
import { closeAllPages, launchBrowser, openGuidePage, startAppOrigin } from '../harness.js';
import {
  startCluster,
  startedLogs,
  stopAll,
  type ClusterUnderTest,
  type NodeUnderTest,
  type RedisOptions,
} from './clusterKit.js';

/** Application origins by Parley origin (a restarted node keeps its origin, so its app one). */
const appOrigins = new Map<string, Promise<{ origin: string; close(): Promise<void> }>>();

/** The application origin whose pages load the SDK from `node` (started on first use). */
export async function appOriginFor(node: Pick<NodeUnderTest, 'origin'>): Promise<string> {
  let app = appOrigins.get(node.origin);
  if (app === undefined) {
    app = startAppOrigin(node.origin);
    appOrigins.set(node.origin, app);
  }
  return (await app).origin;
}

export async function closeAppOrigins(): Promise<void> {
  const apps = [...appOrigins.values()];
  appOrigins.clear();
  await Promise.all(apps.map(async (app) => (await app).close()));
}

/**
 * Opens the guide fixture (the TRTC v4 guide's code: join, publish camera and microphone,
 * subscribe to everyone) as `userId` in `roomId`, with the SDK loaded from `node`.
 */
export async function openNodePage(
  browser: Browser,
  node: NodeUnderTest,
  userId: string,
  roomId: number,
): Promise<Page> {
  return openGuidePage(browser, await appOriginFor(node), node, userId, roomId);
}

/** Prints each process's log file (and its last lines) started in this file. */
export function printLogs(lines = 15): void {
  for (const { name, logFile, running } of startedLogs()) {
    let last = '';
    try {
      last = readLastLines(logFile, lines);
    } catch {
      last = '(no log)';
    }
    console.error(`[cluster] ${name}${running ? '' : ' (not running)'}: ${logFile}\n${last}`);
  }
}

function readLastLines(file: string, lines: number): string {
  // The logs are small enough for a test; the last `lines` of them.
  const text = readFileSync(file, 'utf8');
  return text
    .split('\n')
    .slice(-lines - 1)
    .join('\n');
}

export interface ClusterEnv extends ClusterUnderTest {
  browser: Browser;
}

/**
 * Registers a file's cluster (Redis and `nodes` nodes, started in beforeAll) and a browser;
 * pages are closed after each test, and a failed test prints where each process's log is;
 * everything stops after the file. Read the fields inside tests.
 */
export function useCluster(
  options: {
    nodes?: number;
    env?: Record<string, string>;
    redis?: RedisOptions;
    /** false: no browser (env.browser stays unset). */
    browser?: boolean;
  } = {},
): ClusterEnv {
  const env = {} as ClusterEnv;
  beforeAll(async () => {
    try {
      Object.assign(env, await startCluster(options));
      if (options.browser !== false) env.browser = await launchBrowser();
    } catch (error) {
      printLogs();
      throw error;
    }
  });
  beforeEach(({ onTestFailed }) => onTestFailed(() => printLogs()));
  afterEach(() => closeAllPages());
  afterAll(async () => {
    await env.browser?.close();
    await closeAppOrigins();
    await stopAll();
  });
  return env;
}
