import { test } from 'node:test';
import assert from 'node:assert/strict';
import { globMatches, issuerProblem } from './match.js';

test('claim patterns match exactly or with * globs, nothing else is special', () => {
  assert.equal(globMatches('repo:acme/shop:ref:refs/heads/main', 'repo:acme/shop:ref:refs/heads/main'), true);
  assert.equal(globMatches('repo:acme/shop:ref:refs/heads/main', 'repo:acme/shop:ref:refs/heads/main2'), false);
  assert.equal(globMatches('repo:acme/shop:*', 'repo:acme/shop:ref:refs/heads/dev'), true);
  assert.equal(globMatches('repo:acme/shop:*', 'repo:acme/shopping:ref:refs/heads/dev'), false);
  assert.equal(globMatches('repo:acme/*:ref:refs/heads/main', 'repo:acme/x:ref:refs/heads/main'), true);
  assert.equal(globMatches('a.c', 'abc'), false, 'a dot is a dot');
  assert.equal(globMatches('a+(b)', 'a+(b)'), true);
  assert.equal(globMatches('*', 'anything\nat all'), true);
});

test('issuers: https always, loopback http only when allowed, other http never', () => {
  assert.equal(issuerProblem('https://token.actions.githubusercontent.com', false), undefined);
  assert.match(issuerProblem('http://127.0.0.1:9000', false) ?? '', /HANGAR_CI_ALLOW_INSECURE_ISSUERS/);
  assert.equal(issuerProblem('http://127.0.0.1:9000', true), undefined);
  assert.equal(issuerProblem('http://localhost:9000', true), undefined);
  assert.equal(issuerProblem('http://[::1]:9000', true), undefined);
  assert.match(issuerProblem('http://gitlab.example.com', true) ?? '', /must be https/);
  assert.match(issuerProblem('ftp://x', true) ?? '', /not an http/);
});
