//! The requests each scenario sends: a fixed URL, or a wrk Lua script that picks a new
//! request each time (random codes, filter values, sorts, orders, cursors), seeded per
//! wrk thread so runs repeat.

use std::path::{Path, PathBuf};

use anyhow::Result;
use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;

/// The list the issue measured: a filter, a sort, page 1 of 50.
pub const LIST_QUERY: &str =
    "/api/resources?translation_status=completed&sort=release_date&order=desc&page_size=50";

/// Title words `kura seed` uses (a search for one matches about a sixth of the library).
const WORDS: [&str; 16] = [
    "summer", "winter", "seaside", "mountain", "evening", "harbour", "garden", "station",
    "festival", "river", "morning", "island", "forest", "bridge", "market", "library",
];
/// People and tags `kura seed` makes.
const PEOPLE: u64 = 2000;
const TAGS: u64 = 24;

/// A list scenario over random values of one filter, each with a random sort and order.
pub struct Filter {
    /// The scenario's name in the tables.
    pub name: &'static str,
    /// A Lua expression for the filter's query parameter(s), `&` included.
    lua: &'static str,
}

/// Every filter the list offers, and searches of both kinds.
pub const FILTERS: [Filter; 8] = [
    Filter {
        name: "list: no filter",
        lua: r#""""#,
    },
    Filter {
        name: "list: search (title word)",
        lua: r#""&search=" .. words[math.random(#words)]"#,
    },
    Filter {
        name: "list: search (code fragment)",
        lua: r#""&search=SEED-" .. string.format("%04d", math.random(0, last_hundred))"#,
    },
    Filter {
        name: "list: translation_status",
        lua: r#""&translation_status=" .. statuses[math.random(#statuses)]"#,
    },
    Filter {
        name: "list: downloaded",
        lua: r#""&downloaded=" .. (math.random(2) == 1 and "true" or "false")"#,
    },
    Filter {
        name: "list: person",
        lua: r#""&person=" .. math.random(1, people)"#,
    },
    Filter {
        name: "list: tag",
        lua: r#""&tag=" .. math.random(1, tags)"#,
    },
    Filter {
        name: "list: source",
        lua: r#""&source=" .. sources[math.random(#sources)]"#,
    },
];

/// The opening every script shares: per-thread seeds and the value tables.
fn prelude(count: u64) -> String {
    let words = WORDS
        .iter()
        .map(|w| format!("\"{w}\""))
        .collect::<Vec<_>>()
        .join(", ");
    format!(
        r#"local next_id = 1
function setup(thread)
  thread:set("id", next_id)
  next_id = next_id + 1
end
function init(args)
  math.randomseed(7919 * id)
end
words = {{ {words} }}
statuses = {{ "pending", "completed", "failed", "skipped" }}
sources = {{ "fixture-alpha", "fixture-beta" }}
sorts = {{ "code", "release_date", "added_at", "video_time" }}
orders = {{ "asc", "desc" }}
people = {PEOPLE}
tags = {TAGS}
last_hundred = {last_hundred}
"#,
        last_hundred = (count / 100).clamp(1, 9999)
    )
}

fn write(dir: &Path, name: &str, script: String) -> Result<PathBuf> {
    let path = dir.join(name);
    std::fs::write(&path, script)?;
    Ok(path)
}

/// The code `kura seed` gives resource `n` (the millions go into the prefix, since a
/// code's number has at most six digits).
pub fn seed_code(n: u64) -> String {
    match n / 1_000_000 {
        0 => format!("SEED-{n:06}"),
        millions => format!("SEED{millions}-{:06}", n % 1_000_000),
    }
}

/// Random seeded codes, one per request.
pub fn metadata(dir: &Path, count: u64) -> Result<PathBuf> {
    let script = format!(
        r#"{}function seed_code(n)
  local millions = math.floor(n / 1000000)
  if millions == 0 then
    return string.format("SEED-%06d", n)
  end
  return string.format("SEED%d-%06d", millions, n % 1000000)
end
request = function()
  return wrk.format("GET", "/api/resource/" .. seed_code(math.random(1, {count})) .. "/metadata")
end
"#,
        prelude(count)
    );
    write(dir, "metadata.lua", script)
}

/// The fixed list with `If-None-Match` set to its ETag; every answer should be a 304,
/// and the script counts those that are not (`Unexpected statuses: N`).
pub fn conditional(dir: &Path, etag: &str) -> Result<PathBuf> {
    let etag = etag.replace('\\', "\\\\").replace('"', "\\\"");
    let script = format!(
        r#"wrk.headers["If-None-Match"] = "{etag}"
local threads = {{}}
function setup(thread)
  table.insert(threads, thread)
end
function init(args)
  unexpected = 0
end
function response(status, headers, body)
  if status ~= 304 then
    unexpected = unexpected + 1
  end
end
function done(summary, latency, requests)
  local total = 0
  for _, thread in ipairs(threads) do
    total = total + thread:get("unexpected")
  end
  io.write(string.format("Unexpected statuses: %d\n", total))
end
"#
    );
    write(dir, "conditional.lua", script)
}

/// Random values of one filter, each with a random sort and order, page 1 of 50.
pub fn filter(dir: &Path, count: u64, n: usize, filter: &Filter) -> Result<PathBuf> {
    let script = format!(
        r#"{}request = function()
  local path = "/api/resources?page_size=50&sort=" .. sorts[math.random(#sorts)] .. "&order=" .. orders[math.random(#orders)] .. {}
  return wrk.format("GET", path)
end
"#,
        prelude(count),
        filter.lua
    );
    write(dir, &format!("filter-{n}.lua"), script)
}

/// Pages anywhere in the library by cursor: the page after one of `rows` (id, creation
/// time, read from the metadata of random resources) in the newest-first order. A
/// cursor names a row's sort key and id, so these are the cursors the server hands out
/// for those rows.
pub fn deep_cursor(dir: &Path, count: u64, created_at: &[(u64, i64)]) -> Result<PathBuf> {
    let cursors: Vec<String> = created_at
        .iter()
        .map(|(id, at)| {
            let json = format!(r#"{{"s":"added_at","d":true,"k":{at},"i":{id}}}"#);
            format!("\"{}\"", URL_SAFE_NO_PAD.encode(json))
        })
        .collect();
    let script = format!(
        r#"{}cursors = {{ {} }}
request = function()
  return wrk.format("GET", "/api/resources?sort=added_at&order=desc&page_size=50&cursor=" .. cursors[math.random(#cursors)])
end
"#,
        prelude(count),
        cursors.join(", ")
    );
    write(dir, "deep-cursor.lua", script)
}

/// Random page numbers anywhere in the library (offset paging, for comparison).
pub fn deep_page(dir: &Path, count: u64) -> Result<PathBuf> {
    let script = format!(
        r#"{}request = function()
  return wrk.format("GET", "/api/resources?sort=added_at&order=desc&page_size=50&page=" .. math.random(1, {pages}))
end
"#,
        prelude(count),
        pages = count.div_ceil(50)
    );
    write(dir, "deep-page.lua", script)
}
