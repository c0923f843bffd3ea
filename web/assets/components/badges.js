// Small status badges: task status, translation status, plugin health, a yes/no flag.

import { html } from '../lib/html.js';
import { t, tOr } from '../lib/i18n.js';

export function StatusBadge({ status }) {
  return html`<span class=${`badge status-${status}`} data-status=${status}>${t(`status.${status}`)}</span>`;
}

export function TranslationBadge({ status }) {
  if (!status) return null;
  return html`<span class=${`badge translation-${status}`} title=${t('translation.label')}
    data-testid="translation-badge">${t(`translation.${status}`)}</span>`;
}

export function HealthBadge({ health }) {
  return html`<span class=${`badge health-${health}`}>${t(`health.${health}`)}</span>`;
}

export function Provenance({ value }) {
  if (!value) return null;
  return html`<span class="provenance" title=${t('resource.written_by')}>${value}</span>`;
}

/** A task kind's name for people (unknown kinds, such as plugin tasks, as they are). */
export function kindLabel(kind) {
  return tOr(`kind.${kind}`, kind);
}
