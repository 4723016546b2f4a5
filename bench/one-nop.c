// Reference for whole-process cost: a process that sets up a ring, submits one NOP, waits for it, exits.
// Build: cc -O2 -o one-nop one-nop.c -luring
#include <liburing.h>

int main(void) {
    struct io_uring ring;
    if (io_uring_queue_init(8, &ring, 0) < 0) return 1;
    io_uring_prep_nop(io_uring_get_sqe(&ring));
    io_uring_submit_and_wait(&ring, 1);
    struct io_uring_cqe *cqe;
    if (io_uring_wait_cqe(&ring, &cqe) < 0 || cqe->res != 0) return 1;
    io_uring_queue_exit(&ring);
    return 0;
}
