/**
 * Bad input found below the HTTP layer (an event's properties against its schema, a Courier message Herald
 * cannot route): whoever received the input answers 400 with the message and the fields at fault.
 */
export class InputError extends Error {
  readonly details: { path: string; message: string; code?: string }[];

  constructor(message: string, details: { path: string; message: string; code?: string }[]) {
    super(message);
    this.details = details;
  }
}
