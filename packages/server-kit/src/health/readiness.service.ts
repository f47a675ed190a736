/**
 * Readiness is the conjunction of named checks (e.g. "kafka": connected) and "not shutting down";
 * liveness only says the event loop answers.
 */
export class ReadinessService {
  private readonly checks = new Map<string, () => boolean>();
  private shuttingDown = false;

  /** Adds a check; checks registered under one name are combined (all must pass). */
  register(name: string, check: () => boolean): void {
    const earlier = this.checks.get(name);
    this.checks.set(name, earlier === undefined ? check : () => earlier() && check());
  }

  markShuttingDown(): void {
    this.shuttingDown = true;
  }

  isShuttingDown(): boolean {
    return this.shuttingDown;
  }

  report(): { ready: boolean; checks: Record<string, boolean> } {
    const checks: Record<string, boolean> = {};
    let ready = !this.shuttingDown;
    for (const [name, check] of this.checks) {
      let ok = false;
      try {
        ok = check();
      } catch {
        ok = false;
      }
      checks[name] = ok;
      ready &&= ok;
    }
    checks['accepting'] = !this.shuttingDown;
    return { ready, checks };
  }
}
