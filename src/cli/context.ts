// Shared plumbing for client commands: global flags → ApiClient + output format, file loading.
import { readFile } from 'node:fs/promises';
import type { Command } from 'commander';
import YAML from 'yaml';
import { ApiClient, CliError } from './client.ts';
import { parseFormat, render, type Column, type Format } from './output.ts';
import { io } from './io.ts';

export const DEFAULT_SERVER = 'http://127.0.0.1:8080';

export interface Ctx {
  client: ApiClient;
  format: Format;
  /** Prints data as the chosen format. */
  print<T>(data: unknown, rows: T[], columns: Array<Column<T>>): void;
}

export function ctx(cmd: Command): Ctx {
  const o = cmd.optsWithGlobals<{ server?: string; token?: string; output?: string }>();
  const server = o.server ?? process.env.FLEETPLANE_SERVER ?? DEFAULT_SERVER;
  try {
    new URL(server);
  } catch {
    throw new CliError(`--server "${server}" is not a URL (e.g. ${DEFAULT_SERVER})`, 2);
  }
  const format = parseFormat(o.output);
  const client = new ApiClient({ server, token: o.token ?? process.env.FLEETPLANE_TOKEN });
  return {
    client,
    format,
    print: (data, rows, columns) => io().out(`${render(data, format, rows, columns)}\n`),
  };
}

/** Reads a JSON or YAML document from a file ("-" = stdin). */
export async function readDoc(file: string): Promise<Record<string, unknown>> {
  let text: string;
  try {
    text = file === '-' ? await readStdin() : await readFile(file, 'utf8');
  } catch (err) {
    throw new CliError(`cannot read ${file}: ${(err as NodeJS.ErrnoException).code ?? String(err)}`, 2);
  }
  let doc: unknown;
  try {
    doc = YAML.parse(text);
  } catch (err) {
    throw new CliError(`${file} is not valid YAML or JSON: ${(err as Error).message.split('\n')[0]}`, 2);
  }
  if (doc === null || typeof doc !== 'object' || Array.isArray(doc)) throw new CliError(`${file} must hold one object`, 2);
  return doc as Record<string, unknown>;
}

async function readStdin(): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const c of process.stdin) chunks.push(c as Buffer);
  return Buffer.concat(chunks).toString('utf8');
}

/** Parses repeated key=value flags. */
export function keyValues(pairs: string[] | undefined, flag: string): Record<string, string> {
  const out: Record<string, string> = {};
  for (const p of pairs ?? []) {
    const i = p.indexOf('=');
    if (i <= 0) throw new CliError(`${flag} expects key=value, got "${p}"`, 2);
    out[p.slice(0, i)] = p.slice(i + 1);
  }
  return out;
}

export function collect(value: string, prev: string[] = []): string[] {
  return [...prev, value];
}

/** Parses an integer flag, refusing junk with exit code 2. */
export function intFlag(flag: string) {
  return (v: string): number => {
    if (!/^\d+$/.test(v)) throw new CliError(`${flag} must be a non-negative integer, got "${v}"`, 2);
    return Number(v);
  };
}

export function enc(s: string): string {
  return encodeURIComponent(s);
}
