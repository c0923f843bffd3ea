// Pure page rules, tested with node (test.js) before componentizing.

const MOVIE_TYPES = ['Movie', 'VideoObject'];

/** The first JSON-LD object of a movie type on the page, or undefined. */
export function movie(page) {
  const scripts = page.matchAll(/<script[^>]*type="application\/ld\+json"[^>]*>([\s\S]*?)<\/script>/g);
  for (const [, text] of scripts) {
    let data;
    try {
      data = JSON.parse(text);
    } catch {
      continue;
    }
    for (const item of [data, ...(data['@graph'] ?? [])].flat()) {
      const types = [item?.['@type']].flat();
      if (types.some((type) => MOVIE_TYPES.includes(type))) return item;
    }
  }
  return undefined;
}

/** ISO 8601 `PT1H22M` as seconds. */
export function seconds(duration) {
  const m = /^PT(?:(\d+)H)?(?:(\d+)M)?(?:(\d+)S)?$/i.exec(duration ?? '');
  if (!m || duration.length <= 2) return undefined;
  return (Number(m[1] ?? 0) * 60 + Number(m[2] ?? 0)) * 60 + Number(m[3] ?? 0);
}

const text = (value) => (typeof value === 'string' && value.trim() ? value.trim() : undefined);
const name = (value) => text(typeof value === 'object' ? value?.name : value);

/** The metadata record (types.wit) of a JSON-LD movie read from `pageUrl`. */
export function toMetadata(code, pageUrl, item) {
  const image = name(item.image) ?? text(item.image?.url) ?? text([item.image].flat()[0]);
  return {
    code,
    pageUrl,
    title: text(item.name),
    originalTitle: undefined,
    releaseDate: text(item.datePublished)?.slice(0, 10),
    durationSeconds: seconds(item.duration),
    studio: name(item.productionCompany),
    label: undefined,
    series: undefined,
    description: text(item.description),
    coverUrl: image ? new URL(image, pageUrl).href : undefined,
    people: [item.actor ?? []].flat().map((actor) => ({
      name: name(actor), pageUrl: text(actor?.url), avatarUrl: text(actor?.image),
    })).filter((person) => person.name),
    tags: [item.genre ?? []].flat().map(text).filter(Boolean),
  };
}
