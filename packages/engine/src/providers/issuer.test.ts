import { test } from 'node:test';
import assert from 'node:assert/strict';
import { issuerProblem } from './issuer.js';

test('a public https issuer has no problem', () => {
  assert.equal(issuerProblem('https://hangar.example.com', undefined), undefined);
  assert.equal(issuerProblem('https://203.0.113.9:8443', undefined), undefined);
});

test('http or loopback/private issuers are refused with real AWS and only warned about with an AWS-compatible endpoint', () => {
  for (const url of ['http://hangar.example.com', 'https://127.0.0.1:7300', 'https://localhost', 'https://10.1.2.3', 'https://192.168.0.4', 'https://[::1]:7300', 'http://127.0.0.1:7300']) {
    const real = issuerProblem(url, undefined);
    assert.equal(real?.severity, 'error', url);
    assert.match(real!.message, /HANGAR_PUBLIC_URL/);
    assert.match(real!.message, /https/);
    const local = issuerProblem(url, 'http://127.0.0.1:4566');
    assert.equal(local?.severity, 'warning', url);
    assert.match(local!.message, /real AWS would refuse/);
  }
  assert.match(issuerProblem('http://127.0.0.1:7300', undefined)!.message, /uses http .* and names a loopback address/);
});
