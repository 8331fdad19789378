//! SIP responses and their framing (UDP datagrams and TCP streams), the agents file, -H values.
#![no_main]
use libfuzzer_sys::fuzz_target;
use opscheck::checks::sip_options::{self, Parsed};

fuzz_target!(|data: &[u8]| {
    // Framing: a parsed message never claims more bytes than it was given.
    if let Parsed::Message(_, used) = sip_options::parse_message(data) {
        assert!(used <= data.len());
    }
    let text = String::from_utf8_lossy(data);
    let _ = sip_options::parse_agents(&text);
    let _ = sip_options::agent_host(&text);
});
