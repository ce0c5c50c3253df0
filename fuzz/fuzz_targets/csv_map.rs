#![no_main]

use leaktrace_ingest::social::generic::ColumnMap;
use leaktrace_ingest::time::TimeFormat;
use leaktrace_ingest::{Format, ParseOptions, SourceContext, open_parser};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let map = ColumnMap::parse(
        "id=id,author=user,author_name=name,time=time,text=text,language=lang,kind=kind,repost_of=rt,\
         reply_to=re,quote_of=qt,target_account=to,urls=urls,hashtags=tags,mentions=at,followers=fol,following=fing",
        TimeFormat::Auto,
    )
    .expect("fixed map is valid");
    let ctx = SourceContext::new("fuzz", [0u8; 32]);
    let opts = ParseOptions { map: Some(map) };
    if let Ok(events) = open_parser(Format::Csv, Box::new(std::io::Cursor::new(data.to_vec())), &ctx, &opts) {
        // An error ends a source, as it does for real callers.
        for ev in events {
            if ev.is_err() {
                break;
            }
        }
    }
});
