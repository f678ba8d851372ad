import { EventEmitter } from 'node:events';

/** Event name → listener argument tuple. */
export type EventMap<E> = { [K in keyof E]: unknown[] };

export interface TypedEmitter<E extends EventMap<E>> {
  on<K extends keyof E & string>(event: K, listener: (...args: E[K]) => void): this;
  once<K extends keyof E & string>(event: K, listener: (...args: E[K]) => void): this;
  off<K extends keyof E & string>(event: K, listener: (...args: E[K]) => void): this;
}

/**
 * EventEmitter with typed events. `emit` never throws into the emitter's own code:
 * a throwing listener is a bug in the listener, logged by `onListenerError`.
 */
export class SafeEmitter<E extends EventMap<E>> extends EventEmitter implements TypedEmitter<E> {
  static onListenerError: (event: string, error: unknown) => void = (event, error) => {
    console.error(`listener for ${event} threw`, error);
  };

  override on<K extends keyof E & string>(event: K, listener: (...args: E[K]) => void): this {
    return super.on(event, listener as (...args: unknown[]) => void);
  }
  override once<K extends keyof E & string>(event: K, listener: (...args: E[K]) => void): this {
    return super.once(event, listener as (...args: unknown[]) => void);
  }
  override off<K extends keyof E & string>(event: K, listener: (...args: E[K]) => void): this {
    return super.off(event, listener as (...args: unknown[]) => void);
  }
  safeEmit<K extends keyof E & string>(event: K, ...args: E[K]): void {
    try {
      super.emit(event, ...args);
    } catch (error) {
      SafeEmitter.onListenerError(event, error);
    }
  }
}
