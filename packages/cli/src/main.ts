/**
 * The `hangar` command line: parses arguments with commander and calls the command functions,
 * which take a context (cwd, filtered env, streams) and return an exit code.
 */
import { Command, CommanderError } from 'commander';
import type { CommandContext } from './context.js';
import { cliVersion } from './version.js';

// Commands are loaded when run, so `hangar --help` and each command pay only for what they use.
const deployCmd = () => import('./commands/deploy.js');
const initCmd = () => import('./commands/init.js');
const instanceCmd = () => import('./commands/instance.js');
const loginCmd = () => import('./commands/login.js');
const providersCmd = () => import('./commands/providers.js');
const auditTokensCmd = () => import('./commands/audit-tokens.js');
const auditCmd = () => import('./commands/audit.js');
const membersCmd = () => import('./commands/members.js');
const ciTrustCmd = () => import('./commands/ci-trust.js');
const upCmd = () => import('./commands/up.js');

/** An abort signal for Ctrl-C (SIGINT) or SIGTERM, for commands that run until stopped. */
function interrupted(): AbortSignal {
  const stop = new AbortController();
  const abort = () => stop.abort();
  process.once('SIGINT', abort);
  process.once('SIGTERM', abort);
  return stop.signal;
}

/** Extra commands registered by other packages (e.g. `hangar up`). */
export type Extension = (program: Command, ctx: CommandContext, done: (code: number) => void) => void;

export async function main(argv: readonly string[], ctx: CommandContext, extensions: readonly Extension[] = []): Promise<number> {
  let code = 0;
  const done = (c: number) => { code = c; };
  const program = new Command('hangar')
    .description('Deploy serverless apps through a Hangar engine. No local cloud credentials are read.')
    .version(cliVersion(), '-V, --version', 'print the version')
    .exitOverride()
    .configureOutput({ writeOut: (s) => void ctx.stdout.write(s), writeErr: (s) => void ctx.stderr.write(s) });

  program.command('login').description('log in to an engine with an API token')
    .option('--url <url>', 'engine URL').option('--token <token>', 'API token').option('--org <org>', 'organisation id or name')
    .option('--invite <code>', 'redeem an invitation code for your own token').option('--name <name>', 'your name (with --invite)')
    .action(async (o) => done(await (await loginCmd()).login(ctx, o)));
  program.command('logout').description('forget the stored login').action(async () => done(await (await loginCmd()).logout(ctx)));
  program.command('whoami').description('show who the CLI is logged in as').option('--json')
    .action(async (o) => done(await (await loginCmd()).whoami(ctx, o)));
  program.command('init').description('write a hangar.yml for an http-function')
    .option('--name <name>').option('--app <app>').option('--force', 'overwrite an existing hangar.yml')
    .action(async (o) => done(await (await initCmd()).init(ctx, o)));
  program.command('deploy').description('deploy this project (only changed files are uploaded)')
    .option('--stage <stage>').option('--json', 'print one JSON object')
    .option('--refresh', 'deploy even when nothing changed, so the cloud is checked for drift')
    .option('--replace <instance-or-component>', 'let a change AWS cannot make in place (a table\'s keys) delete and recreate that instance\'s resource, losing its data')
    .option('--smoke [path]', 'then GET the deployed URL (+ path, default /); a 5xx fails the command with the function\'s last error')
    .action(async (o) => done(await (await deployCmd()).deploy(ctx, o)));
  program.command('remove').description("remove this project's instance and everything it created")
    .option('--stage <stage>').option('--json', 'print one JSON object')
    .action(async (o) => done(await (await instanceCmd()).remove(ctx, o)));
  program.command('info').description("show this project's instance: status, outputs, last deployment")
    .option('--stage <stage>').option('--json', 'print one JSON object')
    .action(async (o) => done(await (await instanceCmd()).info(ctx, o)));
  program.command('logs').description("print the function's runtime logs (or, with --deployment, a deployment's own log)")
    .option('--stage <stage>')
    .option('--since <age|time>', 'from this long ago (30s, 10m, 2h, 7d) or this ISO-8601 time (default 10m)')
    .option('-f, --tail', 'keep following new lines live until Ctrl-C')
    .option('--filter <pattern>', 'only events matching this CloudWatch Logs filter pattern, e.g. ERROR')
    .option('--deployment [id]', "a deployment's own log: the last deployment's, or this one's")
    .option('--json', 'print one JSON event a line (ndjson)')
    .action(async (o: { tail?: boolean }) => done(await (await instanceCmd()).logs(ctx, { ...o, ...(o.tail ? { signal: interrupted() } : {}) })));

  const providers = program.command('providers').description('the IAM roles the engine assumes to deploy');
  providers.command('create <name>').description('register a provider; prints its external ID, trust policy and template')
    .option('--role-arn <arn>').option('--region <region>').option('--mode <mode>', 'assume-role or web-identity')
    .option('--template-file <file>', 'also write the CloudFormation template to this file').option('--json')
    .action(async (name: string, o) => done(await (await providersCmd()).providersCreate(ctx, name, o)));
  providers.command('list').option('--json').action(async (o) => done(await (await providersCmd()).providersList(ctx, o)));
  providers.command('verify <name>').description('prove the role works with the external ID and refuses without it')
    .option('--role-arn <arn>').option('--json')
    .action(async (name: string, o) => done(await (await providersCmd()).providersVerify(ctx, name, o)));
  const linkOptions = (c: Command) => c.option('--org-default', 'the organisation default')
    .option('--app <app>').option('--stage <stage>').option('--instance [id]', "an instance (this project's when no id)").option('--json');
  linkOptions(providers.command('link <name>').description('use this provider for the org, an app, an app stage or an instance'))
    .action(async (name: string, o) => done(await (await providersCmd()).providersLink(ctx, name, o)));
  linkOptions(providers.command('unlink <name> [linkId]').description('remove a link (by id, or by the same flags as link)'))
    .action(async (name: string, linkId: string | undefined, o) => done(await (await providersCmd()).providersUnlink(ctx, name, linkId, o)));
  providers.command('delete <name>').option('--json').action(async (name: string, o) => done(await (await providersCmd()).providersDelete(ctx, name, o)));

  const audit = program.command('audit').description('the audit log');
  audit.command('verify').description('check the hash chain and the signed checkpoints of the audit log, here in the CLI')
    .option('--against <export>', 'also prove nothing in this earlier `hangar audit export` file changed or vanished (trusting only its keys)')
    .option('--json').action(async (o) => done(await (await auditCmd()).auditVerify(ctx, o)));

  const tokens = program.command('tokens').description('API tokens (e.g. for CI)');
  tokens.command('create <name>').option('--json').action(async (name: string, o) => done(await (await auditTokensCmd()).tokensCreate(ctx, name, o)));
  tokens.command('list').option('--json').action(async (o) => done(await (await auditTokensCmd()).tokensList(ctx, o)));
  tokens.command('revoke <idOrName>').option('--json').action(async (id: string, o) => done(await (await auditTokensCmd()).tokensRevoke(ctx, id, o)));

  // @commands:thin-cli (commands added by this work go directly below this line)
  program.command('up').description('start the engine, the local cloud and the dashboard on this machine (first start sets everything up; needs @hangar/local)')
    .option('--data-dir <dir>', 'where state lives (default: $HANGAR_HOME/local); the engine logs to <dir>/engine.log')
    .option('--port <port>', 'engine and dashboard port (default: $HANGAR_PORT, else 7300; 0 picks a free one)')
    .option('--cloud-port <port>', 'local cloud port (default: engine port + 1)')
    .option('--example [dir]', 'deploy an example project after start (default: examples/hello-http)')
    .option('--exit', 'stop after setup instead of serving')
    .action(async (o) => done(await (await upCmd()).up(ctx, o, () => new Promise<void>((res) => {
      process.once('SIGINT', () => res());
      process.once('SIGTERM', () => res());
    }))));

  // @commands:engine-serve (commands added by this work go directly below this line)

  // @commands:contract (commands added by this work go directly below this line)
  providers.command('update <name>').description('change a provider\'s role, region or account; it must pass verify again')
    .option('--role-arn <arn>').option('--region <region>').option('--account-id <id>', 'the 12-digit AWS account the role is in').option('--json')
    .action(async (name: string, o) => done(await (await providersCmd()).providersUpdate(ctx, name, o)));

  // @commands:invitations-ci-trust (commands added by this work go directly below this line)
  const members = program.command('members').description('who belongs to the organisation; invitations');
  members.command('list').option('--json').action(async (o) => done(await (await membersCmd()).membersList(ctx, o)));
  members.command('invite <email>').description('invite someone; prints a one-time code (7 days) they redeem with `hangar login --invite`')
    .option('--role <role>', 'owner, admin, deployer or viewer', 'deployer').option('--json')
    .action(async (email: string, o) => done(await (await membersCmd()).membersInvite(ctx, email, o)));
  members.command('invitations').description('pending invitations').option('--all', 'accepted, revoked and expired too').option('--json')
    .action(async (o) => done(await (await membersCmd()).membersInvitations(ctx, o)));
  members.command('revoke-invite <id>').option('--json').action(async (id: string, o) => done(await (await membersCmd()).membersRevokeInvite(ctx, id, o)));
  members.command('role <member> <role>').description('change a member\'s role (member: email or user id)').option('--json')
    .action(async (who: string, role: string, o) => done(await (await membersCmd()).membersRole(ctx, who, role, o)));
  members.command('remove <member>').description('remove a member and revoke their tokens here').option('--json')
    .action(async (who: string, o) => done(await (await membersCmd()).membersRemove(ctx, who, o)));

  const ciTrust = program.command('ci-trust').description("let a CI provider's OIDC tokens deploy one app and stage (no long-lived token)");
  ciTrust.command('create <name>').requiredOption('--issuer <url>', 'OIDC issuer, e.g. https://token.actions.githubusercontent.com')
    .requiredOption('--audience <aud>').requiredOption('--subject <pattern>', "the token's sub, exact or with * globs")
    .option('--claim <name=pattern>', 'another claim that must match (repeatable)', (v: string, prev: string[] = []) => [...prev, v])
    .option('--role <role>', 'deployer or viewer', 'deployer').requiredOption('--app <app>').requiredOption('--stage <stage>').option('--json')
    .action(async (name: string, o) => done(await (await ciTrustCmd()).ciTrustCreate(ctx, name, o)));
  ciTrust.command('list').option('--json').action(async (o) => done(await (await ciTrustCmd()).ciTrustList(ctx, o)));
  ciTrust.command('delete <idOrName>').option('--json').action(async (id: string, o) => done(await (await ciTrustCmd()).ciTrustDelete(ctx, id, o)));

  // @commands:sandbox (commands added by this work go directly below this line)
  program.command('cloud').description('the local cloud `hangar up` runs')
    .command('credentials').description('print an aws CLI profile with root credentials of a local cloud account (the workload account by default)')
    .option('--account <id>', 'the 12-digit account id (created if absent)')
    .option('--data-dir <dir>', 'the data dir `hangar up` uses (default: $HANGAR_HOME/local)')
    .action(async (o: { account?: string; dataDir?: string }) => done(await (await import('./commands/cloud.js')).cloudCredentials(ctx, o)));

  // @commands:engine-hardening (commands added by this work go directly below this line)

  // @commands:audit (commands added by this work go directly below this line)
  audit.command('export').description('write every audit event, the signed checkpoints and the public keys to a file (one JSON document)')
    .option('--out <file>', 'where to write it (default: stdout)').option('--bucket <s3-url>', 'an S3-compatible bucket (not available yet)').option('--json')
    .action(async (o) => done(await (await auditCmd()).auditExport(ctx, o)));

  // @commands:fn-cli (commands added by this work go directly below this line)
  program.command('invoke').description('invoke the function once through the engine; prints its response and the log tail of that invocation')
    .option('--stage <stage>')
    .option('--data <json>', 'a raw event payload (JSON)').option('--data-file <file>', 'a raw event payload read from a JSON file')
    .option('--path <path>', 'an HTTP API request to this path (default /)').option('--method <method>', 'its method (default GET, POST with --body)')
    .option('--header <name:value>', 'a request header (repeatable)', (v: string, prev: string[] = []) => [...prev, v])
    .option('--body <text>', 'the request body')
    .option('--json', 'print one JSON object')
    .action(async (o) => done(await (await import('./commands/invoke.js')).invoke(ctx, o)));

  // @commands:fn-ops (commands added by this work go directly below this line)
  // @commands:fn-loggroups (commands added by this work go directly below this line)
  // @commands:dev (commands added by this work go directly below this line)
  program.command('dev').description("deploy, then redeploy on every save and stream the function's logs here; Ctrl-C stops (the instance stays)")
    .option('--stage <stage>').option('--json', 'print one JSON event per line')
    .option('--debounce <ms>', 'quiet period after a change before deploying (default 100)')
    .option('--no-logs', "do not stream the function's logs")
    .action(async (o) => done(await (await import('./commands/dev.js')).dev(ctx, o, () => new Promise<void>((res) => {
      // The first Ctrl-C stops watching (after a running deploy); a second one, Node's default: exit now.
      const stop = () => { process.off('SIGINT', stop); process.off('SIGTERM', stop); res(); };
      process.on('SIGINT', stop);
      process.on('SIGTERM', stop);
    }))));
  // @commands:dashboard (commands added by this work go directly below this line)
  // @commands:queue (commands added by this work go directly below this line)
  // @commands:fanout-blob (commands added by this work go directly below this line)
  // @commands:keys (commands added by this work go directly below this line)
  // @commands:components (commands added by this work go directly below this line)
  // @commands:cli-sources (commands added by this work go directly below this line)

  for (const extend of extensions) extend(program, ctx, done);

  try {
    await program.parseAsync([...argv], { from: 'user' });
  } catch (e) {
    if (e instanceof CommanderError) return e.exitCode === 0 ? 0 : (e.exitCode || 1);
    throw e;
  }
  return code;
}
