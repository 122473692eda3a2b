// How deeply a JSON document may nest, for the API (bodies) and the core (patched documents).
/**
 * How deeply arrays and objects may nest in a JSON document the API accepts (a body, or a
 * document after a patch). The code that validates, masks, copies and quotes documents recurses,
 * so without a bound a body of a few kilobytes exhausts the stack. Real documents nest a handful
 * of levels (an inspection inventory about six).
 */
export const MAX_JSON_DEPTH = 100;

/** Nesting depth of a JSON value (a scalar is 0, `{}` and `[]` are 1); iterative, so any depth is safe to measure. */
export function jsonDepth(value: unknown): number {
  let deepest = 0;
  const pending: [unknown, number][] = [[value, 1]];
  while (pending.length) {
    const [v, level] = pending.pop()!;
    if (v === null || typeof v !== "object") continue;
    if (level > deepest) deepest = level;
    for (const child of Array.isArray(v) ? v : Object.values(v)) {
      if (child !== null && typeof child === "object") pending.push([child, level + 1]);
    }
  }
  return deepest;
}
