//! Pinyin search keys for member names (姓名拼音检索).
//!
//! Rules:
//! - `pinyin_keys(name)` returns `(full, initials)`, both lower-case ASCII without spaces or tones:
//!   "张三" → ("zhangsan", "zs"). Each Chinese character contributes its toneless pinyin to
//!   `full` and its first letter to `initials`; `ü` is written `v` ("吕" → "lv"), as typed on a
//!   keyboard.
//! - A run of ASCII letters and digits is one word: all of it goes to `full`, its first character
//!   to `initials` ("Li Lei" → ("lilei", "ll")). Full-width letters and digits count as ASCII.
//! - Everything else (spaces, the middle dot `·`, punctuation, characters without a reading) is
//!   skipped, but still ends an ASCII word.
//! - Polyphonic characters use the `pinyin` crate's default reading, except that a surname at the
//!   start of the name uses its surname reading (单 shan, 曾 zeng, 解 xie, 尉迟 yuchi, …), because
//!   those are the names people search for and the default reading would never match.
//! - `is_pinyin_query(q)` tells whether a search box input should be matched against these keys.

use pinyin::ToPinyin;

/// Surnames whose surname reading differs from the crate's default reading of the character(s).
/// Compound surnames come first so that they win over a single-character prefix.
const SURNAMES: &[(&str, &[&str])] = &[
    ("尉迟", &["yu", "chi"]),
    ("万俟", &["mo", "qi"]),
    ("长孙", &["zhang", "sun"]),
    ("单", &["shan"]),
    ("曾", &["zeng"]),
    ("解", &["xie"]),
    ("仇", &["qiu"]),
    ("朴", &["piao"]),
    ("区", &["ou"]),
    ("查", &["zha"]),
    ("盖", &["ge"]),
    ("乐", &["yue"]),
    ("覃", &["qin"]),
    ("缪", &["miao"]),
    ("翟", &["zhai"]),
    ("召", &["shao"]),
    ("种", &["chong"]),
    ("繁", &["po"]),
    ("员", &["yun"]),
];

/// Accumulates the two keys.
#[derive(Default)]
struct Keys {
    full: String,
    initials: String,
    /// True while inside an ASCII word (its first character already went to `initials`).
    in_word: bool,
}

impl Keys {
    fn syllable(&mut self, syllable: &str) {
        self.in_word = false;
        let syllable = syllable.replace('ü', "v");
        self.full.push_str(&syllable);
        if let Some(first) = syllable.chars().next() {
            self.initials.push(first);
        }
    }

    fn ascii(&mut self, c: char) {
        let c = c.to_ascii_lowercase();
        self.full.push(c);
        if !self.in_word {
            self.initials.push(c);
            self.in_word = true;
        }
    }

    fn separator(&mut self) {
        self.in_word = false;
    }
}

/// `(full pinyin, initials)` of a name, lower-case, for prefix search: "张三" → ("zhangsan", "zs").
pub fn pinyin_keys(name: &str) -> (String, String) {
    let mut keys = Keys::default();
    let rest = surname_prefix(name.trim_start(), &mut keys);
    for c in rest.chars() {
        let c = to_half_width(c);
        if c.is_ascii_alphanumeric() {
            keys.ascii(c);
        } else if let Some(p) = c.to_pinyin() {
            keys.syllable(p.plain());
        } else {
            keys.separator();
        }
    }
    (keys.full, keys.initials)
}

/// Emits the surname reading if `name` starts with a listed surname; returns the rest.
fn surname_prefix<'a>(name: &'a str, keys: &mut Keys) -> &'a str {
    for (surname, syllables) in SURNAMES {
        if let Some(rest) = name.strip_prefix(surname) {
            syllables.iter().for_each(|s| keys.syllable(s));
            return rest;
        }
    }
    name
}

/// Maps full-width ASCII (`Ａ`, `１`, as typed with a Chinese IME) to ASCII; other characters unchanged.
fn to_half_width(c: char) -> char {
    match c {
        '\u{FF01}'..='\u{FF5E}' => char::from_u32(c as u32 - 0xFEE0).unwrap_or(c),
        _ => c,
    }
}

/// True when `q` is 1–20 ASCII letters, i.e. looks like a pinyin (or initials) query rather
/// than a Chinese name or a staff number. `q` is taken as given: trim it first.
pub fn is_pinyin_query(q: &str) -> bool {
    (1..=20).contains(&q.len()) && q.bytes().all(|b| b.is_ascii_alphabetic())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn keys(name: &str) -> (String, String) {
        pinyin_keys(name)
    }

    fn pair(full: &str, initials: &str) -> (String, String) {
        (full.to_owned(), initials.to_owned())
    }

    #[test]
    fn plain_chinese_names() {
        assert_eq!(keys("张三"), pair("zhangsan", "zs"));
        assert_eq!(keys("李四"), pair("lisi", "ls"));
        assert_eq!(keys("王小红"), pair("wangxiaohong", "wxh"));
    }

    #[test]
    fn compound_surname_with_default_readings() {
        assert_eq!(keys("欧阳娜娜"), pair("ouyangnana", "oynn"));
        assert_eq!(keys("司马光"), pair("simaguang", "smg"));
    }

    #[test]
    fn polyphonic_surnames_use_the_surname_reading() {
        assert_eq!(keys("曾小明"), pair("zengxiaoming", "zxm"));
        assert_eq!(keys("单田芳"), pair("shantianfang", "stf"));
        assert_eq!(keys("解缙"), pair("xiejin", "xj"));
        assert_eq!(keys("仇英"), pair("qiuying", "qy"));
        assert_eq!(keys("朴树"), pair("piaoshu", "ps"));
        assert_eq!(keys("区伟"), pair("ouwei", "ow"));
        assert_eq!(keys("查理"), pair("zhali", "zl"));
        assert_eq!(keys("盖伟"), pair("gewei", "gw"));
        assert_eq!(keys("乐嘉"), pair("yuejia", "yj"));
        assert_eq!(keys("覃伟"), pair("qinwei", "qw"));
        assert_eq!(keys("缪伟"), pair("miaowei", "mw"));
        assert_eq!(keys("翟伟"), pair("zhaiwei", "zw"));
        assert_eq!(keys("召伟"), pair("shaowei", "sw"));
        assert_eq!(keys("尉迟恭"), pair("yuchigong", "ycg"));
        assert_eq!(keys("万俟卨"), pair("moqixie", "mqx"));
        assert_eq!(keys("长孙无忌"), pair("zhangsunwuji", "zswj"));
    }

    #[test]
    fn surname_reading_applies_only_at_the_start() {
        // Inside a given name the crate's default reading stays.
        assert_eq!(keys("王曾").0, "wangceng");
        assert_eq!(keys("李单").0, "lidan");
        assert_eq!(keys(" 曾伟").0, "zengwei");
    }

    #[test]
    fn u_umlaut_is_written_v() {
        assert_eq!(keys("吕布"), pair("lvbu", "lb"));
    }

    #[test]
    fn ascii_and_mixed_names() {
        assert_eq!(keys("Li Lei"), pair("lilei", "ll"));
        assert_eq!(keys("  TOM  smith "), pair("tomsmith", "ts"));
        assert_eq!(keys("张Tom"), pair("zhangtom", "zt"));
        assert_eq!(keys("Tom张"), pair("tomzhang", "tz"));
        assert_eq!(keys("李3"), pair("li3", "l3"));
        assert_eq!(keys("Ｌｉ　Ｌｅｉ"), pair("lilei", "ll"));
    }

    #[test]
    fn separators_are_skipped() {
        assert_eq!(keys("迪丽热巴·迪力木拉提"), pair("dilirebadilimulati", "dlrbdlmlt"));
        assert_eq!(keys("Mary·Jane"), pair("maryjane", "mj"));
        assert_eq!(keys("张-三!"), pair("zhangsan", "zs"));
        assert_eq!(keys(""), pair("", ""));
    }

    #[test]
    fn pinyin_queries() {
        assert!(is_pinyin_query("zs"));
        assert!(is_pinyin_query("ZhangSan"));
        assert!(is_pinyin_query(&"a".repeat(20)));
        assert!(!is_pinyin_query(&"a".repeat(21)));
        assert!(!is_pinyin_query(""));
        assert!(!is_pinyin_query("zhang san"));
        assert!(!is_pinyin_query("T001"));
        assert!(!is_pinyin_query("张三"));
    }
}
