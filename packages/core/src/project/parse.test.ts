import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parseProject } from './parse.js';
import { fails } from './test-support.js';

const hangarYml = `
component: http-function
name: api
app: shop
inputs:
  src: ./src
  handler: index.handler
  memory: 512
  env:
    TABLE: \${app}-\${stage}-orders
    GREETING: \${env:GREETING}
    REGION: \${env:SHOP_REGION, 'eu-west-1'}
`;

test('hangar.yml: defaults the stage to dev and resolves ${env:}, ${app}, ${stage} and defaults', () => {
  const p = parseProject(hangarYml, { fileName: 'hangar.yml', env: { GREETING: 'hi' } });
  assert.equal(p.stage, 'dev');
  assert.equal(p.app, 'shop');
  assert.equal(p.component, 'http-function');
  assert.deepEqual(p.inputs, {
    src: './src', handler: 'index.handler', memory: 512,
    env: { TABLE: 'shop-dev-orders', GREETING: 'hi', REGION: 'eu-west-1' },
  });
});

test('--stage wins over the file and flows into ${stage}', () => {
  const p = parseProject(hangarYml + 'stage: dev\n', { fileName: 'hangar.yml', env: { GREETING: 'x' }, stage: 'prod' });
  assert.equal(p.stage, 'prod');
  assert.equal((p.inputs.env as Record<string, string>).TABLE, 'shop-prod-orders');
});

test('the resolved project is frozen all the way down', () => {
  const p = parseProject(hangarYml, { fileName: 'hangar.yml', env: { GREETING: 'x' } });
  assert.ok(Object.isFrozen(p));
  assert.ok(Object.isFrozen(p.inputs.env));
  assert.throws(() => { (p.inputs as Record<string, unknown>).memory = 1; });
});

test('an unset ${env:X} names the variable, the field and the fix', () => {
  fails(() => parseProject(hangarYml, { fileName: 'hangar.yml', env: {} }), 'PROJECT_VARIABLE_UNRESOLVED',
    /^inputs\.env\.GREETING: \$\{env:GREETING\} has no value: the environment variable GREETING is not set.*default/);
});

test('an unknown variable kind is reported, not left in place', () => {
  fails(() => parseProject('component: http-function\nname: a\ninputs:\n  x: ${self:custom.y}\n', { fileName: 'hangar.yml', env: {} }),
    'PROJECT_VARIABLE_UNRESOLVED', /^inputs\.x: \$\{self:custom\.y\} is not a variable Hangar knows/);
});

test('the serverless.yml (Serverless Components) shape is accepted, org included', () => {
  const p = parseProject('org: acme\napp: shop\ncomponent: http-function@1.2.0\nname: api\nstage: ${env:STAGE}\ninputs:\n  src:\n    src: ./app\n    hook: npm run build\n    dist: ./app/dist\n  tag: ${org}/${name}\n',
    { fileName: 'serverless.yml', env: { STAGE: 'qa' } });
  assert.equal(p.org, 'acme');
  assert.equal(p.stage, 'qa');
  assert.equal(p.component, 'http-function@1.2.0');
  assert.deepEqual(p.inputs.src, { src: './app', hook: 'npm run build', dist: './app/dist' });
  assert.equal(p.inputs.tag, 'acme/api');
});

test('shape errors carry the dotted path, what was expected and what was given', () => {
  fails(() => parseProject('component: http-function\nname: my app\n', { fileName: 'hangar.yml', env: {} }),
    'PROJECT_FILE_INVALID', /name: expected the instance name: .* got "my app"/);
  fails(() => parseProject('component: http-function\nname: a\ninputs:\n  src: 42\n', { fileName: 'hangar.yml', env: {} }),
    'PROJECT_FILE_INVALID', /inputs\.src: expected a folder path, or \{ src, hook, dist \}, got 42/);
  fails(() => parseProject('name: a\n', { fileName: 'hangar.yml', env: {} }),
    'PROJECT_FILE_INVALID', /component: expected the component to deploy, e\.g\. "http-function", got nothing/);
  fails(() => parseProject('component: http-function\nname: a\nimputs: {}\n', { fileName: 'hangar.yml', env: {} }),
    'PROJECT_FILE_INVALID', /imputs: unknown field/);
});

test('a stage that comes from a variable is validated once resolved', () => {
  fails(() => parseProject('component: http-function\nname: a\nstage: ${env:S}\n', { fileName: 'hangar.yml', env: { S: 'no spaces please' } }),
    'PROJECT_FILE_INVALID', /once its variables are resolved:\nstage: expected a stage.*got "no spaces please"/);
});

test('broken YAML says so', () => {
  fails(() => parseProject('component: [unclosed\n', { fileName: 'hangar.yml', env: {} }), 'PROJECT_FILE_INVALID', /hangar\.yml is not valid YAML/);
});

test('every shape rule reports its own dotted path', () => {
  const bad = (yml: string, re: RegExp) => fails(() => parseProject(yml, { fileName: 'hangar.yml', env: {} }), 'PROJECT_FILE_INVALID', re);
  bad('- a\n- b\n', /\(file\): expected a mapping with component, name, app, stage and inputs, got \["a","b"\]/);
  bad('component: Http_Function\nname: a\n', /component: expected a component name such as "http-function".*got "Http_Function"/);
  bad('component: http-function\nname: a\napp: 1x\n', /app: expected the app name: .*got "1x"/);
  bad('component: http-function\nname: a\norg: 42\n', /org: expected the org name as a string, got 42/);
  bad('component: http-function\nname: a\ninputs: [1]\n', /inputs: expected a mapping of the component's inputs, got \[1\]/);
  bad('component: http-function\nname: a\ninputs:\n  src: { src: ./a, hook: 1, out: x }\n',
    /inputs\.src\.out: unknown field; expected only src, hook and dist\ninputs\.src\.hook: expected a shell command, e\.g\. "npm run build", got 1/);
  bad('component: http-function\nname: a\ninputs:\n  src: { hook: make }\n', /inputs\.src\.src: expected the folder to run the hook in, got nothing/);
});

test('a YAML alias bomb (billion laughs) is PROJECT_FILE_INVALID, refused before it expands', () => {
  const levels = ['a: &a ["lol","lol","lol","lol","lol","lol","lol","lol","lol"]'];
  for (let i = 1; i < 9; i++) {
    const prev = String.fromCharCode(96 + i);
    levels.push(`${String.fromCharCode(97 + i)}: &${String.fromCharCode(97 + i)} [${Array(9).fill(`*${prev}`).join(',')}]`);
  }
  const bomb = `component: http-function\nname: api\ninputs:\n  env:\n    ${levels.join('\n    ')}\n`;
  fails(() => parseProject(bomb, { fileName: 'hangar.yml', env: {} }), 'PROJECT_FILE_INVALID', /^hangar\.yml expands YAML aliases .* "billion laughs"/);
  // Ordinary reuse of an anchor still works.
  const reuse = parseProject('component: http-function\nname: api\ninputs:\n  env: &shared\n    A: "1"\n  other: *shared\n', { fileName: 'hangar.yml', env: {} });
  assert.deepEqual(reuse.inputs.other, { A: '1' });
});

test('a __proto__ key (or constructor.prototype) anywhere is PROJECT_FILE_INVALID naming its path, not a JSON error later', () => {
  fails(() => parseProject('component: http-function\nname: api\ninputs:\n  env:\n    __proto__:\n      polluted: "yes"\n', { fileName: 'hangar.yml', env: {} }),
    'PROJECT_FILE_INVALID', /^hangar\.yml is not valid:\ninputs\.env\.__proto__: a key named "__proto__" is not accepted.*Rename the key\.$/);
  fails(() => parseProject('component: http-function\nname: api\ninputs:\n  list:\n    - constructor:\n        prototype: { x: 1 }\n', { fileName: 'hangar.yml', env: {} }),
    'PROJECT_FILE_INVALID', /^hangar\.yml is not valid:\ninputs\.list\[0\]\.constructor\.prototype: a key named "constructor" holding "prototype"/);
  assert.equal(({} as Record<string, unknown>).polluted, undefined);
  const ok = parseProject('component: http-function\nname: api\ninputs:\n  constructor: plain\n', { fileName: 'hangar.yml', env: {} });
  assert.equal(ok.inputs.constructor, 'plain', 'a plain "constructor" value is just data');
});

test('${env:HANGAR_*} is refused, even with a default, saying why: the token would be stored in plain text', () => {
  for (const ref of ['${env:HANGAR_TOKEN}', "${env:HANGAR_TOKEN, 'x'}", '${env:HANGAR_URL}', '${env:hangar_home}', 'Bearer ${env:HANGAR_ENGINE_SECRET}']) {
    fails(() => parseProject(`component: http-function\nname: api\ninputs:\n  env:\n    T: "${ref.replace(/"/g, '\\"')}"\n`, { fileName: 'hangar.yml', env: { HANGAR_TOKEN: 'hgr_secret', HANGAR_URL: 'http://x' } }),
      'PROJECT_VARIABLE_REFUSED', /^inputs\.env\.T: \$\{env:[A-Za-z_]+.*\} is refused: \w+ is one of Hangar's own variables .*plain text in the instance's inputs.*function's environment/);
  }
  fails(() => parseProject('component: http-function\nname: api\norg: ${env:HANGAR_ORG}\n', { fileName: 'hangar.yml', env: { HANGAR_ORG: 'acme' } }), 'PROJECT_VARIABLE_REFUSED', /^org: /);
  // The project's own choice of stage variable (README, examples/hello-http) is not Hangar's.
  assert.equal(parseProject("component: http-function\nname: api\nstage: ${env:HANGAR_STAGE, 'dev'}\n", { fileName: 'hangar.yml', env: { HANGAR_STAGE: 'qa' } }).stage, 'qa');
});

test('a variable the caller withheld (the CLI: cloud credentials) says so instead of "set it"; a default still applies', () => {
  const withheld = (n: string) => n.startsWith('AWS_');
  fails(() => parseProject('component: http-function\nname: api\ninputs:\n  env:\n    K: ${env:AWS_SECRET_ACCESS_KEY}\n', { fileName: 'hangar.yml', env: {}, withheld }),
    'PROJECT_VARIABLE_REFUSED', /^inputs\.env\.K: \$\{env:AWS_SECRET_ACCESS_KEY\} has no value here: AWS_SECRET_ACCESS_KEY is a cloud credential variable, and the CLI never passes those/);
  const p = parseProject("component: http-function\nname: api\ninputs:\n  region: ${env:AWS_REGION, 'eu-west-1'}\n", { fileName: 'hangar.yml', env: { AWS_REGION: 'us-east-1' }, withheld });
  assert.equal(p.inputs.region, 'eu-west-1', 'withheld even when the environment passed in holds it');
  fails(() => parseProject('component: http-function\nname: api\ninputs:\n  k: ${env:AWS_ACCESS_KEY_ID}\n', { fileName: 'hangar.yml', env: { AWS_ACCESS_KEY_ID: 'AKIACANARY' }, withheld }), 'PROJECT_VARIABLE_REFUSED', /cloud credential variable/);
});
