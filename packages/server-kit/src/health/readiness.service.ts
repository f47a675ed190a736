/**
 * Readiness is the conjunction of named checks (e.g. "kafka": connected) and "not shutting down";
 * liveness only says the event loop answers.
 */
export class ReadinessService {
  private readonly checks = new Map<string, () => boolean>();
  private shuttingDown = false;

  register(name: string, check: () => boolean): void {
    this.checks.set(name, check);
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
