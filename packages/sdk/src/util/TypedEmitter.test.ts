import { describe, expect, it, vi } from 'vitest';
import { TypedEmitter } from './TypedEmitter.js';
import { Logger, LogLevel } from './Logger.js';

Logger.setLogLevel(LogLevel.NONE);

interface Events {
  a: { n: number };
  b: string;
}

class Emitter extends TypedEmitter<Events> {
  fire<K extends keyof Events>(event: K, payload: Events[K]): void {
    this.emit(event, payload);
  }
}

describe('TypedEmitter', () => {
  it('calls handlers with the payload, with an optional this context', () => {
    const e = new Emitter();
    const context = { seen: 0 };
    e.on(
      'a',
      function (this: typeof context, payload) {
        this.seen = payload.n;
      },
      context,
    );
    e.fire('a', { n: 7 });
    expect(context.seen).toBe(7);
  });

  it("off('*') removes every listener of every event", () => {
    const e = new Emitter();
    const a = vi.fn();
    const b = vi.fn();
    e.on('a', a).on('a', vi.fn()).on('b', b);
    expect(e.listenerCount()).toBe(3);
    e.off('*');
    e.fire('a', { n: 1 });
    e.fire('b', 'x');
    expect(a).not.toHaveBeenCalled();
    expect(b).not.toHaveBeenCalled();
    expect(e.listenerCount()).toBe(0);
  });

  it('off(event, handler) removes that handler only; off(event) all of the event', () => {
    const e = new Emitter();
    const one = vi.fn();
    const two = vi.fn();
    e.on('b', one).on('b', two);
    e.off('b', one);
    e.fire('b', 'x');
    expect(one).not.toHaveBeenCalled();
    expect(two).toHaveBeenCalledWith('x');
    e.off('b');
    expect(e.listenerCount('b')).toBe(0);
  });

  it('once fires a single time', () => {
    const e = new Emitter();
    const h = vi.fn();
    e.once('b', h);
    e.fire('b', '1');
    e.fire('b', '2');
    expect(h).toHaveBeenCalledTimes(1);
  });

  it('a throwing handler does not stop the others or the emitter', () => {
    const e = new Emitter();
    const after = vi.fn();
    e.on('b', () => {
      throw new Error('app bug');
    });
    e.on('b', after);
    expect(() => e.fire('b', 'x')).not.toThrow();
    expect(after).toHaveBeenCalled();
  });

  it('handlers may remove themselves while firing', () => {
    const e = new Emitter();
    const second = vi.fn();
    const first = (): void => {
      e.off('b', first);
    };
    e.on('b', first).on('b', second);
    e.fire('b', 'x');
    e.fire('b', 'y');
    expect(second).toHaveBeenCalledTimes(2);
    expect(e.listenerCount('b')).toBe(1);
  });
});
