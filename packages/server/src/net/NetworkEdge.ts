/**
 * Everything between the network and the signaling layer, in one place for ParleyServer to
 * wire in: the origin policy (WebSocket and HTTP), per-IP connection and join limits, and the
 * message limiter each connection gets.
 */
import { ErrorCode, ProtocolErrorCode } from '@parley/protocol';
import type { Logger } from 'pino';
import type { ParleyConfig } from '../config.js';
import { IpLimits } from '../limits/IpLimits.js';
import { DEFAULT_LIMITS, type LimitsConfig } from '../limits/limitsConfig.js';
import { MessageLimiter } from '../limits/MessageLimiter.js';
import { ServerError } from '../ServerError.js';
import { OriginPolicy } from './origins.js';
import { UpgradeGate } from './UpgradeGate.js';

export class NetworkEdge {
  readonly origins: OriginPolicy;
  readonly ipLimits: IpLimits;
  readonly upgrades: UpgradeGate;
  readonly limits: LimitsConfig;

  constructor(
    config: ParleyConfig,
    private readonly log: Logger,
  ) {
    this.limits = config.limits ?? DEFAULT_LIMITS;
    this.origins = new OriginPolicy(config.allowedOrigins ?? null);
    this.ipLimits = new IpLimits(this.limits);
    this.upgrades = new UpgradeGate({
      origins: this.origins,
      ipLimits: this.ipLimits,
      trustProxy: config.trustProxy ?? false,
      log,
    });
    if (this.origins.open && !config.devMode) {
      log.warn(
        'PARLEY_ALLOWED_ORIGINS is not set: pages of any web site may use this server; set it to your application origins',
      );
    }
  }

  /** The limiter of a new signaling connection. */
  messageLimiter(): MessageLimiter {
    return new MessageLimiter(this.limits.messagesPerSecond);
  }

  /** Throws RATE_LIMITED when `ip` has joined too often in the last second. */
  checkJoin(ip: string, conn: string): void {
    const refusal = this.ipLimits.admitJoin(ip);
    if (refusal === null) return;
    this.log.warn({ ip, conn }, `join refused: ${refusal}`);
    throw new ServerError(ErrorCode.JOIN_ROOM_FAILED, refusal, ProtocolErrorCode.RATE_LIMITED);
  }

  /** Periodic housekeeping: forgets idle addresses. */
  sweep(): void {
    this.ipLimits.sweep();
  }
}
