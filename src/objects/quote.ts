// Request values quoted back in error messages are the sender's to size, so they are cut short.

/** Quotes a value from the request in an error, cut short. */
export function quoted(value: unknown, max = 64): string {
  const text = JSON.stringify(value ?? null) ?? 'null';
  return text.length > max ? `${text.slice(0, max)}… (${text.length} characters)` : text;
}
