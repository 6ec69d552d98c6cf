import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { HangarError } from '@hangar/core';
import { checkSourceRoot, describeLeftOut } from './guard.js';
import { hashTree, nodeTreeIo, type TreeIo } from './hash-tree.js';
import { emptyNotes, walkTree } from './walk.js';

const CANARY = 'AKIACANARYLINK000009';

/** A temporary HOME with ~/.aws, ~/.ssh, ~/.config/gcloud and ~/.hangar, and a project beside it. */
function places() {
  const base = mkdtempSync(join(tmpdir(), 'hangar-guard-'));
  const home = join(base, 'home');
  const put = (p: string, text: string) => {
    mkdirSync(join(p, '..'), { recursive: true });
    writeFileSync(p, text);
  };
  put(join(home, '.aws', 'credentials'), `[default]\naws_access_key_id = ${CANARY}\naws_secret_access_key = canary-secret\n`);
  put(join(home, '.aws', 'sso', 'cache', 'x.json'), '{}');
  put(join(home, '.ssh', 'id_ed25519'), 'canary-ssh-key');
  put(join(home, '.config', 'gcloud', 'credentials.db'), 'canary-gcloud');
  put(join(home, '.hangar', 'config.json'), '{"token":"hgr_canary"}');
  const src = join(base, 'project', 'src');
  put(join(src, 'index.mjs'), 'export const handler = 1;\n');
  return { base, home, src, put, hangarHome: join(home, '.hangar'), cleanup: () => rmSync(base, { recursive: true, force: true }) };
}

function refused(fn: () => unknown, code: string, re: RegExp): void {
  assert.throws(fn, (e: unknown) => {
    assert.ok(e instanceof HangarError, `expected a HangarError, got ${String(e)}`);
    assert.equal(e.code, code);
    assert.match(e.message, re);
    return true;
  });
}

test('a source folder that is, is inside, or holds ~/.aws, ~/.ssh, ~/.config/gcloud or $HANGAR_HOME is refused', (t) => {
  const p = places();
  t.after(p.cleanup);
  const at = { home: p.home, hangarHome: p.hangarHome };
  refused(() => checkSourceRoot(join(p.home, '.aws'), at), 'CLI_SOURCE_REFUSED', /^inputs\.src \(.*\/home\/\.aws\) is ~\/\.aws, a folder of credentials\. The CLI never uploads credentials.*nothing was uploaded\.$/);
  refused(() => checkSourceRoot(join(p.home, '.aws', 'sso'), at), 'CLI_SOURCE_REFUSED', /is inside ~\/\.aws/);
  refused(() => checkSourceRoot(join(p.home, '.ssh'), at), 'CLI_SOURCE_REFUSED', /is ~\/\.ssh/);
  refused(() => checkSourceRoot(join(p.home, '.config', 'gcloud'), at), 'CLI_SOURCE_REFUSED', /is ~\/\.config\/gcloud/);
  refused(() => checkSourceRoot(join(p.home, '.config'), at), 'CLI_SOURCE_REFUSED', /holds ~\/\.config\/gcloud/);
  refused(() => checkSourceRoot(p.hangarHome, at), 'CLI_SOURCE_REFUSED', /is \$HANGAR_HOME/);
  refused(() => checkSourceRoot(p.home, at), 'CLI_SOURCE_REFUSED', /holds ~\/\.aws/);
  refused(() => checkSourceRoot('/', at), 'CLI_SOURCE_REFUSED', /holds ~\/\.aws/);
  refused(() => checkSourceRoot(join(p.src, '..', '..', 'home', '.aws'), at), 'CLI_SOURCE_REFUSED', /is ~\/\.aws/);
  // Reached through a link with another name: the real path decides.
  symlinkSync(join(p.home, '.aws'), join(p.base, 'project', 'aws-keys'));
  refused(() => checkSourceRoot(join(p.base, 'project', 'aws-keys'), at), 'CLI_SOURCE_REFUSED', /aws-keys, really .*\/home\/\.aws\) is ~\/\.aws/);
  // An ordinary folder passes.
  assert.deepEqual([...checkSourceRoot(p.src, at).excludeDirs], []);
});

test('a folder holding AWS-shaped credentials or config files is refused; files of those names with other contents are not', (t) => {
  const p = places();
  t.after(p.cleanup);
  const at = { home: p.home, hangarHome: p.hangarHome };
  const copy = join(p.base, 'copy-of-aws');
  p.put(join(copy, 'credentials'), `[work]\naws_access_key_id=${CANARY}\n`);
  refused(() => checkSourceRoot(copy, at), 'CLI_SOURCE_REFUSED', /holds `credentials`, an AWS credentials file/);
  const cfg = join(p.base, 'cfg');
  p.put(join(cfg, 'config'), '# mine\n[profile deploy]\nregion = eu-west-1\n');
  refused(() => checkSourceRoot(cfg, at), 'CLI_SOURCE_REFUSED', /holds `config`, an AWS config file/);
  const sso = join(p.base, 'sso');
  p.put(join(sso, 'config'), '[default]\ncredential_process = /usr/bin/get-keys\n');
  refused(() => checkSourceRoot(sso, at), 'CLI_SOURCE_REFUSED', /holds `config`/);
  // Same names, other shapes: a JSON config, an app's INI without AWS keys, a folder named config.
  p.put(join(p.src, 'config'), '{"port": 8080}\n');
  p.put(join(p.src, 'credentials'), '[database]\nuser = app\n');
  mkdirSync(join(p.src, 'lib', 'config'), { recursive: true });
  assert.doesNotThrow(() => checkSourceRoot(p.src, at));
});

test('$HANGAR_HOME inside the source folder is left out of the walk and said so', (t) => {
  const p = places();
  t.after(p.cleanup);
  const hh = join(p.src, 'ci-home');
  p.put(join(hh, 'config.json'), '{"token":"hgr_canary_in_src"}');
  const guard = checkSourceRoot(p.src, { home: p.home, hangarHome: hh });
  assert.deepEqual([...guard.excludeDirs.keys()], ['ci-home']);
  const r = hashTree(p.src, { excludeDirs: new Set(guard.excludeDirs.keys()) });
  assert.deepEqual(r.entries.map((e) => e.path), ['index.mjs']);
  assert.deepEqual(describeLeftOut(r.notes, guard), ["excluded ci-home/: it is $HANGAR_HOME, the CLI's login"]);
});

function countingIo(): TreeIo & { reads: string[] } {
  const reads: string[] = [];
  return {
    reads, stat: nodeTreeIo.stat,
    readFile: (f) => { reads.push(f); return nodeTreeIo.readFile(f); },
    readWithStat: (f) => { reads.push(f); return nodeTreeIo.readWithStat(f); },
  };
}

test('a link to a file outside the source folder (~/.aws/credentials) is refused before any file is read', (t) => {
  const p = places();
  t.after(p.cleanup);
  symlinkSync(join(p.home, '.aws', 'credentials'), join(p.src, 'settings.ini'));
  symlinkSync('../../home/.ssh/id_ed25519', join(p.src, 'key'));
  const io = countingIo();
  refused(() => hashTree(p.src, { io }), 'CLI_SOURCE_LINK_OUTSIDE',
    /^inputs\.src \(.*\) has 2 symbolic links to files outside it: "key" -> .*\/home\/\.ssh\/id_ed25519, "settings\.ini" -> .*\/home\/\.aws\/credentials\. The CLI never follows a link out of the source folder.*copy of the file.*nothing was uploaded\.$/);
  assert.deepEqual(io.reads, [], 'nothing was read');
  for (let i = 0; i < 6; i++) symlinkSync(join(p.home, '.aws', 'credentials'), join(p.src, `c${i}`));
  refused(() => hashTree(p.src, { io }), 'CLI_SOURCE_LINK_OUTSIDE', /has 8 symbolic links to files outside it: "c0" -> .*, "c4" -> [^,]* and 3 more\. /);
});

test('links inside the folder are followed, unless they lead to a .env file or a skipped folder; links to folders and dangling links are skipped', (t) => {
  const p = places();
  t.after(p.cleanup);
  p.put(join(p.src, '.env'), 'SECRET=canary-dotenv\n');
  p.put(join(p.src, 'lib', '.env.local'), 'SECRET=canary-local\n');
  p.put(join(p.src, '.git', 'config'), '[core]\n');
  symlinkSync(join(p.src, 'index.mjs'), join(p.src, 'alias.mjs'));
  symlinkSync('.env', join(p.src, 'settings.txt'));
  symlinkSync('.git/config', join(p.src, 'git-config'));
  symlinkSync(join(p.base, 'project'), join(p.src, 'up'));
  symlinkSync(join(p.src, 'nowhere'), join(p.src, 'dangling'));
  const notes = emptyNotes();
  assert.deepEqual(walkTree(p.src, { notes }), ['alias.mjs', 'index.mjs']);
  assert.deepEqual(notes.envFiles.sort(), ['.env', 'lib/.env.local', 'settings.txt -> .env']);
  assert.deepEqual(notes.outsideLinks, []);
  assert.deepEqual(describeLeftOut(notes, undefined), ['excluded 3 .env files: .env, lib/.env.local, settings.txt -> .env (never uploaded: they hold secrets)']);
});

test('file names no package can hold are SOURCE_PATH_INVALID before anything is read', (t) => {
  const p = places();
  t.after(p.cleanup);
  // (A segment over 255 bytes cannot exist on disk to begin with; core's and the engine's tests cover it.)
  for (const name of ['evil\nname.js', 'title\u001b]0;pwned\u0007.js', 'invoice\u202Egnp.js']) {
    const file = join(p.src, name);
    writeFileSync(file, 'x');
    const io = countingIo();
    refused(() => hashTree(p.src, { io }), 'SOURCE_PATH_INVALID', /^The source file ".*" in .* (contains a control character|contains a bidi override).*; rename it/);
    assert.deepEqual(io.reads, []);
    rmSync(file);
  }
});
