//! The shells' BSON constructors (`ISODate(…)`, `NumberLong(…)`,
//! `Timestamp(…)`, `BinData(…)`, `Binary.createFromBase64(…)`, `UUID(…)` …)
//! mapped to their canonical Extended JSON form. Apart from the grammar in
//! `mod.rs` because this table, not the parsing, is what grows when a shell
//! version prints a new kind of value.

use super::Parser;
use crate::checks::mongo_rs::{format_double, number, parse_iso_date};
use serde_json::{json, Value};

impl Parser<'_> {
    /// Maps a shell constructor to its Extended JSON form.
    pub(super) fn construct(&self, name: &str, args: Option<Vec<Value>>) -> Result<Value, String> {
        let bad = |why: &str| self.error(&format!("{name}(…): {why}"));
        let Some(args) = args else {
            return match name {
                "MinKey" => Ok(json!({"$minKey": 1})),
                "MaxKey" => Ok(json!({"$maxKey": 1})),
                _ => Err(self.error(&format!("unknown word '{name}'"))),
            };
        };
        let arg_text = |i: usize| -> Option<String> {
            match args.get(i)? {
                Value::String(s) => Some(s.clone()),
                Value::Number(n) => Some(n.to_string()),
                v => plain_number(v).map(|n| n.to_string()),
            }
        };
        match name {
            "ISODate" | "Date" => match args.first() {
                Some(Value::String(s)) => {
                    let ms = parse_iso_date(s).ok_or_else(|| bad("not an ISO date"))?;
                    Ok(date_value(ms))
                }
                Some(v) => {
                    let ms = plain_number(v).ok_or_else(|| bad("not a date"))?;
                    Ok(date_value(ms as i64))
                }
                None => Err(bad("no date given")),
            },
            "NumberLong" | "Long" => {
                let text = arg_text(0).ok_or_else(|| bad("no number given"))?;
                let n: i64 = text.trim().parse().map_err(|_| bad("not an integer"))?;
                Ok(json!({"$numberLong": n.to_string()}))
            }
            "NumberInt" | "Int32" => {
                let text = arg_text(0).ok_or_else(|| bad("no number given"))?;
                let n: i32 = text
                    .trim()
                    .parse()
                    .map_err(|_| bad("not a 32-bit integer"))?;
                Ok(json!({"$numberInt": n.to_string()}))
            }
            "Double" => {
                let text = arg_text(0).ok_or_else(|| bad("no number given"))?;
                let n: f64 = text.trim().parse().map_err(|_| bad("not a number"))?;
                Ok(json!({"$numberDouble": format_double(n)}))
            }
            "NumberDecimal" | "Decimal128" => {
                let text = arg_text(0).ok_or_else(|| bad("no number given"))?;
                Ok(json!({"$numberDecimal": text}))
            }
            "Timestamp" => {
                let (t, i) = match args.as_slice() {
                    [Value::Object(o)] => (
                        o.get("t").and_then(plain_number),
                        o.get("i").and_then(plain_number),
                    ),
                    [t, i] => (plain_number(t), plain_number(i)),
                    _ => (None, None),
                };
                match (t, i) {
                    (Some(t), Some(i)) if t >= 0.0 && i >= 0.0 => {
                        Ok(json!({"$timestamp": {"t": t as u64, "i": i as u64}}))
                    }
                    _ => Err(bad("expected (seconds, increment) or { t, i }")),
                }
            }
            "BinData" => match args.as_slice() {
                [sub, Value::String(b64)] => {
                    binary(b64.clone(), sub).ok_or_else(|| bad("bad subtype"))
                }
                _ => Err(bad("expected (subtype, base64)")),
            },
            "HexData" => match args.as_slice() {
                [sub, Value::String(hex)] => {
                    let b64 = hex_to_base64(hex).ok_or_else(|| bad("not hexadecimal"))?;
                    binary(b64, sub).ok_or_else(|| bad("bad subtype"))
                }
                _ => Err(bad("expected (subtype, hex)")),
            },
            "Binary.createFromBase64" | "Binary.createFromHexString" => {
                let Some(Value::String(data)) = args.first() else {
                    return Err(bad("expected a string"));
                };
                let b64 = if name.ends_with("HexString") {
                    hex_to_base64(data).ok_or_else(|| bad("not hexadecimal"))?
                } else {
                    data.clone()
                };
                binary(b64, args.get(1).unwrap_or(&json!(0))).ok_or_else(|| bad("bad subtype"))
            }
            "Buffer.from" => {
                // Only as the first argument of Binary(…): a subtype-0 binary for now.
                let Some(Value::String(data)) = args.first() else {
                    return Err(bad("expected a string"));
                };
                let b64 = match args.get(1).and_then(Value::as_str) {
                    Some("hex") => hex_to_base64(data).ok_or_else(|| bad("not hexadecimal"))?,
                    Some("base64") | None => data.clone(),
                    Some(other) => return Err(bad(&format!("unsupported encoding '{other}'"))),
                };
                binary(b64, &json!(0)).ok_or_else(|| bad("bad subtype"))
            }
            "Binary" => match args.as_slice() {
                [Value::Object(o), rest @ ..] if o.contains_key("$binary") => {
                    let b64 = o["$binary"]["base64"]
                        .as_str()
                        .unwrap_or_default()
                        .to_string();
                    binary(b64, rest.first().unwrap_or(&json!(0))).ok_or_else(|| bad("bad subtype"))
                }
                _ => Err(bad("expected (Buffer.from(…), subtype)")),
            },
            "UUID" => match args.first() {
                Some(Value::String(s)) => Ok(json!({"$uuid": s})),
                _ => Err(bad("expected a string")),
            },
            "ObjectId" => match args.first() {
                Some(Value::String(s)) => Ok(json!({"$oid": s})),
                _ => Err(bad("expected a string")),
            },
            "MinKey" => Ok(json!({"$minKey": 1})),
            "MaxKey" => Ok(json!({"$maxKey": 1})),
            _ => Err(self.error(&format!("unsupported shell value {name}(…)"))),
        }
    }
}

/// A JSON number or a wrapped Extended JSON number, as f64.
fn plain_number(v: &Value) -> Option<f64> {
    number(v)
}

fn date_value(ms: i64) -> Value {
    json!({"$date": {"$numberLong": ms.to_string()}})
}

fn binary(base64: String, subtype: &Value) -> Option<Value> {
    let sub = plain_number(subtype)?;
    if !(0.0..=255.0).contains(&sub) {
        return None;
    }
    Some(json!({"$binary": {"base64": base64, "subType": format!("{:02x}", sub as u8)}}))
}

fn hex_to_base64(hex: &str) -> Option<String> {
    if !hex.len().is_multiple_of(2) {
        return None;
    }
    let bytes: Option<Vec<u8>> = (0..hex.len())
        .step_by(2)
        .map(|i| u8::from_str_radix(hex.get(i..i + 2)?, 16).ok())
        .collect();
    Some(base64(&bytes?))
}

fn base64(bytes: &[u8]) -> String {
    const ALPHABET: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    let mut out = String::new();
    for chunk in bytes.chunks(3) {
        let b = [
            chunk[0],
            *chunk.get(1).unwrap_or(&0),
            *chunk.get(2).unwrap_or(&0),
        ];
        let n = (u32::from(b[0]) << 16) | (u32::from(b[1]) << 8) | u32::from(b[2]);
        for i in 0..4 {
            if i <= chunk.len() {
                out.push(ALPHABET[(n >> (18 - 6 * i) & 63) as usize] as char);
            } else {
                out.push('=');
            }
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn base64_encoding() {
        assert_eq!(base64(b""), "");
        assert_eq!(base64(b"f"), "Zg==");
        assert_eq!(base64(b"fo"), "Zm8=");
        assert_eq!(base64(b"foo"), "Zm9v");
        assert_eq!(base64(b"foobar"), "Zm9vYmFy");
    }
}
