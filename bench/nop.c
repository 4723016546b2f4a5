// The reference for `ringscript bench nop`: the same loop over liburing. Queue `batch` NOPs, submit them
// with one io_uring_enter that waits for all of them, reap the batch, repeat until `count` are done.
// Build: cc -O2 -o nop nop.c -luring    Run: ./nop COUNT BATCH
#include <liburing.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

static unsigned long long now_ns(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (unsigned long long)ts.tv_sec * 1000000000ull + ts.tv_nsec;
}

int main(int argc, char **argv) {
    long count = argc > 1 ? atol(argv[1]) : 2000000;
    unsigned batch = argc > 2 ? (unsigned)atoi(argv[2]) : 32;
    unsigned entries = 1;
    while (entries < batch) entries <<= 1;  // the same ring size the Swift benchmark picks
    struct io_uring ring;
    if (io_uring_queue_init(entries, &ring, 0) < 0) { perror("io_uring_queue_init"); return 1; }
    struct io_uring_cqe *cqes[512];
    long completed = 0;
    unsigned long long start = now_ns();
    while (completed < count) {
        unsigned round = count - completed < batch ? (unsigned)(count - completed) : batch;
        for (unsigned i = 0; i < round; i++) {
            struct io_uring_sqe *sqe = io_uring_get_sqe(&ring);
            io_uring_prep_nop(sqe);
            sqe->user_data = completed + i;
        }
        io_uring_submit_and_wait(&ring, round);
        unsigned reaped = 0;
        while (reaped < round) {
            unsigned got = io_uring_peek_batch_cqe(&ring, cqes, round - reaped < 512 ? round - reaped : 512);
            if (got == 0) { io_uring_wait_cqe(&ring, cqes); continue; }
            for (unsigned i = 0; i < got; i++) if (cqes[i]->res != 0) { fprintf(stderr, "nop failed\n"); return 1; }
            io_uring_cq_advance(&ring, got);
            reaped += got;
        }
        completed += round;
    }
    unsigned long long elapsed = now_ns() - start;
    printf("%.1f\n", (double)elapsed / (double)completed);
    io_uring_queue_exit(&ring);
    return 0;
}
