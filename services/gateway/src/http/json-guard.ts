/** Keys that could reach an object's prototype if the payload were ever merged into another object. */
const FORBIDDEN_KEYS = new Set(['__proto__', 'constructor', 'prototype']);

/**
 * Walks parsed JSON without recursion (a hostile body cannot blow the stack) and returns
 * the first problem: nesting deeper than maxDepth or a forbidden key, with its JSON pointer.
 */
export function findUnsafeJson(root: unknown, maxDepth: number): { pointer: string; message: string } | undefined {
  const stack: { value: unknown; depth: number; pointer: string }[] = [{ value: root, depth: 0, pointer: '' }];
  while (stack.length) {
    const { value, depth, pointer } = stack.pop()!;
    if (value === null || typeof value !== 'object') continue;
    if (depth >= maxDepth) return { pointer, message: `nesting is deeper than ${maxDepth} levels` };
    if (Array.isArray(value)) {
      for (let i = 0; i < value.length; i++) stack.push({ value: value[i], depth: depth + 1, pointer: `${pointer}/${i}` });
      continue;
    }
    for (const key of Object.keys(value)) {
      const child = `${pointer}/${key.replace(/~/g, '~0').replace(/\//g, '~1')}`;
      if (FORBIDDEN_KEYS.has(key)) return { pointer: child, message: `the key "${key}" is not allowed` };
      stack.push({ value: (value as Record<string, unknown>)[key], depth: depth + 1, pointer: child });
    }
  }
  return undefined;
}
