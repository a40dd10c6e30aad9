/** Error raised by the test harness; `detail` holds the command, SQL or log tail that explains it. */
export class HarnessError extends Error {
  override readonly name = 'HarnessError';
  constructor(
    message: string,
    readonly detail: string = '',
  ) {
    super(detail ? `${message}\n${detail}` : message);
  }
}
