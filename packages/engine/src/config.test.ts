import { test } from 'node:test';
import assert from 'node:assert/strict';
import { HangarError } from '@hangar/core';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { ENGINE_ENV_VARS, loadConfigFromEnv } from './config.js';

const base = {
  HOME: '/home/test',
  HANGAR_ENGINE_ACCESS_KEY_ID: 'AKIAENGINE0000000001',
  HANGAR_ENGINE_SECRET_ACCESS_KEY: 'engine-secret-value-0000000000000000',
};

test('defaults: SQLite in the data dir, port 7300, public URL from host and port', () => {
  const { config, port, host } = loadConfigFromEnv({ ...base, HANGAR_DATA_DIR: '/var/hangar' });
  assert.equal(port, 7300);
  assert.equal(host, '127.0.0.1');
  assert.deepEqual(config.database, { kind: 'sqlite', path: '/var/hangar/hangar.db' });
  assert.equal(config.publicUrl, 'http://127.0.0.1:7300');
  assert.equal(config.aws.region, 'us-east-1');
  assert.ok(Object.isFrozen(config));
});

test('HANGAR_* variables are read: PostgreSQL URL, endpoint, region, port', () => {
  const { config, port } = loadConfigFromEnv({
    ...base, HANGAR_DATABASE_URL: 'postgres://u@db:5432/hangar', HANGAR_AWS_ENDPOINT: 'http://127.0.0.1:4566/',
    HANGAR_AWS_REGION: 'eu-west-1', HANGAR_PORT: '8080', HANGAR_PUBLIC_URL: 'https://hangar.example.com/',
  });
  assert.deepEqual(config.database, { kind: 'postgres', url: 'postgres://u@db:5432/hangar' });
  assert.equal(config.aws.endpoint, 'http://127.0.0.1:4566');
  assert.equal(config.aws.region, 'eu-west-1');
  assert.equal(port, 8080);
  assert.equal(loadConfigFromEnv({ ...base, HANGAR_LOG_LEVEL: 'debug' }).logLevel, 'debug');
  assert.throws(() => loadConfigFromEnv({ ...base, HANGAR_LOG_LEVEL: 'loud' }), /HANGAR_LOG_LEVEL: expected debug, info, warn or error/);
  assert.equal(config.publicUrl, 'https://hangar.example.com');
});

test('HANGAR_MAX_MANIFEST_ENTRIES sets limits.maxManifestEntries (default 20,000); a bad value names the variable', () => {
  assert.equal(loadConfigFromEnv(base).config.limits.maxManifestEntries, 20_000);
  assert.equal(loadConfigFromEnv({ ...base, HANGAR_MAX_MANIFEST_ENTRIES: '500' }).config.limits.maxManifestEntries, 500);
  assert.equal(loadConfigFromEnv({ ...base, HANGAR_MAX_MANIFEST_ENTRIES: '500' }).config.limits.maxFiles, 50_000, 'the other limits keep their defaults');
  assert.throws(() => loadConfigFromEnv({ ...base, HANGAR_MAX_MANIFEST_ENTRIES: 'lots' }), /HANGAR_MAX_MANIFEST_ENTRIES: .*set it to a whole number of manifest entries/);
});

test('errors name the variable and the fix, never the secret', () => {
  const secret = 'short';
  assert.throws(
    () => loadConfigFromEnv({ HOME: '/h', HANGAR_ENGINE_SECRET_ACCESS_KEY: secret, HANGAR_PORT: 'eighty' }),
    (e: unknown) => {
      assert.ok(e instanceof HangarError);
      assert.equal(e.code, 'ENGINE_CONFIG_INVALID');
      assert.match(e.message, /HANGAR_ENGINE_ACCESS_KEY_ID: it is not set; set it to the access key id/);
      assert.match(e.message, /HANGAR_ENGINE_SECRET_ACCESS_KEY: expected a secret access key/);
      assert.match(e.message, /HANGAR_PORT: .*set it to a port number/);
      assert.ok(!e.message.includes(`"${secret}"`));
      return true;
    },
  );
  assert.throws(() => loadConfigFromEnv({ ...base, HANGAR_PUBLIC_URL: 'not a url' }), /HANGAR_PUBLIC_URL/);
});

test('docs/engine-config.md documents every variable the engine reads', () => {
  const docs = readFileSync(fileURLToPath(new URL('../../../docs/engine-config.md', import.meta.url)), 'utf8');
  assert.ok(ENGINE_ENV_VARS.length >= 11);
  for (const name of ENGINE_ENV_VARS) assert.match(docs, new RegExp(`^\\| \`${name}\` \\|`, 'm'), `${name} has no row`);
});
