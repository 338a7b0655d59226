// A local stand-in for the Hugging Face hub on 127.0.0.1, serving model folders through the
// endpoints @huggingface/hub calls:
//   GET  /api/models/<repo>/revision/<rev>     model info (sha, siblings)
//   POST /api/models/<repo>/paths-info/<rev>   file info (oid, size, lfs, lastCommit)
//   GET  /<repo>/resolve/<rev>/<file>          file contents (Range: bytes=0-0 probes too)
// It can cut a file's body short (a broken connection), serve gated repos only to a bearer token
// (401 with X-Error-Code GatedRepo otherwise, as the hub answers), and logs every request.
import { createHash } from 'node:crypto';
import * as fs from 'node:fs';
import * as http from 'node:http';
import type { AddressInfo } from 'node:net';
import * as path from 'node:path';

interface RepoFile {
  path: string;
  bytes: Buffer;
  oid: string;
  lfs?: { oid: string; size: number; pointerSize: number };
}

export interface MockHubOptions {
  /** Cut the body of this file after this many bytes, then drop the connection. */
  breakFile?: { file: string; afterBytes: number };
  /** Answer model info without the commit sha (a broken or foreign endpoint). */
  omitCommit?: boolean;
  /** Gated repos and the token that may read each. */
  gated?: Record<string, string>;
}

export class MockHub {
  readonly requests: string[] = [];
  private server?: http.Server;
  private readonly repos = new Map<string, { commit: string; files: RepoFile[] }>();

  constructor(
    repos: Record<string, string>,
    public options: MockHubOptions = {},
  ) {
    for (const [repo, folder] of Object.entries(repos)) {
      const files = fs
        .readdirSync(folder)
        .filter((name) => fs.statSync(path.join(folder, name)).isFile())
        .sort()
        .map((name) => {
          const bytes = fs.readFileSync(path.join(folder, name));
          const oid = createHash('sha1').update(`blob ${bytes.length}\0`).update(bytes).digest('hex');
          const lfs = name.endsWith('.safetensors')
            ? { oid: createHash('sha256').update(bytes).digest('hex'), size: bytes.length, pointerSize: 134 }
            : undefined;
          return { path: name, bytes, oid, lfs };
        });
      const commit = createHash('sha1')
        .update(repo)
        .update(files.map((f) => f.oid).join())
        .digest('hex');
      this.repos.set(repo, { commit, files });
    }
  }

  /** The hub's address; it stays the same after stop() (requests then fail to connect) and a restart. */
  get url(): string {
    return `http://127.0.0.1:${this.port}`;
  }

  private port = 0;

  commitOf(repo: string): string {
    return this.repos.get(repo)!.commit;
  }

  async start(): Promise<void> {
    this.server = http.createServer((request, response) => this.handle(request, response));
    await new Promise<void>((resolve) => this.server!.listen(this.port, '127.0.0.1', resolve));
    this.port = (this.server.address() as AddressInfo).port;
  }

  async stop(): Promise<void> {
    if (!this.server) return;
    this.server.closeAllConnections();
    await new Promise<void>((resolve) => this.server!.close(() => resolve()));
    this.server = undefined;
  }

  private handle(request: http.IncomingMessage, response: http.ServerResponse): void {
    const url = new URL(request.url ?? '/', 'http://127.0.0.1');
    this.requests.push(`${request.method} ${url.pathname}`);
    const gated = Object.entries(this.options.gated ?? {}).find(([repo]) =>
      decodeURIComponent(url.pathname).includes(`/${repo}/`),
    );
    if (gated && request.headers.authorization !== `Bearer ${gated[1]}`) {
      response.writeHead(401, { 'Content-Type': 'application/json', 'X-Error-Code': 'GatedRepo' });
      response.end(JSON.stringify({ error: `Access to model ${gated[0]} is restricted. You must be authenticated.` }));
      return;
    }
    const info = /^\/api\/models\/(.+)\/revision\/([^/]+)$/.exec(url.pathname);
    const pathsInfo = /^\/api\/models\/(.+)\/paths-info\/([^/]+)$/.exec(url.pathname);
    const resolve = /^\/(.+?)\/resolve\/([^/]+)\/(.+)$/.exec(url.pathname);
    if (info) return this.modelInfo(decodeURIComponent(info[1]), response);
    if (pathsInfo) return this.pathsInfo(decodeURIComponent(pathsInfo[1]), request, response);
    if (resolve)
      return this.resolveFile(decodeURIComponent(resolve[1]), decodeURIComponent(resolve[3]), request, response);
    this.notFound(response, 'RepoNotFound');
  }

  private modelInfo(repo: string, response: http.ServerResponse): void {
    const entry = this.repos.get(repo);
    if (!entry) return this.notFound(response, 'RepoNotFound');
    this.json(response, {
      _id: `id-${repo}`,
      id: repo,
      private: false,
      sha: this.options.omitCommit ? undefined : entry.commit,
      downloads: 0,
      gated: false,
      likes: 0,
      pipeline_tag: 'fill-mask',
      lastModified: '2024-01-01T00:00:00.000Z',
      siblings: entry.files.map((f) => ({ rfilename: f.path })),
    });
  }

  private pathsInfo(repo: string, request: http.IncomingMessage, response: http.ServerResponse): void {
    const entry = this.repos.get(repo);
    if (!entry) return this.notFound(response, 'RepoNotFound');
    let body = '';
    request.on('data', (chunk) => (body += chunk));
    request.on('end', () => {
      const { paths } = JSON.parse(body) as { paths: string[] };
      const found = entry.files
        .filter((f) => paths.includes(f.path))
        .map((f) => ({
          type: 'file',
          path: f.path,
          oid: f.oid,
          size: f.bytes.length,
          lfs: f.lfs,
          lastCommit: { id: entry.commit, title: 'Upload', date: '2024-01-01T00:00:00.000Z' },
        }));
      this.json(response, found);
    });
  }

  private resolveFile(repo: string, file: string, request: http.IncomingMessage, response: http.ServerResponse): void {
    const entry = this.repos.get(repo);
    if (!entry) return this.notFound(response, 'RepoNotFound');
    const found = entry.files.find((f) => f.path === file);
    if (!found) return this.notFound(response, 'EntryNotFound');
    const etag = `"${found.lfs?.oid ?? found.oid}"`;
    const headers = {
      ETag: etag,
      'X-Repo-Commit': entry.commit,
      'Accept-Ranges': 'bytes',
      'Content-Type': 'application/octet-stream',
    };
    if (request.headers.range === 'bytes=0-0') {
      response.writeHead(206, {
        ...headers,
        'Content-Range': `bytes 0-0/${found.bytes.length}`,
        'Content-Length': '1',
      });
      response.end(found.bytes.subarray(0, 1));
      return;
    }
    response.writeHead(200, { ...headers, 'Content-Length': String(found.bytes.length) });
    const broken = this.options.breakFile?.file === file ? this.options.breakFile.afterBytes : undefined;
    if (broken === undefined) {
      response.end(found.bytes);
      return;
    }
    response.write(found.bytes.subarray(0, broken), () => setTimeout(() => response.socket?.destroy(), 20));
  }

  private json(response: http.ServerResponse, value: unknown): void {
    response.writeHead(200, { 'Content-Type': 'application/json' });
    response.end(JSON.stringify(value));
  }

  private notFound(response: http.ServerResponse, code: string): void {
    response.writeHead(404, { 'Content-Type': 'application/json', 'X-Error-Code': code });
    response.end(JSON.stringify({ error: code === 'RepoNotFound' ? 'Repository not found' : 'Entry not found' }));
  }
}
