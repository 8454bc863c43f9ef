/** Reads one PromQL instant vector (src/adapters/prometheus/instant.ts implements it over HTTP). */
export type InstantReader = (query: string) => Promise<Array<{ labels: Record<string, string>; value: number }>>;
