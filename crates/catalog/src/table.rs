//! A small RFC 4180 reader for the embedded catalog files: comma separator, fields optionally
//! in double quotes, `""` for a quote inside a quoted field, quoted fields may hold commas and
//! line breaks, LF or CRLF line ends, an optional UTF-8 byte-order mark. Strict: a quote inside
//! an unquoted field or text after a closing quote is an error, not guessed at.

/// One record with the line it starts on (1-based).
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Record {
    pub(crate) line: usize,
    pub(crate) fields: Vec<String>,
}

/// Why a text is not well-formed CSV.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum CsvError {
    /// A quoted field that runs to the end of the text.
    #[error("line {line}: quoted field is not closed")]
    Unterminated {
        /// Line where the record starts.
        line: usize,
    },
    /// Something other than a comma or line end after a closing quote.
    #[error("line {line}: unexpected {found:?} after a closing quote")]
    AfterQuote {
        /// Line of the closing quote.
        line: usize,
        /// The character found.
        found: char,
    },
    /// A double quote inside a field that does not start with one.
    #[error("line {line}: double quote inside an unquoted field")]
    BareQuote {
        /// Line of the quote.
        line: usize,
    },
}

/// Splits `text` into records. Empty lines are skipped.
pub(crate) fn parse(text: &str) -> Result<Vec<Record>, CsvError> {
    let text = text.strip_prefix('\u{feff}').unwrap_or(text);
    let mut chars = text.chars().peekable();
    let mut records = Vec::new();
    let mut line = 1usize;
    while chars.peek().is_some() {
        let start = line;
        let mut fields = Vec::new();
        let mut quoted_any = false;
        loop {
            let mut field = String::new();
            if chars.peek() == Some(&'"') {
                quoted_any = true;
                chars.next();
                loop {
                    match chars.next() {
                        None => return Err(CsvError::Unterminated { line: start }),
                        Some('"') => {
                            if chars.peek() == Some(&'"') {
                                chars.next();
                                field.push('"');
                            } else {
                                break;
                            }
                        }
                        Some(c) => {
                            if c == '\n' {
                                line += 1;
                            }
                            field.push(c);
                        }
                    }
                }
                if chars.peek() == Some(&'\r') {
                    chars.next();
                    if chars.peek() != Some(&'\n') {
                        return Err(CsvError::AfterQuote { line, found: '\r' });
                    }
                }
                match chars.peek() {
                    None | Some(',') | Some('\n') => {}
                    Some(&found) => return Err(CsvError::AfterQuote { line, found }),
                }
            } else {
                loop {
                    match chars.peek() {
                        None | Some(',') | Some('\n') => break,
                        Some('"') => return Err(CsvError::BareQuote { line }),
                        Some(&c) => {
                            field.push(c);
                            chars.next();
                        }
                    }
                }
                if chars.peek() == Some(&'\n') && field.ends_with('\r') {
                    field.pop();
                }
            }
            fields.push(field);
            match chars.next() {
                Some(',') => {}
                Some('\n') => {
                    line += 1;
                    break;
                }
                _ => break,
            }
        }
        let blank = !quoted_any && fields.len() == 1 && fields.iter().all(String::is_empty);
        if !blank {
            records.push(Record {
                line: start,
                fields,
            });
        }
    }
    Ok(records)
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn fields(text: &str) -> Vec<Vec<String>> {
        parse(text).unwrap().into_iter().map(|r| r.fields).collect()
    }

    #[test]
    fn plain_and_quoted_fields() {
        let text = "a,b,c\n1,\"x, y\",\"say \"\"hi\"\"\"\n,,\n";
        assert_eq!(
            fields(text),
            vec![
                vec!["a", "b", "c"],
                vec!["1", "x, y", "say \"hi\""],
                vec!["", "", ""],
            ]
        );
    }

    #[test]
    fn line_numbers_count_breaks_inside_quotes() {
        let recs = parse("h\n\"two\nlines\"\nlast").unwrap();
        assert_eq!(recs.len(), 3);
        assert_eq!(recs[1].fields, vec!["two\nlines"]);
        assert_eq!(recs[1].line, 2);
        assert_eq!(recs[2].line, 4);
    }

    #[test]
    fn crlf_bom_blank_lines_and_missing_final_newline() {
        assert_eq!(
            fields("\u{feff}a,\"b\"\r\n\r\nc,d"),
            vec![vec!["a", "b"], vec!["c", "d"]]
        );
        assert_eq!(fields("\"\"\n"), vec![vec![""]]);
        assert_eq!(fields("x,\n"), vec![vec!["x", ""]]);
    }

    #[test]
    fn malformed_input_is_an_error() {
        assert_eq!(parse("a\n\"open"), Err(CsvError::Unterminated { line: 2 }));
        assert_eq!(
            parse("\"a\"b"),
            Err(CsvError::AfterQuote {
                line: 1,
                found: 'b'
            })
        );
        assert_eq!(parse("a\"b"), Err(CsvError::BareQuote { line: 1 }));
    }

    fn write_field(f: &str) -> String {
        if f.contains([',', '"', '\n', '\r']) || f.is_empty() {
            format!("\"{}\"", f.replace('"', "\"\""))
        } else {
            f.to_string()
        }
    }

    proptest! {
        #[test]
        fn never_panics(text in any::<String>()) {
            let _ = parse(&text);
        }

        #[test]
        fn written_records_read_back(
            rows in prop::collection::vec(
                prop::collection::vec("[a-z ,\"\n\r;()]{0,8}", 1..5),
                1..6,
            )
        ) {
            let text: String = rows
                .iter()
                .map(|r| r.iter().map(|f| write_field(f)).collect::<Vec<_>>().join(",") + "\n")
                .collect();
            prop_assert_eq!(fields(&text), rows);
        }
    }
}
