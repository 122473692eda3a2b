// The Bare Metal API's newest microversion. Some use cases answer per microversion (a verb or a
// parameter that a version does not know yet); callers other than the API get the newest rules.

/**
 * The highest microversion whose features are all implemented (1.97 and later are not yet).
 * Raise it only together with the features; lib/api/v1/microversions-83-96.test.ts covers 1.83-1.96.
 * Code gates each feature at the microversion where Ironic added it, so a few of later versions are
 * in place already and wait for this to reach them (1.98 patch escapes, 1.104 instance_name, 1.108
 * service disable_ramdisk, 1.110 abort in deploy wait, 1.112 runbook traits, 1.113 history
 * project): their tests ask for those versions through lib/testing/versions.ts.
 */
export const MAX_MINOR = 96;
