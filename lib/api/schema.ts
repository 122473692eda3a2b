// The jsonschema checker lives in the core (lib/core/schema.ts) because services check step and
// configdrive schemas in Ironic's order, after state checks; the API modules import it from here.
export * from "../core/schema.ts";
