// Build step: the contract (docs/openapi.yaml at the repository root) goes into dist/openapi/ as
// the YAML text and as JSON, so the management port serves both without a YAML parser at run
// time and an image needs only dist/.
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import yaml from 'js-yaml';

const pkg = join(dirname(fileURLToPath(import.meta.url)), '..');
const source = join(pkg, '..', '..', 'docs', 'openapi.yaml');
const text = readFileSync(source, 'utf8');
const document = yaml.load(text);
if (typeof document !== 'object' || document === null || !('paths' in document)) {
  throw new Error(`${source} is not an OpenAPI document`);
}
const out = join(pkg, 'dist', 'openapi');
mkdirSync(out, { recursive: true });
writeFileSync(join(out, 'openapi.yaml'), text);
writeFileSync(join(out, 'openapi.json'), JSON.stringify(document));
