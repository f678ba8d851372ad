export { ParleyServer, type ParleyServerOptions } from './ParleyServer.js';
export { loadConfig, ConfigError, type ParleyConfig } from './config.js';
export type { MediaEngine } from './media/MediaEngine.js';
export { MediasoupEngine } from './media/mediasoup/MediasoupEngine.js';
export type { Room, RoomEvents } from './room/Room.js';
export { createLogger } from './logger.js';
