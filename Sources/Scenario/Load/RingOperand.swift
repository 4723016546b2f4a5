/// `$ring`: the scenario's own ring descriptor, usable wherever a file is (a read on it, a poll of it,
/// `register_files: { files: [$ring] }`), to reproduce "io_uring fd passed to itself" bugs. The kernel
/// refuses an io_uring descriptor in its own file table (-EBADF, `io_is_uring_fops`), and the ring's
/// file has no read or write methods (-EINVAL), but it can be polled (POLLOUT while the SQ has room).
let ringOperand = "$ring"

/// Why `capture: ring` is refused: `$ring` always names the ring.
let ringCaptureRefusal = "'$ring' names the scenario's own ring descriptor; pick another capture name"
