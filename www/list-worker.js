// The list checker's worker (a module Web Worker): reads the file, parses it
// (Papa Parse, in chunks), checks the address column with the npm package's
// checkMany — after the full disposable data file is loaded, so its verdicts
// equal the CLI's — and transfers each chunk's typed arrays to the page.
// It keeps the text and the addresses, and answers the page's requests for
// the rows it shows and for searches. This file routes the page's messages;
// the work is in list/ (decode, check, rows, search, export, deep: see
// README.md), the calls to the edge API in the package's edge.js.
//
// Messages in:  load {job, file | text, name, column?, format?}, cancel {job},
//               rows {req, job, ids}, search {req, job, query}, apply {job, ids},
//               undo {job, ids | all},
//               export {req, job, kind: clean | clean-risky | suppression | annotated, guard},
//               export-cancel {req, job},
//               deep {job, endpoint, key, options}, deep-cancel {job}
// Messages out: ready, head, started, chunk, done, problem, rows, search,
//               applied, undone, export-progress, exported, deep-progress, deep-chunk, deep-done
//               (see list-app.js).
import { ready, newJob, load } from './list/check.js';
import { ListError } from './list/decode.js';
import { rowsOf, applySuggestions, undoSuggestions, postCodes } from './list/rows.js';
import { search } from './list/search.js';
import { exportList } from './list/export.js';
import { deepCheck } from './list/deep.js';

ready.then(
  (disposable) => postMessage({ type: 'ready', disposable }),
  (e) => postMessage({ type: 'fatal', message: e.message }),
);

/** The current list (one at a time; a new load replaces it). */
let current = null;

onmessage = (event) => {
  const msg = event.data;
  switch (msg.type) {
    case 'load':
      if (current) {
        current.cancelled = true;
        current.replaced = true;
        if (current.deep) { current.deep.cancelled = true; current.deep.abort.abort(); }
      }
      current = newJob(msg.job);
      load(current, msg).catch((e) => {
        const code = e instanceof ListError ? e.code : 'internal';
        postMessage({ type: 'problem', job: msg.job, code, message: e.message, ...(e.extra ?? {}) });
      });
      break;
    case 'cancel':
      if (current?.job === msg.job) current.cancelled = true;
      break;
    case 'rows':
      if (current?.job === msg.job) postMessage({ type: 'rows', req: msg.req, job: msg.job, ids: msg.ids, rows: rowsOf(current, msg.ids) });
      break;
    case 'apply':
      if (current?.job === msg.job) postCodes('applied', msg.job, applySuggestions(current, msg.ids));
      break;
    case 'undo':
      if (current?.job === msg.job) postCodes('undone', msg.job, undoSuggestions(current, msg.all ? [...current.original.keys()] : msg.ids));
      break;
    case 'export': {
      if (current?.job !== msg.job) break;
      // One file at a time: a new request replaces the one being made.
      if (current.export) current.export.cancelled = true;
      const reply = { type: 'exported', req: msg.req, job: msg.job, kind: msg.kind };
      exportList(current, msg).then(
        (out) => postMessage({ ...reply, ...out }),
        (e) => postMessage({ ...reply, error: e.message }),
      );
      break;
    }
    case 'export-cancel':
      if (current?.job === msg.job && current.export?.req === msg.req) current.export.cancelled = true;
      break;
    case 'deep':
      if (current?.job === msg.job) deepCheck(current, msg);
      break;
    case 'deep-cancel':
      if (current?.job === msg.job && current.deep) {
        current.deep.cancelled = true;
        current.deep.abort.abort();
      }
      break;
    case 'search': {
      if (current?.job !== msg.job) break;
      const matches = search(current, msg.query);
      postMessage({ type: 'search', req: msg.req, job: msg.job, query: msg.query, matches }, [matches.buffer]);
      break;
    }
    default:
  }
};
