import { test } from 'node:test';
import assert from 'node:assert/strict';
import { allowsService, statementFor, type PolicyStatement } from './policy.js';

const fn = 'arn:aws:lambda:us-east-1:111111111111:function:f';
const call = {
  servicePrincipal: 'apigateway.amazonaws.com', action: 'lambda:InvokeFunction',
  sourceArn: 'arn:aws:execute-api:us-east-1:111111111111:abcdefghij/$default/GET/hello', sourceAccount: '111111111111',
};

const st = (input: Parameters<typeof statementFor>[0]) => {
  const s = statementFor(input, fn);
  assert.ok(!('error' in s), JSON.stringify(s));
  return s as PolicyStatement;
};

test('AddPermission statements have the shape GetPolicy shows on AWS', () => {
  const s = st({ StatementId: 'apigw', Action: 'lambda:InvokeFunction', Principal: 'apigateway.amazonaws.com', SourceArn: 'arn:aws:execute-api:us-east-1:111111111111:abcdefghij/*/*' });
  assert.deepEqual(s, {
    Sid: 'apigw', Effect: 'Allow', Principal: { Service: 'apigateway.amazonaws.com' }, Action: 'lambda:InvokeFunction',
    Resource: fn, Condition: { ArnLike: { 'AWS:SourceArn': 'arn:aws:execute-api:us-east-1:111111111111:abcdefghij/*/*' } },
  });
  assert.deepEqual(st({ StatementId: 'acct', Action: 'lambda:*', Principal: '222222222222' }).Principal, { AWS: 'arn:aws:iam::222222222222:root' });
  assert.ok('error' in statementFor({ StatementId: 'bad id!', Action: 'lambda:InvokeFunction', Principal: '*' }, fn));
  assert.ok('error' in statementFor({ StatementId: 'x', Action: 's3:GetObject', Principal: '*' }, fn));
});

test('a service may invoke only with a matching statement and source ARN', () => {
  assert.equal(allowsService([], call), false);
  const wide = st({ StatementId: 'a', Action: 'lambda:InvokeFunction', Principal: 'apigateway.amazonaws.com', SourceArn: 'arn:aws:execute-api:us-east-1:111111111111:abcdefghij/*/*' });
  assert.equal(allowsService([wide], call), true);
  const other = st({ StatementId: 'b', Action: 'lambda:InvokeFunction', Principal: 'apigateway.amazonaws.com', SourceArn: 'arn:aws:execute-api:us-east-1:111111111111:zzzzzzzzzz/*/*' });
  assert.equal(allowsService([other], call), false);
  const s3 = st({ StatementId: 'c', Action: 'lambda:InvokeFunction', Principal: 's3.amazonaws.com' });
  assert.equal(allowsService([s3], call), false);
  const any = st({ StatementId: 'd', Action: 'lambda:*', Principal: 'apigateway.amazonaws.com', SourceAccount: '111111111111' });
  assert.equal(allowsService([any], call), true);
  assert.equal(allowsService([any], { ...call, sourceAccount: '999999999999' }), false);
});
