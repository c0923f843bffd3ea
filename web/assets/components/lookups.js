// The lookups of an add: which plugin (and version) hit, missed or failed, and why.

import { html } from '../lib/html.js';
import { t } from '../lib/i18n.js';

export function Lookups({ lookups }) {
  if (!lookups?.length) return null;
  return html`<ul class="lookups" data-testid="lookups">
    ${lookups.map((l, i) => html`<li key=${i} data-outcome=${l.outcome}>
      <span class=${`badge lookup-${l.outcome}`}>${t(`lookup.${l.outcome}`)}</span>
      <span class="provenance">${l.plugin}@${l.version}</span>
      ${l.detail && html`<span class="lookup-detail">${l.detail}</span>`}
    </li>`)}
  </ul>`;
}
