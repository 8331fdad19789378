//! check_cdr_api through a real Apache 2.4 (Debian apache2, in the foreground
//! as www-data on a loopback port) with the seed's `ProxyPass /api/cdr/` to a
//! CDR backend written for the test on other loopback ports. One Apache for
//! the whole test binary: each case has its own URL prefix, proxied to the
//! backend route that behaves that way.

use assert_cmd::Command;
use std::io::{Read, Write};
use std::net::{TcpListener, TcpStream};
use std::path::PathBuf;
use std::sync::OnceLock;
use std::time::Duration;

const CDRS: &str = "\"1285860649.5535\",\"96568\",\"91313\",\"2010-10-02 10:40:42\",\"2010-10-02 10:41:30\",\"48\",\"ANSWERED\"\n\
\"1285860650.5536\",\"96569\",\"91313\",\"2010-10-02 10:41:02\",\"2010-10-02 10:41:02\",\"0\",\"NO ANSWER\"\n\
\"1285860699.5540\",\"SDO10003\",\"0032475123456\",\"2010-10-02 10:42:10\",\"2010-10-02 10:44:15\",\"125\",\"ANSWERED\"\n";

struct Setup {
    apache: u16,
    silent: u16,
    _dir: tempfile::TempDir,
}

fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

fn read_head(stream: &mut TcpStream) -> String {
    let mut head = Vec::new();
    let mut byte = [0u8; 1];
    while !head.ends_with(b"\r\n\r\n") {
        match stream.read(&mut byte) {
            Ok(1) => head.push(byte[0]),
            _ => break,
        }
    }
    String::from_utf8_lossy(&head).into_owned()
}

/// The CDR backend: the route is the first path segment Apache passes on.
fn backend(listener: TcpListener) {
    for stream in listener.incoming() {
        let Ok(mut stream) = stream else { continue };
        std::thread::spawn(move || {
            let head = read_head(&mut stream);
            let path = head.split_whitespace().nth(1).unwrap_or("").to_string();
            let route = path.trim_start_matches('/').split('/').next().unwrap_or("");
            let plain = |body: &str| {
                format!(
                    "HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
                    body.len()
                )
            };
            let answer = match route {
                "ok" => plain(CDRS),
                "empty" => plain(""),
                "html" => plain("<html><body><h1>Internal error</h1></body></html>\n"),
                "missing" => {
                    "HTTP/1.1 404 Not Found\r\nContent-Length: 0\r\nConnection: close\r\n\r\n"
                        .to_string()
                }
                "slow" => {
                    std::thread::sleep(Duration::from_millis(1500));
                    plain(CDRS)
                }
                "chunked" => {
                    let mut text = "HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nTransfer-Encoding: chunked\r\nConnection: close\r\n\r\n".to_string();
                    for line in CDRS.lines() {
                        let chunk = format!("{line}\n");
                        text.push_str(&format!("{:x}\r\n{chunk}\r\n", chunk.len()));
                    }
                    text.push_str("0\r\n\r\n");
                    text
                }
                _ => "HTTP/1.1 500 Oops\r\nContent-Length: 0\r\nConnection: close\r\n\r\n"
                    .to_string(),
            };
            let _ = stream.write_all(answer.as_bytes());
        });
    }
}

/// Answers every request with bytes that are not HTTP.
fn garbage(listener: TcpListener) {
    for stream in listener.incoming() {
        let Ok(mut stream) = stream else { continue };
        std::thread::spawn(move || {
            read_head(&mut stream);
            let _ = stream.write_all(b"\x00\x01garbage, not HTTP at all\r\n\r\n");
        });
    }
}

fn setup() -> &'static Setup {
    static SETUP: OnceLock<Setup> = OnceLock::new();
    SETUP.get_or_init(|| {
        let good = TcpListener::bind("127.0.0.1:0").unwrap();
        let good_port = good.local_addr().unwrap().port();
        std::thread::spawn(move || backend(good));
        let bad = TcpListener::bind("127.0.0.1:0").unwrap();
        let bad_port = bad.local_addr().unwrap().port();
        std::thread::spawn(move || garbage(bad));
        // Accepts connections (the kernel does) and never answers.
        let silent = TcpListener::bind("127.0.0.1:0").unwrap();
        let silent_port = silent.local_addr().unwrap().port();
        std::thread::spawn(move || {
            let mut held = Vec::new();
            for s in silent.incoming() {
                held.push(s);
            }
        });
        let down_port = free_port();
        let apache = free_port();
        let dir = tempfile::tempdir().unwrap();
        let d = dir.path().display().to_string();
        let mut conf = format!(
            "ServerRoot /usr/lib/apache2\n\
             LoadModule mpm_event_module /usr/lib/apache2/modules/mod_mpm_event.so\n\
             LoadModule authz_core_module /usr/lib/apache2/modules/mod_authz_core.so\n\
             LoadModule proxy_module /usr/lib/apache2/modules/mod_proxy.so\n\
             LoadModule proxy_http_module /usr/lib/apache2/modules/mod_proxy_http.so\n\
             LoadModule alias_module /usr/lib/apache2/modules/mod_alias.so\n\
             ServerName localhost\n\
             Listen 127.0.0.1:{apache}\n\
             PidFile {d}/httpd.pid\n\
             ErrorLog {d}/error.log\n\
             DefaultRuntimeDir {d}\n\
             Mutex file:{d}\n\
             StartServers 1\nServerLimit 1\nThreadsPerChild 25\nMaxRequestWorkers 25\n\
             Redirect /loop/ http://127.0.0.1:{apache}/loop/\n"
        );
        // The seed's cdr.conf, once per case.
        for route in ["ok", "empty", "html", "missing", "slow", "chunked"] {
            conf.push_str(&format!(
                "ProxyPass /{route}/api/cdr/ http://127.0.0.1:{good_port}/{route}/api/cdr/\n\
                 ProxyPassReverse /{route}/api/cdr/ http://127.0.0.1:{good_port}/{route}/api/cdr/\n"
            ));
        }
        conf.push_str(&format!(
            "ProxyPass /down/api/cdr/ http://127.0.0.1:{down_port}/api/cdr/\n\
             ProxyPass /garbage/api/cdr/ http://127.0.0.1:{bad_port}/api/cdr/\n"
        ));
        let conf_path = dir.path().join("httpd.conf");
        std::fs::write(&conf_path, conf).unwrap();
        // Apache runs as www-data (the test runs as root on CI): it owns its directory.
        let status = std::process::Command::new("chown")
            .arg("-R")
            .arg("www-data")
            .arg(dir.path())
            .status()
            .expect("chown");
        assert!(status.success(), "cannot give {d} to www-data");
        let apache2 = PathBuf::from("/usr/sbin/apache2");
        assert!(
            apache2.exists(),
            "Apache is needed: install the Debian package apache2 (.ci/apt-packages)"
        );
        let mut command = std::process::Command::new("runuser");
        command
            .args(["-u", "www-data", "--"])
            .arg(&apache2)
            .arg("-f")
            .arg(&conf_path)
            .arg("-DFOREGROUND");
        // The test process has no destructor for statics: Apache ends with it.
        use std::os::unix::process::CommandExt;
        unsafe {
            command.pre_exec(|| {
                libc::prctl(libc::PR_SET_PDEATHSIG, libc::SIGTERM);
                Ok(())
            });
        }
        // PR_SET_PDEATHSIG fires when the spawning *thread* ends: spawn from a
        // thread that lives as long as the process.
        let (tx, rx) = std::sync::mpsc::channel();
        std::thread::spawn(move || {
            tx.send(command.spawn().expect("runuser apache2")).unwrap();
            loop {
                std::thread::park();
            }
        });
        let mut child = rx.recv().unwrap();
        let started = std::time::Instant::now();
        while TcpStream::connect(("127.0.0.1", apache)).is_err() {
            if let Ok(Some(status)) = child.try_wait() {
                let log = std::fs::read_to_string(dir.path().join("error.log")).unwrap_or_default();
                panic!("Apache exited with {status} before listening: {log}");
            }
            assert!(
                started.elapsed() < Duration::from_secs(20),
                "Apache did not listen on {apache} within 20 s"
            );
            std::thread::sleep(Duration::from_millis(50));
        }
        std::mem::forget(child);
        Setup {
            apache,
            silent: silent_port,
            _dir: dir,
        }
    })
}

fn run(route: &str, extra: &[&str]) -> (i32, serde_json::Value) {
    let s = setup();
    let url = format!("http://127.0.0.1:{}/{route}", s.apache);
    run_url(&url, extra)
}

fn run_url(url: &str, extra: &[&str]) -> (i32, serde_json::Value) {
    let out = Command::cargo_bin("check_cdr_api")
        .unwrap()
        .args(["--output-format", "json", "--url", url])
        .args(extra)
        .output()
        .unwrap();
    let text = String::from_utf8_lossy(&out.stdout).into_owned();
    let doc: serde_json::Value =
        serde_json::from_str(&text).unwrap_or_else(|e| panic!("{e}: {text}"));
    let code = out.status.code().unwrap();
    assert_eq!(doc["exit_code"].as_i64(), Some(code as i64), "{text}");
    (code, doc)
}

fn summary(doc: &serde_json::Value) -> String {
    doc["summary"].as_str().unwrap().to_string()
}

fn perf(doc: &serde_json::Value, label: &str) -> f64 {
    doc["perfdata"]
        .as_array()
        .unwrap()
        .iter()
        .find(|p| p["label"] == label)
        .unwrap_or_else(|| panic!("no {label} in {doc}"))["value"]
        .as_f64()
        .unwrap()
}

#[test]
fn csv_through_apache_is_ok() {
    let (code, doc) = run("ok", &[]);
    assert_eq!(code, 0, "{doc}");
    assert_eq!(perf(&doc, "records"), 3.0);
    assert_eq!(perf(&doc, "size"), CDRS.len() as f64);
    assert!(summary(&doc).contains("3 records"), "{doc}");
    let (code, doc) = run("ok", &["--min-records", "5"]);
    assert_eq!(code, 2, "{doc}");
}

#[test]
fn a_chunked_answer_is_read_whole() {
    let (code, doc) = run("chunked", &["--days-ago", "1"]);
    assert_eq!(code, 0, "{doc}");
    assert_eq!(perf(&doc, "records"), 3.0);
}

#[test]
fn an_empty_day_an_html_page_and_a_404_are_critical() {
    let (code, doc) = run("empty", &[]);
    assert_eq!(code, 2, "{doc}");
    assert!(summary(&doc).contains("empty body"), "{doc}");
    let (code, _) = run("empty", &["--min-records", "0"]);
    assert_eq!(code, 0);
    let (code, doc) = run("html", &[]);
    assert_eq!(code, 2, "{doc}");
    assert!(summary(&doc).contains("not CSV"), "{doc}");
    let (code, doc) = run("missing", &[]);
    assert_eq!(code, 2, "{doc}");
    assert!(summary(&doc).contains("HTTP 404"), "{doc}");
}

#[test]
fn backend_down_is_503_and_garbage_is_502() {
    let (code, doc) = run("down", &[]);
    assert_eq!(code, 2, "{doc}");
    assert!(summary(&doc).contains("HTTP 503"), "{doc}");
    assert!(summary(&doc).contains("backend"), "{doc}");
    let (code, doc) = run("garbage", &[]);
    assert_eq!(code, 2, "{doc}");
    assert!(summary(&doc).contains("HTTP 502"), "{doc}");
}

#[test]
fn a_slow_backend_crosses_the_thresholds() {
    let (code, doc) = run("slow", &["--warning-time", "1", "--critical-time", "10"]);
    assert_eq!(code, 1, "{doc}");
    assert!(perf(&doc, "time") >= 1.5, "{doc}");
    let (code, _) = run("slow", &["--warning-time", "0.5", "--critical-time", "1"]);
    assert_eq!(code, 2);
}

#[test]
fn a_redirect_loop_and_a_body_too_large() {
    let (code, doc) = run("loop", &[]);
    assert_eq!(code, 2, "{doc}");
    assert!(summary(&doc).contains("redirect loop"), "{doc}");
    let (code, doc) = run("ok", &["--max-size", "100"]);
    assert_eq!(code, 3, "{doc}");
    assert!(summary(&doc).contains("--max-size"), "{doc}");
}

#[test]
fn a_silent_port_is_critical_within_the_timeout() {
    let s = setup();
    let url = format!("http://127.0.0.1:{}", s.silent);
    let started = std::time::Instant::now();
    let (code, doc) = run_url(&url, &["-t", "3"]);
    let took = started.elapsed();
    assert_eq!(code, 2, "{doc}");
    assert!(summary(&doc).contains("no answer from"), "{doc}");
    assert!(took < Duration::from_secs(3), "took {took:?}");
}

#[test]
fn bad_urls_are_unknown() {
    assert_eq!(run_url("ftp://x", &[]).0, 3);
    // An empty value is refused before the options are read (the core's rule
    // for every plugin), so as a plain usage error, not JSON.
    let out = Command::cargo_bin("check_cdr_api")
        .unwrap()
        .args(["--output-format", "json", "--url", ""])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(3));
    assert_eq!(
        String::from_utf8_lossy(&out.stdout),
        "CDR_API UNKNOWN - empty value for --url: give a value or leave the option out\n"
    );
}
