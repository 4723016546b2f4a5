// Reference for the random-read figure: 4 KiB reads at random 4 KiB-aligned offsets of a page-cached
// file, QD requests kept in flight, submissions and completions batched (submit what was refilled, wait
// for one, reap all ready). Prints IOPS. Build: cc -O2 -o randread randread.c -luring
// Run: ./randread FILE TOTAL_READS [QD]
#include <fcntl.h>
#include <liburing.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <time.h>

static unsigned long long now_ns(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (unsigned long long)ts.tv_sec * 1000000000ull + ts.tv_nsec;
}

// xorshift64*: cheap, and the same sequence every run.
static unsigned long long next_random(unsigned long long *state) {
    *state ^= *state >> 12; *state ^= *state << 25; *state ^= *state >> 27;
    return *state * 2685821657736338717ull;
}

int main(int argc, char **argv) {
    if (argc < 3) { fprintf(stderr, "usage: randread FILE TOTAL [QD]\n"); return 2; }
    int fd = open(argv[1], O_RDONLY);
    if (fd < 0) { perror("open"); return 1; }
    struct stat st;
    fstat(fd, &st);
    long total = atol(argv[2]);
    unsigned qd = argc > 3 ? (unsigned)atoi(argv[3]) : 32;
    unsigned long long blocks = (unsigned long long)st.st_size / 4096, seed = 88172645463325252ull;
    struct io_uring ring;
    if (io_uring_queue_init(qd, &ring, 0) < 0) { perror("io_uring_queue_init"); return 1; }
    char *buffers = aligned_alloc(4096, (size_t)qd * 4096);
    long issued = 0, done = 0;
    unsigned long long start = now_ns();
    for (unsigned i = 0; i < qd && issued < total; i++, issued++) {
        struct io_uring_sqe *sqe = io_uring_get_sqe(&ring);
        io_uring_prep_read(sqe, fd, buffers + (size_t)i * 4096, 4096, (next_random(&seed) % blocks) * 4096);
        sqe->user_data = i;
    }
    while (done < total) {
        io_uring_submit_and_wait(&ring, 1);
        struct io_uring_cqe *cqe;
        unsigned head, count = 0;
        io_uring_for_each_cqe(&ring, head, cqe) {
            if (cqe->res != 4096) { fprintf(stderr, "read failed: %d\n", cqe->res); return 1; }
            count++;
            done++;
            if (issued < total) {
                struct io_uring_sqe *sqe = io_uring_get_sqe(&ring);
                io_uring_prep_read(sqe, fd, buffers + cqe->user_data * 4096, 4096, (next_random(&seed) % blocks) * 4096);
                sqe->user_data = cqe->user_data;
                issued++;
            }
        }
        io_uring_cq_advance(&ring, count);
    }
    double seconds = (now_ns() - start) / 1e9;
    printf("%.0f\n", done / seconds);
    io_uring_queue_exit(&ring);
    return 0;
}
