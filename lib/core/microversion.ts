// The Bare Metal API's newest microversion. Some use cases answer per microversion (a verb or a
// parameter that a version does not know yet); callers other than the API get the newest rules.

/**
 * The highest microversion whose features are all implemented (1.97 and later are not yet).
 * Raise it only together with the features; lib/api/v1/microversions-83-96.test.ts covers 1.83-1.96.
 */
export const MAX_MINOR = 96;
