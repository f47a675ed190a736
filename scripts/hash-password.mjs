#!/usr/bin/env node
// A line for AUTH_BASIC_FILE: `user:hash[:group1,group2]`, with a bcrypt (default) or argon2id
// hash made by the same libraries the gateway verifies with.
//
//   node scripts/hash-password.mjs <user> [group1,group2] [--argon2] [--cost N]  (password on stdin)
//   printf '%s' "$PASSWORD" | node scripts/hash-password.mjs team-a-svc team-a >> users.txt
//
// The password is read from stdin (never an argument: it would show in `ps` and shell history);
// on a terminal it is asked for without echo. One trailing newline is cut.
import { createRequire } from 'node:module';
import { stdin, stdout, stderr, exit, argv } from 'node:process';

const require = createRequire(new URL('../packages/server-kit/package.json', import.meta.url));
const args = argv.slice(2);
const flag = (name) => {
  const i = args.indexOf(name);
  if (i < 0) return undefined;
  const [, value] = args.splice(i, name === '--cost' ? 2 : 1);
  return value ?? true;
};
const argon2 = flag('--argon2') === true;
const cost = Number(flag('--cost') ?? 10);
const [user, groups = ''] = args;
const usage =
  'usage: node scripts/hash-password.mjs <user> [group1,group2] [--argon2] [--cost 4..15] < password';
if (user === undefined || !/^[^\s:]+$/.test(user) || !/^([^\s,:]+(,[^\s,:]+)*)?$/.test(groups)) {
  stderr.write(
    `${usage}\n(user: no spaces or colons; groups: comma-separated, no spaces or colons)\n`,
  );
  exit(2);
}
if (!Number.isInteger(cost) || cost < 4 || cost > 15) {
  stderr.write(`${usage}\n--cost: 4..15\n`);
  exit(2);
}

async function readPassword() {
  if (stdin.isTTY) {
    stderr.write('password: ');
    stdin.setRawMode(true);
  }
  let text = '';
  for await (const chunk of stdin) {
    text += chunk.toString('utf8');
    if (stdin.isTTY && /[\r\n]/.test(text)) break;
  }
  if (stdin.isTTY) {
    stdin.setRawMode(false);
    stderr.write('\n');
  }
  return text.replace(/\r?\n$/, '').replace(/[\r\n].*$/s, '');
}

const password = await readPassword();
if (password === '') {
  stderr.write('empty password\n');
  exit(2);
}
const hash = argon2
  ? await require('@node-rs/argon2').hash(password)
  : await require('@node-rs/bcrypt').hash(password, cost);
stdout.write(`${user}:${hash}${groups === '' ? '' : `:${groups}`}\n`);
exit(0);
