/** Builds an RFC 6901 JSON pointer from path segments ("~" -> "~0", "/" -> "~1"). */
export function jsonPointer(...segments: readonly (string | number)[]): string {
  let pointer = '';
  for (const segment of segments) pointer += '/' + String(segment).replaceAll('~', '~0').replaceAll('/', '~1');
  return pointer;
}
