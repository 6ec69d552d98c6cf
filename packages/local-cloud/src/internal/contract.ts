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
  /** For a `streaming` service: the unread request body (then `body` is empty). */
  readonly stream?: NodeJS.ReadableStream;
  /** For a `STREAMING-AWS4-HMAC-SHA256-PAYLOAD[-TRAILER]` body: computes the chunk signatures it must carry. */
  readonly chunkSigning?: ChunkSigning;
  /** From the SigV4 credential scope. */
  readonly region: string;
  readonly service: string;
  readonly requestId: string;
  /** Undefined only for the unauthenticated STS calls AssumeRoleWithWebIdentity. */
  readonly principal: Principal | undefined;
}

/** SigV4 chunk signatures, chained from the request's (seed) signature. */
export interface ChunkSigning {
  readonly seed: string;
  /** The signature a chunk whose data hashes to `dataSha256Hex` must carry after `previous`. */
  chunk(previous: string, dataSha256Hex: string): string;
  /** The signature of the trailing headers (their canonical `name:value\n` text hashed). */
  trailer(previous: string, trailerSha256Hex: string): string;
}

export interface ServiceResponse {
  readonly status: number;
  /** Arrays become repeated headers (Set-Cookie). */
  readonly headers?: Record<string, string | string[]>;
  /** A stream is piped as is (the service sets content-length); never sent for HEAD. */
  readonly body?: string | Buffer | NodeJS.ReadableStream;
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

/** Extra facts every service can reach, beyond the request. */
export interface CloudRuntime extends CloudContext {
  /** The data dir when state must survive restarts; undefined when everything lives in memory. */
  dataDir(): string | undefined;
  /** IAM/STS internals other services need (Lambda assumes execution roles through this). */
  identity: IdentityApi;
}

export interface TemporaryCredentials {
  readonly accessKeyId: string;
  readonly secretAccessKey: string;
  readonly sessionToken: string;
  readonly expiration: Date;
}

export interface IdentityApi {
  /**
   * Session credentials for `roleArn` assumed by an AWS service principal such as
   * "lambda.amazonaws.com". Throws AwsError when the role does not exist or its trust policy
   * does not allow that service to assume it.
   */
  assumeRoleForService(roleArn: string, servicePrincipal: string, sessionName: string, durationSeconds?: number): TemporaryCredentials;
  /** Whether the role's trust policy lets `servicePrincipal` assume it (false when the role is missing). */
  canServiceAssume(roleArn: string, servicePrincipal: string): boolean;
  /**
   * The caller's own half of a cross-account decision: its identity (and session) policies for
   * `action` on a resource of any account, throwing AccessDenied(Exception) as `authorize` does.
   * The service checks its resource-based policy itself; `authorize` alone refuses other accounts.
   */
  authorizeCaller(principal: Principal, action: string, resource: string): void;
}

/** A service behind the SigV4 endpoint, chosen by the signing name in the credential scope. */
export interface Service {
  /** SigV4 signing name: 'iam' | 'sts' | 'lambda' | 'apigateway' | 'logs'. */
  readonly signingName: string;
  /** How its errors are shaped: query (XML ErrorResponse), rest-json (Lambda, API Gateway), json (Logs, x-amz-json-1.1), rest-xml (S3). */
  readonly protocol: 'query' | 'rest-json' | 'json' | 'rest-xml';
  /**
   * The server does not read the body: it hands it over as `req.stream` and does not check a
   * declared `x-amz-content-sha256` (the service does, as it streams). Presigned requests are
   * verified with `UNSIGNED-PAYLOAD` (S3's rule).
   */
  readonly streaming?: boolean;
  /** Unsigned requests this service takes (S3's anonymous access, CORS preflights, websites). */
  acceptsAnonymous?(req: { host: string; path: string; method: string; headers: Readonly<Record<string, string>> }): boolean;
  handle(req: ServiceRequest): Promise<ServiceResponse>;
  /** Plain-JSON persistent state, written to the data dir by the server after changed(). */
  snapshot?(): unknown;
  restore?(state: unknown): void | Promise<void>;
  /** Stop child processes, timers. */
  close?(): Promise<void>;
}

/** An unsigned HTTP route the server offers besides the AWS API (API Gateway's execute-api). */
export interface DataPlaneRoute {
  /** Return true when this route serves a request for this host and path. */
  match(host: string, path: string): boolean;
  handle(req: { method: string; url: string; host: string; headers: Record<string, string | string[] | undefined>; body: Buffer; remoteAddress: string }): Promise<ServiceResponse>;
}

/** Builds a service once the server's runtime exists: `(rt) => createLambdaService(rt)`. */
export type ServiceFactory = (rt: CloudRuntime) => { service: Service; dataPlane?: DataPlaneRoute[] };
