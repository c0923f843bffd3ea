// A JSON value shown as indented text, folded behind a summary when asked.

import { html } from '../lib/html.js';

export function JsonBlock({ value, summary }) {
  const text = JSON.stringify(value, null, 2);
  const block = html`<pre class="json">${text}</pre>`;
  if (!summary) return block;
  return html`<details class="json-details"><summary>${summary}</summary>${block}</details>`;
}
