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
  assert.throws(() => loadConfigFromEnv({ ...base, HANGAR_LOG_LEVEL: 'loud' }), /HANGAR_LOG_LEVEL: "loud" is not valid: expected debug, info, warn or error/);
  assert.equal(loadConfigFromEnv(base).config.ci?.allowInsecureIssuers, false);
  assert.equal(loadConfigFromEnv({ ...base, HANGAR_CI_ALLOW_INSECURE_ISSUERS: '1' }).config.ci?.allowInsecureIssuers, true);
  assert.throws(() => loadConfigFromEnv({ ...base, HANGAR_CI_ALLOW_INSECURE_ISSUERS: 'maybe' }), /HANGAR_CI_ALLOW_INSECURE_ISSUERS: .*set it to 1 only for tests/);
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
      assert.match(e.message, /HANGAR_ENGINE_ACCESS_KEY_ID: it is not set \(the access key id and the secret access key are set together or not at all\); set it to the access key id/);
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

test('without an engine key the engine uses the default provider chain; only one of the pair is an error naming both', () => {
  const { config, migrate, shutdownGraceMs } = loadConfigFromEnv({ HOME: '/h' });
  assert.equal(config.aws.credentials, undefined);
  assert.equal(migrate, true);
  assert.equal(shutdownGraceMs, 30_000);
  assert.throws(() => loadConfigFromEnv({ HOME: '/h', HANGAR_ENGINE_ACCESS_KEY_ID: 'AKIAENGINE0000000001' }),
    /HANGAR_ENGINE_SECRET_ACCESS_KEY: it is not set \(the access key id and the secret access key are set together or not at all\); .*HANGAR_ENGINE_ACCESS_KEY_ID/);
  assert.throws(() => loadConfigFromEnv({ HOME: '/h', HANGAR_ENGINE_SECRET_ACCESS_KEY: 'engine-secret-value-0000000000000000' }),
    /HANGAR_ENGINE_ACCESS_KEY_ID: it is not set .*HANGAR_ENGINE_SECRET_ACCESS_KEY/);
  assert.deepEqual(loadConfigFromEnv(base).config.aws.credentials, { accessKeyId: base.HANGAR_ENGINE_ACCESS_KEY_ID, secretAccessKey: base.HANGAR_ENGINE_SECRET_ACCESS_KEY });
});

test('HANGAR_MIGRATE and HANGAR_SHUTDOWN_GRACE are read', () => {
  assert.equal(loadConfigFromEnv({ ...base, HANGAR_MIGRATE: 'off' }).migrate, false);
  assert.equal(loadConfigFromEnv({ ...base, HANGAR_MIGRATE: 'on' }).migrate, true);
  assert.equal(loadConfigFromEnv({ ...base, HANGAR_SHUTDOWN_GRACE: '5' }).shutdownGraceMs, 5000);
  assert.equal(loadConfigFromEnv({ ...base, HANGAR_SHUTDOWN_GRACE: '0' }).shutdownGraceMs, 0);
});

test('HANGAR_BLOB_URL puts blobs in S3; the endpoint is HANGAR_BLOB_ENDPOINT, else HANGAR_AWS_ENDPOINT, else AWS', () => {
  assert.equal(loadConfigFromEnv(base).config.blobs, undefined);
  assert.deepEqual(loadConfigFromEnv({ ...base, HANGAR_BLOB_URL: 's3://hangar-blobs/prod/eu' }).config.blobs, { kind: 's3', bucket: 'hangar-blobs', prefix: 'prod/eu/' });
  assert.deepEqual(loadConfigFromEnv({ ...base, HANGAR_BLOB_URL: 's3://hangar-blobs', HANGAR_AWS_ENDPOINT: 'http://127.0.0.1:4566/' }).config.blobs,
    { kind: 's3', bucket: 'hangar-blobs', prefix: '', endpoint: 'http://127.0.0.1:4566' });
  assert.deepEqual(loadConfigFromEnv({ ...base, HANGAR_BLOB_URL: 's3://hangar-blobs', HANGAR_AWS_ENDPOINT: 'http://127.0.0.1:4566', HANGAR_BLOB_ENDPOINT: 'https://minio.internal:9000' }).config.blobs,
    { kind: 's3', bucket: 'hangar-blobs', prefix: '', endpoint: 'https://minio.internal:9000' });
});

test('every setting with a bad value is named, with the value it was given and its fix', () => {
  const bad: ReadonlyArray<[string, string, RegExp]> = [
    ['HANGAR_PORT', 'abc', /HANGAR_PORT: "abc" is not valid: .*; set it to a port number from 0 to 65535/],
    ['HANGAR_PORT', '70000', /HANGAR_PORT: "70000" is not valid: .*; set it to a port number/],
    ['HANGAR_HOST', ' ', /HANGAR_HOST: " " is not valid/],
    ['HANGAR_PUBLIC_URL', 'ftp://x', /HANGAR_PUBLIC_URL: "ftp:\/\/x" is not valid: .*; set it to the http\(s\) URL/],
    ['HANGAR_DATABASE_URL', 'mysql://db/hangar', /HANGAR_DATABASE_URL: expected postgres:\/\/… or a SQLite file path; set it to postgres:\/\//],
    ['HANGAR_AWS_REGION', 'mars', /HANGAR_AWS_REGION: "mars" is not valid: expected an AWS region such as us-east-1; set it to an AWS region/],
    ['HANGAR_AWS_ENDPOINT', 'not-a-url', /HANGAR_AWS_ENDPOINT: "not-a-url" is not valid: .*; leave it unset for real AWS/],
    ['HANGAR_ENGINE_ACCESS_KEY_ID', 'short', /HANGAR_ENGINE_ACCESS_KEY_ID: "short" is not valid: expected an access key id .*; set it to the access key id/],
    ['HANGAR_ENGINE_SECRET_ACCESS_KEY', 'tiny', /HANGAR_ENGINE_SECRET_ACCESS_KEY: expected a secret access key .*; set it to the secret/],
    ['HANGAR_WORKERS', 'many', /HANGAR_WORKERS: "many" is not valid: .*; set it to a whole number from 0 to 64/],
    ['HANGAR_WORKERS', '65', /HANGAR_WORKERS: "65" is not valid/],
    ['HANGAR_LOG_LEVEL', 'loud', /HANGAR_LOG_LEVEL: "loud" is not valid: expected debug, info, warn or error; set it to debug/],
    ['HANGAR_MIGRATE', 'maybe', /HANGAR_MIGRATE: "maybe" is not valid: expected on or off; set it to on \(the default\) or off/],
    ['HANGAR_SHUTDOWN_GRACE', 'soon', /HANGAR_SHUTDOWN_GRACE: "soon" is not valid: .*; set it to a whole number of seconds/],
    ['HANGAR_SHUTDOWN_GRACE', '-1', /HANGAR_SHUTDOWN_GRACE: "-1" is not valid/],
    ['HANGAR_BLOB_URL', 'https://bucket.s3.amazonaws.com', /HANGAR_BLOB_URL: "https:\/\/bucket.s3.amazonaws.com" is not valid: expected s3:\/\/<bucket>.*; set it to s3:\/\//],
    ['HANGAR_BLOB_URL', 's3://Bad_Bucket/x', /HANGAR_BLOB_URL: "s3:\/\/Bad_Bucket\/x" is not valid/],
    ['HANGAR_BLOB_ENDPOINT', 'minio:9000', /HANGAR_BLOB_ENDPOINT: "minio:9000" is not valid: .*; leave it unset for real S3/],
  ];
  for (const [name, value, expected] of bad) {
    assert.throws(() => loadConfigFromEnv({ ...base, [name]: value }), (e: unknown) => {
      assert.ok(e instanceof HangarError && e.code === 'ENGINE_CONFIG_INVALID', `${name}=${value}`);
      assert.match(e.message, expected, `${name}=${value}`);
      assert.doesNotMatch(e.message, /it is not set/, `${name}=${value}: a set variable is not reported as unset`);
      if (name === 'HANGAR_ENGINE_SECRET_ACCESS_KEY' || name === 'HANGAR_DATABASE_URL') assert.ok(!e.message.includes(`"${value}"`), 'secret-bearing values are never echoed');
      return true;
    });
  }
});
