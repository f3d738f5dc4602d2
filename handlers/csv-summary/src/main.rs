//! `csv-summary`: prints statistics of numeric columns of a CSV table, one
//! line per column, for the whole table or for each group of rows.
//!
//! A *group* is the rows that share a value in the `groupBy` column.

mod data;

use std::fmt;

use data::{Data, Stat};

enschedule_sdk::embed_manifest!();

fn main() {
    enschedule_sdk::run(|data: Data| {
        for line in summarize(&data)? {
            println!("{line}");
        }
        Ok::<(), SummaryError>(())
    })
}

/// Why a table could not be summarized.
#[derive(Debug)]
enum SummaryError {
    Delimiter(char),
    Csv(csv::Error),
    NoColumn {
        name: String,
        header: Vec<String>,
    },
    NotANumber {
        line: u64,
        column: String,
        cell: String,
    },
}

impl fmt::Display for SummaryError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            SummaryError::Delimiter(c) => {
                write!(f, "the delimiter must be one ASCII character, not `{c}`")
            }
            SummaryError::Csv(e) => write!(f, "the table is not valid CSV: {e}"),
            SummaryError::NoColumn { name, header } => {
                write!(
                    f,
                    "no column `{name}`; the header has {}",
                    header.join(", ")
                )
            }
            SummaryError::NotANumber { line, column, cell } => {
                write!(
                    f,
                    "line {line}, column `{column}`: `{cell}` is not a number"
                )
            }
        }
    }
}

impl From<csv::Error> for SummaryError {
    fn from(e: csv::Error) -> Self {
        SummaryError::Csv(e)
    }
}

/// The numbers seen in one column of one group.
#[derive(Default)]
struct Column {
    count: u64,
    sum: f64,
    min: Option<f64>,
    max: Option<f64>,
}

impl Column {
    fn add(&mut self, number: f64) {
        self.count += 1;
        self.sum += number;
        self.min = Some(self.min.map_or(number, |m| m.min(number)));
        self.max = Some(self.max.map_or(number, |m| m.max(number)));
    }

    fn stat(&self, stat: Stat) -> String {
        let number = match stat {
            Stat::Count => return self.count.to_string(),
            Stat::Sum => Some(self.sum),
            Stat::Min => self.min,
            Stat::Max => self.max,
            Stat::Mean => (self.count > 0).then(|| self.sum / self.count as f64),
        };
        number.map_or_else(|| "-".to_string(), show)
    }
}

/// Reads the table and returns the lines to print: for each group (or the
/// whole table), one line per column.
fn summarize(data: &Data) -> Result<Vec<String>, SummaryError> {
    let delimiter = u8::try_from(data.delimiter)
        .ok()
        .filter(u8::is_ascii)
        .ok_or(SummaryError::Delimiter(data.delimiter))?;
    let mut reader = csv::ReaderBuilder::new()
        .delimiter(delimiter)
        .trim(csv::Trim::All)
        .from_reader(data.csv.as_bytes());
    let header: Vec<String> = reader.headers()?.iter().map(str::to_string).collect();
    let position = |name: &String| {
        header
            .iter()
            .position(|h| h == name)
            .ok_or_else(|| SummaryError::NoColumn {
                name: name.clone(),
                header: header.clone(),
            })
    };
    let columns = data
        .columns
        .iter()
        .map(position)
        .collect::<Result<Vec<usize>, _>>()?;
    let group_by = data.group_by.as_ref().map(position).transpose()?;

    // Groups in the order their value first appears; the whole table is the
    // one group with no name.
    let mut groups: Vec<(Option<String>, Vec<Column>)> = Vec::new();
    for record in reader.records() {
        let record = record?;
        let name = group_by.map(|g| record.get(g).unwrap_or("").to_string());
        let index = match groups.iter().position(|(n, _)| *n == name) {
            Some(index) => index,
            None => {
                groups.push((name, columns.iter().map(|_| Column::default()).collect()));
                groups.len() - 1
            }
        };
        for (seen, &column) in groups[index].1.iter_mut().zip(&columns) {
            let cell = record.get(column).unwrap_or("");
            if cell.is_empty() {
                continue;
            }
            match cell.parse::<f64>() {
                Ok(number) if number.is_finite() => seen.add(number),
                _ => {
                    return Err(SummaryError::NotANumber {
                        line: record.position().map_or(0, |p| p.line()),
                        column: header[column].clone(),
                        cell: cell.to_string(),
                    });
                }
            }
        }
    }
    if groups.is_empty() && group_by.is_none() {
        groups.push((None, columns.iter().map(|_| Column::default()).collect()));
    }

    let mut lines = Vec::new();
    for (name, seen) in &groups {
        let prefix = match (name, &data.group_by) {
            (Some(value), Some(column)) => format!("{column}={value} "),
            _ => String::new(),
        };
        for (column, seen) in data.columns.iter().zip(seen) {
            let stats: Vec<String> = data
                .stats
                .iter()
                .map(|&stat| format!("{} {}", stat_name(stat), seen.stat(stat)))
                .collect();
            lines.push(format!("{prefix}{column}: {}", stats.join(", ")));
        }
    }
    Ok(lines)
}

fn stat_name(stat: Stat) -> &'static str {
    match stat {
        Stat::Count => "count",
        Stat::Sum => "sum",
        Stat::Min => "min",
        Stat::Max => "max",
        Stat::Mean => "mean",
    }
}

/// A number as people write it: at most six decimals, no trailing zeros,
/// so that `0.1 + 0.2` shows as `0.3`.
fn show(number: f64) -> String {
    let text = format!("{number:.6}");
    let text = text.trim_end_matches('0').trim_end_matches('.');
    match text {
        "-0" => "0".to_string(),
        _ => text.to_string(),
    }
}
