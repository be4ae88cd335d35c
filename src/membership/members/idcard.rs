//! Chinese resident ID card numbers (居民身份证号码, GB 11643-1999) and phone numbers.
//!
//! Rules:
//! - A number is 18 characters: 17 digits and a check character, a digit or `X` (a lower-case
//!   `x` is accepted and normalised to `X`; surrounding whitespace is trimmed). The old 15-digit
//!   cards are refused as [`IdCardError::Format`]: they carry no check digit and have long expired.
//! - The check character is `"10X98765432"[Σ(digitᵢ × weightᵢ) mod 11]` with the weights
//!   `[7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2]`.
//! - Characters 7–14 are the birth date `YYYYMMDD`: a real calendar date from 1900-01-01 to today.
//! - The 17th character is the sequence digit: odd for men, even for women.
//! - Masking keeps the first 3 and last 4 characters; anything too short to keep them hidden is
//!   masked entirely. Masking counts characters, not bytes.
//! - A mainland mobile number is `1[3-9]` followed by 9 digits, 11 digits in all.

use std::fmt;

use chrono::{Local, NaiveDate};

use crate::membership::types::Gender;

const WEIGHTS: [u32; 17] = [7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2];
const CHECK_CHARS: &[u8; 11] = b"10X98765432";

/// A validated ID card number and what it encodes.
///
/// `Debug` masks the number so that a logged row or error never leaks it.
#[derive(Clone, PartialEq, Eq)]
pub struct IdCard {
    /// Normalised number: trimmed, check character `X` upper-case.
    pub number: String,
    pub birth_date: NaiveDate,
    pub gender: Gender,
}

impl fmt::Debug for IdCard {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("IdCard")
            .field("number", &mask_id_card(&self.number))
            .field("birth_date", &self.birth_date)
            .field("gender", &self.gender)
            .finish()
    }
}

/// Why a string is not a valid ID card number.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum IdCardError {
    #[error("an ID card number is 17 digits followed by a digit or X")]
    Format,
    #[error("the check character of the ID card number is wrong")]
    Checksum,
    #[error("the birth date in the ID card number is not a real date between 1900-01-01 and today")]
    BirthDate,
}

/// Validates and normalises an 18-character ID card number.
pub fn parse_id_card(raw: &str) -> Result<IdCard, IdCardError> {
    let number = raw.trim().to_ascii_uppercase();
    let digits = body_digits(&number).ok_or(IdCardError::Format)?;
    if number.as_bytes()[17] != check_char(&digits) {
        return Err(IdCardError::Checksum);
    }
    let birth_date = birth_date(&digits).ok_or(IdCardError::BirthDate)?;
    let gender = if digits[16] % 2 == 1 { Gender::Male } else { Gender::Female };
    Ok(IdCard { number, birth_date, gender })
}

/// The 17 body digits, when `number` is 17 ASCII digits followed by a digit or `X`.
fn body_digits(number: &str) -> Option<[u32; 17]> {
    let bytes = number.as_bytes();
    if bytes.len() != 18 || !(bytes[17].is_ascii_digit() || bytes[17] == b'X') {
        return None;
    }
    let mut digits = [0u32; 17];
    for (d, &b) in digits.iter_mut().zip(&bytes[..17]) {
        *d = char::from(b).to_digit(10)?;
    }
    Some(digits)
}

/// The check character (ASCII) that GB 11643 prescribes for 17 body digits.
fn check_char(digits: &[u32; 17]) -> u8 {
    let sum: u32 = digits.iter().zip(WEIGHTS).map(|(d, w)| d * w).sum();
    CHECK_CHARS[(sum % 11) as usize]
}

/// The birth date in digits 7–14, if it is a real date from 1900-01-01 up to today.
fn birth_date(digits: &[u32; 17]) -> Option<NaiveDate> {
    let number = |range: std::ops::Range<usize>| digits[range].iter().fold(0, |acc, d| acc * 10 + d);
    let year = i32::try_from(number(6..10)).ok()?;
    let date = NaiveDate::from_ymd_opt(year, number(10..12), number(12..14))?;
    let earliest = NaiveDate::from_ymd_opt(1900, 1, 1)?;
    (earliest..=Local::now().date_naive()).contains(&date).then_some(date)
}

/// `420***********123X`: the first 3 and last 4 characters, the rest `*`; fewer than 8
/// characters are masked entirely.
pub fn mask_id_card(number: &str) -> String {
    mask_middle(number, 8)
}

/// `138****1234`: the first 3 and last 4 characters, the rest `*`; fewer than 11 characters
/// are masked entirely (a partial number would otherwise be mostly visible).
pub fn mask_phone(phone: &str) -> String {
    mask_middle(phone, 11)
}

/// Keeps the first 3 and last 4 characters of a string of at least `min_len` characters.
fn mask_middle(s: &str, min_len: usize) -> String {
    let chars: Vec<char> = s.chars().collect();
    let n = chars.len();
    if n < min_len {
        return "*".repeat(n);
    }
    chars.iter().enumerate().map(|(i, &c)| if i < 3 || i >= n - 4 { c } else { '*' }).collect()
}

/// The last 6 characters, upper-cased (the customary short form of an ID card number);
/// the whole string when shorter.
pub fn last6(number: &str) -> String {
    let chars: Vec<char> = number.chars().collect();
    let start = chars.len().saturating_sub(6);
    chars[start..].iter().collect::<String>().to_uppercase()
}

/// True for a mainland mobile number: `^1[3-9]\d{9}$`.
pub fn is_valid_phone(s: &str) -> bool {
    let b = s.as_bytes();
    b.len() == 11 && b[0] == b'1' && (b'3'..=b'9').contains(&b[1]) && b.iter().all(u8::is_ascii_digit)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Appends the correct check character to 17 body digits.
    fn with_check(body: &str) -> String {
        let digits: Vec<u32> = body.chars().map(|c| c.to_digit(10).unwrap()).collect();
        let digits: [u32; 17] = digits.try_into().unwrap();
        format!("{body}{}", char::from(check_char(&digits)))
    }

    /// A made-up number: region 110101, the given birth date, sequence 12 + `seq_last`.
    fn made_up(birth: &str, seq_last: u8) -> String {
        with_check(&format!("110101{birth}12{seq_last}"))
    }

    /// A body whose check character is X, found by varying the sequence number.
    fn made_up_with_x() -> String {
        (0..1000).map(|seq| with_check(&format!("42010219900101{seq:03}"))).find(|n| n.ends_with('X')).unwrap()
    }

    fn date(y: i32, m: u32, d: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(y, m, d).unwrap()
    }

    #[test]
    fn check_char_follows_the_standard() {
        // Σ = 0 → '1'; all ones: Σ weights = 7+9+10+5+8+4+2+1+6+3+7+9+10+5+8+4+2 = 100, 100 mod 11 = 1 → '0'.
        assert_eq!(check_char(&[0; 17]), b'1');
        assert_eq!(check_char(&[1; 17]), b'0');
    }

    #[test]
    fn parses_a_valid_male_number() {
        let n = made_up("19850315", 3);
        let card = parse_id_card(&n).unwrap();
        assert_eq!(card.number, n);
        assert_eq!(card.birth_date, date(1985, 3, 15));
        assert_eq!(card.gender, Gender::Male);
    }

    #[test]
    fn even_sequence_digit_is_female_and_whitespace_is_trimmed() {
        let n = made_up("20000229", 4);
        let card = parse_id_card(&format!("  {n}\t")).unwrap();
        assert_eq!(card.number, n);
        assert_eq!(card.birth_date, date(2000, 2, 29));
        assert_eq!(card.gender, Gender::Female);
    }

    #[test]
    fn lower_case_x_is_normalised() {
        let n = made_up_with_x();
        let card = parse_id_card(&n.to_lowercase()).unwrap();
        assert_eq!(card.number, n);
        assert!(card.number.ends_with('X'));
        assert_eq!(card.birth_date, date(1990, 1, 1));
    }

    #[test]
    fn wrong_check_character_is_checksum_error() {
        let n = made_up("19850315", 3);
        let last = n.as_bytes()[17];
        let wrong = if last == b'0' { '1' } else { '0' };
        let bad = format!("{}{wrong}", &n[..17]);
        assert_eq!(parse_id_card(&bad), Err(IdCardError::Checksum));
    }

    #[test]
    fn impossible_birth_dates_are_refused() {
        assert_eq!(parse_id_card(&made_up("19900230", 1)), Err(IdCardError::BirthDate));
        assert_eq!(parse_id_card(&made_up("19901301", 1)), Err(IdCardError::BirthDate));
        assert_eq!(parse_id_card(&made_up("19010229", 1)), Err(IdCardError::BirthDate));
        assert_eq!(parse_id_card(&made_up("18991231", 1)), Err(IdCardError::BirthDate));
        assert_eq!(parse_id_card(&made_up("29990101", 1)), Err(IdCardError::BirthDate));
        assert!(parse_id_card(&made_up("19000101", 1)).is_ok());
    }

    #[test]
    fn malformed_numbers_are_format_errors() {
        assert_eq!(parse_id_card(""), Err(IdCardError::Format));
        assert_eq!(parse_id_card("110101850315123"), Err(IdCardError::Format)); // old 15-digit card
        assert_eq!(parse_id_card("11010119850315123"), Err(IdCardError::Format)); // 17 characters
        assert_eq!(parse_id_card("1101011985031512345"), Err(IdCardError::Format)); // 19 characters
        assert_eq!(parse_id_card("11010119850315X231"), Err(IdCardError::Format)); // X inside
        assert_eq!(parse_id_card("11010119850315123Y"), Err(IdCardError::Format));
        assert_eq!(parse_id_card("１１０１０１１９８５０３１５１２３４"), Err(IdCardError::Format)); // full-width
    }

    #[test]
    fn masks_id_cards() {
        assert_eq!(mask_id_card("42010219900101123X"), "420***********123X");
        assert_eq!(mask_id_card("12345678"), "123*5678");
        assert_eq!(mask_id_card("1234567"), "*******");
        assert_eq!(mask_id_card(""), "");
    }

    #[test]
    fn masks_phones() {
        assert_eq!(mask_phone("13812341234"), "138****1234");
        assert_eq!(mask_phone("1381234123"), "**********");
        assert_eq!(mask_phone("8613812341234"), "861******1234");
    }

    #[test]
    fn last6_upper_cases() {
        assert_eq!(last6("42010219900101123x"), "01123X");
        assert_eq!(last6("12x"), "12X");
    }

    #[test]
    fn validates_phones() {
        assert!(is_valid_phone("13812341234"));
        assert!(is_valid_phone("19912341234"));
        assert!(!is_valid_phone("12812341234")); // second digit 2
        assert!(!is_valid_phone("23812341234"));
        assert!(!is_valid_phone("1381234123")); // 10 digits
        assert!(!is_valid_phone("138123412345"));
        assert!(!is_valid_phone("1381234123a"));
        assert!(!is_valid_phone("138 1234 1234"));
        assert!(!is_valid_phone(""));
    }

    #[test]
    fn debug_does_not_leak_the_number() {
        let n = made_up("19850315", 3);
        let shown = format!("{:?}", parse_id_card(&n).unwrap());
        assert!(!shown.contains(&n));
        assert!(shown.contains(&mask_id_card(&n)));
    }
}
