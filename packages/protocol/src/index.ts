export * from './errorCodes.js';
export * from './ids.js';
export * from './messages.js';
export * from './codec.js';
export * from './logs.js';
export * from './mediaOut.js';
