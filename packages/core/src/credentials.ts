/**
 * Temporary AWS credentials that cannot be printed by accident. The secret parts live in private
 * fields; `JSON.stringify`, `util.inspect`, `String()`/template strings and error messages all see
 * only the redacted form. Hand them to an AWS SDK client with `toProvider()`.
 */
const inspectSymbol = Symbol.for('nodejs.util.inspect.custom');

export interface AwsCredentialIdentity {
  readonly accessKeyId: string;
  readonly secretAccessKey: string;
  readonly sessionToken?: string;
  readonly expiration?: Date;
}

export class SessionCredentials {
  readonly #accessKeyId: string;
  readonly #secretAccessKey: string;
  readonly #sessionToken: string | undefined;
  /** When these credentials stop working (not a secret). */
  readonly expiration: Date | undefined;

  constructor(identity: AwsCredentialIdentity) {
    this.#accessKeyId = identity.accessKeyId;
    this.#secretAccessKey = identity.secretAccessKey;
    this.#sessionToken = identity.sessionToken;
    this.expiration = identity.expiration;
  }

  /** The values that must never be logged, for a scrubbing logger to look for. */
  secrets(): string[] {
    return [this.#accessKeyId, this.#secretAccessKey, this.#sessionToken].filter((s): s is string => !!s);
  }

  /** A credentials provider for an AWS SDK v3 client: `new LambdaClient({ credentials: c.toProvider() })`. */
  toProvider(): () => Promise<AwsCredentialIdentity> {
    return async () => ({
      accessKeyId: this.#accessKeyId,
      secretAccessKey: this.#secretAccessKey,
      ...(this.#sessionToken ? { sessionToken: this.#sessionToken } : {}),
      ...(this.expiration ? { expiration: this.expiration } : {}),
    });
  }

  /** The redacted form: the key id's last 4 characters and the expiry, nothing more. */
  redacted(): string {
    const tail = this.#accessKeyId.slice(-4);
    return `SessionCredentials(****${tail}${this.expiration ? `, expires ${this.expiration.toISOString()}` : ''})`;
  }

  toJSON(): string { return this.redacted(); }
  toString(): string { return this.redacted(); }
  [inspectSymbol](): string { return this.redacted(); }
}
