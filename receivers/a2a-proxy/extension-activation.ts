/**
 * @module Activates the traceability extension on a forwarded request the way the client's protocol
 * version expects (A2A 1.0 `A2A-Extensions`, 0.3 `X-A2A-Extensions`), appending to what the client
 * asked for, never replacing it.
 */
import { headerListMembers, headerValues, withListMember, withoutListMember, type RawHeaders } from './raw-headers.js';

/** Extension activation field of protocol 1.0. */
export const EXTENSIONS_HEADER = 'A2A-Extensions';
/** Extension activation field of protocol 0.3. */
export const LEGACY_EXTENSIONS_HEADER = 'X-A2A-Extensions';
/** Field a 1.0 client names its protocol version in. */
export const VERSION_HEADER = 'A2A-Version';
/** The version a request without `A2A-Version` speaks (A2A 1.0 §3.6.2: absent means 0.3). */
export const DEFAULT_PROTOCOL_VERSION = '0.3';

/** What {@link activateExtension} did to a request's headers. */
export interface ExtensionActivation {
  /** The headers to forward. */
  readonly headers: string[];
  /** The request's protocol version (`A2A-Version`, else {@link DEFAULT_PROTOCOL_VERSION}). */
  readonly protocolVersion: string;
  /** The client asked for the extension itself (under either field name). */
  readonly requestedByClient: boolean;
  /** The field the proxy added the extension to; undefined when the client had asked for it. */
  readonly addedTo: string | undefined;
}

/** The protocol version a request speaks: its last `A2A-Version` value, trimmed, else 0.3. */
export function requestedProtocolVersion(headers: RawHeaders): string {
  const values = headerValues(headers, VERSION_HEADER).map((value) => value.trim()).filter((value) => value !== '');
  return values[values.length - 1] ?? DEFAULT_PROTOCOL_VERSION;
}

/**
 * True for versions before 1.0. A value that is not `major.minor` counts as 1.0 or later: only
 * clients of 1.0 and later send the field at all.
 */
export function isLegacyProtocolVersion(version: string): boolean {
  const match = /^(\d+)(?:\.\d+)*$/.exec(version);
  return match !== null && Number(match[1]) < 1;
}

/** True when the request lists `uri` in either activation field. */
export function requestsExtension(headers: RawHeaders, uri: string): boolean {
  return [...headerListMembers(headers, EXTENSIONS_HEADER), ...headerListMembers(headers, LEGACY_EXTENSIONS_HEADER)].includes(uri);
}

/**
 * Makes the request activate the extension `uri` unless the client already asked for it:
 * - protocol 1.0 and later: appended to `A2A-Extensions` (created when absent), the only field a
 *   1.0 server reads;
 * - protocol 0.3: appended to `X-A2A-Extensions`. When the client sent only `A2A-Extensions`, the
 *   new `X-A2A-Extensions` repeats the client's members before `uri`: 0.3 servers read the `X-`
 *   field first (the JS SDK falls back to the other only when it is absent), so a field with `uri`
 *   alone would hide what the client asked for.
 * The client's other fields and members are never removed.
 */
export function activateExtension(headers: RawHeaders, uri: string): ExtensionActivation {
  const protocolVersion = requestedProtocolVersion(headers);
  if (requestsExtension(headers, uri)) return { headers: [...headers], protocolVersion, requestedByClient: true, addedTo: undefined };
  if (!isLegacyProtocolVersion(protocolVersion)) {
    return { headers: withListMember(headers, EXTENSIONS_HEADER, uri), protocolVersion, requestedByClient: false, addedTo: EXTENSIONS_HEADER };
  }
  if (headerValues(headers, LEGACY_EXTENSIONS_HEADER).length > 0) {
    return { headers: withListMember(headers, LEGACY_EXTENSIONS_HEADER, uri), protocolVersion, requestedByClient: false, addedTo: LEGACY_EXTENSIONS_HEADER };
  }
  const members = [...headerListMembers(headers, EXTENSIONS_HEADER), uri];
  return { headers: [...headers, LEGACY_EXTENSIONS_HEADER, members.join(', ')], protocolVersion, requestedByClient: false, addedTo: LEGACY_EXTENSIONS_HEADER };
}

/** Removes `uri` from both activation fields of a response (an agent echoes what it activated). */
export function withoutExtension(headers: RawHeaders, uri: string): string[] {
  return withoutListMember(withoutListMember(headers, EXTENSIONS_HEADER, uri), LEGACY_EXTENSIONS_HEADER, uri);
}
