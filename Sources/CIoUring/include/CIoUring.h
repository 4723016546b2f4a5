// The io_uring UAPI as Linux 6.18 defines it (include/uapi/linux/io_uring.h), restated here because the
// system's <linux/io_uring.h> is older than the running kernel. Layouts and values only: no logic.
// Swift reaches the kernel through the CIoUring_* functions at the end of this file.
#ifndef CIOURING_H
#define CIOURING_H

#include <stdint.h>
#include <stddef.h>
#include <errno.h>
#include <signal.h>
#include <unistd.h>
#include <sys/syscall.h>
// Swift's Glibc module leaves these out; ringscript's ops and resources need their types and calls.
#include <sys/epoll.h>
#include <sys/eventfd.h>
// struct statx (the kernel's UAPI layout), for struct views of what IORING_OP_STATX writes.
#include <linux/stat.h>

// glibc declares these only under _GNU_SOURCE, which Swift's Glibc module is built without. The address
// of accept4 is untyped here so that this header need not pull <sys/socket.h> into the module.
extern int pipe2(int pipefd[2], int flags);
extern int accept4(int sockfd, void *addr, unsigned int *addrlen, int flags);
#ifndef F_SETPIPE_SZ
#define F_SETPIPE_SZ 1031
#define F_GETPIPE_SZ 1032
#endif

#ifndef __NR_io_uring_setup
#define __NR_io_uring_setup 425
#endif
#ifndef __NR_io_uring_enter
#define __NR_io_uring_enter 426
#endif
#ifndef __NR_io_uring_register
#define __NR_io_uring_register 427
#endif

// MARK: - Submission queue entry (64 bytes; 128 with IORING_SETUP_SQE128)

struct io_uring_sqe {
    uint8_t opcode;         // IORING_OP_*
    uint8_t flags;          // IOSQE_*
    uint16_t ioprio;        // ioprio, or op flags for accept/recv/send
    int32_t fd;
    union {
        uint64_t off;
        uint64_t addr2;
        struct {
            uint32_t cmd_op;
            uint32_t __pad1;
        };
    };
    union {
        uint64_t addr;
        uint64_t splice_off_in;
        struct {
            uint32_t level;
            uint32_t optname;
        };
    };
    uint32_t len;
    union {
        int32_t rw_flags;
        uint32_t fsync_flags;
        uint16_t poll_events;
        uint32_t poll32_events;
        uint32_t sync_range_flags;
        uint32_t msg_flags;
        uint32_t timeout_flags;
        uint32_t accept_flags;
        uint32_t cancel_flags;
        uint32_t open_flags;
        uint32_t statx_flags;
        uint32_t fadvise_advice;
        uint32_t splice_flags;
        uint32_t rename_flags;
        uint32_t unlink_flags;
        uint32_t hardlink_flags;
        uint32_t xattr_flags;
        uint32_t msg_ring_flags;
        uint32_t uring_cmd_flags;
        uint32_t waitid_flags;
        uint32_t futex_flags;
        uint32_t install_fd_flags;
        uint32_t nop_flags;
        uint32_t pipe_flags;
    };
    uint64_t user_data;
    union {
        uint16_t buf_index;
        uint16_t buf_group;
    } __attribute__((packed));
    uint16_t personality;
    union {
        int32_t splice_fd_in;
        uint32_t file_index;
        uint32_t zcrx_ifq_idx;
        uint32_t optlen;
        struct {
            uint16_t addr_len;
            uint16_t __pad3[1];
        };
    };
    union {
        struct {
            uint64_t addr3;
            uint64_t __pad2[1];
        };
        struct {
            uint64_t attr_ptr;
            uint64_t attr_type_mask;
        };
        uint64_t optval;
    };
};

_Static_assert(sizeof(struct io_uring_sqe) == 64, "io_uring_sqe is 64 bytes");

#define IORING_FILE_INDEX_ALLOC (~0U)

#define IOSQE_FIXED_FILE       (1U << 0)
#define IOSQE_IO_DRAIN         (1U << 1)
#define IOSQE_IO_LINK          (1U << 2)
#define IOSQE_IO_HARDLINK      (1U << 3)
#define IOSQE_ASYNC            (1U << 4)
#define IOSQE_BUFFER_SELECT    (1U << 5)
#define IOSQE_CQE_SKIP_SUCCESS (1U << 6)

// MARK: - io_uring_setup(2) flags

#define IORING_SETUP_IOPOLL           (1U << 0)
#define IORING_SETUP_SQPOLL           (1U << 1)
#define IORING_SETUP_SQ_AFF           (1U << 2)
#define IORING_SETUP_CQSIZE           (1U << 3)
#define IORING_SETUP_CLAMP            (1U << 4)
#define IORING_SETUP_ATTACH_WQ        (1U << 5)
#define IORING_SETUP_R_DISABLED       (1U << 6)
#define IORING_SETUP_SUBMIT_ALL       (1U << 7)
#define IORING_SETUP_COOP_TASKRUN     (1U << 8)
#define IORING_SETUP_TASKRUN_FLAG     (1U << 9)
#define IORING_SETUP_SQE128           (1U << 10)
#define IORING_SETUP_CQE32            (1U << 11)
#define IORING_SETUP_SINGLE_ISSUER    (1U << 12)
#define IORING_SETUP_DEFER_TASKRUN    (1U << 13)
#define IORING_SETUP_NO_MMAP          (1U << 14)
#define IORING_SETUP_REGISTERED_FD_ONLY (1U << 15)
#define IORING_SETUP_NO_SQARRAY       (1U << 16)
#define IORING_SETUP_HYBRID_IOPOLL    (1U << 17)
#define IORING_SETUP_CQE_MIXED        (1U << 18)

// MARK: - Opcodes

enum {
    IORING_OP_NOP = 0,
    IORING_OP_READV,
    IORING_OP_WRITEV,
    IORING_OP_FSYNC,
    IORING_OP_READ_FIXED,
    IORING_OP_WRITE_FIXED,
    IORING_OP_POLL_ADD,
    IORING_OP_POLL_REMOVE,
    IORING_OP_SYNC_FILE_RANGE,
    IORING_OP_SENDMSG,
    IORING_OP_RECVMSG,
    IORING_OP_TIMEOUT,
    IORING_OP_TIMEOUT_REMOVE,
    IORING_OP_ACCEPT,
    IORING_OP_ASYNC_CANCEL,
    IORING_OP_LINK_TIMEOUT,
    IORING_OP_CONNECT,
    IORING_OP_FALLOCATE,
    IORING_OP_OPENAT,
    IORING_OP_CLOSE,
    IORING_OP_FILES_UPDATE,
    IORING_OP_STATX,
    IORING_OP_READ,
    IORING_OP_WRITE,
    IORING_OP_FADVISE,
    IORING_OP_MADVISE,
    IORING_OP_SEND,
    IORING_OP_RECV,
    IORING_OP_OPENAT2,
    IORING_OP_EPOLL_CTL,
    IORING_OP_SPLICE,
    IORING_OP_PROVIDE_BUFFERS,
    IORING_OP_REMOVE_BUFFERS,
    IORING_OP_TEE,
    IORING_OP_SHUTDOWN,
    IORING_OP_RENAMEAT,
    IORING_OP_UNLINKAT,
    IORING_OP_MKDIRAT,
    IORING_OP_SYMLINKAT,
    IORING_OP_LINKAT,
    IORING_OP_MSG_RING,
    IORING_OP_FSETXATTR,
    IORING_OP_SETXATTR,
    IORING_OP_FGETXATTR,
    IORING_OP_GETXATTR,
    IORING_OP_SOCKET,
    IORING_OP_URING_CMD,
    IORING_OP_SEND_ZC,
    IORING_OP_SENDMSG_ZC,
    IORING_OP_READ_MULTISHOT,
    IORING_OP_WAITID,
    IORING_OP_FUTEX_WAIT,
    IORING_OP_FUTEX_WAKE,
    IORING_OP_FUTEX_WAITV,
    IORING_OP_FIXED_FD_INSTALL,
    IORING_OP_FTRUNCATE,
    IORING_OP_BIND,
    IORING_OP_LISTEN,
    IORING_OP_RECV_ZC,
    IORING_OP_EPOLL_WAIT,
    IORING_OP_READV_FIXED,
    IORING_OP_WRITEV_FIXED,
    IORING_OP_PIPE,
    IORING_OP_LAST,
};

// MARK: - Per-op flag words

#define IORING_URING_CMD_FIXED (1U << 0)

#define IORING_FSYNC_DATASYNC (1U << 0)

#define IORING_TIMEOUT_ABS            (1U << 0)
#define IORING_TIMEOUT_UPDATE         (1U << 1)
#define IORING_TIMEOUT_BOOTTIME       (1U << 2)
#define IORING_TIMEOUT_REALTIME       (1U << 3)
#define IORING_LINK_TIMEOUT_UPDATE    (1U << 4)
#define IORING_TIMEOUT_ETIME_SUCCESS  (1U << 5)
#define IORING_TIMEOUT_MULTISHOT      (1U << 6)

#define SPLICE_F_FD_IN_FIXED (1U << 31)

#define IORING_POLL_ADD_MULTI        (1U << 0)
#define IORING_POLL_UPDATE_EVENTS    (1U << 1)
#define IORING_POLL_UPDATE_USER_DATA (1U << 2)
#define IORING_POLL_ADD_LEVEL        (1U << 3)

#define IORING_ASYNC_CANCEL_ALL      (1U << 0)
#define IORING_ASYNC_CANCEL_FD       (1U << 1)
#define IORING_ASYNC_CANCEL_ANY      (1U << 2)
#define IORING_ASYNC_CANCEL_FD_FIXED (1U << 3)
#define IORING_ASYNC_CANCEL_USERDATA (1U << 4)
#define IORING_ASYNC_CANCEL_OP       (1U << 5)

// send/recv flags, carried in sqe->ioprio
#define IORING_RECVSEND_POLL_FIRST  (1U << 0)
#define IORING_RECV_MULTISHOT       (1U << 1)
#define IORING_RECVSEND_FIXED_BUF   (1U << 2)
#define IORING_SEND_ZC_REPORT_USAGE (1U << 3)
#define IORING_RECVSEND_BUNDLE      (1U << 4)
#define IORING_SEND_VECTORIZED      (1U << 5)

#define IORING_NOTIF_USAGE_ZC_COPIED (1U << 31)

// accept flags, carried in sqe->ioprio
#define IORING_ACCEPT_MULTISHOT  (1U << 0)
#define IORING_ACCEPT_DONTWAIT   (1U << 1)
#define IORING_ACCEPT_POLL_FIRST (1U << 2)

#define IORING_MSG_DATA    0
#define IORING_MSG_SEND_FD 1
#define IORING_MSG_RING_CQE_SKIP   (1U << 0)
#define IORING_MSG_RING_FLAGS_PASS (1U << 1)

#define IORING_FIXED_FD_NO_CLOEXEC (1U << 0)

#define IORING_NOP_INJECT_RESULT (1U << 0)
#define IORING_NOP_CQE32         (1U << 5)

// MARK: - Completion queue entry (16 bytes; 32 with IORING_SETUP_CQE32)

struct io_uring_cqe {
    uint64_t user_data;
    int32_t res;
    uint32_t flags;
};

_Static_assert(sizeof(struct io_uring_cqe) == 16, "io_uring_cqe is 16 bytes");

#define IORING_CQE_F_BUFFER        (1U << 0)
#define IORING_CQE_F_MORE          (1U << 1)
#define IORING_CQE_F_SOCK_NONEMPTY (1U << 2)
#define IORING_CQE_F_NOTIF         (1U << 3)
#define IORING_CQE_F_BUF_MORE      (1U << 4)
#define IORING_CQE_F_SKIP          (1U << 5)
#define IORING_CQE_F_32            (1U << 15)
#define IORING_CQE_BUFFER_SHIFT    16

// MARK: - mmap offsets

#define IORING_OFF_SQ_RING    0ULL
#define IORING_OFF_CQ_RING    0x8000000ULL
#define IORING_OFF_SQES       0x10000000ULL
#define IORING_OFF_PBUF_RING  0x80000000ULL
#define IORING_OFF_PBUF_SHIFT 16

struct io_sqring_offsets {
    uint32_t head;
    uint32_t tail;
    uint32_t ring_mask;
    uint32_t ring_entries;
    uint32_t flags;
    uint32_t dropped;
    uint32_t array;
    uint32_t resv1;
    uint64_t user_addr;
};

#define IORING_SQ_NEED_WAKEUP (1U << 0)
#define IORING_SQ_CQ_OVERFLOW (1U << 1)
#define IORING_SQ_TASKRUN     (1U << 2)

struct io_cqring_offsets {
    uint32_t head;
    uint32_t tail;
    uint32_t ring_mask;
    uint32_t ring_entries;
    uint32_t overflow;
    uint32_t cqes;
    uint32_t flags;
    uint32_t resv1;
    uint64_t user_addr;
};

#define IORING_CQ_EVENTFD_DISABLED (1U << 0)

// MARK: - io_uring_enter(2) flags

#define IORING_ENTER_GETEVENTS       (1U << 0)
#define IORING_ENTER_SQ_WAKEUP       (1U << 1)
#define IORING_ENTER_SQ_WAIT         (1U << 2)
#define IORING_ENTER_EXT_ARG         (1U << 3)
#define IORING_ENTER_REGISTERED_RING (1U << 4)
#define IORING_ENTER_ABS_TIMER       (1U << 5)
#define IORING_ENTER_EXT_ARG_REG     (1U << 6)
#define IORING_ENTER_NO_IOWAIT       (1U << 7)

struct io_uring_params {
    uint32_t sq_entries;
    uint32_t cq_entries;
    uint32_t flags;
    uint32_t sq_thread_cpu;
    uint32_t sq_thread_idle;
    uint32_t features;
    uint32_t wq_fd;
    uint32_t resv[3];
    struct io_sqring_offsets sq_off;
    struct io_cqring_offsets cq_off;
};

_Static_assert(sizeof(struct io_uring_params) == 120, "io_uring_params is 120 bytes");

#define IORING_FEAT_SINGLE_MMAP      (1U << 0)
#define IORING_FEAT_NODROP           (1U << 1)
#define IORING_FEAT_SUBMIT_STABLE    (1U << 2)
#define IORING_FEAT_RW_CUR_POS       (1U << 3)
#define IORING_FEAT_CUR_PERSONALITY  (1U << 4)
#define IORING_FEAT_FAST_POLL        (1U << 5)
#define IORING_FEAT_POLL_32BITS      (1U << 6)
#define IORING_FEAT_SQPOLL_NONFIXED  (1U << 7)
#define IORING_FEAT_EXT_ARG          (1U << 8)
#define IORING_FEAT_NATIVE_WORKERS   (1U << 9)
#define IORING_FEAT_RSRC_TAGS        (1U << 10)
#define IORING_FEAT_CQE_SKIP         (1U << 11)
#define IORING_FEAT_LINKED_FILE      (1U << 12)
#define IORING_FEAT_REG_REG_RING     (1U << 13)
#define IORING_FEAT_RECVSEND_BUNDLE  (1U << 14)
#define IORING_FEAT_MIN_TIMEOUT      (1U << 15)
#define IORING_FEAT_RW_ATTR          (1U << 16)
#define IORING_FEAT_NO_IOWAIT        (1U << 17)

// MARK: - io_uring_register(2)

enum {
    IORING_REGISTER_BUFFERS = 0,
    IORING_UNREGISTER_BUFFERS = 1,
    IORING_REGISTER_FILES = 2,
    IORING_UNREGISTER_FILES = 3,
    IORING_REGISTER_EVENTFD = 4,
    IORING_UNREGISTER_EVENTFD = 5,
    IORING_REGISTER_FILES_UPDATE = 6,
    IORING_REGISTER_EVENTFD_ASYNC = 7,
    IORING_REGISTER_PROBE = 8,
    IORING_REGISTER_PERSONALITY = 9,
    IORING_UNREGISTER_PERSONALITY = 10,
    IORING_REGISTER_RESTRICTIONS = 11,
    IORING_REGISTER_ENABLE_RINGS = 12,
    IORING_REGISTER_FILES2 = 13,
    IORING_REGISTER_FILES_UPDATE2 = 14,
    IORING_REGISTER_BUFFERS2 = 15,
    IORING_REGISTER_BUFFERS_UPDATE = 16,
    IORING_REGISTER_IOWQ_AFF = 17,
    IORING_UNREGISTER_IOWQ_AFF = 18,
    IORING_REGISTER_IOWQ_MAX_WORKERS = 19,
    IORING_REGISTER_RING_FDS = 20,
    IORING_UNREGISTER_RING_FDS = 21,
    IORING_REGISTER_PBUF_RING = 22,
    IORING_UNREGISTER_PBUF_RING = 23,
    IORING_REGISTER_SYNC_CANCEL = 24,
    IORING_REGISTER_FILE_ALLOC_RANGE = 25,
    IORING_REGISTER_PBUF_STATUS = 26,
    IORING_REGISTER_NAPI = 27,
    IORING_UNREGISTER_NAPI = 28,
    IORING_REGISTER_CLOCK = 29,
    IORING_REGISTER_CLONE_BUFFERS = 30,
    IORING_REGISTER_SEND_MSG_RING = 31,
    IORING_REGISTER_ZCRX_IFQ = 32,
    IORING_REGISTER_RESIZE_RINGS = 33,
    IORING_REGISTER_MEM_REGION = 34,
    IORING_REGISTER_QUERY = 35,
    IORING_REGISTER_ZCRX_CTRL = 36,
};

#define IORING_RSRC_REGISTER_SPARSE (1U << 0)
#define IORING_REGISTER_FILES_SKIP  (-2)

struct io_uring_files_update {
    uint32_t offset;
    uint32_t resv;
    uint64_t fds __attribute__((aligned(8)));
};

struct io_uring_rsrc_register {
    uint32_t nr;
    uint32_t flags;
    uint64_t resv2;
    uint64_t data __attribute__((aligned(8)));
    uint64_t tags __attribute__((aligned(8)));
};

struct io_uring_rsrc_update {
    uint32_t offset;
    uint32_t resv;
    uint64_t data __attribute__((aligned(8)));
};

struct io_uring_rsrc_update2 {
    uint32_t offset;
    uint32_t resv;
    uint64_t data __attribute__((aligned(8)));
    uint64_t tags __attribute__((aligned(8)));
    uint32_t nr;
    uint32_t resv2;
};

#define IO_URING_OP_SUPPORTED (1U << 0)

struct io_uring_probe_op {
    uint8_t op;
    uint8_t resv;
    uint16_t flags;
    uint32_t resv2;
};

struct io_uring_probe {
    uint8_t last_op;
    uint8_t ops_len;
    uint16_t resv;
    uint32_t resv2[3];
    // followed by ops_len struct io_uring_probe_op
};

_Static_assert(sizeof(struct io_uring_probe) == 16, "io_uring_probe header is 16 bytes");

struct io_uring_restriction {
    uint16_t opcode;
    union {
        uint8_t register_op;
        uint8_t sqe_op;
        uint8_t sqe_flags;
    };
    uint8_t resv;
    uint32_t resv2[3];
};

#define IORING_RESTRICTION_REGISTER_OP 0
#define IORING_RESTRICTION_SQE_OP 1
#define IORING_RESTRICTION_SQE_FLAGS_ALLOWED 2
#define IORING_RESTRICTION_SQE_FLAGS_REQUIRED 3

struct io_uring_buf {
    uint64_t addr;
    uint32_t len;
    uint16_t bid;
    uint16_t resv;
};

_Static_assert(sizeof(struct io_uring_buf) == 16, "io_uring_buf is 16 bytes");

// The tail of a provided-buffer ring overlays bufs[0].resv (byte offset 14).
#define CIOURING_BUF_RING_TAIL_OFFSET 14

#define IOU_PBUF_RING_MMAP 1
#define IOU_PBUF_RING_INC  2

struct io_uring_buf_reg {
    uint64_t ring_addr;
    uint32_t ring_entries;
    uint16_t bgid;
    uint16_t flags;
    uint32_t min_left;
    uint32_t resv[5];
};

struct io_uring_buf_status {
    uint32_t buf_group;
    uint32_t head;
    uint32_t resv[8];
};

struct io_uring_napi {
    uint32_t busy_poll_to;
    uint8_t prefer_busy_poll;
    uint8_t opcode;        // IO_URING_NAPI_* operation
    uint8_t pad[2];
    uint32_t op_param;     // tracking strategy, or a NAPI id
    uint32_t resv;
};

#define IO_URING_NAPI_REGISTER_OP     0
#define IO_URING_NAPI_STATIC_ADD_ID   1
#define IO_URING_NAPI_STATIC_DEL_ID   2
#define IO_URING_NAPI_TRACKING_DYNAMIC  0
#define IO_URING_NAPI_TRACKING_STATIC   1
#define IO_URING_NAPI_TRACKING_INACTIVE 255

struct io_uring_file_index_range {
    uint32_t off;
    uint32_t len;
    uint64_t resv;
};

struct io_uring_getevents_arg {
    uint64_t sigmask;
    uint32_t sigmask_sz;
    uint32_t min_wait_usec;
    uint64_t ts;
};

struct io_uring_sync_cancel_reg {
    uint64_t addr;
    int32_t fd;
    uint32_t flags;
    int64_t timeout_sec;
    int64_t timeout_nsec;
    uint8_t opcode;
    uint8_t pad[7];
    uint64_t pad2[3];
};

struct io_uring_recvmsg_out {
    uint32_t namelen;
    uint32_t controllen;
    uint32_t payloadlen;
    uint32_t flags;
};

// Socket commands for IORING_OP_URING_CMD on a socket (sqe->cmd_op).
#define SOCKET_URING_OP_SIOCINQ      0
#define SOCKET_URING_OP_SIOCOUTQ     1
#define SOCKET_URING_OP_GETSOCKOPT   2
#define SOCKET_URING_OP_SETSOCKOPT   3
#define SOCKET_URING_OP_TX_TIMESTAMP 4
#define SOCKET_URING_OP_GETSOCKNAME  5

// The kernel's struct __kernel_timespec.
struct io_uring_kernel_timespec {
    int64_t tv_sec;
    int64_t tv_nsec;
};

// MARK: - Syscalls and atomics. Each returns the result, or -errno.

static inline int CIoUring_setup(uint32_t entries, struct io_uring_params *params) {
    long r = syscall(__NR_io_uring_setup, entries, params);
    return r < 0 ? -errno : (int)r;
}

static inline int CIoUring_enter(int fd, uint32_t to_submit, uint32_t min_complete, uint32_t flags,
                                 const void *arg, size_t arg_size) {
    long r = syscall(__NR_io_uring_enter, fd, to_submit, min_complete, flags, arg, arg_size);
    return r < 0 ? -errno : (int)r;
}

static inline int CIoUring_register(int fd, uint32_t opcode, const void *arg, uint32_t nr_args) {
    long r = syscall(__NR_io_uring_register, fd, opcode, arg, nr_args);
    return r < 0 ? -errno : (int)r;
}

static inline uint32_t CIoUring_load_acquire(const uint32_t *p) {
    return __atomic_load_n(p, __ATOMIC_ACQUIRE);
}

static inline void CIoUring_store_release(uint32_t *p, uint32_t v) {
    __atomic_store_n(p, v, __ATOMIC_RELEASE);
}

static inline uint32_t CIoUring_load_relaxed(const uint32_t *p) {
    return __atomic_load_n(p, __ATOMIC_RELAXED);
}

static inline uint16_t CIoUring_load_acquire16(const uint16_t *p) {
    return __atomic_load_n(p, __ATOMIC_ACQUIRE);
}

static inline void CIoUring_store_release16(uint16_t *p, uint16_t v) {
    __atomic_store_n(p, v, __ATOMIC_RELEASE);
}

/// errno after a failed libc call, for Swift code that calls libc directly.
static inline int CIoUring_errno(void) { return errno; }

// MARK: - Process calls the runner's sandbox makes, which Swift's Glibc module leaves out (<sys/prctl.h>,
// and the _GNU_SOURCE part of <unistd.h>). Each returns 0 or the result, or -errno.

/// prctl(PR_SET_PDEATHSIG, signal): the calling process gets `signal` when the thread that made it exits.
static inline int CIoUring_set_parent_death_signal(int signal) {
    long r = syscall(__NR_prctl, 1 /* PR_SET_PDEATHSIG */, (unsigned long)signal, 0UL, 0UL, 0UL);
    return r < 0 ? -errno : (int)r;
}

/// close_range(2) (Linux 5.9): closes, or with CLOSE_RANGE_CLOEXEC (4) marks close-on-exec, `first`…`last`.
static inline int CIoUring_close_range(unsigned int first, unsigned int last, unsigned int flags) {
    long r = syscall(__NR_close_range, first, last, flags);
    return r < 0 ? -errno : (int)r;
}

// glibc's errno names and messages (strerrorname_np(3), strerrordesc_np(3), glibc >= 2.32), declared in
// <string.h> only under _GNU_SOURCE, which Swift's Glibc module does not define. NULL for a number glibc
// does not know (the kernel-internal 512...530, for one).
const char *CIoUring_errno_name(int error);
const char *CIoUring_errno_description(int error);

#endif
