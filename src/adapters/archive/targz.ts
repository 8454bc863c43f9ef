// tar.gz of in-memory files and back (tar-stream + zlib). Packing is reproducible: fixed owner, modes from the caller
// and one mtime for every entry, so the same bundle always packs to the same bytes.
import { readdir, readFile } from 'node:fs/promises';
import { join, relative } from 'node:path';
import { gunzipSync, gzipSync } from 'node:zlib';
import { parse as parseYaml } from 'yaml';
import { extract, pack } from 'tar-stream';

export interface ArchiveFile {
  path: string;
  content: string | Buffer;
  mode: number;
}

export async function tarGz(root: string, files: ArchiveFile[], mtime: Date): Promise<Buffer> {
  const p = pack();
  const chunks: Buffer[] = [];
  p.on('data', (c: unknown) => chunks.push(c as Buffer));
  const done = new Promise<void>((resolve, reject) => {
    p.on('end', resolve);
    p.on('error', reject);
  });
  const entry = { uid: 0, gid: 0, uname: 'fleetplane', gname: 'fleetplane', mtime };
  const dirs = new Set<string>([root]);
  for (const f of files) {
    const parts = f.path.split('/').slice(0, -1);
    for (let i = 1; i <= parts.length; i++) dirs.add(`${root}/${parts.slice(0, i).join('/')}`);
  }
  for (const d of [...dirs].sort()) p.entry({ ...entry, name: `${d}/`, type: 'directory', mode: 0o755 });
  for (const f of files) p.entry({ ...entry, name: `${root}/${f.path}`, mode: f.mode }, typeof f.content === 'string' ? Buffer.from(f.content, 'utf8') : f.content);
  p.finalize();
  await done;
  return gzipSync(Buffer.concat(chunks), { level: 9 });
}

export interface ArchiveEntry {
  /** The full path inside the archive, root directory included. */
  name: string;
  type: string;
  mode: number;
  data: Buffer;
}

/** Every entry of a tar.gz, in archive order (for the demo, the CLI's users and tests). */
export async function untarGz(gz: Buffer): Promise<ArchiveEntry[]> {
  const entries: ArchiveEntry[] = [];
  const ex = extract();
  ex.on('entry', (header, stream, next) => {
    const chunks: Buffer[] = [];
    stream.on('data', (c: unknown) => chunks.push(c as Buffer));
    stream.on('end', () => {
      entries.push({ name: header.name, type: header.type ?? 'file', mode: header.mode ?? 0, data: Buffer.concat(chunks) });
      next();
    });
  });
  const done = new Promise<void>((resolve, reject) => {
    ex.on('finish', resolve);
    ex.on('error', reject);
  });
  ex.end(gunzipSync(gz));
  await done;
  return entries;
}

/** A vendored Helm chart (directory <dir>/<name>, Chart.yaml with that version) as a reproducible .tgz. */
export interface ChartArchive {
  name: string;
  version: string;
  /** `<name>-<version>.tgz`, as `helm package` names it. */
  file: string;
  bytes: Buffer;
}

/**
 * Packs the vendored chart `name` at `version` from `chartsDir` like `helm package` (entries under
 * `<name>/`), but reproducibly: sorted entries, one mtime, fixed owner. Null: not vendored there, or
 * vendored at another version (the blueprint pins a chart this Fleetplane does not ship).
 */
export async function packVendoredChart(chartsDir: string, name: string, version: string): Promise<ChartArchive | null> {
  if (!/^[a-z0-9][a-z0-9._-]*$/.test(name)) return null;
  const root = join(chartsDir, name);
  const chartYaml = await readFile(join(root, 'Chart.yaml'), 'utf8').catch(() => null);
  if (chartYaml === null) return null;
  const meta = parseYaml(chartYaml) as { name?: unknown; version?: unknown } | null;
  if (meta?.name !== name || String(meta.version) !== version) return null;
  const files: ArchiveFile[] = [];
  for (const e of await readdir(root, { recursive: true, withFileTypes: true })) {
    if (!e.isFile()) continue;
    const full = join(e.parentPath, e.name);
    files.push({ path: relative(root, full).split('\\').join('/'), content: await readFile(full), mode: 0o644 });
  }
  files.sort((a, b) => a.path.localeCompare(b.path));
  return { name, version, file: `${name}-${version}.tgz`, bytes: await tarGz(name, files, new Date(0)) };
}
