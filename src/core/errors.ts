/**
 * How domain code fails: a `DomainError` says what kind of refusal it is and why, in words the
 * person can act on. The app's error handler turns the kind into an HTTP status
 * (`http/respond.ts`); the CLI prints the message as one line (`cli.ts`).
 */
export type FailureKind = 'invalid' | 'forbidden' | 'not-found' | 'conflict' | 'gone' | 'too-large' | 'unprocessable' | 'rate-limited' | 'upstream';

export class DomainError extends Error {
  constructor(
    readonly kind: FailureKind,
    message: string,
    readonly more: {
      /** A page of this site that explains or resolves the refusal, e.g. the paper already featured. */
      link?: string;
      /** For `rate-limited`: seconds until trying again can succeed. */
      retryAfter?: number;
    } = {},
  ) {
    super(message);
  }
}
