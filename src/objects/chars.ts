// Character classes as lookup tables over char codes < 128: cheaper than a Set or a regular
// expression per character, on texts any user who may create a Pod chooses.

/** A table with 1 at each character of `chars`. */
export function asciiClass(chars: string): Uint8Array {
  const table = new Uint8Array(128);
  for (const c of chars) table[c.charCodeAt(0)] = 1;
  return table;
}

/** The character code is in the table (never true for non-ASCII). */
export const inClass = (table: Uint8Array, c: number): boolean => c < 128 && table[c] === 1;
