// {{name}}: a scraper for pages that describe a video with schema.org JSON-LD (a Movie or
// VideoObject), such as the Kura fixture site's {domain}/{CODE} pages. Replace the
// reading rules with your site's.
//
// WIT -> JavaScript (componentize-js): see README.md.
import { fetch } from 'kura:plugin/http@{{wit}}';
import { get as setting } from 'kura:plugin/settings@{{wit}}';
import { movie, toMetadata } from './page.js';

function fail(tag, detail) {
  return { tag, val: detail };
}

export const scraper = {
  scrape(code, pageUrl) {
    const url = pageUrl && pageUrl.includes(code) ? pageUrl : `${setting('domain')}/${code}`;
    let response;
    try {
      response = fetch({
        method: 'get', url, headers: [['Accept', 'text/html']],
        body: undefined, timeoutMs: undefined, followRedirects: undefined,
      });
    } catch (e) {
      throw fail('network', `${e.payload?.tag}: ${e.payload?.val ?? ''}`);
    }
    if (response.status === 404) throw fail('not-found', code);
    if (response.status === 401 || response.status === 403) throw fail('blocked', `HTTP ${response.status}`);
    if (response.status >= 400) throw fail('network', `HTTP ${response.status} from ${url}`);
    const found = movie(new TextDecoder().decode(response.body));
    if (!found) throw fail('parse', `no JSON-LD movie on ${url}`);
    return toMetadata(code, response.finalUrl, found);
  },
  avatar(name) {
    throw fail('unsupported', `avatar (${name})`);
  },
};
