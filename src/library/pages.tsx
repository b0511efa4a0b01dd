import type { Context } from 'hono';
import { raw } from 'hono/html';
import { z } from 'zod';
import type { AppEnv } from '../http/env.ts';
import { csrfToken, viewerOf, wantsJson } from '../http/authenticate.ts';
import { needViewer } from '../http/guards.ts';
import { formBody } from '../http/forms.ts';
import { idParam, paperIdParam } from '../http/params.ts';
import { refererPath } from '../http/redirects.ts';
import { RequestError } from '../http/respond.ts';
import { enforceLimit } from '../http/rate-limit.ts';
import { Layout, chromeOf } from '../ui/layout.tsx';
import { CsrfField } from '../ui/forms.tsx';
import { formatShortDate, plural } from '../ui/format.ts';
import { paperPath } from '../ui/components.tsx';
import { arxivIdFromInput } from '../core/arxiv-id.ts';
import { PaperCard, PaperList } from '../papers/components.tsx';
import { paperViews, type PaperView } from '../papers/read-model.ts';
import { interactiveArxivFetcher } from '../ingest/arxiv-api.ts';
import * as library from './collections.ts';
import * as q from './queries.ts';
import { viewerPaperState } from './viewer.ts';
import { EXPORT_TYPES, exportRecord, renderExport, type ExportFormat } from './formats.ts';
import { MAX_IMPORT_BYTES, importIntoCollection, type ImportReport } from './import.ts';

type C = Context<AppEnv>;
const EXPORT = /^(.+)\.(bib|ris|csv|json)$/;
const LIBRARY_PAGE = 200;

const collectionPath = (x: q.Collection) => `/collections/${library.fullSlug(x)}`;

/** `/collections/{owner}/{slug}` (and `.bib`, `.ris`, `.csv`, `.json`): a collection, which only its owner sees when private. */
export async function showCollection(c: C) {
  const db = c.get('db').kysely;
  const rawSlug = c.req.param('slug') ?? '';
  const exported = EXPORT.exec(rawSlug);
  const viewer = viewerOf(c);
  const collection = await library.findCollection(db, c.req.param('owner') ?? '', exported ? exported[1]! : rawSlug, viewer?.id ?? null);
  const items = await q.itemsOf(db, collection.id);
  const views = await paperViews(db, items.map((i) => i.paper_id));
  if (exported) return exportResponse(c, exported[2] as ExportFormat, library.fullSlug(collection).replace('/', '-'), views, items, collection.private);
  if (!exported && rawSlug !== collection.slug) return c.redirect(collectionPath(collection), 301);
  const own = viewer?.id === collection.owner_id;
  const votes = await viewerPaperState(c, views.map((v) => v.paper.id));
  const byId = new Map(views.map((v) => [v.paper.id, v]));
  const path = collectionPath(collection);
  const csrf = own ? csrfToken(c) : '';
  const res = c.html(
    <Layout chrome={chromeOf(c)} title={collection.title} description={collection.description ?? `A collection of papers by ${collection.owner}`}>
      <header class="collection-head">
        <h1>
          {collection.title} {collection.private && <span class="badge">Private</span>}
        </h1>
        <p class="meta">
          By <a href={`/users/${collection.owner}`}>{collection.owner_fullname}</a> · {plural(items.length, 'paper')} · updated {formatShortDate(collection.updated_at)} · export{' '}
          {(['bib', 'ris', 'csv', 'json'] as const).map((f) => (
            <>
              <a href={`${path}.${f}`}>{f === 'bib' ? 'BibTeX' : f.toUpperCase()}</a>{' '}
            </>
          ))}
        </p>
        {collection.description && <p>{collection.description}</p>}
      </header>
      {items.length === 0 ? (
        <p class="empty-note muted">No papers in this collection yet.</p>
      ) : (
        <ol class="cards">
          {items.map((item, i) => {
            const view = byId.get(item.paper_id);
            if (!view) return null;
            return (
              <li>
                <PaperCard view={view} rank={i + 1} votes={votes} />
                {item.note_html && <div class="item-note">{raw(item.note_html)}</div>}
                {own && <ItemControls path={path} item={item} index={i} count={items.length} csrf={csrf} />}
              </li>
            );
          })}
        </ol>
      )}
      {own && <OwnerForms collection={collection} path={path} csrf={csrf} />}
    </Layout>,
  );
  return res;
}

function ItemControls({ path, item, index, count, csrf }: { path: string; item: q.CollectionItem; index: number; count: number; csrf: string }) {
  const action = `${path}/items/${item.id}`;
  return (
    <div class="item-controls small">
      <details>
        <summary>Note and order</summary>
        <form method="post" action={`${action}/edit`}>
          <CsrfField token={csrf} />
          <label>
            Note (Markdown and $math$)
            <textarea name="note" rows={3} maxlength={library.MAX_NOTE}>
              {item.note ?? ''}
            </textarea>
          </label>
          <button type="submit">Save note</button>
        </form>
        {index > 0 && (
          <form method="post" action={`${action}/edit`}>
            <CsrfField token={csrf} />
            <input type="hidden" name="position" value={String(index - 1)} />
            <button type="submit">Move up</button>
          </form>
        )}
        {index < count - 1 && (
          <form method="post" action={`${action}/edit`}>
            <CsrfField token={csrf} />
            <input type="hidden" name="position" value={String(index + 1)} />
            <button type="submit">Move down</button>
          </form>
        )}
        <form method="post" action={`${action}/delete`}>
          <CsrfField token={csrf} />
          <button type="submit">Remove from this collection</button>
        </form>
      </details>
    </div>
  );
}

function OwnerForms({ collection, path, csrf }: { collection: q.Collection; path: string; csrf: string }) {
  return (
    <section class="collection-owner" aria-labelledby="owner-h">
      <h2 id="owner-h">Manage</h2>
      <form method="post" action={`${path}/items`} class="stack">
        <CsrfField token={csrf} />
        <label>
          Add a paper (arXiv id or URL) <input name="paper" required maxlength={200} />
        </label>
        <label>
          Note <input name="note" maxlength={library.MAX_NOTE} />
        </label>
        <button type="submit">Add</button>
      </form>
      <form method="post" action={`${path}/import`} enctype="multipart/form-data" class="stack">
        <CsrfField token={csrf} />
        <label>
          Import BibTeX, RIS or a Zotero export (CSL JSON) <input type="file" name="file" accept=".bib,.ris,.json,.txt" />
        </label>
        <label>
          or paste it <textarea name="text" rows={3} />
        </label>
        <button type="submit">Import</button>
      </form>
      <form method="post" action={`${path}/edit`} class="stack">
        <CsrfField token={csrf} />
        <label>
          Title <input name="title" value={collection.title} required maxlength={library.MAX_TITLE} />
        </label>
        <label>
          Description <textarea name="description" rows={2} maxlength={library.MAX_DESCRIPTION}>{collection.description ?? ''}</textarea>
        </label>
        <label>
          <input type="checkbox" name="private" value="1" checked={collection.private} /> Private (only you see it)
        </label>
        <button type="submit">Save changes</button>
      </form>
      <form method="post" action={`${path}/delete`}>
        <CsrfField token={csrf} />
        <button type="submit" class="danger">Delete this collection</button>
      </form>
    </section>
  );
}

/** An export file: private collections are never cached by anyone but their owner's browser. */
function exportResponse(c: C, format: ExportFormat, name: string, views: PaperView[], items: { paper_id: string; note: string | null; added_at: string }[], isPrivate: boolean) {
  const byId = new Map(items.map((i) => [i.paper_id, i]));
  const body = renderExport(format, views.map((v) => exportRecord(v, byId.get(v.paper.id))));
  return c.body(body, 200, {
    'Content-Type': EXPORT_TYPES[format],
    'Content-Disposition': `${format === 'json' ? 'inline' : 'attachment'}; filename="${name.replace(/[^\w.-]/g, '_')}.${format}"`,
    ...(isPrivate ? { 'Cache-Control': 'private, no-store' } : {}),
  });
}

const libraryQuery = z.object({ q: z.string().max(200).default(''), collection: z.string().regex(/^\d{1,10}$/).optional(), unread: z.enum(['1']).optional() });

/** `/library` (and `/library.bib` etc.): everything the reader saved, searchable and filterable; their collections; hidden papers with undo. */
export async function showLibrary(c: C) {
  const viewer = needViewer(c, 'read');
  const db = c.get('db').kysely;
  const parsed = libraryQuery.safeParse({ q: c.req.query('q') ?? '', collection: c.req.query('collection') || undefined, unread: c.req.query('unread') || undefined });
  if (!parsed.success) throw new RequestError(400, 'expected q= (words), collection= (a collection id) and unread=1');
  const unread = parsed.data.unread === '1';
  const words = parsed.data.q.split(/\s+/).filter(Boolean).slice(0, 8);
  const collections = await q.collectionsOfOwner(db, viewer.id, true);
  const collectionId = parsed.data.collection ? Number(parsed.data.collection) : null;
  if (collectionId !== null && !collections.some((x) => x.id === collectionId)) throw new RequestError(404, 'no such collection in your library');
  const items = await q.libraryItems(db, viewer.id, { words, collectionId, unread, limit: LIBRARY_PAGE });
  const views = await paperViews(db, items.map((i) => i.paper_id));
  const format = /\.(bib|ris|csv|json)$/.exec(c.req.path)?.[1] as ExportFormat | undefined;
  if (format) return exportResponse(c, format, `${viewer.username}-library`, views, items.map((i) => ({ ...i, note: null })), true);
  const [hidden, hideRead] = await Promise.all([q.hiddenMarks(db, viewer.id), q.hidesRead(db, viewer.id)]);
  const hiddenViews = await paperViews(db, hidden.slice(0, LIBRARY_PAGE).map((h) => h.paper_id));
  const votes = await viewerPaperState(c, [...views, ...hiddenViews].map((v) => v.paper.id));
  const csrf = csrfToken(c);
  const exportQuery = new URLSearchParams({ ...(parsed.data.q ? { q: parsed.data.q } : {}), ...(collectionId ? { collection: String(collectionId) } : {}), ...(unread ? { unread: '1' } : {}) }).toString();
  c.header('Cache-Control', 'private, no-store');
  return c.html(
    <Layout chrome={chromeOf(c)} title="Your library">
      <h1>Your library</h1>
      <form method="get" action="/library" class="library-filter" role="search">
        <label>
          Search your library <input type="search" name="q" value={parsed.data.q} maxlength={200} />
        </label>
        <label>
          In{' '}
          <select name="collection">
            <option value="">every collection</option>
            {collections.map((x) => (
              <option value={String(x.id)} selected={x.id === collectionId}>
                {x.title}
              </option>
            ))}
          </select>
        </label>
        <label>
          <input type="checkbox" name="unread" value="1" checked={unread} /> Unread only
        </label>
        <button type="submit">Filter</button>
      </form>
      <p class="meta small">
        {plural(views.length, 'saved paper')}
        {views.length === LIBRARY_PAGE ? ' (the latest)' : ''} · export{' '}
        {(['bib', 'ris', 'csv', 'json'] as const).map((f) => (
          <>
            <a href={`/library.${f}${exportQuery ? `?${exportQuery}` : ''}`}>{f === 'bib' ? 'BibTeX' : f.toUpperCase()}</a>{' '}
          </>
        ))}
      </p>
      {views.length === 0 ? (
        <p class="empty-note muted">{words.length || collectionId || unread ? 'Nothing saved matches.' : 'Nothing saved yet: press Save on any paper, or import a BibTeX, RIS or Zotero file below.'}</p>
      ) : (
        <PaperList views={views as never} votes={{ ...votes!, hidden: new Set() }} />
      )}
      <section aria-labelledby="reading-h">
        <h2 id="reading-h">Reading</h2>
        <form method="post" action="/library/settings" class="stack">
          <CsrfField token={csrf} />
          <label>
            <input type="checkbox" name="hide_read" value="1" checked={hideRead} /> Leave papers I marked read out of the daily, weekly, monthly and trending lists
          </label>
          <button type="submit">Save</button>
        </form>
      </section>
      <section aria-labelledby="collections-h">
        <h2 id="collections-h">Your collections</h2>
        <CollectionList collections={collections} />
        <form method="post" action="/collections" class="stack">
          <CsrfField token={csrf} />
          <label>
            New collection <input name="title" required maxlength={library.MAX_TITLE} placeholder="Title" />
          </label>
          <label>
            Description <input name="description" maxlength={library.MAX_DESCRIPTION} />
          </label>
          <label>
            <input type="checkbox" name="private" value="1" /> Private
          </label>
          <button type="submit">Create</button>
        </form>
        <LibraryImport csrf={csrf} />
      </section>
      <section aria-labelledby="hidden-h">
        <h2 id="hidden-h">Hidden papers</h2>
        {hiddenViews.length === 0 ? (
          <p class="muted small">None: “Not interested” on a card hides a paper from your lists, search and digests.</p>
        ) : (
          <ol class="cards hidden-list">
            {hiddenViews.map((view, i) => (
              <li>
                <PaperCard view={view} rank={10_000 + i} votes={votes} />
              </li>
            ))}
          </ol>
        )}
      </section>
    </Layout>,
  );
}

/** A reader's collections, linked; private ones marked. */
export function CollectionList({ collections }: { collections: q.Collection[] }) {
  if (collections.length === 0) return <p class="muted small">No collections yet.</p>;
  return (
    <ul class="collections-list">
      {collections.map((x) => (
        <li>
          <a href={collectionPath(x)}>{x.title}</a> <span class="muted small">· {plural(x.size, 'paper')}</span> {x.private && <span class="badge">Private</span>}
          {x.description && <p class="small muted">{x.description}</p>}
        </li>
      ))}
    </ul>
  );
}

const collectionForm = z.object({
  title: z.string().trim().min(1, 'a collection needs a title').max(library.MAX_TITLE),
  description: z.string().max(library.MAX_DESCRIPTION).optional(),
  private: z.string().optional(),
});

/** `POST /collections`: a new collection, then its page. */
export async function createCollectionForm(c: C) {
  const viewer = needViewer(c, 'write');
  const form = await formBody(c, collectionForm);
  await enforceLimit(c, 'library');
  const created = await library.createCollection(c.get('db').kysely, viewer.id, { title: form.title, description: form.description, private: form.private === '1' });
  return c.redirect(collectionPath(created), 303);
}

const ownForm = async (c: C) => library.ownCollection(c.get('db').kysely, c.req.param('owner') ?? '', c.req.param('slug') ?? '', needViewer(c, 'write').id);

/** `POST /collections/{owner}/{slug}/edit`: title, description, privacy. */
export async function editCollectionForm(c: C) {
  const collection = await ownForm(c);
  const form = await formBody(c, collectionForm);
  await enforceLimit(c, 'library');
  const updated = await library.updateCollection(c.get('db').kysely, collection, { title: form.title, description: form.description ?? null, private: form.private === '1' });
  return c.redirect(collectionPath(updated), 303);
}

export async function deleteCollectionForm(c: C) {
  const collection = await ownForm(c);
  await library.deleteCollection(c.get('db').kysely, collection);
  return c.redirect('/library', 303);
}

const addForm = z.object({ paper: z.string().trim().min(1).max(200), note: z.string().optional() });

/** `POST /collections/{owner}/{slug}/items`: a paper by arXiv id or URL, with an optional note. */
export async function addItemForm(c: C) {
  const collection = await ownForm(c);
  const form = await formBody(c, addForm);
  const arxiv = arxivIdFromInput(form.paper);
  if (!arxiv) throw new RequestError(400, `not an arXiv id or URL: ${form.paper.slice(0, 100)}`);
  await enforceLimit(c, 'library');
  await library.addItem(c.get('db').kysely, collection, arxiv.id, form.note);
  return c.redirect(collectionPath(collection), 303);
}

const itemForm = z.object({ note: z.string().optional(), position: z.string().regex(/^\d{1,6}$/, 'must be a number').optional() });

/** `POST /collections/{owner}/{slug}/items/{item}/edit`: the note, or a move. */
export async function editItemForm(c: C) {
  const collection = await ownForm(c);
  const form = await formBody(c, itemForm);
  await enforceLimit(c, 'library');
  await library.updateItem(c.get('db').kysely, collection, idParam(c, 'item'), { note: form.note, position: form.position === undefined ? undefined : Number(form.position) });
  return c.redirect(collectionPath(collection), 303);
}

export async function deleteItemForm(c: C) {
  const collection = await ownForm(c);
  await library.deleteItem(c.get('db').kysely, collection, idParam(c, 'item'));
  return c.redirect(collectionPath(collection), 303);
}

/** The text of an import form: its file, else what was pasted. */
async function importText(c: C): Promise<string> {
  const body = await c.req.parseBody();
  const file = body.file;
  let text = typeof body.text === 'string' ? body.text : '';
  if (file instanceof File && file.size > 0) {
    if (file.size > MAX_IMPORT_BYTES) throw new RequestError(413, `an import may be at most ${MAX_IMPORT_BYTES / 1024 / 1024} MB`);
    text = await file.text();
  }
  if (text.length > MAX_IMPORT_BYTES) throw new RequestError(413, `an import may be at most ${MAX_IMPORT_BYTES / 1024 / 1024} MB`);
  if (!text.trim()) throw new RequestError(400, 'choose a file or paste BibTeX, RIS or CSL JSON');
  return text;
}

const runImport = (c: C, collection: q.Collection, text: string) => {
  const config = c.get('config');
  return importIntoCollection({ db: c.get('db'), arxiv: { fetcher: interactiveArxivFetcher(c.get('db'), config, c.get('log')), apiUrl: config.ARXIV_API_URL } }, collection, text);
};

/** `POST /collections/{owner}/{slug}/import`: a BibTeX, RIS or CSL JSON file (or pasted text); the page says what matched and what did not. */
export async function importForm(c: C) {
  const collection = await ownForm(c);
  await enforceLimit(c, 'libraryImport');
  const report = await runImport(c, collection, await importText(c));
  if ((c.req.header('Accept') ?? '').includes('application/json')) return c.json(report);
  c.header('Cache-Control', 'private, no-store');
  return c.html(
    <Layout chrome={chromeOf(c)} title={`Import into ${collection.title}`}>
      <h1>Import into {collection.title}</h1>
      <ImportSummary report={report} />
      <p>
        <a href={collectionPath(collection)}>Back to the collection</a>
      </p>
    </Layout>,
  );
}

/**
 * `POST /library/import`: a BibTeX, RIS or Zotero file into the reader's saved papers (their
 * default collection, made if need be): how a reader with nothing yet starts for-you.
 */
export async function importIntoLibraryForm(c: C) {
  const viewer = needViewer(c, 'write');
  await enforceLimit(c, 'libraryImport');
  const text = await importText(c);
  const collection = await library.defaultCollection(c.get('db').kysely, viewer.id);
  const report = await runImport(c, collection, text);
  if ((c.req.header('Accept') ?? '').includes('application/json')) return c.json(report);
  c.header('Cache-Control', 'private, no-store');
  return c.html(
    <Layout chrome={chromeOf(c)} title="Import into your library">
      <h1>Import into your library</h1>
      <ImportSummary report={report} />
      <p>
        {report.added.length > 0 && (
          <>
            <a href="/for-you">See what For you recommends from them</a> ·{' '}
          </>
        )}
        <a href={collectionPath(collection)}>{collection.title}</a> · <a href="/library">Your library</a>
      </p>
    </Layout>,
  );
}

/** The form that imports a file into the reader's saved papers (library and for-you's empty state). */
export function LibraryImport({ csrf, heading = 'Import BibTeX, RIS or a Zotero export (CSL JSON) into your saved papers' }: { csrf: string; heading?: string }) {
  return (
    <form method="post" action="/library/import" enctype="multipart/form-data" class="stack library-import">
      <CsrfField token={csrf} />
      <label>
        {heading} <input type="file" name="file" accept=".bib,.ris,.json,.txt" />
      </label>
      <label>
        or paste it <textarea name="text" rows={3} />
      </label>
      <button type="submit">Import</button>
    </form>
  );
}

const settingsForm = z.object({ hide_read: z.enum(['1'], 'hide_read must be 1 or absent').optional() });

/** `POST /library/settings`: whether read papers leave the reader's daily lists. */
export async function librarySettingsForm(c: C) {
  const form = await formBody(c, settingsForm);
  const viewer = needViewer(c, 'write');
  await library.setHideRead(c.get('db').kysely, viewer.id, form.hide_read === '1');
  return c.redirect('/library', 303);
}

function ImportSummary({ report }: { report: ImportReport }) {
  return (
    <div class="import-report">
      <p>
        Read as {report.format === 'csl-json' ? 'CSL JSON' : report.format === 'unknown' ? 'nothing we know' : report.format === 'bibtex' ? 'BibTeX' : 'RIS'}: {plural(report.added.length, 'paper')} added
        {report.fetched.length > 0 && ` (${report.fetched.length} fetched from arXiv)`}, {report.alreadyThere.length} already there, {plural(report.unmatched.length, 'entry', 'entries')} not matched.
      </p>
      {report.unmatched.length > 0 && (
        <>
          <h2>Not matched</h2>
          <ul>
            {report.unmatched.map((u) => (
              <li>
                <strong>{u.entry}</strong>: {u.reason}
              </li>
            ))}
          </ul>
        </>
      )}
      {report.errors.length > 0 && (
        <>
          <h2>Problems reading the file</h2>
          <ul>
            {report.errors.map((e) => (
              <li>{e}</li>
            ))}
          </ul>
        </>
      )}
      {report.added.length > 0 && (
        <p class="small muted">
          Added: {report.added.map((id) => (
            <>
              <a href={paperPath(id)}>{id}</a>{' '}
            </>
          ))}
        </p>
      )}
    </div>
  );
}

const noteQuery = z.object({ collection: z.string().regex(/^\d{1,10}$/, 'collection must be a collection id').optional() });
const noteForm = z.object({ collection: z.string().regex(/^\d{1,10}$/, 'collection must be a collection id').optional(), note: z.string().max(library.MAX_NOTE, `a note has at most ${library.MAX_NOTE} characters`) });

/**
 * `/library/notes/{id}`: the note the reader keeps on a paper (Markdown and math), in one of their
 * collections, reached from the save button of any card or the paper page; saving it saves the
 * paper too. One reader's page: never cached (hence not under /papers).
 */
export async function showNoteForm(c: C) {
  const viewer = needViewer(c, 'read');
  const db = c.get('db').kysely;
  const paperId = paperIdParam(c);
  const parsed = noteQuery.safeParse({ collection: c.req.query('collection') || undefined });
  if (!parsed.success) throw new RequestError(400, 'expected collection= (a collection id)');
  const [view] = await paperViews(db, [paperId]);
  if (!view || !(await q.paperIsVisible(db, paperId))) return c.notFound();
  const [collections, items] = await Promise.all([q.collectionsOfOwner(db, viewer.id, true), q.itemsOfPaper(db, viewer.id, paperId)]);
  const chosen = parsed.data.collection ? Number(parsed.data.collection) : (items[0]?.collection_id ?? collections.find((x) => x.is_default)?.id);
  const note = items.find((i) => i.collection_id === chosen)?.note ?? '';
  const back = safeBack(c.req.query('next')) ?? refererPath(c) ?? paperPath(paperId);
  c.header('Cache-Control', 'private, no-store');
  return c.html(
    <Layout chrome={chromeOf(c)} title={`Your note on ${view.paper.title}`}>
      <h1>Your note</h1>
      <p>
        On <a href={paperPath(paperId)}>{view.paper.title}</a>
        {items.length === 0 && <span class="muted"> · saving the note saves the paper</span>}
      </p>
      <form method="post" action={notePath(paperId)} class="stack note-form">
        <CsrfField token={csrfToken(c)} />
        <input type="hidden" name="next" value={back} />
        {collections.length > 1 && (
          <label>
            In{' '}
            <select name="collection">
              {collections.map((x) => (
                <option value={String(x.id)} selected={x.id === chosen}>
                  {x.title}
                  {items.some((i) => i.collection_id === x.id) ? '' : ' (not in it yet)'}
                </option>
              ))}
            </select>
          </label>
        )}
        {collections.length === 1 && <input type="hidden" name="collection" value={String(collections[0]!.id)} />}
        <label>
          Note (Markdown and $math$)
          <textarea name="note" rows={6} maxlength={library.MAX_NOTE}>
            {note}
          </textarea>
        </label>
        <button type="submit" class="button primary">
          Save note
        </button>
      </form>
      <p>
        <a href={back}>Back</a>
      </p>
    </Layout>,
  );
}

/** `POST /library/notes/{id}`: the note (empty clears it), the paper saved in that collection if it was not; back where the reader came from. */
export async function saveNoteForm(c: C) {
  const form = await formBody(c, noteForm.extend({ next: z.string().max(2000).optional() }));
  const viewer = needViewer(c, 'write');
  await enforceLimit(c, 'library');
  const paperId = paperIdParam(c);
  const collection = await library.setNote(c.get('db').kysely, viewer.id, paperId, form.collection ? Number(form.collection) : null, form.note);
  if (wantsJson(c)) return c.json({ saved: true, collection: library.fullSlug(collection) });
  return c.redirect(safeBack(form.next) ?? paperPath(paperId), 303);
}

/** A same-site path to go back to, never another site's. */
function safeBack(next: string | undefined): string | undefined {
  return next && /^\/(?![/\\])[^\s]*$/.test(next) ? next : undefined;
}

/** Where the reader's note on a paper is edited (the save button's "Note"). */
export const notePath = (paperId: string) => `/library/notes/${paperId}`;
