// Whole-process measurements for bench/run.sh: runs a command COUNT times (fork + execvp, output to
// /dev/null, one after the other) and prints the median wall time in milliseconds and the largest peak
// RSS of any run in KiB (ru_maxrss from wait4). Fails if any run exits non-zero.
// Build: cc -O2 -o spawn spawn.c   Run: ./spawn COUNT command [args...]
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

static double now_ms(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return ts.tv_sec * 1e3 + ts.tv_nsec / 1e6;
}

static int compare(const void *a, const void *b) {
    double x = *(const double *)a, y = *(const double *)b;
    return x < y ? -1 : x > y;
}

int main(int argc, char **argv) {
    if (argc < 3) { fprintf(stderr, "usage: spawn COUNT command [args...]\n"); return 2; }
    int count = atoi(argv[1]);
    if (count < 1) count = 1;
    double *samples = malloc(sizeof *samples * count);
    long peak = 0;
    for (int i = 0; i < count; i++) {
        double start = now_ms();
        pid_t pid = fork();
        if (pid < 0) { perror("fork"); return 1; }
        if (pid == 0) {
            int null = open("/dev/null", O_WRONLY);
            dup2(null, 1);
            execvp(argv[2], argv + 2);
            perror(argv[2]);
            _exit(127);
        }
        int status;
        struct rusage usage;
        if (wait4(pid, &status, 0, &usage) < 0) { perror("wait4"); return 1; }
        samples[i] = now_ms() - start;
        if (usage.ru_maxrss > peak) peak = usage.ru_maxrss;
        if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) {
            fprintf(stderr, "spawn: %s exited with status %d\n", argv[2], WIFEXITED(status) ? WEXITSTATUS(status) : -1);
            return 1;
        }
    }
    qsort(samples, count, sizeof *samples, compare);
    double median = count % 2 ? samples[count / 2] : (samples[count / 2 - 1] + samples[count / 2]) / 2;
    printf("%.3f %ld\n", median, peak);
    return 0;
}
