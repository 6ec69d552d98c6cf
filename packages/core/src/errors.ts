/**
 * Every error Hangar reports to a person has a stable code defined here, once.
 * `docs/errors.md` lists each code with its fix; `errors.test.ts` keeps the two in step.
 *
 * fault: whose fault it is — `user` (bad input, missing setup), `upstream` (AWS or another
 * service refused or failed), `internal` (a bug in Hangar). retryable: whether trying the same
 * thing again, unchanged, can help.
 */
export type Fault = 'user' | 'upstream' | 'internal';

export interface ErrorSpec {
  readonly status: number;
  readonly fault: Fault;
  readonly retryable: boolean;
  readonly summary: string;
}

function spec(status: number, fault: Fault, retryable: boolean, summary: string): ErrorSpec {
  return { status, fault, retryable, summary };
}

export const errorCodes = {
  // generic edge errors
  VALIDATION_FAILED: spec(400, 'user', false, 'A request body, argument or project file is not valid.'),
  NOT_FOUND: spec(404, 'user', false, 'The thing asked for does not exist, or is not visible to you.'),
  CONFLICT: spec(409, 'user', false, 'The request conflicts with what is stored.'),
  PAYLOAD_TOO_LARGE: spec(413, 'user', false, 'The request body is larger than allowed.'),
  INTERNAL: spec(500, 'internal', true, 'Something went wrong inside Hangar.'),

  // authentication and authorisation
  AUTH_REQUIRED: spec(401, 'user', false, 'No valid API token or session was presented.'),
  AUTH_FORBIDDEN: spec(403, 'user', false, 'Your role in this organisation does not allow this.'),
  AUTH_CSRF: spec(403, 'user', false, 'A state-changing browser request lacked a valid CSRF token.'),

  // engine settings and audit (packages/engine: platform)
  ENGINE_CONFIG_INVALID: spec(400, 'user', false, "The engine's settings or HANGAR_* environment variables are not valid."),
  AUDIT_CHAIN_BROKEN: spec(409, 'internal', false, "An organisation's audit log no longer verifies: an event was altered, removed or reordered."),

  // CLI and project file
  CLI_NOT_LOGGED_IN: spec(401, 'user', false, 'The CLI has no engine URL or token.'),
  CLI_ENGINE_UNREACHABLE: spec(503, 'upstream', true, 'The engine did not answer.'),
  CLI_HOOK_FAILED: spec(400, 'user', false, "The project's build hook (inputs.src.hook) exited with an error."),
  CLI_SOURCE_NOT_FOUND: spec(400, 'user', false, 'The folder named by inputs.src (or its dist) does not exist.'),
  PROJECT_FILE_NOT_FOUND: spec(400, 'user', false, 'No hangar.yml or serverless.yml in this folder.'),
  PROJECT_FILE_INVALID: spec(400, 'user', false, 'The project file does not match its schema.'),
  PROJECT_VARIABLE_UNRESOLVED: spec(400, 'user', false, 'A ${...} variable in the project file has no value.'),

  // components (packages/components)
  COMPONENT_NOT_FOUND: spec(400, 'user', false, 'The project file names a component Hangar does not have.'),
  COMPONENT_INPUTS_INVALID: spec(400, 'user', false, "A component's inputs do not match its schema."),
  COMPONENT_SOURCE_MISSING: spec(400, 'user', false, 'The component deploys code but no source package was supplied.'),
  COMPONENT_AWS_ACCESS_DENIED: spec(403, 'user', false, "AWS refused a component's call: the provider's role lacks a permission."),
  COMPONENT_AWS_ERROR: spec(502, 'upstream', false, 'AWS refused or failed a call the component made.'),

  // source cache and deployments (packages/engine: source/, deployments/)
  SOURCE_MANIFEST_INVALID: spec(400, 'user', false, 'A source manifest has a bad path, hash, size or mode, or a path twice.'),
  SOURCE_LIMIT_EXCEEDED: spec(413, 'user', false, "A source manifest is over the engine's file-count or byte limits."),
  SOURCE_BASE_UNKNOWN: spec(409, 'user', false, 'A delta names a base manifest this organisation does not hold.'),
  SOURCE_MANIFEST_MISMATCH: spec(409, 'user', false, 'A delta applied to its base does not give the manifest id the client computed.'),
  SOURCE_MANIFEST_UNKNOWN: spec(400, 'user', false, 'A deployment names a manifest id this organisation never uploaded.'),
  SOURCE_BLOB_NOT_DECLARED: spec(409, 'user', false, "An uploaded blob's hash is in none of this organisation's manifests."),
  SOURCE_BLOB_HASH_MISMATCH: spec(400, 'user', false, 'An uploaded blob does not match its sha256 or the size its manifest declared.'),
  SOURCE_BLOBS_MISSING: spec(409, 'user', false, "A deployment's manifest lists files whose contents were never uploaded."),
  DEPLOY_COMPONENT_CHANGED: spec(409, 'user', false, 'An instance is deployed with one component and a deploy names another.'),
  DEPLOY_COMPONENT_FAILED: spec(500, 'internal', false, 'A component failed with an unexpected error (not an AWS error).'),
  DEPLOY_INTERRUPTED: spec(503, 'internal', true, 'The engine stopped while the deployment was running.'),

  // providers and the credential broker (packages/engine: providers/)
  PROVIDER_NOT_CONFIGURED: spec(400, 'user', false, 'No provider is linked for the app, stage or instance being deployed; Hangar never falls back to other credentials.'),
  PROVIDER_NOT_VERIFIED: spec(400, 'user', false, 'The provider that serves this deployment has not passed verification.'),
  PROVIDER_ROLE_NOT_SET: spec(400, 'user', false, 'A provider cannot be verified before it has a role ARN.'),
  PROVIDER_EXTERNAL_ID_NOT_ENFORCED: spec(400, 'user', false, "The role can be assumed without the provider's external ID, or with a wrong one (confused deputy)."),
  PROVIDER_SUBJECT_NOT_ENFORCED: spec(400, 'user', false, "A web-identity role accepts the engine's tokens for another organisation."),
  PROVIDER_ACCOUNT_MISMATCH: spec(400, 'user', false, "The role's session is in a different AWS account from the provider's."),
  PROVIDER_ASSUME_FAILED: spec(502, 'upstream', false, "AWS refused to let the engine assume the provider's role."),
  PROVIDER_ENGINE_IDENTITY_FAILED: spec(502, 'upstream', false, "STS refused the engine's own configured AWS credentials."),
  // @errors:thin-cli (codes added by this work go directly below this line)

  // @errors:engine-serve (codes added by this work go directly below this line)
  ENGINE_DATABASE_BEHIND: spec(503, 'user', false, 'HANGAR_MIGRATE=off and the database lacks migrations this engine needs.'),
  ENGINE_BOOTSTRAP_REFUSED: spec(409, 'user', false, '`hangar-engine bootstrap` was run on a database that already has an organisation.'),
  ENGINE_CHECK_FAILED: spec(400, 'user', false, '`hangar-engine check` found a setting, the database or the engine identity not working.'),
  PROVIDER_ISSUER_NOT_PUBLIC: spec(400, 'user', false, "AWS cannot reach the engine's OIDC issuer (HANGAR_PUBLIC_URL is http or a loopback/private address)."),

  // @errors:contract (codes added by this work go directly below this line)
  PROJECT_FRAMEWORK_UNSUPPORTED: spec(400, 'user', false, 'serverless.yml is a Serverless Framework (service/provider/functions) file, which Hangar does not deploy.'),
  PROJECT_ORG_UNKNOWN: spec(403, 'user', false, "The project file's `org:` is not an organisation the logged-in token belongs to."),
  COMPONENT_HANDLER_NOT_FOUND: spec(400, 'user', false, "The function's handler file (inputs.handler) is not in the uploaded source."),

  // @errors:invitations-ci-trust (codes added by this work go directly below this line)
  INVITATION_NOT_FOUND: spec(404, 'user', false, 'The invitation code is unknown (mistyped, or never issued).'),
  INVITATION_USED: spec(409, 'user', false, 'The invitation was already accepted; a code works once.'),
  INVITATION_EXPIRED: spec(410, 'user', false, 'The invitation is older than 7 days.'),
  INVITATION_REVOKED: spec(410, 'user', false, 'An admin revoked the invitation.'),
  INVITATION_SIGN_IN_REQUIRED: spec(401, 'user', false, 'The invitation is for an email that already has a Hangar account; it must be redeemed signed in as that account.'),
  CI_TOKEN_INVALID: spec(401, 'user', false, 'The CI OIDC token is malformed, unsigned (alg none), signed with an unknown key (kid) or its signature does not verify.'),
  CI_TOKEN_EXPIRED: spec(401, 'user', false, 'The CI OIDC token is expired (exp) or not valid yet (nbf).'),
  CI_TRUST_NO_MATCH: spec(403, 'user', false, "No CI trust of the organisation accepts the token's issuer, audience, subject and claims."),
  CI_ISSUER_INSECURE: spec(400, 'user', false, 'A CI trust issuer must be an https URL (loopback http only when the engine allows insecure issuers).'),
  CI_ISSUER_UNREACHABLE: spec(502, 'upstream', true, "The CI issuer's OIDC discovery document or JWKS could not be fetched or is not valid."),
  CI_SCOPE_FORBIDDEN: spec(403, 'user', false, 'A CI token tried something outside its scope (another app or stage, or anything but deploying).'),
  CLI_OIDC_TOKEN_UNAVAILABLE: spec(400, 'user', false, 'The CLI could not get an OIDC ID token from the CI environment.'),

  // @errors:sandbox (codes added by this work go directly below this line)

  // @errors:engine-hardening (codes added by this work go directly below this line)
  ENGINE_DATA_DIR_LOCKED: spec(409, 'user', false, 'Another engine process already uses this SQLite data dir.'),
  ENGINE_STORE_UNAVAILABLE: spec(503, 'upstream', true, "The engine's database is locked, full or unreachable."),

  // @errors:audit (codes added by this work go directly below this line)
  AUDIT_WRITE_FAILED: spec(503, 'internal', true, 'An audit event could not be written, so the action that needed it (such as asking STS for credentials) was not taken.'),
  AUDIT_EXPORT_INVALID: spec(400, 'user', false, 'The file given as an audit export is not one `hangar audit export` wrote, or cannot be read.'),
  AUDIT_EXPORT_TARGET_UNSUPPORTED: spec(400, 'user', false, 'Audit export to an S3-compatible bucket is not available yet.'),

  // @errors:fn-ops (codes added by this work go directly below this line)
  FUNCTION_NOT_DEPLOYED: spec(409, 'user', false, 'The instance has no deployed function (never deployed, removed, or its function was deleted outside Hangar).'),
  FUNCTION_UNSUPPORTED: spec(400, 'user', false, "The instance's component has no function, so it has no runtime logs and cannot be invoked."),
  FUNCTION_LOGS_FILTER_INVALID: spec(400, 'user', false, 'CloudWatch Logs refused the filter pattern.'),
  FUNCTION_AWS_ACCESS_DENIED: spec(403, 'user', false, "AWS refused an operation on the function: the provider's role lacks the logs or lambda permission it needs."),
  FUNCTION_AWS_ERROR: spec(502, 'upstream', true, 'AWS refused or failed a call reading the function\'s logs or invoking it.'),

  // @errors:fn-loggroups (codes added by this work go directly below this line)

  // @errors:dev (codes added by this work go directly below this line)
  CLI_DEV_NO_SOURCE: spec(400, 'user', false, '`hangar dev` was run on a project without inputs.src: there is no source folder to watch.'),
  CLI_DEV_WATCH_FAILED: spec(400, 'user', false, '`hangar dev` could not watch the source folder (on Linux, usually too few inotify watches).'),

  // @errors:dashboard (codes added by this work go directly below this line)

  // @errors:queue (codes added by this work go directly below this line)

  // @errors:fanout-blob (codes added by this work go directly below this line)

  // @errors:keys (codes added by this work go directly below this line)
  ENGINE_SECRET_KEY_MISMATCH: spec(400, 'user', false, "The signing keys in the database were encrypted with another HANGAR_SECRET_KEY than this engine's (or were altered)."),

  // @errors:components (codes added by this work go directly below this line)

  // @errors:apps (codes added by this work go directly below this line)
  PROJECT_REFERENCE_INVALID: spec(400, 'user', false, 'An `${output:...}` reference is not written as `${output:<instance>.<key>}` or `${output:<app>:<stage>:<instance>.<key>}`.'),
  PROJECT_REFERENCE_UNKNOWN: spec(400, 'user', false, 'An `${output:...}` reference names an instance that is not in the app and has never been deployed (or was removed).'),
  PROJECT_REFERENCE_MISSING_KEY: spec(400, 'user', false, "An `${output:...}` reference names an output key the referenced instance does not have."),
  PROJECT_REFERENCE_CYCLE: spec(400, 'user', false, 'Instances of an app reference each other in a cycle (or one references itself), so there is no order to deploy them in.'),
  APP_DEPENDENCY_FAILED: spec(409, 'user', false, 'An instance of an app deployment was not deployed (or removed) because an instance it depends on failed.'),

  // @errors:cli-sources (codes added by this work go directly below this line)
  SOURCE_PATH_INVALID: spec(400, 'user', false, "A source file's path is not accepted: a segment over 255 bytes, a path over 1024 bytes, a control, bidi or unpaired-surrogate character, or a path that is both a file and a folder."),
  CLI_SOURCE_REFUSED: spec(400, 'user', false, 'inputs.src is, is inside, or holds a folder of credentials (~/.aws, ~/.ssh, ~/.config/gcloud, $HANGAR_HOME, or AWS-shaped credentials/config files).'),
  CLI_SOURCE_LINK_OUTSIDE: spec(400, 'user', false, 'A symbolic link in the source folder points at a file outside it; the CLI does not follow it.'),
  PROJECT_VARIABLE_REFUSED: spec(400, 'user', false, "A project file reads a variable the CLI never passes to it: one of Hangar's own HANGAR_* settings (stored in plain text if it were), or a cloud credential."),
  CLI_ENGINE_CONNECTION_LOST: spec(503, 'upstream', true, 'The engine stopped answering while the CLI was following a deployment (or, with `hangar logs --tail`, a function\'s logs).'),

  // @errors:comp-data (codes added by this work go directly below this line)
  COMPONENT_REPLACE_REQUIRED: spec(409, 'user', false, 'The inputs ask for a change AWS cannot make in place (a table\'s keys); the resource must be replaced, which deletes its data.'),
  COMPONENT_DELETION_PROTECTED: spec(409, 'user', false, 'The resource has deletion protection on, so it cannot be removed or replaced.'),
  COMPONENT_TTL_ATTRIBUTE_CHANGE: spec(409, 'user', false, "A table's time to live moves from one attribute to another, which DynamoDB cannot do in one step (one time-to-live change an hour)."),

  // @errors:comp-web (codes added by this work go directly below this line)
  WEBSITE_DOCUMENT_MISSING: spec(400, 'user', false, "A website's index or error document is not among the files of inputs.src."),
  EXPRESS_ENTRY_NOT_FOUND: spec(400, 'user', false, "The express component's entry file (inputs.entry, default app.js) is not among the files of inputs.src."),

  // @errors:deps-layer (codes added by this work go directly below this line)
  COMPONENT_PACKAGE_TOO_LARGE: spec(413, 'user', false, "A function's code or dependencies layer is over one of Lambda's size limits (50 MB zipped for a direct upload, 250 MB unzipped for the function and its layers together)."),

  // @errors:fn-cli (codes added by this work go directly below this line)
  CLI_SMOKE_FAILED: spec(502, 'user', false, '`hangar deploy --smoke`: the deployed URL answered a 5xx; the deployment stays, and the message carries the function\'s last error.'),
  CLI_SMOKE_UNREACHABLE: spec(502, 'upstream', true, '`hangar deploy --smoke` could not reach the deployed URL (connection refused, DNS, no answer in 30 s), or the instance has no url output.'),
} as const satisfies Record<string, ErrorSpec>;

export type ErrorCode = keyof typeof errorCodes;

export function isErrorCode(value: string): value is ErrorCode {
  return Object.prototype.hasOwnProperty.call(errorCodes, value);
}

/** An error a person can act on: a stable code, a message naming the value and the fix. */
export class HangarError extends Error {
  readonly code: ErrorCode;
  readonly status: number;
  readonly fault: Fault;
  readonly retryable: boolean;
  /** Extra machine-readable facts (never secrets): e.g. the AWS error code and request id. */
  readonly details: Readonly<Record<string, unknown>> | undefined;

  constructor(code: ErrorCode, message: string, options: { details?: Record<string, unknown>; cause?: unknown } = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = 'HangarError';
    this.code = code;
    const s = errorCodes[code];
    this.status = s.status;
    this.fault = s.fault;
    this.retryable = s.retryable;
    this.details = options.details ? Object.freeze({ ...options.details }) : undefined;
  }

  toJSON(): { code: ErrorCode; message: string; details?: Readonly<Record<string, unknown>> } {
    return this.details ? { code: this.code, message: this.message, details: this.details } : { code: this.code, message: this.message };
  }
}

export function isHangarError(e: unknown): e is HangarError {
  return e instanceof HangarError;
}
