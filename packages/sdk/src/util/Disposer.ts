/**
 * Collects cleanup actions (listeners, timers) so one `dispose()` undoes them all; closing a
 * resource can then never leave a handler behind (leaks after leave are a classic SDK bug).
 */
export class Disposer {
  private actions: Array<() => void> = [];

  add(action: () => void): void {
    this.actions.push(action);
  }

  /** `target.addEventListener(type, listener)`, removed on dispose. */
  listen(target: EventTarget, type: string, listener: (event: Event) => void): void {
    target.addEventListener(type, listener);
    this.add(() => target.removeEventListener(type, listener));
  }

  timeout(fn: () => void, ms: number): void {
    const timer = setTimeout(fn, ms);
    this.add(() => clearTimeout(timer));
  }

  /** Runs every action once, newest first; later `add`s go to a fresh list. */
  dispose(): void {
    const actions = this.actions;
    this.actions = [];
    for (let i = actions.length - 1; i >= 0; i--) {
      try {
        actions[i]?.();
      } catch {
        // Cleanup must run to the end; one failing action must not keep the rest alive.
      }
    }
  }
}
