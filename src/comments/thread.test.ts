import { describe, expect, it } from 'vitest';
import type { CommentRow } from './queries.ts';
import { buildThread, flatten } from './thread.ts';

let clock = 0;
const row = (id: number, parent: number | null, state: 'visible' | 'deleted' | 'hidden' = 'visible'): CommentRow => ({
  id,
  paper_id: '2611.00001',
  user_id: 1,
  parent_id: parent,
  body: `c${id}`,
  html: `<p>c${id}</p>`,
  created_at: new Date(Date.UTC(2026, 10, 1, 0, 0, clock++)).toISOString(),
  edited_at: null,
  deleted_at: state === 'deleted' ? '2026-11-02T00:00:00Z' : null,
  hidden_at: state === 'hidden' ? '2026-11-02T00:00:00Z' : null,
  username: 'ada',
  fullname: 'Ada',
});

const shape = (rows: CommentRow[]) => flatten(buildThread(rows)).map((n) => `${n.comment.id}${n.state === 'visible' ? '' : `:${n.state}`}<${n.comment.parent_id ?? '-'}`);

describe('buildThread', () => {
  it('nests replies under their parents, oldest first', () => {
    expect(shape([row(1, null), row(2, null), row(3, 1), row(4, 2), row(5, 1)])).toEqual(['1<-', '3<1', '5<1', '2<-', '4<2']);
  });

  it('keeps deleted or hidden comments as placeholders only while a visible reply hangs below', () => {
    const rows = [row(1, null, 'deleted'), row(2, 1, 'deleted'), row(3, 2), row(4, null, 'hidden'), row(5, 4, 'deleted'), row(6, null, 'hidden'), row(7, 6)];
    expect(shape(rows)).toEqual(['1:deleted<-', '2:deleted<1', '3<2', '6:removed<-', '7<6']);
  });
});
