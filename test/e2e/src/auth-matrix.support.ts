import { request } from 'node:http';

/**
 * The table behind auth-matrix.e2e-spec.ts: credential rows × endpoint families, one request per
 * cell, each cell checked against what its row expects. Other suites (authorization: another
 * team's topic, group or instance) add rows and families and reuse `runMatrix`/`renderMatrix`.
 */

export interface Answer {
  readonly status: number;
  readonly headers: Record<string, string | string[] | undefined>;
  readonly body: unknown;
  readonly text: string;
}

/** What a cell must answer. `refused`: 401/40101 with the challenge. */
export type Expectation =
  | {
      readonly kind: 'refused';
      readonly status: number;
      readonly errorCode: number;
      readonly challenge?: string;
    }
  | { readonly kind: 'allowed' };

export interface Row {
  readonly name: string;
  readonly expect: Expectation;
  /** Families where this row expects something else (authorization: 403 here, 404 there). */
  readonly expectIn?: Readonly<Record<string, Expectation>>;
  /** The headers this row's caller sends (credentials, forged ones). */
  readonly headers: () => Record<string, string>;
}

/** What a row's requests share (the consumer instance its create made, say). */
export interface RowContext {
  readonly row: Row;
  readonly state: Map<string, unknown>;
}

export interface Family {
  readonly name: string;
  /** The success status of this family's request. */
  readonly okStatus: number;
  readonly send: (headers: Record<string, string>, ctx: RowContext) => Promise<Answer>;
}

export interface Cell {
  readonly row: string;
  readonly family: string;
  readonly answer: Answer;
  /** Empty when the cell answered as its row expects. */
  readonly problems: readonly string[];
  /** A refusal row that got through (anything but the refusal). */
  readonly bypass: boolean;
}

/** An HTTP request with any method, headers and body (GET with a body included). */
export function send(
  url: string,
  method: string,
  headers: Record<string, string>,
  body?: unknown,
): Promise<Answer> {
  const payload = body === undefined ? undefined : JSON.stringify(body);
  return new Promise((resolve, reject) => {
    const req = request(
      url,
      {
        method,
        headers: {
          ...headers,
          ...(payload === undefined
            ? {}
            : { 'content-length': String(Buffer.byteLength(payload)) }),
        },
      },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () => {
          const text = Buffer.concat(chunks).toString('utf8');
          let parsed: unknown;
          try {
            parsed = text === '' ? undefined : JSON.parse(text);
          } catch {
            parsed = undefined;
          }
          resolve({ status: res.statusCode ?? 0, headers: res.headers, body: parsed, text });
        });
      },
    );
    req.on('error', reject);
    req.end(payload);
  });
}

function check(row: Row, family: Family, a: Answer): Cell {
  const problems: string[] = [];
  const e = row.expectIn?.[family.name] ?? row.expect;
  if (e.kind === 'refused') {
    if (a.status !== e.status) problems.push(`status ${a.status}, expected ${e.status}`);
    const code = (a.body as { error_code?: unknown } | undefined)?.error_code;
    if (code !== e.errorCode) problems.push(`error_code ${String(code)}, expected ${e.errorCode}`);
    if (e.challenge !== undefined && a.headers['www-authenticate'] !== e.challenge) {
      problems.push(`WWW-Authenticate ${String(a.headers['www-authenticate'])}`);
    }
  } else if (a.status !== family.okStatus) {
    problems.push(`status ${a.status}, expected ${family.okStatus}: ${a.text.slice(0, 160)}`);
  }
  return {
    row: row.name,
    family: family.name,
    answer: a,
    problems,
    bypass: e.kind === 'refused' && a.status !== e.status,
  };
}

/**
 * Every row × family, in order (families in the given order per row: a row's own earlier
 * requests may set up its later ones, such as create before subscribe).
 */
export async function runMatrix(
  rows: readonly Row[],
  families: readonly Family[],
): Promise<Cell[]> {
  const cells: Cell[] = [];
  for (const row of rows) {
    const ctx: RowContext = { row, state: new Map() };
    for (const family of families) {
      cells.push(check(row, family, await family.send(row.headers(), ctx)));
    }
  }
  return cells;
}

/** A plain-text table: a row per credential, a column per family; `!` marks a wrong cell. */
export function renderMatrix(cells: readonly Cell[]): string {
  const rows = [...new Set(cells.map((c) => c.row))];
  const families = [...new Set(cells.map((c) => c.family))];
  const at = (r: string, f: string): string => {
    const c = cells.find((x) => x.row === r && x.family === f);
    if (c === undefined) return '';
    const code = (c.answer.body as { error_code?: unknown } | undefined)?.error_code;
    const shown =
      typeof code === 'number' && c.answer.status >= 400
        ? `${c.answer.status}/${code}`
        : String(c.answer.status);
    return c.problems.length === 0 ? shown : `${shown}!`;
  };
  const widths = [
    Math.max(...rows.map((r) => r.length), 'credentials'.length),
    ...families.map((f) => Math.max(f.length, 9)),
  ];
  const line = (cols: string[]): string => cols.map((c, i) => c.padEnd(widths[i]!)).join(' | ');
  const out = [line(['credentials', ...families]), widths.map((w) => '-'.repeat(w)).join('-+-')];
  for (const r of rows) out.push(line([r, ...families.map((f) => at(r, f))]));
  const bypasses = cells.filter((c) => c.bypass).length;
  const wrong = cells.filter((c) => c.problems.length > 0).length;
  out.push(`${cells.length} cells, ${wrong} wrong, bypass count ${bypasses}`);
  return out.join('\n');
}
