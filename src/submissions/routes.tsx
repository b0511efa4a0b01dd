import type { Context } from 'hono';
import { z } from 'zod';
import type { AppEnv } from '../http/env.ts';
import { csrfToken } from '../http/authenticate.ts';
import { needViewer } from '../http/guards.ts';
import { enforceLimit } from '../http/rate-limit.ts';
import { latestListingOfPaper, withSourceRecords } from '../papers/read-model.ts';
import { arxivIdFromInput } from '../core/arxiv-id.ts';
import { hfEnvelope } from '../papers/hf-format.ts';
import { paperPath } from '../ui/components.tsx';
import { Layout, chromeOf } from '../ui/layout.tsx';
import { formFields } from '../http/forms.ts';
import { jsonBody } from '../http/respond.ts';
import { submissionsSince } from './queries.ts';
import { submitPaper, type Submitted } from './submit.ts';
import { interactiveArxivFetcher } from '../ingest/arxiv-api.ts';
import { DomainError } from '../core/errors.ts';
import { FAILURE_STATUS } from '../http/respond.ts';

const MAX_INPUT = 300;

/** `GET /submit`: the form. */
export async function showSubmitForm(c: Context<AppEnv>) {
  const viewer = needViewer(c, 'write');
  return c.html(<SubmitPage c={c} left={await submissionsLeft(c, viewer.id)} />);
}

/** `POST /submit`: the form's field `paper` (an arXiv id or URL); on success, the paper's page. */
export async function submitPaperForm(c: Context<AppEnv>) {
  const viewer = needViewer(c, 'write');
  const input = ((await formFields(c)).paper ?? '').trim().slice(0, MAX_INPUT);
  await enforceLimit(c, 'submit');
  const arxiv = arxivIdFromInput(input);
  const show = async (status: 400 | 404 | 409 | 410 | 429 | 502, problem: Problem) =>
    c.html(<SubmitPage c={c} left={await submissionsLeft(c, viewer.id)} input={input} problem={problem} />, status);
  if (!arxiv) return show(400, { text: input ? `“${input}” is not an arXiv id or an arXiv link.` : 'Enter an arXiv id or link.' });
  try {
    const { paperId } = await submit(c, viewer.id, arxiv.id);
    return c.redirect(paperPath(paperId), 303);
  } catch (err) {
    if (!(err instanceof DomainError)) throw err;
    // The form again, saying why; the status is the one the API would answer.
    if (err.more.retryAfter) c.header('Retry-After', String(err.more.retryAfter));
    return show(FAILURE_STATUS[err.kind] as 400 | 404 | 409 | 410 | 429 | 502, { text: err.message, href: err.more.link });
  }
}

const apiBody = z.union([
  z.strictObject({ paper: z.strictObject({ id: z.string().min(1).max(MAX_INPUT) }) }),
  z.strictObject({ arxivId: z.string().min(1).max(MAX_INPUT) }),
]);

/**
 * `POST /api/daily_papers` with `{"paper": {"id": "2401.01234"}}` or
 * `{"arxivId": "…"}` (an id or arXiv link): 201 and the new listing, shaped like
 * an element of `GET /api/daily_papers`.
 */
export async function submitPaperApi(c: Context<AppEnv>) {
  const viewer = needViewer(c, 'write');
  const body = await jsonBody(c, apiBody, 'expected {"paper": {"id": "2401.01234"}} or {"arxivId": "2401.01234"}');
  const input = 'arxivId' in body ? body.arxivId : body.paper.id;
  await enforceLimit(c, 'submit');
  const arxiv = arxivIdFromInput(input);
  if (!arxiv) return c.json({ error: `not an arXiv id or arXiv link: ${input.slice(0, 100)}` }, 400);
  const { paperId } = await submit(c, viewer.id, arxiv.id);
  const listing = await latestListingOfPaper(c.get('db').kysely, paperId);
  const [full] = await withSourceRecords(c.get('db').kysely, [listing!]);
  c.header('Location', `/api/papers/${paperId}`);
  return c.json(hfEnvelope(full!), 201);
}

function submit(c: Context<AppEnv>, userId: number, paperId: string): Promise<Submitted> {
  const [config, db, log] = [c.get('config'), c.get('db'), c.get('log')];
  const fetcher = interactiveArxivFetcher(db, config, log);
  return submitPaper({ db, fetcher, apiUrl: config.ARXIV_API_URL, perDay: config.SUBMISSIONS_PER_DAY }, userId, paperId);
}

async function submissionsLeft(c: Context<AppEnv>, userId: number): Promise<number> {
  const since = `${new Date().toISOString().slice(0, 10)}T00:00:00.000Z`;
  return Math.max(0, c.get('config').SUBMISSIONS_PER_DAY - (await submissionsSince(c.get('db').kysely, userId, since)));
}

interface Problem {
  text: string;
  href?: string;
}

function SubmitPage({ c, left, input = '', problem }: { c: Context<AppEnv>; left: number; input?: string; problem?: Problem }) {
  return (
    <Layout chrome={chromeOf(c)} title="Submit a paper">
      <section class="submit-page">
        <h1>Submit a paper</h1>
        <p class="muted">
          Add a paper worth reading to today's list. Paste its arXiv id or link: <code>2401.01234</code>,{' '}
          <code>https://arxiv.org/abs/2401.01234v2</code>, a PDF link, or an old-style id like <code>hep-th/9901001</code>.
        </p>
        <form class="submit-form" method="post" action="/submit">
          <input type="hidden" name="_csrf" value={csrfToken(c)} />
          <label for="paper">arXiv id or URL</label>
          <div class="submit-row">
            <input
              type="text"
              id="paper"
              name="paper"
              value={input}
              required
              maxlength={MAX_INPUT}
              autocomplete="off"
              spellcheck={false}
              placeholder="2401.01234"
              aria-invalid={problem ? 'true' : undefined}
              aria-describedby={problem ? 'submit-problem' : 'submit-left'}
              autofocus
            />
            <button type="submit" class="button primary">
              Submit
            </button>
          </div>
          {problem && (
            <p class="form-error" id="submit-problem" role="alert">
              {problem.text} {problem.href && <a href={problem.href}>Go to the paper</a>}
            </p>
          )}
          <p class="muted small" id="submit-left">
            {left === 1 ? '1 submission' : `${left} submissions`} left today. Papers already featured cannot be submitted again.
          </p>
        </form>
      </section>
    </Layout>
  );
}

