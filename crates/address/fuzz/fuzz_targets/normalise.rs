//! Arbitrary bytes through the normaliser and the parser: no panic, and
//! normalising twice changes nothing.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let text = String::from_utf8_lossy(data);
    let once = address::normalise(&text);
    assert_eq!(address::normalise(&once), once);
    let _ = address::parse(&text);
});
