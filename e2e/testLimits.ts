// No test-runner imports here: the bench uses e2e/net (and so this) outside vitest.

/**
 * Per-IP limits of every e2e server. All of a test's pages and sockets come from 127.0.0.1,
 * a whole test's population behind one address: at the defaults (10 joins, 20 connections per
 * second) a quick machine trips them and a slow one does not, so a test's result would depend
 * on the machine's speed. The limits' own tests (packages/server/src/limits) set the limit
 * they show refusing; the fuzz run keeps the defaults, from addresses of its own.
 */
export const TEST_CLIENT_LIMITS: Readonly<Record<string, string>> = {
  PARLEY_JOINS_PER_SECOND_PER_IP: '1000',
  PARLEY_CONNECTIONS_PER_SECOND_PER_IP: '1000',
  PARLEY_MAX_CONNECTIONS_PER_IP: '1000',
};
