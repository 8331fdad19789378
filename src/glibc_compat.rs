//! Functions glibc 2.17 (RHEL/CentOS 7, the oldest target of the packages)
//! lacks but Rust's standard library links against. The release binaries are
//! linked against glibc 2.17's symbols (cargo zigbuild, see
//! packaging/build-packages.sh), where std's `getrandom` reference (HashMap
//! keys, glibc 2.25) is an undefined symbol. Defined here, it is the system
//! call itself: the same thing glibc's wrapper does, on every glibc. Where the
//! kernel lacks the call (before Linux 3.17 and RHEL 7.4's backport) it fails
//! with ENOSYS and std falls back to /dev/urandom, as it does with glibc's.

/// `getrandom(2)` as glibc 2.25+ declares it, through `syscall(2)`.
///
/// # Safety
/// `buf` must be valid for writes of `buflen` bytes, as for getrandom(2).
#[no_mangle]
pub unsafe extern "C" fn getrandom(
    buf: *mut libc::c_void,
    buflen: libc::size_t,
    flags: libc::c_uint,
) -> libc::ssize_t {
    // SAFETY: the caller's guarantee on `buf`; the kernel checks the rest.
    unsafe { libc::syscall(libc::SYS_getrandom, buf, buflen, flags) as libc::ssize_t }
}

#[cfg(test)]
mod tests {
    #[test]
    fn getrandom_fills_the_buffer() {
        let mut buf = [0u8; 64];
        // SAFETY: buf is valid for 64 bytes.
        let n = unsafe { super::getrandom(buf.as_mut_ptr().cast(), buf.len(), 0) };
        assert_eq!(n, 64);
        assert!(buf.iter().any(|&b| b != 0));
    }
}
