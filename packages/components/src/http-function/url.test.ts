import { test } from 'node:test';
import assert from 'node:assert/strict';
import { publicUrl } from './url.js';

test('on AWS the URL is the API endpoint itself', () => {
  assert.equal(publicUrl('https://abc123.execute-api.eu-west-1.amazonaws.com', 'abc123', undefined), 'https://abc123.execute-api.eu-west-1.amazonaws.com/');
});

test('against the local cloud a *.localhost endpoint becomes the path-style route every client can reach', () => {
  assert.equal(publicUrl('http://abc123.execute-api.localhost:4566', 'abc123', 'http://127.0.0.1:4566'), 'http://127.0.0.1:4566/_aws/execute-api/abc123/');
  assert.equal(publicUrl('http://127.0.0.1:4566/_aws/execute-api/abc123', 'abc123', 'http://127.0.0.1:4566/'), 'http://127.0.0.1:4566/_aws/execute-api/abc123/');
});
