//! The fixed word lists the catalog is built from: title words with their translations, people, genres, companies.
//!
//! Every name here is invented for the fixture; none refers to a real person, work or company.

/// Title modifiers: `(Japanese, English)`. A title is `{modifier}の{place}`.
pub(crate) const MODIFIERS: [(&str, &str); 12] = [
    ("夏", "Summer"),
    ("冬", "Winter"),
    ("春", "Spring"),
    ("秋", "Autumn"),
    ("朝", "Morning"),
    ("夜", "Night"),
    ("雨", "Rainy"),
    ("雪", "Snowy"),
    ("星", "Starlit"),
    ("月", "Moonlit"),
    ("風", "Windy"),
    ("虹", "Rainbow"),
];

/// Title places: `(Japanese, English)`. No entry is a prefix of another, so titles never contain each other.
pub(crate) const PLACES: [(&str, &str); 10] = [
    ("海辺", "Seaside"),
    ("駅", "Station"),
    ("庭", "Garden"),
    ("図書館", "Library"),
    ("港町", "Harbor Town"),
    ("山道", "Mountain Path"),
    ("教室", "Classroom"),
    ("灯台", "Lighthouse"),
    ("商店街", "Shopping Street"),
    ("喫茶店", "Coffee Shop"),
];

/// The simplified Chinese of [`MODIFIERS`], in the same order (a title in Chinese is `{modifier}的{place}`).
pub(crate) const MODIFIERS_ZH: [&str; 12] = [
    "夏天",
    "冬天",
    "春天",
    "秋天",
    "清晨",
    "夜晚",
    "雨天",
    "雪天",
    "星空下",
    "月光下",
    "起风",
    "彩虹",
];

/// The simplified Chinese of [`PLACES`], in the same order.
pub(crate) const PLACES_ZH: [&str; 10] = [
    "海边",
    "车站",
    "庭院",
    "图书馆",
    "港口小镇",
    "山路",
    "教室",
    "灯塔",
    "商店街",
    "咖啡馆",
];

/// Other words the Ollama stand-in can translate one by one when a prompt holds no catalog title.
pub(crate) const EXTRA_WORDS: [(&str, &str); 8] = [
    ("物語", "Story"),
    ("旅", "Journey"),
    ("思い出", "Memories"),
    ("約束", "Promise"),
    ("小さな", "Little"),
    ("青い", "Blue"),
    ("白い", "White"),
    ("猫", "Cat"),
];

/// The people pool, person `id` is index + 1. Invented names; some carry an alias in full-width brackets,
/// exactly one (id 10) a nested alias.
pub(crate) const PEOPLE: [&str; 40] = [
    "朝霧 ひかり",
    "夕凪 ことね（コトネ）",
    "水無瀬 あおい",
    "風見野 はるか",
    "星ノ宮 りん",
    "月見里 しずく（しずく姫）",
    "花房 つむぎ",
    "雪代 まどか",
    "桜ヶ丘 ゆい（ゆいぽん）",
    "葉月野 みお（ミオ（みおりん））",
    "空閑 なぎ",
    "七瀬川 こはる",
    "白波 かえで（カエデ）",
    "御影 すず",
    "鈴鳴 ちとせ",
    "青葉台 れな（れなっち）",
    "小夜時雨 あかり",
    "霧島野 ほのか",
    "天羽 ゆきな",
    "日向野 もも（モモ）",
    "紺野原 さくや",
    "翠川 いろは",
    "東雲野 あずさ",
    "琴吹山 のぞみ（のんちゃん）",
    "陽野 つばさ",
    "宵待 みつき",
    "柊木 かなで",
    "千早川 うらら（ウララ）",
    "瑠璃垣 そら",
    "若葉 ちひろ",
    "流星寺 みゆ",
    "藤ノ森 あやめ（アヤメ）",
    "波佐見 ことり",
    "春日井野 ねね",
    "氷室坂 ゆら",
    "木漏日 ひなた（ひなたん）",
    "鳴海沢 しおり",
    "蛍川 ほたる",
    "早乙女坂 みちる（ミチル）",
    "遠野森 かすみ",
];

/// The genre pool.
pub(crate) const TAGS: [&str; 20] = [
    "Drama",
    "Comedy",
    "Travel",
    "Documentary",
    "Romance",
    "Mystery",
    "Music",
    "Cooking",
    "Nature",
    "History",
    "Sports",
    "Animation",
    "Family",
    "Adventure",
    "Slice of Life",
    "Science",
    "Art",
    "Fantasy",
    "Nostalgia",
    "Seasonal",
];

/// Studios (JSON-LD `productionCompany`).
pub(crate) const STUDIOS: [&str; 4] = [
    "Harbor Light Pictures",
    "Blue Kite Studio",
    "Paper Lantern Films",
    "Quiet Hill Works",
];

/// Labels.
pub(crate) const LABELS: [&str; 5] = [
    "Seaside Label",
    "Lantern Select",
    "Kite Classics",
    "Hilltop Originals",
    "Morning Dew",
];

/// Series; some codes belong to none.
pub(crate) const SERIES: [&str; 3] = ["Four Seasons", "Town Walks", "Little Journeys"];
