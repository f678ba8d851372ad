/** Starts a Parley node configured from the environment (run by main.ts once Node is new enough). */
import { ConfigError, loadConfig, type ParleyConfig } from './config.js';
import { createLogger } from './logger.js';
import { ParleyServer } from './ParleyServer.js';
import { shareDevCredentials } from './cluster/devCredentials.js';

async function main(): Promise<void> {
  let config: ParleyConfig;
  try {
    config = loadConfig();
  } catch (error) {
    if (error instanceof ConfigError) {
      process.stderr.write(`parley: configuration error: ${error.message}\n`);
      process.exit(1);
    }
    throw error;
  }
  // The secret keys are scrubbed from every line even if some message were to quote them.
  const secretsOf = (c: ParleyConfig) => [c.secretKey, ...(c.turn?.secret ? [c.turn.secret] : [])];
  // Dev mode in a cluster takes the cluster's dev credentials first (they are its secrets).
  config = await shareDevCredentials(
    config,
    createLogger(undefined, { secrets: secretsOf(config) }),
  );
  const log = createLogger(undefined, { secrets: secretsOf(config) });
  // One bad packet or message must not take every room down: log what escaped and go on.
  process.on('unhandledRejection', (reason) => log.error({ err: reason }, 'unhandled rejection'));
  process.on('uncaughtException', (error) => log.error({ err: error }, 'uncaught exception'));
  const server = new ParleyServer({ config, log });
  const { port } = await server.listen();
  const url = `${config.tls ? 'https' : 'http'}://localhost:${port}/`;
  log.info(
    {
      port,
      host: config.host,
      node: process.version,
      devMode: config.devMode,
      tls: config.tls ? { certFile: config.tls.certFile, validTo: config.tls.validTo } : false,
      allowedOrigins: config.allowedOrigins ?? 'any',
      limits: config.limits,
    },
    'parley listening',
  );
  if (config.devMode) {
    process.stdout.write(
      [
        '',
        '  Parley is running in dev mode.',
        `  Demo:       ${url}`,
        `  Node.js:    ${process.version} (${process.execPath})`,
        `  SDK:        ${url}sdk/trtc.js`,
        `  sdkAppId:   ${config.sdkAppId}`,
        `  secretKey:  ${config.secretKey}`,
        config.cluster
          ? `  (shared by the cluster's nodes through Redis; set PARLEY_SDK_APP_ID and PARLEY_SECRET_KEY for production)`
          : `  (kept in ${config.devCredentialsFile}; set PARLEY_SDK_APP_ID and PARLEY_SECRET_KEY for production)`,
        `  Server API: POST ${url} (TRTC API 3.0), SecretId ${config.apps[0]?.apiCredentials[0]?.secretId ?? '-'}`,
        `              SecretKey ${config.apps[0]?.apiCredentials[0]?.secretKey ?? '-'}`,
        `  Admin:      ${url}admin (sign in with the SecretId and SecretKey above)`,
        `  Metrics:    ${url}metrics`,
        '',
        '',
      ].join('\n'),
    );
  }
  const stop = (signal: string) => {
    log.info({ signal }, 'shutting down');
    const force = setTimeout(() => process.exit(1), 5000);
    force.unref();
    server.close().then(
      () => process.exit(0),
      () => process.exit(1),
    );
  };
  process.on('SIGINT', () => stop('SIGINT'));
  process.on('SIGTERM', () => stop('SIGTERM'));
}

void main();
