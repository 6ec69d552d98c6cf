/** What every command is given: no globals, so tests call commands directly. */
export interface Output {
  write(chunk: string): unknown;
  readonly isTTY?: boolean;
}

export interface Prompter {
  text(message: string, options?: { placeholder?: string; initial?: string }): Promise<string>;
  secret(message: string): Promise<string>;
}

export interface CommandContext {
  readonly cwd: string;
  /** Already filtered by `safeEnv`: never holds cloud credentials. */
  readonly env: Readonly<Record<string, string | undefined>>;
  readonly stdout: Output;
  readonly stderr: Output;
  readonly fetch?: typeof fetch;
  /** Interactive prompts; absent when not on a terminal (commands then ask for flags instead). */
  readonly prompt?: Prompter;
}
