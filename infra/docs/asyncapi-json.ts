// Shared pieces of the docs/asyncapi.yaml generator (infra/docs/asyncapi.ts): the plain JSON
// shapes the document is built from and the Kafka bindings version every binding states.

/** The Kafka bindings version the document follows (the newest the AsyncAPI 3.0 specs define). */
export const KAFKA_BINDING_VERSION = '0.5.0';

/** A JSON value, as the YAML writer serialises it. */
export type Json = null | boolean | number | string | Json[] | { [key: string]: Json };
/** A JSON object; key order is the order the YAML output shows. */
export type JsonObject = { [key: string]: Json };
