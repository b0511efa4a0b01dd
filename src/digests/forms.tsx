import type { z } from 'zod';
import { FormAlert, type FormErrors } from '../ui/forms.tsx';
import { MAX_PAPERS, MAX_TOPICS_PER_LIST, preferencesSchema, topicsOf, type Preferences, type Subscription } from './subscriptions.ts';

/** The preferences form's fields as typed: lists are text, one entry per line (or per word for ids). */
export interface PreferenceValues {
  frequency: string;
  max_papers: string;
  categories: string;
  queries: string;
  organizations: string;
  authors: string;
}

const words = (s = '') => s.split(/[\s,]+/).filter(Boolean);
const lines = (s = '') => s.split(/\r?\n/).map((l) => l.trim()).filter(Boolean);

/** The form as a subscription shows it. */
export function valuesOf(sub: Pick<Subscription, 'frequency' | 'max_papers' | 'topics'> | undefined): PreferenceValues {
  const topics = sub ? topicsOf(sub) : undefined;
  return {
    frequency: sub?.frequency ?? 'daily',
    max_papers: String(sub?.max_papers ?? MAX_PAPERS.default),
    categories: topics?.categories.join(' ') ?? '',
    queries: topics?.queries.join('\n') ?? '',
    organizations: topics?.organizations.join(' ') ?? '',
    authors: topics?.authors.join('\n') ?? '',
  };
}

/** A posted preferences form, checked: the preferences, or one message per field naming the entry at fault. */
export function preferencesFromForm(fields: Record<string, string>): { values: PreferenceValues; prefs?: Preferences; errors?: FormErrors } {
  const values: PreferenceValues = {
    frequency: fields.frequency ?? '',
    max_papers: fields.max_papers ?? '',
    categories: fields.categories ?? '',
    queries: fields.queries ?? '',
    organizations: fields.organizations ?? '',
    authors: fields.authors ?? '',
  };
  const input = {
    frequency: values.frequency,
    maxPapers: values.max_papers.trim(),
    topics: { categories: words(values.categories), queries: lines(values.queries), organizations: words(values.organizations), authors: lines(values.authors) },
  };
  const parsed = preferencesSchema.safeParse(input);
  if (parsed.success) return { values, prefs: parsed.data };
  return { values, errors: preferenceErrors(parsed.error, input.topics) };
}

/** zod's issues keyed by form field (`max_papers`, `queries`, …), quoting the list entry at fault. */
function preferenceErrors(error: z.ZodError, topics: Record<string, string[]>): FormErrors {
  const errors: FormErrors = {};
  for (const issue of error.issues) {
    const [first, list, index] = issue.path;
    if (first === 'topics' && typeof list === 'string') {
      const entry = typeof index === 'number' ? topics[list]?.[index] : undefined;
      errors[list] ??= entry === undefined ? issue.message : `“${entry.slice(0, 60)}”: ${issue.message}`;
    } else {
      errors[first === 'maxPapers' ? 'max_papers' : String(first ?? 'form')] ??= issue.message;
    }
  }
  return errors;
}

/** One textarea of the topics, with its hint and error tied to it. */
function TopicField({ name, label, hint, value, rows, errors }: { name: keyof PreferenceValues; label: string; hint: string; value: string; rows: number; errors?: FormErrors }) {
  const error = errors?.[name];
  return (
    <div class={error ? 'field has-error' : 'field'}>
      <label for={`d-${name}`}>
        {label}
        <span class="optional"> (optional)</span>
      </label>
      <textarea id={`d-${name}`} name={name} rows={rows} aria-invalid={error ? 'true' : undefined} aria-describedby={error ? `d-${name}-error` : `d-${name}-hint`}>
        {value}
      </textarea>
      <p class="field-hint" id={`d-${name}-hint`}>
        {hint}
      </p>
      {error && (
        <p class="field-error" id={`d-${name}-error`}>
          {error}
        </p>
      )}
    </div>
  );
}

/** The preferences inside a form: how often, how many papers, and the topics. */
export function PreferenceFields({ values, errors }: { values: PreferenceValues; errors?: FormErrors }) {
  return (
    <>
      <FormAlert errors={errors} />
      <fieldset class={errors?.frequency ? 'choice has-error' : 'choice'}>
        <legend>How often</legend>
        <label>
          <input type="radio" name="frequency" value="daily" checked={values.frequency !== 'weekly'} /> Daily, on weekdays
        </label>
        <label>
          <input type="radio" name="frequency" value="weekly" checked={values.frequency === 'weekly'} /> Weekly
        </label>
        {errors?.frequency && <p class="field-error">{errors.frequency}</p>}
      </fieldset>
      <div class={errors?.max_papers ? 'field has-error' : 'field'}>
        <label for="d-max_papers">Papers per digest</label>
        <input id="d-max_papers" name="max_papers" type="number" inputmode="numeric" min={MAX_PAPERS.min} max={MAX_PAPERS.max} value={values.max_papers} aria-invalid={errors?.max_papers ? 'true' : undefined} aria-describedby="d-max_papers-hint" class="narrow" />
        <p class="field-hint" id="d-max_papers-hint">
          From {MAX_PAPERS.min} to {MAX_PAPERS.max}.
        </p>
        {errors?.max_papers && <p class="field-error">{errors.max_papers}</p>}
      </div>
      <p class="muted small topics-lead">
        Topics narrow the digest to what you follow. Without any, you get the overall top papers; when your topics are quiet, the digest fills up with
        them and says so. Up to {MAX_TOPICS_PER_LIST} of each.
      </p>
      <TopicField name="categories" label="arXiv categories" hint="Separated by spaces or commas, e.g. cs.LG cs.CL astro-ph.GA" value={values.categories} rows={2} errors={errors} />
      <TopicField name="queries" label="Keywords and saved searches" hint={'One per line, written as in search: diffusion, "state space model", cat:cs.CV transformer'} value={values.queries} rows={3} errors={errors} />
      <TopicField name="organizations" label="Organizations" hint="Their names as in /organizations/…, separated by spaces or commas" value={values.organizations} rows={2} errors={errors} />
      <TopicField name="authors" label="Authors" hint="One name per line, e.g. Yann LeCun" value={values.authors} rows={2} errors={errors} />
    </>
  );
}
