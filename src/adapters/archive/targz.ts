// tar.gz of in-memory files and back (tar-stream + zlib). Packing is reproducible: fixed owner, modes from the caller
// and one mtime for every entry, so the same bundle always packs to the same bytes.
import { gunzipSync, gzipSync } from 'node:zlib';
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
