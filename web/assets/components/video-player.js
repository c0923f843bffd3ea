// The resource's video: a <video> when the browser can play the file (MP4), with a
// <track> for each subtitle file saved beside it (the one in the page's language shown
// by default), else a note that it is MPEG-TS with a download link. Nothing when no
// video is on disk. A file the browser fails to decode says so, with the download link.

import { useState } from 'preact/hooks';
import { html } from '../lib/html.js';
import { formatBytes } from '../lib/format.js';
import { getLanguage, t } from '../lib/i18n.js';

// The primary subtag of a language tag, lower-cased (`zh-CN` -> `zh`).
const primary = (tag) => (tag || '').split('-')[0].toLowerCase();

export function VideoPlayer({ video, resource }) {
  const lang = getLanguage();
  const [failure, setFailure] = useState(null);
  if (video && video.url) {
    const download = `${video.url}${video.url.includes('?') ? '&' : '?'}download=1`;
    const facts = [video.container && video.container.toUpperCase(), video.size != null && formatBytes(video.size, lang)].filter(Boolean).join(' · ');
    if (video.playable) {
      const subtitles = video.subtitles || [];
      const shown = subtitles.find((s) => s.language && primary(s.language) === primary(lang));
      return html`<figure class="video">
        <video data-testid="video" controls preload="metadata" src=${video.url} aria-label=${t('video.label', { code: resource.code })}
          onError=${(e) => setFailure(e.currentTarget.error?.message || String(e.currentTarget.error?.code ?? ''))}>
          ${subtitles.map((s) => html`<track key=${s.tag} kind="subtitles" src=${s.url} srclang=${s.language || undefined}
            label=${s.name || s.language || s.tag} default=${s === shown} />`)}
        </video>
        <figcaption class="muted">${facts} · <a href=${download} download>${t('video.download')}</a></figcaption>
        ${failure != null && html`<p class="error-text" role="alert" data-testid="video-error">${t('video.failed', { reason: failure })}</p>`}
      </figure>`;
    }
    return html`<div class="notice video-unplayable" data-testid="video-unplayable">
      <p>${t('video.not_playable', { container: (video.container || '').toUpperCase() || 'MPEG-TS' })}</p>
      <p><a class="button" href=${download} download>${t('video.download_file')}</a> <span class="muted">${facts}</span></p>
    </div>`;
  }
  if (resource.video_file) {
    return html`<div class="notice" data-testid="video-no-player">${t('video.saved', { size: formatBytes(resource.video_size, lang) })}</div>`;
  }
  return null;
}
