// The limits the bench measures pages against (bench/run.ts): Hono's hello-world, and Hono
// serving from memory the exact bytes of each measured page, "a static file".
// Usage: node --import tsx bench/limit-server.ts <port> <name>=<file> …; GET /hello, GET /static/<name>;
// and where <file>.headers.json exists, GET /static-headers/<name>: the same bytes with those headers
// (ours, as the site sends them), to tell what the headers cost from what the rest of the site does.
import fs from 'node:fs';
import { serve } from '@hono/node-server';
import { Hono } from 'hono';

const [port, ...files] = process.argv.slice(2);
const pages = new Map(
  files.map((arg) => {
    const [name, file] = arg.split('=') as [string, string];
    return [name, new Uint8Array(fs.readFileSync(file))] as const;
  }),
);

const headers = new Map(
  files.flatMap((arg) => {
    const [name, file] = arg.split('=') as [string, string];
    return fs.existsSync(`${file}.headers.json`) ? [[name, JSON.parse(fs.readFileSync(`${file}.headers.json`, 'utf8')) as Record<string, string>] as const] : [];
  }),
);

const app = new Hono();
app.get('/hello', (c) => c.text('hello'));
app.get('/static/:name', (c) => {
  const body = pages.get(c.req.param('name'));
  return body ? c.body(body, 200, { 'Content-Type': 'text/html; charset=UTF-8' }) : c.notFound();
});
app.get('/static-headers/:name', (c) => {
  const body = pages.get(c.req.param('name'));
  const sent = headers.get(c.req.param('name'));
  return body && sent ? c.body(body, 200, sent) : c.notFound();
});
// What startServer polls to know the server is up.
app.get('/healthz', (c) => c.text('ok'));
serve({ fetch: app.fetch, port: Number(port), hostname: '127.0.0.1' });
