//! Rendering the built report as Markdown or HTML. Only formatting: every text was chosen by `build`.

use super::build::{Block, Built, Span};

fn is_line_break(c: char) -> bool {
    matches!(c, '\n' | '\r' | '\u{0B}' | '\u{0C}' | '\u{85}' | '\u{2028}' | '\u{2029}')
}

/// `s` on one line: each run of line breaks becomes one space (other spacing is kept as written).
pub(super) fn one_line(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    let mut in_break = false;
    for c in s.chars() {
        if is_line_break(c) {
            if !in_break {
                out.push(' ');
            }
            in_break = true;
        } else {
            out.push(c);
            in_break = false;
        }
    }
    out
}

/// A Markdown table cell: one line, and no `|` (replaced by `/`), so no text can break the table.
pub(super) fn md_cell(s: &str) -> String {
    one_line(s).replace('|', "/")
}

fn md_spans(spans: &[Span], single_line: bool) -> String {
    let mut out = String::new();
    for span in spans {
        match span {
            Span::Strong(s) => {
                // Keep a leading space outside the markers: "** x**" is not bold in CommonMark.
                let trimmed = s.trim_start();
                out.push_str(&s[..s.len() - trimmed.len()]);
                out.push_str(&format!("**{}**", one_line(trimmed)));
            }
            Span::Plain(s) if single_line => out.push_str(&one_line(s)),
            Span::Plain(s) => out.push_str(s),
        }
    }
    out.trim_end().to_string()
}

pub(super) fn render_markdown(built: &Built) -> String {
    let mut out = String::new();
    for block in &built.blocks {
        match block {
            Block::Heading(level, text) => {
                out.push_str(&"#".repeat(usize::from(*level)));
                out.push(' ');
                out.push_str(&one_line(text));
                out.push_str("\n\n");
            }
            Block::Para(spans) => {
                out.push_str(&md_spans(spans, false));
                out.push_str("\n\n");
            }
            Block::List(items) => {
                for item in items {
                    out.push_str("- ");
                    out.push_str(&md_spans(item, true));
                    out.push('\n');
                }
                out.push('\n');
            }
            Block::Table(head, rows) => {
                out.push_str(&format!("| {} |\n", head.join(" | ")));
                out.push_str(&format!("|{}\n", " --- |".repeat(head.len())));
                for row in rows {
                    let cells: Vec<String> = row.iter().map(|c| md_cell(c)).collect();
                    out.push_str(&format!("| {} |\n", cells.join(" | ")));
                }
                out.push('\n');
            }
        }
    }
    format!("{}\n", out.trim_end())
}

/// `s` escaped for HTML text and attribute values.
fn esc(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            '\0' => out.push('\u{FFFD}'),
            c => out.push(c),
        }
    }
    out
}

/// `s` escaped, with its line breaks kept as `<br>`.
pub(super) fn esc_lines(s: &str) -> String {
    let lines: Vec<String> = s.lines().map(esc).collect();
    lines.join("<br>\n")
}

fn html_spans(spans: &[Span]) -> String {
    let mut out = String::new();
    for span in spans {
        match span {
            Span::Strong(s) => {
                let trimmed = s.trim_start();
                out.push_str(&s[..s.len() - trimmed.len()]);
                out.push_str(&format!("<strong>{}</strong>", esc(trimmed)));
            }
            Span::Plain(s) => out.push_str(&esc_lines(s)),
        }
    }
    out.trim_end().to_string()
}

const CSS: &str = "body{font-family:sans-serif;max-width:60em;margin:2em auto;padding:0 1em;line-height:1.4}\
table{border-collapse:collapse;margin:1em 0}th,td{border:1px solid #999;padding:.3em .5em;text-align:left;\
vertical-align:top}th{background:#eee}";

pub(super) fn render_html(built: &Built) -> String {
    let mut out = String::new();
    out.push_str("<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n");
    out.push_str("<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n");
    out.push_str(&format!("<title>{}</title>\n<style>{CSS}</style>\n</head>\n<body>\n", esc(&one_line(&built.title))));
    for block in &built.blocks {
        match block {
            Block::Heading(level, text) => {
                out.push_str(&format!("<h{level}>{}</h{level}>\n", esc(&one_line(text))));
            }
            Block::Para(spans) => out.push_str(&format!("<p>{}</p>\n", html_spans(spans))),
            Block::List(items) => {
                out.push_str("<ul>\n");
                for item in items {
                    out.push_str(&format!("<li>{}</li>\n", html_spans(item)));
                }
                out.push_str("</ul>\n");
            }
            Block::Table(head, rows) => {
                out.push_str("<table>\n<thead><tr>");
                for h in head.iter() {
                    out.push_str(&format!("<th>{}</th>", esc(h)));
                }
                out.push_str("</tr></thead>\n<tbody>\n");
                for row in rows {
                    out.push_str("<tr>");
                    for cell in row {
                        out.push_str(&format!("<td>{}</td>", esc_lines(cell)));
                    }
                    out.push_str("</tr>\n");
                }
                out.push_str("</tbody>\n</table>\n");
            }
        }
    }
    out.push_str("</body>\n</html>\n");
    out
}
