// A host policy setting oneha cannot use. It names the field (as in the
// PUT body and the console's form) and every template attribute it involves,
// so a form can put the message next to the right input without parsing it.
export class HostPolicyError extends Error {
  readonly kind = 'invalid-input' as const;
  readonly code = 'invalid-settings';
  constructor(
    message: string,
    /** Template attributes the problem involves, the one at fault first. */
    readonly attrs: readonly string[] = [],
  ) {
    super(message);
    this.name = 'HostPolicyError';
  }
}
