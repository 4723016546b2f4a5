// Reference for ring setup + teardown: io_uring_queue_init(ENTRIES) then io_uring_queue_exit, COUNT times;
// prints the median in microseconds. Build: cc -O2 -o setup setup.c -luring   Run: ./setup COUNT [ENTRIES]
#include <liburing.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

static unsigned long long now_ns(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (unsigned long long)ts.tv_sec * 1000000000ull + ts.tv_nsec;
}

static int compare(const void *a, const void *b) {
    unsigned long long x = *(const unsigned long long *)a, y = *(const unsigned long long *)b;
    return x < y ? -1 : x > y;
}

int main(int argc, char **argv) {
    int count = argc > 1 ? atoi(argv[1]) : 2000;
    unsigned entries = argc > 2 ? (unsigned)atoi(argv[2]) : 256;
    unsigned long long *samples = malloc(sizeof *samples * count);
    for (int i = 0; i < count; i++) {
        struct io_uring ring;
        unsigned long long start = now_ns();
        if (io_uring_queue_init(entries, &ring, 0) < 0) { perror("io_uring_queue_init"); return 1; }
        io_uring_queue_exit(&ring);
        samples[i] = now_ns() - start;
    }
    qsort(samples, count, sizeof *samples, compare);
    printf("%.1f\n", samples[count / 2] / 1000.0);
    return 0;
}
