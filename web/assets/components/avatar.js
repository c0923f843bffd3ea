// A person's avatar: the stored image, or their initial when there is none (or it fails).

import { useState } from 'preact/hooks';
import { html } from '../lib/html.js';

export function Avatar({ src, name, size = 'medium' }) {
  const [failed, setFailed] = useState(false);
  if (src && !failed) {
    return html`<img class=${`avatar avatar-${size}`} src=${src} alt="" loading="lazy" decoding="async"
      onError=${() => setFailed(true)} />`;
  }
  const initial = Array.from(String(name || '?').trim())[0] || '?';
  return html`<span class=${`avatar avatar-${size} avatar-empty`} aria-hidden="true">${initial}</span>`;
}
