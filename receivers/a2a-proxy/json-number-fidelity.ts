/**
 * @module Finds the numbers of a JSON text that `JSON.parse` then `JSON.stringify` would write
 * differently (an integer past 2^53, `1.10`, `1e3`, `-0`), so that `strip_trace` never rewrites a
 * body whose numbers it would change: a JSON-RPC `id` must come back exactly as the client sent it.
 */

const QUOTE = 0x22;
const BACKSLASH = 0x5c;
const MINUS = 0x2d;
const ZERO = 0x30;
const NINE = 0x39;

/** True for the characters a JSON number token is made of (RFC 8259 §6). */
function isNumberCharacter(code: number): boolean {
  return (code >= ZERO && code <= NINE) || code === 0x2e || code === 0x2b || code === MINUS || code === 0x45 || code === 0x65;
}

/** The index just after the string that opens before `from` (its closing quote is the first not escaped). */
function afterString(text: string, from: number): number {
  let searchFrom = from;
  for (;;) {
    const quote = text.indexOf('"', searchFrom);
    if (quote === -1) return text.length;
    let backslashes = 0;
    for (let index = quote - 1; index >= from && text.charCodeAt(index) === BACKSLASH; index--) backslashes++;
    if (backslashes % 2 === 0) return quote + 1;
    searchFrom = quote + 1;
  }
}

/**
 * The first number token of `text` that does not survive a round trip through a JavaScript number
 * (`JSON.stringify(Number(token)) !== token`), or undefined when every one does. `text` MUST be
 * valid JSON (it parsed): outside strings, only number tokens contain digits or `-`. Linear in the
 * length of `text`.
 */
export function firstLossyNumber(text: string): string | undefined {
  const length = text.length;
  let index = 0;
  while (index < length) {
    const code = text.charCodeAt(index);
    if (code === QUOTE) {
      index = afterString(text, index + 1);
    } else if (code === MINUS || (code >= ZERO && code <= NINE)) {
      let end = index + 1;
      while (end < length && isNumberCharacter(text.charCodeAt(end))) end++;
      const token = text.slice(index, end);
      if (JSON.stringify(Number(token)) !== token) return token;
      index = end;
    } else {
      index++;
    }
  }
  return undefined;
}
