//! MongoDB shell print form → Extended JSON, so that an operator can paste the
//! output of `mongo --eval 'rs.status()'` (legacy shell) or `mongosh` as it is.
//!
//! The shells print a JavaScript object literal, not JSON: keys may be unquoted,
//! strings single-quoted (mongosh), and BSON values appear as constructor calls:
//! `ISODate("…")`, `NumberLong(1)`, `Long('1')`, `NumberInt(1)`, `Int32(1)`,
//! `Timestamp(1718878840, 1)`, `Timestamp({ t: 1718878840, i: 1 })`,
//! `BinData(0, "…")`, `Binary.createFromBase64('…', 0)`,
//! `Binary(Buffer.from("…", "hex"), 0)`, `UUID("…")`, `ObjectId("…")`,
//! `NumberDecimal("…")`, `MinKey`, `MaxKey`. This is a small recursive-descent
//! parser of that literal language that produces canonical Extended JSON
//! values (`{"$date": …}`, `{"$numberLong": "1"}`, `{"$timestamp": {"t", "i"}}`),
//! which the status evaluation reads the same way as the driver's documents.
//! Comments (`// …`, `/* … */`, as in the MongoDB manual's examples) are blanks.
//!
//! Lines before the document (`MongoDB shell version …`, `connecting to: …`,
//! `Implicit session: …`, a prompt) are skipped: the document starts at the
//! first line that begins with `{`. Text on lines after the document (a prompt)
//! is ignored. When another document follows on a later line (the legacy
//! shell's JSON log lines come before the result; a capture file may have been
//! appended to), the last document is the one returned.
//!
//! This module is the grammar; `constructors` maps each constructor call to
//! its Extended JSON value.

mod constructors;

use serde_json::{json, Map, Value};

/// Converts shell output holding one document to Extended JSON.
pub fn to_json(text: &str) -> Result<Value, String> {
    let mut start = document_start(text, 0)
        .ok_or_else(|| "no document found (no line starts with '{')".to_string())?;
    loop {
        let mut parser = Parser {
            src: text.as_bytes(),
            pos: start,
            text,
        };
        let value = parser.value(0)?;
        parser.skip_space();
        if parser.pos < parser.src.len() {
            // Only what follows on later lines (a prompt, "bye") may be ignored.
            let rest = &text[parser.pos..];
            let line_break_before = text[..parser.pos]
                .rfind('\n')
                .is_some_and(|nl| text[nl..parser.pos].trim().is_empty());
            if !line_break_before {
                return Err(parser.error(&format!(
                    "unexpected text after the document: {}",
                    snippet(rest)
                )));
            }
            // Another document follows (the legacy shell's JSON log lines come
            // before the result; a capture file may have been appended to):
            // the last one is the status.
            if let Some(next) = document_start(text, parser.pos) {
                start = next;
                continue;
            }
        }
        return Ok(value);
    }
}

/// Byte offset of the first line from `from` on whose first non-blank character is `{`.
fn document_start(text: &str, from: usize) -> Option<usize> {
    let mut offset = from;
    for line in text[from..].split_inclusive('\n') {
        let trimmed = line.trim_start();
        if trimmed.starts_with('{') {
            return Some(offset + (line.len() - trimmed.len()));
        }
        offset += line.len();
    }
    None
}

fn snippet(text: &str) -> String {
    let t: String = text.trim().chars().take(30).collect();
    format!("'{t}'")
}

/// Nesting deeper than this is refused rather than risking the stack.
const MAX_DEPTH: usize = 128;

struct Parser<'a> {
    src: &'a [u8],
    pos: usize,
    text: &'a str,
}

impl Parser<'_> {
    fn line(&self) -> usize {
        self.text[..self.pos.min(self.text.len())]
            .bytes()
            .filter(|&b| b == b'\n')
            .count()
            + 1
    }

    fn error(&self, message: &str) -> String {
        format!("line {}: {message}", self.line())
    }

    fn peek(&self) -> Option<u8> {
        self.src.get(self.pos).copied()
    }

    fn found(&self) -> String {
        match self.peek() {
            None => "the end of the input".to_string(),
            Some(_) => snippet(&self.text[self.pos..]),
        }
    }

    /// Blanks and JavaScript comments (`// …` to the end of the line, `/* … */`).
    fn skip_space(&mut self) {
        while let Some(b) = self.peek() {
            if b.is_ascii_whitespace() {
                self.pos += 1;
            } else if self.src[self.pos..].starts_with(b"//") {
                while self.peek().is_some_and(|b| b != b'\n') {
                    self.pos += 1;
                }
            } else if self.src[self.pos..].starts_with(b"/*") {
                // An unterminated comment runs to the end: the caller then says
                // what it expected and found the end of the input.
                self.pos = match self.text[self.pos + 2..].find("*/") {
                    Some(end) => self.pos + 2 + end + 2,
                    None => self.src.len(),
                };
            } else {
                break;
            }
        }
    }

    fn expect(&mut self, byte: u8, what: &str) -> Result<(), String> {
        self.skip_space();
        if self.peek() == Some(byte) {
            self.pos += 1;
            Ok(())
        } else {
            Err(self.error(&format!("expected {what}, found {}", self.found())))
        }
    }

    fn value(&mut self, depth: usize) -> Result<Value, String> {
        if depth > MAX_DEPTH {
            return Err(self.error("document nested too deeply"));
        }
        self.skip_space();
        match self.peek() {
            Some(b'{') => self.object(depth),
            Some(b'[') => self.array(depth),
            Some(b'"') | Some(b'\'') | Some(b'`') => Ok(Value::String(self.string()?)),
            Some(b'-') | Some(b'+') | Some(b'.') | Some(b'0'..=b'9') => self.number(),
            Some(b) if is_ident_start(b) => self.word(depth),
            _ => Err(self.error(&format!("expected a value, found {}", self.found()))),
        }
    }

    fn object(&mut self, depth: usize) -> Result<Value, String> {
        self.pos += 1; // '{'
        let mut map = Map::new();
        loop {
            self.skip_space();
            if self.peek() == Some(b'}') {
                self.pos += 1;
                return Ok(Value::Object(map));
            }
            let key = match self.peek() {
                Some(b'"') | Some(b'\'') | Some(b'`') => self.string()?,
                Some(b) if is_ident_char(b) => self.ident(),
                _ => {
                    return Err(
                        self.error(&format!("expected a field name, found {}", self.found()))
                    )
                }
            };
            self.expect(b':', &format!("':' after field '{key}'"))?;
            let value = self.value(depth + 1)?;
            map.insert(key, value);
            self.skip_space();
            match self.peek() {
                Some(b',') => self.pos += 1,
                Some(b'}') => {}
                _ => {
                    return Err(self.error(&format!(
                        "expected ',' or '}}' after a field, found {}",
                        self.found()
                    )))
                }
            }
        }
    }

    fn array(&mut self, depth: usize) -> Result<Value, String> {
        self.pos += 1; // '['
        let mut items = Vec::new();
        loop {
            self.skip_space();
            if self.peek() == Some(b']') {
                self.pos += 1;
                return Ok(Value::Array(items));
            }
            items.push(self.value(depth + 1)?);
            self.skip_space();
            match self.peek() {
                Some(b',') => self.pos += 1,
                Some(b']') => {}
                _ => {
                    return Err(self.error(&format!(
                        "expected ',' or ']' in a list, found {}",
                        self.found()
                    )))
                }
            }
        }
    }

    fn string(&mut self) -> Result<String, String> {
        let quote = self.src[self.pos];
        self.pos += 1;
        let mut out = String::new();
        loop {
            let rest = &self.text[self.pos..];
            let mut chars = rest.char_indices();
            let Some((_, c)) = chars.next() else {
                return Err(self.error("unterminated string"));
            };
            if c == '\n' {
                return Err(self.error("line break inside a string"));
            }
            self.pos += c.len_utf8();
            match c {
                c if c as u32 == quote as u32 => return Ok(out),
                '\\' => {
                    let Some(e) = self.peek() else {
                        return Err(self.error("unterminated string"));
                    };
                    self.pos += 1;
                    match e {
                        b'"' => out.push('"'),
                        b'\'' => out.push('\''),
                        b'\\' => out.push('\\'),
                        b'/' => out.push('/'),
                        b'b' => out.push('\u{8}'),
                        b'f' => out.push('\u{c}'),
                        b'n' => out.push('\n'),
                        b'r' => out.push('\r'),
                        b't' => out.push('\t'),
                        b'0' => out.push('\0'),
                        b'u' => {
                            let high = self.hex4()?;
                            let code = if (0xD800..0xDC00).contains(&high)
                                && self.src.get(self.pos..self.pos + 2) == Some(b"\\u")
                            {
                                self.pos += 2;
                                let low = self.hex4()?;
                                0x10000
                                    + ((high - 0xD800) << 10)
                                    + (low.wrapping_sub(0xDC00) & 0x3FF)
                            } else {
                                high
                            };
                            out.push(char::from_u32(code).unwrap_or('\u{FFFD}'));
                        }
                        _ => {
                            // JavaScript keeps the character of an unknown escape.
                            self.pos -= 1;
                            let c = self.text[self.pos..].chars().next().unwrap_or('\\');
                            self.pos += c.len_utf8();
                            out.push(c);
                        }
                    }
                }
                c => out.push(c),
            }
        }
    }

    fn hex4(&mut self) -> Result<u32, String> {
        let digits = self
            .text
            .get(self.pos..self.pos + 4)
            .filter(|d| d.bytes().all(|b| b.is_ascii_hexdigit()))
            .ok_or_else(|| self.error("bad \\u escape in a string"))?;
        self.pos += 4;
        Ok(u32::from_str_radix(digits, 16).expect("checked hex digits"))
    }

    fn number(&mut self) -> Result<Value, String> {
        let start = self.pos;
        if matches!(self.peek(), Some(b'-') | Some(b'+')) {
            self.pos += 1;
        }
        // -Infinity, +Infinity
        if self.peek().is_some_and(is_ident_start) {
            let word = self.ident();
            let negative = self.src[start] == b'-';
            return match word.as_str() {
                "Infinity" if negative => Ok(json!({"$numberDouble": "-Infinity"})),
                "Infinity" => Ok(json!({"$numberDouble": "Infinity"})),
                _ => Err(self.error(&format!("expected a number, found '{word}'"))),
            };
        }
        while let Some(b) = self.peek() {
            let exponent_sign =
                matches!(b, b'+' | b'-') && matches!(self.src[self.pos - 1], b'e' | b'E');
            if b.is_ascii_digit() || matches!(b, b'.' | b'e' | b'E') || exponent_sign {
                self.pos += 1;
            } else {
                break;
            }
        }
        let text = self.text[start..self.pos].trim_start_matches('+');
        parse_number(text).ok_or_else(|| self.error(&format!("bad number '{text}'")))
    }

    fn ident(&mut self) -> String {
        let start = self.pos;
        while self.peek().is_some_and(is_ident_char) {
            self.pos += 1;
        }
        self.text[start..self.pos].to_string()
    }

    /// A dotted name (`Binary.createFromBase64`), a keyword or a constructor call.
    fn word(&mut self, depth: usize) -> Result<Value, String> {
        let mut name = self.ident();
        if name == "new" {
            self.skip_space();
            name = self.ident();
        }
        while self.peek() == Some(b'.')
            && self
                .src
                .get(self.pos + 1)
                .is_some_and(|&b| is_ident_start(b))
        {
            self.pos += 1;
            name.push('.');
            name.push_str(&self.ident());
        }
        match name.as_str() {
            "true" => return Ok(Value::Bool(true)),
            "false" => return Ok(Value::Bool(false)),
            "null" | "undefined" => return Ok(Value::Null),
            "NaN" => return Ok(json!({"$numberDouble": "NaN"})),
            "Infinity" => return Ok(json!({"$numberDouble": "Infinity"})),
            _ => {}
        }
        self.skip_space();
        let args = if self.peek() == Some(b'(') {
            self.pos += 1;
            let mut args = Vec::new();
            loop {
                self.skip_space();
                if self.peek() == Some(b')') {
                    self.pos += 1;
                    break;
                }
                args.push(self.value(depth + 1)?);
                self.skip_space();
                match self.peek() {
                    Some(b',') => self.pos += 1,
                    Some(b')') => {}
                    _ => {
                        return Err(self.error(&format!(
                            "expected ',' or ')' in {name}(…), found {}",
                            self.found()
                        )))
                    }
                }
            }
            Some(args)
        } else {
            None
        };
        self.construct(&name, args)
    }
}

fn is_ident_start(b: u8) -> bool {
    b.is_ascii_alphabetic() || b == b'_' || b == b'$'
}

fn is_ident_char(b: u8) -> bool {
    b.is_ascii_alphanumeric() || b == b'_' || b == b'$'
}

fn parse_number(text: &str) -> Option<Value> {
    if text.is_empty() {
        return None;
    }
    if let Ok(i) = text.parse::<i64>() {
        return Some(Value::from(i));
    }
    let f: f64 = text.parse().ok()?;
    serde_json::Number::from_f64(f).map(Value::Number)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn legacy_shell_values() {
        let doc = to_json(
            r#"MongoDB shell version v5.0.26
connecting to: mongodb://127.0.0.1:27017/?compressors=disabled&gssapiServiceName=mongodb
Implicit session: session { "id" : UUID("59806e01-1811-4d4d-988e-3b696e683316") }
MongoDB server version: 5.0.26
{
	"set" : "sre_location",
	"date" : ISODate("2024-06-20T10:20:42.319Z"),
	"term" : NumberLong(1),
	"n" : NumberInt(-3),
	"ts" : Timestamp(1718878840, 1),
	"hash" : BinData(0,"AAAAAAAAAAAAAAAAAAAAAAAAAAA="),
	"id" : UUID("59806e01-1811-4d4d-988e-3b696e683316"),
	"oid" : ObjectId("5f1d7a3e9c1b2a0011223344"),
	"dec" : NumberDecimal("1.5"),
	"list" : [ 1, 2.5, -3e2, "a\"b", true, false, null ],
}
"#,
        )
        .unwrap();
        assert_eq!(doc["set"], "sre_location");
        assert_eq!(
            doc["date"],
            json!({"$date": {"$numberLong": "1718878842319"}})
        );
        assert_eq!(doc["term"], json!({"$numberLong": "1"}));
        assert_eq!(doc["n"], json!({"$numberInt": "-3"}));
        assert_eq!(
            doc["ts"],
            json!({"$timestamp": {"t": 1718878840u64, "i": 1}})
        );
        assert_eq!(
            doc["hash"],
            json!({"$binary": {"base64": "AAAAAAAAAAAAAAAAAAAAAAAAAAA=", "subType": "00"}})
        );
        assert_eq!(
            doc["id"],
            json!({"$uuid": "59806e01-1811-4d4d-988e-3b696e683316"})
        );
        assert_eq!(doc["oid"], json!({"$oid": "5f1d7a3e9c1b2a0011223344"}));
        assert_eq!(doc["dec"], json!({"$numberDecimal": "1.5"}));
        assert_eq!(
            doc["list"],
            json!([1, 2.5, -300.0, "a\"b", true, false, null])
        );
    }

    #[test]
    fn mongosh_values() {
        let doc = to_json(
            r#"rs0 [direct: secondary] test> rs.status()
{
  set: 'rs0',
  date: ISODate('2024-06-20T10:20:42.319Z'),
  myState: 2,
  term: Long('1'),
  'quoted key': 'it\'s',
  ts: Timestamp({ t: 1718878840, i: 1 }),
  hash: Binary.createFromBase64('AAAA', 0),
  old: Binary(Buffer.from("00ff", "hex"), 4),
  hex: Binary.createFromHexString('0102', 3),
  n: Int32(7),
  d: Double(2.5),
  lo: MinKey(),
  hi: MaxKey,
  u: undefined,
  inf: -Infinity,
  $clusterTime: { signature: { keyId: Long("0") } }
}
rs0 [direct: secondary] test>"#,
        )
        .unwrap();
        assert_eq!(doc["set"], "rs0");
        assert_eq!(
            doc["date"],
            json!({"$date": {"$numberLong": "1718878842319"}})
        );
        assert_eq!(doc["term"], json!({"$numberLong": "1"}));
        assert_eq!(doc["quoted key"], "it's");
        assert_eq!(
            doc["ts"],
            json!({"$timestamp": {"t": 1718878840u64, "i": 1}})
        );
        assert_eq!(doc["hash"]["$binary"]["subType"], "00");
        assert_eq!(
            doc["old"],
            json!({"$binary": {"base64": "AP8=", "subType": "04"}})
        );
        assert_eq!(
            doc["hex"],
            json!({"$binary": {"base64": "AQI=", "subType": "03"}})
        );
        assert_eq!(doc["n"], json!({"$numberInt": "7"}));
        assert_eq!(doc["d"], json!({"$numberDouble": "2.5"}));
        assert_eq!(doc["lo"], json!({"$minKey": 1}));
        assert_eq!(doc["hi"], json!({"$maxKey": 1}));
        assert_eq!(doc["u"], Value::Null);
        assert_eq!(doc["inf"], json!({"$numberDouble": "-Infinity"}));
        assert_eq!(
            doc["$clusterTime"]["signature"]["keyId"],
            json!({"$numberLong": "0"})
        );
    }

    #[test]
    fn plain_json_and_unicode_pass_through() {
        let doc = to_json(r#"{"a": {"b": [1, {"c": "é\u00e9\ud83d\ude00"}]}, "d": -0.5}"#).unwrap();
        assert_eq!(doc, json!({"a": {"b": [1, {"c": "éé😀"}]}, "d": -0.5}));
    }

    #[test]
    fn errors_name_the_line_and_the_problem() {
        let cases = [
            ("no document here\n", "no document found"),
            (
                "{\n  a: 1,\n  b: Frobnicate(2)\n}",
                "line 3: unsupported shell value Frobnicate",
            ),
            (
                "{\n  a: 1\n  b: 2\n}",
                "line 3: expected ',' or '}' after a field",
            ),
            ("{ a: 'open\n}", "line 1: line break inside a string"),
            ("{ a: [1, 2 }", "expected ',' or ']' in a list"),
            (
                "{ a: 1 ",
                "expected ',' or '}' after a field, found the end of the input",
            ),
            ("{ a: NumberLong('x') }", "NumberLong(…): not an integer"),
            ("{ a: NumberInt(99999999999) }", "not a 32-bit integer"),
            ("{ a: ISODate('yesterday') }", "not an ISO date"),
            ("{ a: Timestamp(1) }", "expected (seconds, increment)"),
            ("{ a: 1 } trailing", "unexpected text after the document"),
            ("{ a: bogus }", "unknown word 'bogus'"),
            ("{ a: 1.2.3 }", "bad number '1.2.3'"),
        ];
        for (input, expected) in cases {
            let error = to_json(input).unwrap_err();
            assert!(error.contains(expected), "{input:?}: {error}");
        }
        let deep = "{a:".repeat(500) + "1" + &"}".repeat(500);
        assert!(to_json(&deep).unwrap_err().contains("nested too deeply"));
    }

    /// The legacy shell (4.4, 5.0) may print its own JSON log lines before the
    /// result, and a capture file a collector appends to holds several results:
    /// the last document is the status to judge, never an older one.
    #[test]
    fn the_last_of_several_documents_is_taken() {
        let text = r#"MongoDB shell version v5.0.26
connecting to: mongodb://10.0.161.62:27017/?replicaSet=sre_location
{"t":{"$date":"2024-06-20T10:20:42.100Z"},"s":"I",  "c":"NETWORK",  "id":5490002, "ctx":"thread1","msg":"Started a new thread for the timer service"}
Implicit session: session { "id" : UUID("59806e01-1811-4d4d-988e-3b696e683316") }
MongoDB server version: 5.0.26
{
	"set" : "sre_location",
	"myState" : 2
}
"#;
        let doc = to_json(text).unwrap();
        assert_eq!(doc["set"], "sre_location");
        let appended = "{ set: 'old', myState: 1 }\n{ set: 'new', myState: 8 }\n";
        assert_eq!(to_json(appended).unwrap()["set"], "new");
        // A newer capture that cut off is an error, not a reason to judge the older one.
        let error = to_json("{ set: 'old' }\n{ set: 'new',\n").unwrap_err();
        assert!(error.contains("found the end of the input"), "{error}");
    }

    /// The MongoDB manual's rs.status() examples carry `//` remarks, and a paste
    /// in a ticket may be annotated: comments are blanks, not the end of the road.
    #[test]
    fn comments_are_skipped() {
        let doc = to_json(
            "{\n   \"majorityVoteCount\" : 2,        // Available starting in 4.2.1\n   \
             /* a remark\n      over lines */ \"url\" : \"http://x//y\",\n   \
             \"n\" : -1 // last\n} // the end\n",
        )
        .unwrap();
        assert_eq!(
            doc,
            json!({"majorityVoteCount": 2, "url": "http://x//y", "n": -1})
        );
        let error = to_json("{ a: 1 /* open").unwrap_err();
        assert!(error.contains("found the end of the input"), "{error}");
    }

    /// Node's util.inspect (mongosh) quotes a string holding both ' and " with backticks.
    #[test]
    fn backtick_strings_from_mongosh() {
        let doc = to_json("{\n  lastHeartbeatMessage: `can't reach \"a\"`,\n  `k`: 1\n}").unwrap();
        assert_eq!(doc["lastHeartbeatMessage"], "can't reach \"a\"");
        assert_eq!(doc["k"], 1);
    }
}
