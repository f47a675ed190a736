/** A compiled set of resource-name patterns. */
export interface NameMatcher {
  matches(name: string): boolean;
}

const PREFIX = 'prefix:';

/** Whether a pattern is a glob (`*` or `?`) rather than an exact name. */
export function isGlob(pattern: string): boolean {
  return pattern.includes('*') || pattern.includes('?');
}

function globSource(glob: string): string {
  let out = '';
  for (const ch of glob) {
    if (ch === '*') out += '.*';
    else if (ch === '?') out += '.';
    else out += ch.replace(/[\\^$.|+()[\]{}]/g, '\\$&');
  }
  return out;
}

/**
 * Compiles the three pattern forms once: exact names (a Set lookup), `prefix:<p>` (startsWith
 * over a short list) and globs (`*` any run, `?` one character, all joined into one anchored
 * RegExp). `*` alone matches every name.
 */
export function compileNames(patterns: readonly string[]): NameMatcher {
  const exact = new Set<string>();
  const prefixes: string[] = [];
  const globs: string[] = [];
  for (const p of patterns) {
    if (p.startsWith(PREFIX)) prefixes.push(p.slice(PREFIX.length));
    else if (isGlob(p)) globs.push(globSource(p));
    else exact.add(p);
  }
  if (prefixes.includes('') || globs.includes('.*')) return { matches: () => true };
  const regex = globs.length === 0 ? undefined : new RegExp(`^(?:${globs.join('|')})$`, 's');
  return {
    matches(name: string): boolean {
      if (exact.has(name)) return true;
      for (const p of prefixes) if (name.startsWith(p)) return true;
      return regex?.test(name) ?? false;
    },
  };
}
