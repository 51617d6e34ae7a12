/**
 * npm run admin:add-user -- <name> <role>
 * Asks for the password (twice, not echoed; or reads one line from stdin when it is not a terminal) and prints
 * the ADMIN_USERS entry to add. Nothing is stored: the operator's environment is the one source of users.
 */
import { stdin, stderr, stdout } from 'node:process';
import { ADMIN_ROLES, isAdminRole } from '../src/domain/admin-roles.js';
import { ADMIN_USER_NAME } from '../src/lib/admin-users.js';
import { hashPassword } from '../src/lib/password-hash.js';

const MIN_LENGTH = 12;

const fail = (message: string): never => {
  stderr.write(`${message}\n`);
  process.exit(2);
};

/** One line from the terminal with echo off (raw mode), or from a pipe. */
const readSecret = (prompt: string): Promise<string> =>
  new Promise((resolve) => {
    if (!stdin.isTTY) {
      let data = '';
      stdin.setEncoding('utf8');
      stdin.on('data', (chunk: string) => (data += chunk));
      stdin.on('end', () => resolve(data.split(/\r?\n/)[0] ?? ''));
      return;
    }
    stderr.write(prompt);
    stdin.setRawMode(true);
    stdin.setEncoding('utf8');
    stdin.resume();
    let value = '';
    const onData = (chunk: string) => {
      for (const ch of chunk) {
        if (ch === '\r' || ch === '\n') {
          stdin.setRawMode(false);
          stdin.pause();
          stdin.off('data', onData);
          stderr.write('\n');
          return resolve(value);
        }
        if (ch === '\u0003') fail('\ncancelled');
        if (ch === '\u007f') value = value.slice(0, -1);
        else value += ch;
      }
    };
    stdin.on('data', onData);
  });

const [name = '', role = ''] = process.argv.slice(2);
if (!ADMIN_USER_NAME.test(name) || !isAdminRole(role)) {
  fail(`usage: npm run admin:add-user -- <name> <${ADMIN_ROLES.join('|')}>\n(name: lowercase letters, digits, dots, dashes, underscores)`);
}
const password = await readSecret(`Password for ${name}: `);
if (password.length < MIN_LENGTH) fail(`The password must be at least ${MIN_LENGTH} characters.`);
if (stdin.isTTY && (await readSecret('Again: ')) !== password) fail('The passwords differ.');
stdout.write(`${name}:${role}:${await hashPassword(password)}\n`);
stderr.write('Add this line to ADMIN_USERS (entries separated by commas or newlines) and restart Distro.\n');
