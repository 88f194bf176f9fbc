/**
 * @module Header lists as node:http keeps them (`rawHeaders`: name, value, name, value, ...), edited
 * without losing case, order or repeats: hop-by-hop removal (RFC 9110 §7.6.1), list-valued fields, and
 * the media type of `Content-Type`.
 */

/** A header list in node's raw form: `[name0, value0, name1, value1, ...]`, names in their original case. */
export type RawHeaders = readonly string[];

/**
 * Fields that are hop-by-hop whether or not `Connection` names them: RFC 9110 §7.6.1 names
 * `Proxy-Connection`, `Keep-Alive`, `TE`, `Transfer-Encoding` and `Upgrade`; `Connection` itself
 * is consumed by the hop it is sent on.
 */
const ALWAYS_HOP_BY_HOP: ReadonlySet<string> = new Set(['connection', 'proxy-connection', 'keep-alive', 'te', 'transfer-encoding', 'upgrade']);

/** Splits a list-valued field (RFC 9110 §5.6.1) into its trimmed, non-empty members. */
export function splitList(value: string): string[] {
  return value
    .split(',')
    .map((member) => member.trim())
    .filter((member) => member !== '');
}

/** Every value of the field `name` (case-insensitive), in order. */
export function headerValues(headers: RawHeaders, name: string): string[] {
  const lower = name.toLowerCase();
  const values: string[] = [];
  for (let index = 0; index + 1 < headers.length; index += 2) {
    if ((headers[index] as string).toLowerCase() === lower) values.push(headers[index + 1] as string);
  }
  return values;
}

/** The members of a list-valued field over all its lines. */
export function headerListMembers(headers: RawHeaders, name: string): string[] {
  return headerValues(headers, name).flatMap(splitList);
}

/**
 * Drops the hop-by-hop fields a proxy must not forward (RFC 9110 §7.6.1): `Connection`, every
 * field `Connection` names, and the fields that are always hop-by-hop.
 */
export function withoutHopByHop(headers: RawHeaders): string[] {
  const dropped = new Set(ALWAYS_HOP_BY_HOP);
  for (const name of headerListMembers(headers, 'connection')) dropped.add(name.toLowerCase());
  const kept: string[] = [];
  for (let index = 0; index + 1 < headers.length; index += 2) {
    const name = headers[index] as string;
    if (!dropped.has(name.toLowerCase())) kept.push(name, headers[index + 1] as string);
  }
  return kept;
}

/** Drops every line of the field `name`. */
export function withoutHeader(headers: RawHeaders, name: string): string[] {
  const lower = name.toLowerCase();
  const kept: string[] = [];
  for (let index = 0; index + 1 < headers.length; index += 2) {
    if ((headers[index] as string).toLowerCase() !== lower) kept.push(headers[index] as string, headers[index + 1] as string);
  }
  return kept;
}

/** Replaces every line of the field `name` with one line `name: value`, where the first one was (at the end if none). */
export function withHeader(headers: RawHeaders, name: string, value: string): string[] {
  const lower = name.toLowerCase();
  const result: string[] = [];
  let placed = false;
  for (let index = 0; index + 1 < headers.length; index += 2) {
    const current = headers[index] as string;
    if (current.toLowerCase() !== lower) {
      result.push(current, headers[index + 1] as string);
    } else if (!placed) {
      result.push(current, value);
      placed = true;
    }
  }
  if (!placed) result.push(name, value);
  return result;
}

/**
 * Adds `member` to the list-valued field `name`: appended to its last line (`a, b` becomes
 * `a, b, member`), or as a new line when the field is absent. Other lines stay as they are.
 */
export function withListMember(headers: RawHeaders, name: string, member: string): string[] {
  const lower = name.toLowerCase();
  const result = [...headers];
  for (let index = result.length - 2; index >= 0; index -= 2) {
    if ((result[index] as string).toLowerCase() !== lower) continue;
    const current = (result[index + 1] as string).trim();
    result[index + 1] = current === '' ? member : `${current}, ${member}`;
    return result;
  }
  result.push(name, member);
  return result;
}

/**
 * Removes `member` from the list-valued field `name` on every line; a line left empty is dropped.
 * Lines without the member stay byte for byte.
 */
export function withoutListMember(headers: RawHeaders, name: string, member: string): string[] {
  const lower = name.toLowerCase();
  const result: string[] = [];
  for (let index = 0; index + 1 < headers.length; index += 2) {
    const current = headers[index] as string;
    const value = headers[index + 1] as string;
    if (current.toLowerCase() !== lower) {
      result.push(current, value);
      continue;
    }
    const members = splitList(value);
    if (!members.includes(member)) {
      result.push(current, value);
      continue;
    }
    const rest = members.filter((candidate) => candidate !== member);
    if (rest.length > 0) result.push(current, rest.join(', '));
  }
  return result;
}

/** The last `Content-Type` value; `''` when there is none. */
export function contentTypeOf(headers: RawHeaders): string {
  return headerValues(headers, 'content-type').at(-1) ?? '';
}

/** The headers as `[name, value]` pairs (what `ServerResponse.addTrailers` takes). */
export function toPairs(headers: RawHeaders): Array<[string, string]> {
  const pairs: Array<[string, string]> = [];
  for (let index = 0; index + 1 < headers.length; index += 2) pairs.push([headers[index] as string, headers[index + 1] as string]);
  return pairs;
}
