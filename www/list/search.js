// The search of the addresses: in the worker, where the addresses are.

/** Rows whose address contains `query` (case-insensitive), ascending. */
export function search(job, query) {
  const q = query.trim().toLowerCase();
  const n = job.emails.length;
  const out = new Uint32Array(n);
  let k = 0;
  if (q === '') return out.slice(0, 0);
  for (let i = 0; i < n; i++) {
    if (job.emails[i].toLowerCase().includes(q)) out[k++] = i;
  }
  return out.slice(0, k);
}
