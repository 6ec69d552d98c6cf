/**
 * The seams between the local cloud's server (routing, SigV4 authentication, persistence, errors)
 * and its services (IAM, STS, Lambda, API Gateway, CloudWatch Logs). A service never parses
 * signatures and the server never knows a service's operations.
 */

/** An error with AWS's code and HTTP status; the server renders it in the service's protocol. */
export class AwsError extends Error {
  constructor(
    readonly code: string,
    message: string,
    readonly status = 400,
    /** Query-protocol <Type>: Sender for the caller's fault, Receiver for ours. */
    readonly type: 'Sender' | 'Receiver' = status >= 500 ? 'Receiver' : 'Sender',
  ) {
    super(message);
    this.name = code;
  }
}

/** Who signed the request, after the signature and session were checked. */
export interface Principal {
  readonly accountId: string;
  readonly kind: 'root' | 'user' | 'assumed-role';
  /** arn:aws:iam::<acct>:root | arn:aws:iam::<acct>:user/<name> | arn:aws:sts::<acct>:assumed-role/<role>/<session> */
  readonly arn: string;
  /** AIDA… for users, AROA…:<session> for assumed roles, the account id for root. */
  readonly userId: string;
  readonly accessKeyId: string;
  readonly userName?: string;
  readonly roleName?: string;
  readonly roleArn?: string;
  readonly sessionName?: string;
  readonly sourceIdentity?: string;
  /** Session tags (key -> value) set at AssumeRole. */
  readonly sessionTags?: Readonly<Record<string, string>>;
  /** Session policies (inline Policy JSON and PolicyArns' documents) that narrow this session. */
  readonly sessionPolicies?: readonly string[];
}

/** A parsed, authenticated AWS request handed to a service. */
export interface ServiceRequest {
  readonly method: string;
  /** Path without the query string, URL-decoded once. */
  readonly path: string;
  readonly query: Readonly<Record<string, string>>;
  readonly headers: Readonly<Record<string, string>>;
  readonly body: Buffer;
  /** From the SigV4 credential scope. */
  readonly region: string;
  readonly service: string;
  readonly requestId: string;
  /** Undefined only for the unauthenticated STS calls AssumeRoleWithWebIdentity. */
  readonly principal: Principal | undefined;
}

export interface ServiceResponse {
  readonly status: number;
  readonly headers?: Record<string, string>;
  readonly body?: string | Buffer;
}

/** What every service can reach: the clock, persistence, the other services' internal APIs. */
export interface CloudContext {
  /** The server's clock (moved by POST /_local/clock). Use it for every expiry decision. */
  now(): Date;
  /** The endpoint the cloud serves on, e.g. http://127.0.0.1:4566 (set once listening). */
  endpoint(): string;
  /** Mark persistent state as changed; the server writes it to the data dir. */
  changed(): void;
  /**
   * Authorise `action` (e.g. "lambda:CreateFunction") on `resource` (an ARN or "*") for the
   * request's principal: identity policies ∩ session policies, explicit deny wins, default deny.
   * Root may do anything in its own account. Throws AwsError AccessDenied / AccessDeniedException.
   */
  authorize(principal: Principal, action: string, resource: string, conditionKeys?: Record<string, string | string[]>): void;
}
