//! Process identification from command lines (interpreters, scripts, titles), as read from /proc.
#![no_main]
use libfuzzer_sys::fuzz_target;
use opscheck::proc_match;
use opscheck::procs::ProcessInfo;

fuzz_target!(|data: &[u8]| {
    let text = String::from_utf8_lossy(data);
    let mut parts = text.split('\0');
    let comm: String = parts.next().unwrap_or("").chars().take(15).collect();
    let process = ProcessInfo {
        pid: 2,
        ppid: 1,
        comm,
        argv: parts.map(str::to_string).collect(),
        uid: 0,
        started: std::time::SystemTime::UNIX_EPOCH,
    };
    let _ = proc_match::program(&process);
    let _ = proc_match::identify(&process, &["seonrd", "sre-REST", "python3", "postgres: walsender"]);
    let _ = proc_match::describe(&process);
});
