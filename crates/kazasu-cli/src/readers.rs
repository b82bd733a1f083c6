//! `kazasu readers`: the PC/SC readers pcscd sees, and whether each holds a card.
//!
//! The subcommand exists in every build; without the `pcsc` feature it says so and exits 2, so
//! scripts get the same answer shape either way.

use clap::Args;

#[derive(Args, Debug)]
pub(crate) struct ReadersArgs {
    /// Print JSON: {"readers": [{"name", "has_card", "atr" (hex or null), "mute", "in_use", "exclusive"}]}.
    #[arg(long)]
    json: bool,
}

#[cfg(feature = "pcsc")]
pub(crate) use with_pcsc::run;

#[cfg(not(feature = "pcsc"))]
pub(crate) fn run(args: ReadersArgs) -> Result<(), crate::Failure> {
    let _ = args.json;
    Err(crate::Failure::usage(
        "this kazasu was built without PC/SC support: rebuild it with `--features pcsc` \
         (needs libpcsclite-dev), e.g. `cargo install kazasu-cli --features pcsc`",
    ))
}

/// The listing, with PC/SC; also [`with_pcsc::failure`], how the CLI reports any PC/SC error.
#[cfg(feature = "pcsc")]
pub(crate) mod with_pcsc {
    use super::ReadersArgs;
    use crate::Failure;

    /// One line of the listing; what `kazasu readers` prints about a reader.
    #[derive(Clone, PartialEq, Eq, Debug)]
    struct Row {
        name: String,
        has_card: bool,
        atr: Option<Vec<u8>>,
        mute: bool,
        in_use: bool,
        exclusive: bool,
    }

    fn hex(bytes: &[u8]) -> String {
        bytes.iter().map(|b| format!("{b:02X}")).collect()
    }

    fn to_json(rows: &[Row]) -> serde_json::Value {
        let readers: Vec<serde_json::Value> = rows
            .iter()
            .map(|r| {
                serde_json::json!({
                    "name": r.name,
                    "has_card": r.has_card,
                    "atr": r.atr.as_deref().map(hex),
                    "mute": r.mute,
                    "in_use": r.in_use,
                    "exclusive": r.exclusive,
                })
            })
            .collect();
        serde_json::json!({ "readers": readers })
    }

    fn to_text(rows: &[Row]) -> String {
        if rows.is_empty() {
            return "no readers: plug one in (pcscd is running and sees none)\n".into();
        }
        let width = rows
            .iter()
            .map(|r| r.name.chars().count())
            .max()
            .unwrap_or(0);
        let mut out = String::new();
        for r in rows {
            let state = match (r.has_card, r.mute, r.exclusive, r.in_use) {
                (false, ..) => "empty".to_owned(),
                (true, true, ..) => "card (mute: it does not answer)".to_owned(),
                (true, false, true, _) => "card (held exclusively by another program)".to_owned(),
                (true, false, false, true) => "card (in use)".to_owned(),
                (true, false, false, false) => "card".to_owned(),
            };
            let atr = r
                .atr
                .as_deref()
                .map(|a| format!("  ATR {}", hex(a)))
                .unwrap_or_default();
            out.push_str(&format!("{:<width$}  {state}{atr}\n", r.name));
        }
        out
    }

    impl From<kazasu_pcsc::ReaderInfo> for Row {
        fn from(r: kazasu_pcsc::ReaderInfo) -> Self {
            Self {
                name: r.name,
                has_card: r.has_card,
                atr: r.atr,
                mute: r.mute,
                in_use: r.in_use,
                exclusive: r.exclusive,
            }
        }
    }

    /// A PC/SC failure as the CLI reports it: the error's own message (it says what to do), exit 2.
    pub(crate) fn failure(e: kazasu_pcsc::Error) -> Failure {
        Failure::usage(e.to_string())
    }

    pub(crate) fn run(args: ReadersArgs) -> Result<(), Failure> {
        let rows: Vec<Row> = kazasu_pcsc::Readers::establish()
            .and_then(|r| r.list())
            .map_err(failure)?
            .into_iter()
            .map(Row::from)
            .collect();
        if args.json {
            println!("{}", to_json(&rows));
        } else {
            print!("{}", to_text(&rows));
        }
        Ok(())
    }

    #[cfg(test)]
    mod tests {
        use super::*;

        fn rows() -> Vec<Row> {
            vec![
                Row {
                    name: "Virtual PCD 00 00".into(),
                    has_card: true,
                    atr: Some(vec![0x3B, 0xE0, 0x00, 0xFF, 0x81, 0x31, 0xFE, 0x45, 0x14]),
                    mute: false,
                    in_use: false,
                    exclusive: false,
                },
                Row {
                    name: "Virtual PCD 00 01".into(),
                    has_card: false,
                    atr: None,
                    mute: false,
                    in_use: false,
                    exclusive: false,
                },
            ]
        }

        #[test]
        fn json_lists_every_reader_with_its_card() {
            let json = to_json(&rows());
            assert_eq!(json["readers"][0]["name"], "Virtual PCD 00 00");
            assert_eq!(json["readers"][0]["has_card"], true);
            assert_eq!(json["readers"][0]["atr"], "3BE000FF8131FE4514");
            assert_eq!(json["readers"][1]["has_card"], false);
            assert!(json["readers"][1]["atr"].is_null());
            assert_eq!(to_json(&[])["readers"].as_array().map(Vec::len), Some(0));
        }

        #[test]
        fn text_says_which_reader_holds_a_card() {
            let text = to_text(&rows());
            assert_eq!(
                text,
                "Virtual PCD 00 00  card  ATR 3BE000FF8131FE4514\nVirtual PCD 00 01  empty\n"
            );
            assert!(to_text(&[]).starts_with("no readers"));
        }
    }
}
